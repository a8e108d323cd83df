package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/banklink/banklink/facade/sandbox"
)

func TestPathParameterLeavingItsSegmentIsUsageError(t *testing.T) {
	sb := sandbox.Start(t)
	for _, args := range [][]string{
		{"moneykit", "links", "delete", ".."},
		{"moneykit", "links", "get", "."},
		{"moneykit", "links", "get", "mk_1/.."},
		{"moneykit", "links", "update", "..", "--remove-webhook"},
	} {
		code, out, errOut := cli(t, sb.Env(), args...)
		assert.Equal(t, exitUsage, code, "%v: %s", args, errOut)
		assert.Empty(t, out)
		assert.Contains(t, errOut, "nothing was sent", args)
		assert.Contains(t, errOut, "path/id", args)
		assert.Contains(t, errOut, "path_segment", args)
	}
	assert.Empty(t, sb.Requests(), "no request reached the sandbox")
}

func TestProviderTextSanitisedOnTerminal(t *testing.T) {
	hugeMsg := "\x1b]0;owned\x07\x1b[2J\x1b[31m" + strings.Repeat("A", 1_000_000)
	hugeID := strings.Repeat("r", 512<<10) // under the default client's 1 MiB header bound
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if r.URL.Path == "/auth/token" {
			w.WriteHeader(http.StatusCreated)
			_, _ = io.WriteString(w, `{"access_token":"tok-1","token_type":"bearer","expires_in":3600}`)
			return
		}
		w.Header().Set("X-Request-Id", hugeID)
		w.WriteHeader(http.StatusNotFound)
		fmt.Fprintf(w, `{"error_code":"link_error.not_found","error_message":"%s"}`, strings.NewReplacer("\x1b", `\u001b`, "\x07", `\u0007`).Replace(hugeMsg))
	}))
	t.Cleanup(srv.Close)
	env := []string{"MONEYKIT_CLIENT_ID=id", "MONEYKIT_CLIENT_SECRET=secret-value", "MONEYKIT_BASE_URL=" + srv.URL}
	for _, verbose := range []bool{false, true} {
		args := []string{"moneykit", "links", "get", "mk_1", "--max-retries", "0"}
		if verbose {
			args = append(args, "--verbose")
		}
		code, _, errOut := cli(t, env, args...)
		assert.Equal(t, exitAPI, code)
		assert.Contains(t, errOut, "HTTP 404 link_error.not_found")
		assert.Less(t, len(errOut), 8<<10, "stderr is bounded (verbose=%v)", verbose)
		assert.NotContains(t, errOut, "\x1b", "no escape sequence reaches the terminal (verbose=%v)", verbose)
		assert.NotContains(t, errOut, "\x07")
		assert.NotContains(t, errOut, "secret-value")
		if verbose {
			assert.Contains(t, errOut, "request_id=")
		}
	}
}

func TestSandboxRefusesNonLoopbackWithoutPublic(t *testing.T) {
	// The context is already cancelled: a sandbox that started anyway stops
	// at once instead of serving until the test times out.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for _, addr := range []string{"0.0.0.0:0", ":0", "[::]:0", "sandbox.localhost:0"} {
		var stdout, stderr bytes.Buffer
		code := run(ctx, []string{"sandbox", "--addr", addr}, streams{in: strings.NewReader(""), out: &stdout, err: &stderr}, func(string) string { return "" })
		assert.Equal(t, exitUsage, code, addr)
		assert.Empty(t, stdout.String(), "no env lines for a sandbox that did not start")
		assert.Contains(t, stderr.String(), "--public", addr)
	}
}

func TestSandboxPublicWarnsAndPrintsReachableAddress(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pr, pw := io.Pipe()
	var stderr lockedWriter
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"sandbox", "--addr", "0.0.0.0:0", "--public"}, streams{in: strings.NewReader(""), out: pw, err: &stderr}, func(string) string { return "" })
		pw.Close()
	}()
	sc := bufio.NewScanner(pr)
	require.True(t, sc.Scan())
	base, ok := strings.CutPrefix(sc.Text(), "MONEYKIT_BASE_URL=")
	require.True(t, ok, sc.Text())
	assert.Regexp(t, `^http://127\.0\.0\.1:[1-9][0-9]*/moneykit$`, base)
	go func() { _, _ = io.Copy(io.Discard, pr) }()
	// The printed address is where it listens.
	res, err := http.Get(strings.TrimSuffix(base, "/moneykit") + "/_sandbox/requests")
	require.NoError(t, err)
	_ = res.Body.Close()
	assert.Equal(t, http.StatusOK, res.StatusCode)
	cancel()
	assert.Equal(t, exitOK, <-done)
	assert.Contains(t, stderr.String(), "WARNING")
	assert.Contains(t, stderr.String(), "listening on")
}

func TestSandboxConnectTimesOut(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	var mu sync.Mutex
	var conns []net.Conn
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c) // never answered
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		_ = ln.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			_ = c.Close()
		}
	})
	code, out, errOut := cli(t, nil, "sandbox", "connect", "--timeout", "20ms", "--base-url", "http://"+ln.Addr().String()+"/moneykit", "lst_1")
	assert.Equal(t, exitAPI, code, errOut)
	assert.Empty(t, out)
	assert.Contains(t, errOut, "deadline exceeded")

	code, _, errOut = cli(t, nil, "sandbox", "connect", "--timeout", "0s", "--base-url", "http://"+ln.Addr().String()+"/moneykit", "lst_1")
	assert.Equal(t, exitUsage, code, errOut)
}

// lockedWriter is a stderr safe to read while the command writes.
type lockedWriter struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (w *lockedWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(p)
}

func (w *lockedWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.String()
}
