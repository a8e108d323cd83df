package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/banklink/banklink/facade"
	"github.com/banklink/banklink/facade/linkmoney"
	"github.com/banklink/banklink/facade/moneykit"
	"github.com/banklink/banklink/facade/sandbox"
)

// syncBuffer is a bytes.Buffer safe for the listener's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// listen runs `banklink webhooks listen` until the returned stop is called,
// and returns the URL deliveries go to.
func listen(t *testing.T, environ []string, args ...string) (url string, stdout, stderr *syncBuffer, stop func() int) {
	t.Helper()
	envMap := map[string]string{}
	for _, kv := range environ {
		k, v, _ := strings.Cut(kv, "=")
		envMap[k] = v
	}
	addrs := make(chan net.Addr, 1)
	webhookListening = func(a net.Addr) { addrs <- a }
	t.Cleanup(func() { webhookListening = func(net.Addr) {} })
	ctx, cancel := context.WithCancel(context.Background())
	stdout, stderr = &syncBuffer{}, &syncBuffer{}
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, append([]string{"webhooks", "listen", "--addr", "127.0.0.1:0"}, args...), streams{in: strings.NewReader(""), out: stdout, err: stderr}, func(k string) string { return envMap[k] })
	}()
	var addr net.Addr
	select {
	case addr = <-addrs:
	case code := <-done:
		cancel()
		t.Fatalf("listen exited with %d: %s", code, stderr.String())
	}
	stopped := false
	var code int
	stop = func() int {
		if !stopped {
			stopped = true
			cancel()
			code = <-done
		}
		return code
	}
	t.Cleanup(func() { stop() })
	return "http://" + addr.String() + "/webhook", stdout, stderr, stop
}

func jsonLines(t *testing.T, out string) []eventLine {
	t.Helper()
	var lines []eventLine
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		if l == "" {
			continue
		}
		var e eventLine
		require.NoError(t, json.Unmarshal([]byte(l), &e), l)
		lines = append(lines, e)
	}
	return lines
}

func TestWebhooksListenMoneyKit(t *testing.T) {
	ctx := context.Background()
	sb := sandbox.Start(t)
	url, stdout, stderr, stop := listen(t, sb.Env(), "--provider", "moneykit")

	creds := sb.MoneyKit()
	mk, err := moneykit.New(facade.WithBaseURL(creds.BaseURL), facade.WithCredentials(creds.ClientID, creds.ClientSecret))
	require.NoError(t, err)
	defer mk.CloseIdleConnections()
	sess, err := mk.LinkSessions.Create(ctx, moneykit.NewLinkSession("user-42", "https://app.example/oauth", moneykit.WithWebhook(url)))
	require.NoError(t, err)
	tok, err := sb.CompleteLinkSession(sess.LinkSessionToken, sandbox.ConnectOptions{})
	require.NoError(t, err)
	res, err := mk.LinkSessions.Exchange(ctx, tok)
	require.NoError(t, err)
	require.NoError(t, sb.WaitWebhooks(ctx))

	// The trigger command, twice with one idempotency key: printed once.
	for range 2 {
		code, out, errOut := cli(t, sb.Env(), "moneykit", "webhooks", "trigger", res.LinkId, "--event", "link.product_refresh", "--idempotency-key", "cli-key-1")
		require.Equal(t, exitOK, code, errOut)
		assert.Contains(t, out, `"delivery_token"`)
	}
	require.NoError(t, sb.WaitWebhooks(ctx))
	// A delivery with a bad signature: 400 and one line on stderr.
	sb.SetWebhookOptions(sandbox.WebhookOptions{MaxAttempts: 1})
	sb.SetWebhookFaults(sandbox.WebhookFaults{BadSignature: true})
	code, _, errOut := cli(t, sb.Env(), "moneykit", "webhooks", "trigger", res.LinkId)
	require.Equal(t, exitOK, code, errOut)
	require.NoError(t, sb.WaitWebhooks(ctx))
	require.Equal(t, exitOK, stop())

	lines := jsonLines(t, stdout.String())
	require.Len(t, lines, 2, stdout.String())
	assert.Equal(t, "moneykit", lines[0].Provider)
	assert.Equal(t, "link.state_changed", lines[0].Event)
	assert.NotEmpty(t, lines[0].IdempotencyKey)
	assert.Contains(t, string(lines[0].Payload), res.LinkId)
	assert.Equal(t, "link.product_refresh", lines[1].Event)
	assert.Equal(t, "cli-key-1", lines[1].IdempotencyKey)

	ds := sb.WebhookDeliveries()
	require.Len(t, ds, 4)
	assert.Equal(t, []sandbox.WebhookAttempt{{At: ds[3].Attempts[0].At, Status: 400}}, ds[3].Attempts)
	errLines := strings.Split(strings.TrimSpace(stderr.String()), "\n")
	require.Len(t, errLines, 2, stderr.String()) // "listening", then the rejection
	assert.Contains(t, errLines[1], "invalid signature")
	requireNoSecrets(t, stdout.String(), stderr.String())
}

func TestWebhooksListenLinkMoney(t *testing.T) {
	ctx := context.Background()
	sb := sandbox.Start(t)
	const secret = "cli-webhook-secret"
	url, stdout, stderr, stop := listen(t, sb.Env(), "--provider", "linkmoney", "--secret", secret)
	code, out, errOut := cli(t, sb.Env(), "linkmoney", "webhooks", "subscribe", "--url", url, "--secret", secret)
	require.Equal(t, exitOK, code, errOut)
	var sub struct {
		SubscriptionKey string `json:"subscriptionKey"`
	}
	require.NoError(t, json.Unmarshal([]byte(out), &sub))

	creds := sb.LinkMoney()
	lm, err := linkmoney.New(facade.WithBaseURL(creds.BaseURL), facade.WithCredentials(creds.ClientID, creds.ClientSecret))
	require.NoError(t, err)
	defer lm.CloseIdleConnections()
	sess, err := lm.Sessions.Create(ctx, linkmoney.NewSession(linkmoney.SessionCustomer{FirstName: "A", LastName: "B", Email: "a@example.com"}, "https://m.example/r"))
	require.NoError(t, err)
	sb.SetWebhookFaults(sandbox.WebhookFaults{Duplicate: true})
	_, err = sb.CompleteSession(sess.SessionKey)
	require.NoError(t, err)
	require.NoError(t, sb.WaitWebhooks(ctx))
	code, _, errOut = cli(t, sb.Env(), "linkmoney", "webhooks", "unsubscribe", sub.SubscriptionKey)
	require.Equal(t, exitOK, code, errOut)
	require.Equal(t, exitOK, stop())

	lines := jsonLines(t, stdout.String())
	require.Len(t, lines, 2, "duplicates are not printed twice")
	assert.Equal(t, "customer.created", lines[0].Event)
	assert.Equal(t, "customer.activated", lines[1].Event)
	assert.Len(t, sb.WebhookDeliveries(), 4)
	assert.NotContains(t, stderr.String(), secret)
}

func TestWebhooksListenUsage(t *testing.T) {
	for name, args := range map[string][]string{
		"no provider":        {"webhooks", "listen"},
		"unknown provider":   {"webhooks", "listen", "--provider", "stripe"},
		"linkmoney, secret?": {"webhooks", "listen", "--provider", "linkmoney"},
		"moneykit, id?":      {"webhooks", "listen", "--provider", "moneykit"},
		"bad path":           {"webhooks", "listen", "--provider", "linkmoney", "--secret", "s", "--path", "hook"},
		"no verb":            {"webhooks"},
	} {
		code, _, errOut := cli(t, nil, args...)
		assert.Equal(t, exitUsage, code, name+": "+errOut)
	}
}
