package main

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// seededRun starts `banklink sandbox` with extra flags, links a bank through
// the CLI and returns each command's output.
func seededRun(t *testing.T, extra ...string) []string {
	t.Helper()
	env := startSandboxCommand(t, 7, extra...)
	var outs []string
	step := func(args ...string) string {
		t.Helper()
		code, out, errOut := cli(t, env, args...)
		require.Equal(t, exitOK, code, errOut)
		outs = append(outs, out)
		return out
	}
	var sess struct {
		LinkSessionToken string `json:"link_session_token"`
	}
	require.NoError(t, json.Unmarshal([]byte(step("moneykit", "link-sessions", "create", "--customer-user-id", "user-seed", "--redirect-uri", "https://app.example/oauth")), &sess))
	step("sandbox", "connect", sess.LinkSessionToken)
	return outs
}

// TestSandboxSeedAndClockStartFlags: two `banklink sandbox --seed 7
// --clock-start ...` processes hand out the same tokens for the same calls;
// --seed 8 hands out others; a --clock-start that is not RFC 3339 is a usage
// error naming the flag.
func TestSandboxSeedAndClockStartFlags(t *testing.T) {
	flags := []string{"--seed", "7", "--clock-start", "2026-01-02T00:00:00Z"}
	a, b := seededRun(t, flags...), seededRun(t, flags...)
	require.Len(t, a, 2)
	assert.Equal(t, a, b, "same seed, same calls: same answers")
	c := seededRun(t, "--seed", "8", "--clock-start", "2026-01-02T00:00:00Z")
	assert.NotEqual(t, a[0], c[0])
	assert.NotEqual(t, a[1], c[1])

	code, _, errOut := cli(t, nil, "sandbox", "--addr", "127.0.0.1:0", "--clock-start", "2026-01-02")
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, errOut, "--clock-start")
	assert.Contains(t, errOut, "RFC 3339")
}
