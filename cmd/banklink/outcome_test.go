package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/alicebob/miniredis/v2"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// linkMoneyFake serves Link Money's token endpoint and answers
// POST /v1/payments with payment.
func linkMoneyFake(t *testing.T, payment http.HandlerFunc) []string {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		if r.URL.Path == "/v1/tokens" {
			_, _ = io.WriteString(w, `{"access_token":"tok-1","token_type":"bearer","expires_in":3600}`)
			return
		}
		payment(w, r)
	}))
	t.Cleanup(srv.Close)
	return []string{"LINKMONEY_CLIENT_ID=id", "LINKMONEY_CLIENT_SECRET=secret-value", "LINKMONEY_BASE_URL=" + srv.URL}
}

var payArgs = []string{"linkmoney", "payments", "create", "--customer-id", "c-1", "--merchant-id", "m-1",
	"--amount", "12.34", "--request-key", "cli-key-1", "--client-reference-id", "ref-1", "--max-retries", "0"}

// A failed payment prints its key and whether its outcome is unknown.
func TestFailedPaymentReportsItsKey(t *testing.T) {
	for name, tc := range map[string]struct {
		status  int
		body    string
		outcome string
	}{
		"503 is unknown":       {503, `{"errorCode":"UNAVAILABLE"}`, "outcome=unknown"},
		"400 is refused":       {400, `{"errorCode":"INVALID_AMOUNT","errorMessage":"no"}`, "outcome=refused"},
		"duplicate is refused": {400, `{"errorCode":"DUPLICATE_REQUEST_KEY"}`, "outcome=refused"},
	} {
		t.Run(name, func(t *testing.T) {
			env := linkMoneyFake(t, func(w http.ResponseWriter, _ *http.Request) {
				w.WriteHeader(tc.status)
				_, _ = io.WriteString(w, tc.body)
			})
			code, out, errOut := cli(t, env, payArgs...)
			assert.Equal(t, exitAPI, code)
			assert.Empty(t, out)
			assert.Contains(t, errOut, "\nrequest_key=cli-key-1\n")
			assert.Contains(t, errOut, tc.outcome)
			requireNoSecrets(t, errOut)
		})
	}
	// A payment sent once whose retry draws DUPLICATE_REQUEST_KEY was accepted.
	var n atomic.Int64
	env := linkMoneyFake(t, func(w http.ResponseWriter, _ *http.Request) {
		if n.Add(1) == 1 {
			w.WriteHeader(503)
			return
		}
		w.WriteHeader(400)
		_, _ = io.WriteString(w, `{"errorCode":"DUPLICATE_REQUEST_KEY"}`)
	})
	args := append(append([]string(nil), payArgs[:len(payArgs)-2]...), "--max-retries", "1")
	code, _, errOut := cli(t, env, args...)
	assert.Equal(t, exitAPI, code)
	assert.Contains(t, errOut, "request_key=cli-key-1")
	assert.Contains(t, errOut, "outcome=accepted-earlier")
}

// Ctrl-C while waiting to retry a 503 is reported as an interruption, not
// as the provider's 503, with the key and an unknown outcome.
func TestInterruptIsNotReportedAsTheLast503(t *testing.T) {
	seen := make(chan struct{})
	var once sync.Once
	env := linkMoneyFake(t, func(w http.ResponseWriter, _ *http.Request) {
		once.Do(func() { close(seen) })
		w.Header().Set("Retry-After", "20")
		w.WriteHeader(503)
	})
	envMap := map[string]string{}
	for _, kv := range env {
		k, v, _ := strings.Cut(kv, "=")
		envMap[k] = v
	}
	ctx, cancel := context.WithCancel(context.Background())
	go func() { <-seen; cancel() }()
	var stdout, stderr bytes.Buffer
	args := append(append([]string(nil), payArgs[:len(payArgs)-2]...), "--max-retries", "2")
	code := run(ctx, args, streams{in: strings.NewReader(""), out: &stdout, err: &stderr}, func(k string) string { return envMap[k] })
	assert.Equal(t, exitAPI, code)
	errOut := stderr.String()
	assert.Contains(t, errOut, "interrupted")
	assert.NotContains(t, errOut, "503")
	assert.Contains(t, errOut, "request_key=cli-key-1")
	assert.Contains(t, errOut, "outcome=unknown")
}

// Cold start: 8 separate banklink processes, started at once with
// BANKLINK_REDIS_URL, fetch one token between them.
func TestSeparateProcessesShareOneToken(t *testing.T) {
	mr := miniredis.RunT(t) // loopback TCP
	var tokens, gets atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		if r.URL.Path == "/auth/token" {
			n := tokens.Add(1)
			w.WriteHeader(http.StatusCreated)
			fmt.Fprintf(w, `{"access_token":"tok-%d","token_type":"bearer","expires_in":3600}`, n)
			return
		}
		gets.Add(1)
		_, _ = io.WriteString(w, `{"link_id":"mk_1","institution_id":"chase","institution_name":"Chase","institution_avatar":"https://x/a.png","state":"connected","provider":"plaid","products":{},"available_products":["transactions"]}`)
	}))
	t.Cleanup(srv.Close)
	exe, err := os.Executable()
	require.NoError(t, err)
	env := append(os.Environ(), childEnv+"=1", "MONEYKIT_CLIENT_ID=id", "MONEYKIT_CLIENT_SECRET=secret-value",
		"MONEYKIT_BASE_URL="+srv.URL, "BANKLINK_REDIS_URL=redis://"+mr.Addr())
	var wg sync.WaitGroup
	for i := range 8 {
		cmd := exec.Command(exe, "moneykit", "links", "get", fmt.Sprint("mk_", i))
		cmd.Env = env
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		require.NoError(t, cmd.Start())
		wg.Go(func() {
			assert.NoError(t, cmd.Wait(), stderr.String())
		})
	}
	wg.Wait()
	assert.EqualValues(t, 8, gets.Load())
	assert.EqualValues(t, 1, tokens.Load(), "one token request for 8 cold processes")
}
