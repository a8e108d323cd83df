package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/banklink/banklink/facade/sandbox"
)

// cli runs the program with the given environment and returns its exit
// status, stdout and stderr.
func cli(t *testing.T, environ []string, args ...string) (int, string, string) {
	t.Helper()
	return cliIn(t, environ, "", args...)
}

// cliIn is cli with the given standard input.
func cliIn(t *testing.T, environ []string, stdin string, args ...string) (int, string, string) {
	t.Helper()
	envMap := map[string]string{}
	for _, kv := range environ {
		k, v, _ := strings.Cut(kv, "=")
		envMap[k] = v
	}
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), args, streams{in: strings.NewReader(stdin), out: &stdout, err: &stderr}, func(k string) string { return envMap[k] })
	return code, stdout.String(), stderr.String()
}

// secrets are values that must never reach the CLI's output.
func secrets() []string {
	return []string{sandbox.MoneyKitClientSecret, sandbox.LinkMoneyClientSecret}
}

func requireNoSecrets(t *testing.T, outputs ...string) {
	t.Helper()
	for _, out := range outputs {
		for _, s := range secrets() {
			require.NotContains(t, out, s)
		}
	}
}

// count returns how many requests the sandbox saw for an operation.
func count(sb *sandbox.Sandbox, op string) int {
	n := 0
	for _, r := range sb.Requests() {
		if strings.EqualFold(r.Operation, op) {
			n++
		}
	}
	return n
}

func TestDemoRunsBothStories(t *testing.T) {
	code, out, errOut := cli(t, nil, "demo")
	require.Equal(t, exitOK, code, errOut)
	for _, step := range []string{"token", "link session", "user completes Connect", "exchange token",
		"link details", "read accounts", "sync transactions", "refresh 3 days on, resync", "update tags and webhook", "delete", "link shows as deleted",
		"mirror the link", "session (order + payment)", "customer pays in the UI", "customer", "payment", "refund",
		"sync the deleted link", "payment and refund", "row counts"} {
		assert.Contains(t, out, step)
	}
	assert.Contains(t, out, "state=connected")
	assert.Contains(t, out, "state=deleted")
	assert.Contains(t, out, "verified=[moneykit link.state_changed]")
	assert.Contains(t, out, "verified=[linkmoney payment.created linkmoney payment.authorized]")
	assert.Contains(t, out, "every story completed: 25 steps")
	assert.Regexp(t, `row counts +accounts=3 +database=sqlite \(temporary file\) +links=1 +payments=1 +refunds=1 +transactions=[1-9][0-9]{2}\n`, out)
	assert.NotContains(t, out, "ERR")
	requireNoSecrets(t, out, errOut)
	assert.NotContains(t, out, "demo.customer@example.com", "customer PII stays out of the demo output")
}

func TestDemoJSON(t *testing.T) {
	code, out, errOut := cli(t, nil, "demo", "--json")
	require.Equal(t, exitOK, code, errOut)
	var doc struct {
		OK    bool `json:"ok"`
		Steps []struct {
			Provider string         `json:"provider"`
			Step     string         `json:"step"`
			OK       bool           `json:"ok"`
			Detail   map[string]any `json:"detail"`
		} `json:"steps"`
	}
	require.NoError(t, json.Unmarshal([]byte(out), &doc), out)
	require.True(t, doc.OK)
	require.Len(t, doc.Steps, 25)
	providers := map[string]int{}
	for _, s := range doc.Steps {
		assert.True(t, s.OK, s.Step)
		providers[s.Provider]++
	}
	assert.Equal(t, map[string]int{"moneykit": 12, "linkmoney": 5, "webhooks": 5, "mirror": 3}, providers)
	assert.Equal(t, "connected", doc.Steps[4].Detail["state"])
	assert.Equal(t, "deleted", doc.Steps[11].Detail["state"])
	// The mirror keeps the deleted link's history: what it copied before
	// the deletion is still there at the end.
	mirrored, last := doc.Steps[9].Detail, doc.Steps[24].Detail
	assert.Equal(t, "mirror the link", doc.Steps[9].Step)
	assert.Greater(t, mirrored["transactions"], float64(300))
	assert.Equal(t, mirrored["transactions"], last["transactions"])
	assert.Equal(t, "deleted", doc.Steps[22].Detail["state"])
	assert.EqualValues(t, 1, last["payments"])
	assert.EqualValues(t, 1, last["refunds"])
	assert.EqualValues(t, 3, doc.Steps[5].Detail["accounts"], "the demo reads the link's accounts")
	assert.Greater(t, doc.Steps[6].Detail["created"], float64(300), "the first sync brings a year of transactions")
	assert.EqualValues(t, 0, doc.Steps[6].Detail["updated"])
	resync := doc.Steps[7].Detail
	assert.Equal(t, "refresh 3 days on, resync", doc.Steps[7].Step)
	for _, k := range []string{"created", "updated", "removed"} {
		assert.Greater(t, resync[k], float64(0), "the sync after the refresh reports only what changed, and each kind: %s", k)
	}
	assert.Less(t, resync["created"], float64(50), "resumed from the cursor, not from the start")
	requireNoSecrets(t, out, errOut)
}

func TestMoneyKitCommandsAgainstSandbox(t *testing.T) {
	sb := sandbox.Start(t)
	env := sb.Env()

	code, out, errOut := cli(t, env, "moneykit", "link-sessions", "create",
		"--customer-user-id", "user-cli-1", "--redirect-uri", "https://app.example/oauth", "--tag", "cli")
	require.Equal(t, exitOK, code, errOut)
	var sess struct {
		LinkSessionToken string `json:"link_session_token"`
	}
	require.NoError(t, json.Unmarshal([]byte(out), &sess))
	require.NotEmpty(t, sess.LinkSessionToken)

	code, out, errOut = cli(t, env, "sandbox", "connect", sess.LinkSessionToken)
	require.Equal(t, exitOK, code, errOut)
	exchangeable := strings.TrimSpace(out)
	require.NotEmpty(t, exchangeable)

	code, out, errOut = cli(t, env, "moneykit", "link-sessions", "exchange", exchangeable)
	require.Equal(t, exitOK, code, errOut)
	var ex struct {
		Link struct {
			LinkID string `json:"link_id"`
			State  string `json:"state"`
		} `json:"link"`
	}
	require.NoError(t, json.Unmarshal([]byte(out), &ex))
	assert.Equal(t, "connected", ex.Link.State)
	linkID := ex.Link.LinkID

	// The exchangeable token is single-use: the second exchange names the provider's code.
	code, _, errOut = cli(t, env, "moneykit", "link-sessions", "exchange", exchangeable)
	assert.Equal(t, exitAPI, code)
	assert.Contains(t, errOut, "link_session_error.invalid_token_exchange")
	assert.Equal(t, 2, count(sb, "exchangeToken"), "the single-use exchange is never replayed")

	code, out, errOut = cli(t, env, "moneykit", "links", "update", linkID, "--tag", "a", "--tag", "b", "--webhook", "https://app.example/hook")
	require.Equal(t, exitOK, code, errOut)
	assert.Contains(t, out, `"https://app.example/hook"`)
	assert.Contains(t, out, `"b"`)

	code, out, errOut = cli(t, env, "moneykit", "links", "get", "--verbose", linkID)
	require.Equal(t, exitOK, code, errOut)
	assert.Contains(t, out, `"state": "connected"`)
	assert.Contains(t, errOut, "GET", "--verbose logs each attempt")
	requireNoSecrets(t, out, errOut)

	code, out, errOut = cli(t, env, "moneykit", "links", "delete", linkID)
	require.Equal(t, exitOK, code, errOut)
	assert.Contains(t, out, `"deleted": true`)

	code, _, errOut = cli(t, env, "moneykit", "links", "get", "mk_doesNotExist000000000")
	assert.Equal(t, exitAPI, code)
	assert.Contains(t, errOut, "link_error.not_found")
	assert.Contains(t, errOut, "HTTP 404")
}

func TestInvalidInputIsRejectedBeforeSending(t *testing.T) {
	sb := sandbox.Start(t)
	env := sb.Env()

	code, out, errOut := cli(t, env, "moneykit", "link-sessions", "create",
		"--customer-user-id", "ab", "--redirect-uri", "https://app.example/oauth?next=1", "--tag", "-bad")
	assert.Equal(t, exitUsage, code)
	assert.Empty(t, out)
	assert.Contains(t, errOut, "nothing was sent")
	assert.Contains(t, errOut, "/customer_user/id")
	assert.Contains(t, errOut, "/redirect_uri")
	assert.Contains(t, errOut, "/link_tags/0")
	assert.Zero(t, count(sb, "createLinkSession"))

	code, _, errOut = cli(t, env, "linkmoney", "payments", "create", "--customer-id", "c", "--merchant-id", "m", "--amount", "12.345")
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, errOut, "--amount")
	code, _, errOut = cli(t, env, "linkmoney", "payments", "create", "--customer-id", "c", "--merchant-id", "m", "--amount", "1.00",
		"--soft-descriptor", "no/slashes!")
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, errOut, "/softDescriptor")
	assert.Zero(t, count(sb, "createPayment"))
	assert.Zero(t, count(sb, "createToken"), "nothing at all is sent for an invalid request, not even a token request")
}

func TestUsageErrors(t *testing.T) {
	sb := sandbox.Start(t)
	for name, tc := range map[string]struct {
		env  []string
		args []string
		want string
	}{
		"no command":          {nil, nil, "usage"},
		"unknown command":     {nil, []string{"frobnicate"}, "unknown command"},
		"unknown subcommand":  {sb.Env(), []string{"moneykit", "links", "frob", "x"}, "unknown command"},
		"missing argument":    {sb.Env(), []string{"moneykit", "links", "get"}, "<link_id>"},
		"extra argument":      {sb.Env(), []string{"moneykit", "links", "get", "a", "b"}, "<link_id>"},
		"unknown flag":        {sb.Env(), []string{"moneykit", "links", "get", "--nope", "x"}, "-nope"},
		"missing credentials": {nil, []string{"moneykit", "links", "get", "mk_1"}, "MONEYKIT_CLIENT_ID"},
		"negative retries":    {sb.Env(), []string{"moneykit", "links", "get", "--max-retries", "-1", "mk_1"}, "--max-retries"},
		"nothing to update":   {sb.Env(), []string{"moneykit", "links", "update", "mk_1"}, "nothing to update"},
		"request key alone":   {sb.Env(), []string{"linkmoney", "sessions", "create", "--first-name", "A", "--last-name", "B", "--email", "a@b.co", "--redirect-url", "https://m.example/r", "--request-key", "k"}, "--amount"},
		"plain http remote":   {[]string{"MONEYKIT_CLIENT_ID=a", "MONEYKIT_CLIENT_SECRET=b", "MONEYKIT_BASE_URL=http://api.example.com"}, []string{"moneykit", "links", "get", "mk_1"}, "http"},
	} {
		t.Run(name, func(t *testing.T) {
			code, _, errOut := cli(t, tc.env, tc.args...)
			assert.Equal(t, exitUsage, code, errOut)
			assert.Contains(t, errOut, tc.want)
		})
	}
	assert.Empty(t, sb.Requests(), "usage errors send nothing")
}

func TestLinkMoneyCommandsAgainstSandbox(t *testing.T) {
	sb := sandbox.Start(t)
	env := sb.Env()

	code, out, errOut := cli(t, env, "linkmoney", "sessions", "create", "--first-name", "Jane", "--last-name", "Doe",
		"--email", "jane.doe.cli@example.com", "--redirect-url", "https://merchant.example/return", "--amount", "25.00")
	require.Equal(t, exitOK, code, errOut)
	var sess struct {
		SessionKey string `json:"sessionKey"`
		SessionURL string `json:"sessionUrl"`
	}
	require.NoError(t, json.Unmarshal([]byte(out), &sess))
	require.NotEmpty(t, sess.SessionKey)
	assert.Contains(t, sess.SessionURL, sess.SessionKey)
	requireNoSecrets(t, out, errOut)

	customerID, err := sb.CompleteSession(sess.SessionKey)
	require.NoError(t, err)

	args := []string{"linkmoney", "payments", "create", "--customer-id", customerID, "--merchant-id", "m-1",
		"--amount", "12.34", "--request-key", "cli-pay-1", "--soft-descriptor", "ORDER 1", "--client-reference-id", "ref-1"}
	code, out, errOut = cli(t, env, args...)
	require.Equal(t, exitOK, code, errOut)
	var pay struct {
		PaymentID         string `json:"paymentId"`
		ClientReferenceID string `json:"clientReferenceId"`
	}
	require.NoError(t, json.Unmarshal([]byte(out), &pay))
	require.NotEmpty(t, pay.PaymentID)
	assert.Equal(t, "ref-1", pay.ClientReferenceID)

	// The same request key again is rejected by the provider, and named.
	code, _, errOut = cli(t, env, args...)
	assert.Equal(t, exitAPI, code)
	assert.Contains(t, errOut, "DUPLICATE_REQUEST_KEY")

	code, out, errOut = cli(t, env, "linkmoney", "refunds", "create", "--payment-id", pay.PaymentID, "--amount", "1.00")
	require.Equal(t, exitOK, code, errOut)
	assert.Contains(t, out, "paymentStatus")

	code, _, errOut = cli(t, env, "linkmoney", "refunds", "create", "--payment-id", "no-such-payment", "--amount", "1.00")
	assert.Equal(t, exitAPI, code)
	assert.Contains(t, errOut, "HTTP 404")
}

func TestMaxRetriesFlag(t *testing.T) {
	sb := sandbox.Start(t, sandbox.Config{Faults: map[string]sandbox.Fault{
		"getLink": {Rate: 1, Statuses: []int{503}},
	}})
	code, _, errOut := cli(t, sb.Env(), "moneykit", "links", "get", "--max-retries", "0", "mk_anything0000000000000")
	assert.Equal(t, exitAPI, code)
	assert.Contains(t, errOut, "HTTP 503")
	assert.Equal(t, 1, count(sb, "getLink"), "--max-retries 0 makes exactly one attempt")
}

func TestSandboxCommandPrintsEnvAndServes(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pr, pw := io.Pipe()
	done := make(chan int, 1)
	var stderr bytes.Buffer
	go func() {
		done <- run(ctx, []string{"sandbox", "--addr", "127.0.0.1:0"}, streams{in: strings.NewReader(""), out: pw, err: &stderr}, func(string) string { return "" })
		pw.Close()
	}()

	sc := bufio.NewScanner(pr)
	env := map[string]string{}
	var names []string
	for len(names) < 7 && sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), "=")
		require.True(t, ok, sc.Text())
		names = append(names, k)
		env[k] = v
	}
	require.Equal(t, []string{"MONEYKIT_BASE_URL", "MONEYKIT_CLIENT_ID", "MONEYKIT_CLIENT_SECRET",
		"LINKMONEY_BASE_URL", "LINKMONEY_CLIENT_ID", "LINKMONEY_CLIENT_SECRET", "LINKMONEY_MERCHANT_ID"}, names)
	assert.Equal(t, sandbox.LinkMoneyMerchantID, env["LINKMONEY_MERCHANT_ID"])

	// The served sandbox answers the CLI's own commands.
	var environ []string
	for k, v := range env {
		environ = append(environ, k+"="+v)
	}
	code, out, errOut := cli(t, environ, "moneykit", "link-sessions", "create", "--customer-user-id", "user-standalone", "--redirect-uri", "https://app.example/oauth")
	require.Equal(t, exitOK, code, errOut)
	assert.Contains(t, out, "link_session_token")

	cancel()
	go func() { _, _ = io.Copy(io.Discard, pr) }()
	select {
	case code := <-done:
		assert.Equal(t, exitOK, code, stderr.String())
	case <-time.After(10 * time.Second):
		t.Fatal("sandbox did not stop after interrupt")
	}
}
