package main

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestPercentile(t *testing.T) {
	assert.Equal(t, time.Duration(0), percentile(nil, 0.5))
	d := []time.Duration{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}
	assert.Equal(t, time.Duration(5), percentile(d, 0.50))
	assert.Equal(t, time.Duration(10), percentile(d, 0.99))
	assert.Equal(t, time.Duration(1), percentile(d, 0))
}

func TestLoadAgainstStub(t *testing.T) {
	var bad atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/links/mk_1" || r.Header.Get("Authorization") != "Bearer tok" ||
			r.Header.Get("MoneyKit-Version") != "2023-02-18" {
			bad.Add(1)
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		_, _ = w.Write([]byte(`{"link_id":"mk_1"}`))
	}))
	defer srv.Close()
	for _, client := range []string{"h1", "nethttp"} {
		t.Run(client, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "r.json")
			var stdout, stderr bytes.Buffer
			code := run([]string{"-url", srv.URL + "/", "-name", "stub", "-link-id", "mk_1", "-token", "tok", "-client", client,
				"-concurrency", "4", "-warmup", "20ms", "-duration", "200ms", "-json", out}, &stdout, &stderr)
			require.Equal(t, 0, code, stderr.String())
			assert.Zero(t, bad.Load())
			assert.Contains(t, stdout.String(), "stub: 4 workers")

			var res Result
			b, err := os.ReadFile(out)
			require.NoError(t, err)
			require.NoError(t, json.Unmarshal(b, &res))
			assert.Positive(t, res.OK)
			assert.Zero(t, res.Errors+res.OtherStatus)
			assert.InDelta(t, float64(res.OK)/res.Seconds, res.RPS, 1e-6)
			assert.GreaterOrEqual(t, res.P99Millis, res.P50Millis)
		})
	}
}

func TestProbeFailsOnNon2xx(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusUnauthorized)
	}))
	defer srv.Close()
	var stdout, stderr bytes.Buffer
	code := run([]string{"-url", srv.URL, "-duration", "50ms", "-warmup", "0s"}, &stdout, &stderr)
	assert.Equal(t, 1, code)
	assert.Contains(t, stderr.String(), "HTTP 401")
}

func TestCompare(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, rps float64) string {
		p := filepath.Join(dir, name+".json")
		b, _ := json.Marshal(Result{Name: name, Concurrency: 64, Seconds: 10, OK: int64(rps * 10), RPS: rps, P50Millis: 1, P99Millis: 2})
		require.NoError(t, os.WriteFile(p, b, 0o644))
		return p
	}
	a, b := write("sandbox", 30000), write("prism", 1000)
	var stdout, stderr bytes.Buffer
	require.Equal(t, 0, run([]string{"-compare", "-min-ratio", "20", a, b}, &stdout, &stderr), stderr.String())
	assert.Contains(t, stdout.String(), "sandbox ÷ prism: 30.0× the requests per second (target ≥ 20×: met)")

	stdout.Reset()
	assert.Equal(t, 0, run([]string{"-compare", "-min-ratio", "40", a, b}, &stdout, &stderr))
	assert.Contains(t, stdout.String(), "MISSED")
	assert.Equal(t, 1, run([]string{"-compare", "-min-ratio", "40", "-strict", a, b}, &stdout, &stderr))
}

func TestFreePortAndWait(t *testing.T) {
	var stdout, stderr bytes.Buffer
	require.Equal(t, 0, run([]string{"-free-port"}, &stdout, &stderr))
	port, err := strconv.Atoi(string(bytes.TrimSpace(stdout.Bytes())))
	require.NoError(t, err)
	assert.Positive(t, port)

	srv := httptest.NewServer(http.NotFoundHandler())
	defer srv.Close()
	assert.Equal(t, 0, run([]string{"-wait", srv.URL}, &stdout, &stderr), "any HTTP answer counts")
	assert.Equal(t, 1, run([]string{"-wait", "http://127.0.0.1:" + strconv.Itoa(port), "-wait-timeout", "300ms"}, &stdout, &stderr))
}
