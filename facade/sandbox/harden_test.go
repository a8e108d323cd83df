package sandbox_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/banklink/banklink/facade/sandbox"
	"github.com/banklink/banklink/gen/linkmoney"
	"github.com/banklink/banklink/internal/memnet"
)

func TestControlEndpointsRefuseWebPages(t *testing.T) {
	cfg, fc := fakeClockConfig()
	sb := sandbox.Start(t, cfg)
	start := fc.Now()
	advance := sb.URL() + "/_sandbox/clock/advance"
	body := `{"duration":"1h"}`
	for _, tc := range []struct {
		name, ctype string
		header      map[string]string
		status      int
	}{
		{"text/plain (a simple cross-origin POST)", "text/plain", nil, http.StatusUnsupportedMediaType},
		{"form", "application/x-www-form-urlencoded", nil, http.StatusUnsupportedMediaType},
		{"no content type", "", nil, http.StatusUnsupportedMediaType},
		{"cross-site fetch", "application/json", map[string]string{"Sec-Fetch-Site": "cross-site"}, http.StatusForbidden},
		{"same-site fetch", "application/json", map[string]string{"Sec-Fetch-Site": "same-site"}, http.StatusForbidden},
		{"foreign Origin", "application/json", map[string]string{"Origin": "https://evil.example"}, http.StatusForbidden},
		{"foreign Origin, text/plain", "text/plain", map[string]string{"Origin": "https://evil.example"}, http.StatusForbidden},
	} {
		res, b := rawDo(t, http.MethodPost, advance, tc.ctype, body, tc.header)
		assert.Equal(t, tc.status, res.StatusCode, "%s: %s", tc.name, b)
		assert.Contains(t, string(b), `"error"`, tc.name)
	}
	assert.Equal(t, start, fc.Now(), "no refused request moved the clock")

	// A cross-site page cannot read the request log either.
	res, _ := rawDo(t, http.MethodGet, sb.URL()+"/_sandbox/requests", "", "", map[string]string{"Sec-Fetch-Site": "cross-site"})
	assert.Equal(t, http.StatusForbidden, res.StatusCode)

	// Tools (no browser headers) and same-origin pages are served.
	res, b := rawDo(t, http.MethodPost, advance, "application/json; charset=utf-8", body, nil)
	require.Equal(t, http.StatusOK, res.StatusCode, string(b))
	res, b = rawDo(t, http.MethodPost, advance, "application/json", body, map[string]string{"Sec-Fetch-Site": "same-origin", "Origin": sb.URL()})
	require.Equal(t, http.StatusOK, res.StatusCode, string(b))
	assert.Equal(t, start.Add(2*time.Hour), fc.Now())
	res, _ = rawDo(t, http.MethodGet, sb.URL()+"/_sandbox/requests", "", "", nil)
	assert.Equal(t, http.StatusOK, res.StatusCode)
}

func TestAmountDigitsBounded(t *testing.T) {
	sb := sandbox.Start(t)
	c := lmClient(t, sb)
	ctx := context.Background()
	cust := newCustomer(t, sb, c)
	pay := lmToken(t, c, linkmoney.TokenScopeLinkPayment)
	for i, value := range []string{
		"1." + strings.Repeat("0", 900_000) + "1", // a float64 of 1: exact decimal checks are what costs
		"1" + strings.Repeat("0", 40),
		"0." + strings.Repeat("0", 100) + "1e100",
		"1.5e-33",
	} {
		res, err := c.CreatePaymentWithResponse(ctx, debit(cust, value, fmt.Sprintf("rk-%d", i)), lmBearer(pay))
		require.NoError(t, err)
		require.Equal(t, http.StatusBadRequest, res.StatusCode(), string(res.Body[:min(len(res.Body), 200)]))
		assert.Contains(t, res.JSON400.ErrorMessage, "at most 32 digits", "amount %d", i)
	}
	// 32 digits are still accepted by the bound (and declined as a business result).
	res, err := c.CreatePaymentWithResponse(ctx, debit(cust, strings.Repeat("9", 30)+".99", "rk-big"), lmBearer(pay))
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, res.StatusCode(), string(res.Body))
	assert.Equal(t, linkmoney.PaymentStatusTERMINALFAILED, res.JSON200.PaymentStatus)
}

func TestServeDropsStalledClients(t *testing.T) {
	for _, tc := range []struct {
		name, sent string
		within     time.Duration
	}{
		{"headers never finished", "POST /_sandbox/clock/advance HTTP/1.1\r\nHost: x\r\n", sandbox.ReadHeaderTimeout},
		{"body never finished", "POST /_sandbox/clock/advance HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{\"dur", sandbox.ReadTimeout},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				ctx, cancel := context.WithCancel(t.Context())
				sb := sandbox.New(sandbox.Config{})
				ln := memnet.Listen()
				served := make(chan error, 1)
				go func() { served <- sb.Serve(ctx, ln) }()

				conn, err := ln.DialContext(ctx, "tcp", "sandbox")
				require.NoError(t, err)
				start := time.Now()
				closed := make(chan time.Duration, 1)
				go func() {
					// The server answers (408 or 400, or nothing) and closes.
					_, _ = io.Copy(io.Discard, conn)
					closed <- time.Since(start)
				}()
				_, err = io.WriteString(conn, tc.sent)
				require.NoError(t, err)
				synctest.Wait()
				select {
				case d := <-closed:
					t.Fatalf("connection closed after %v, before any timeout", d)
				default:
				}
				time.Sleep(tc.within + time.Second)
				synctest.Wait()
				select {
				case d := <-closed:
					assert.LessOrEqual(t, d, tc.within+time.Second)
				default:
					t.Fatalf("a client stalled for %v still holds its connection", tc.within+time.Second)
				}
				_ = conn.Close()
				cancel()
				require.NoError(t, <-served)
			})
		})
	}
}

func TestLoopbackAddr(t *testing.T) {
	for addr, want := range map[string]bool{
		"127.0.0.1:4010": true, "127.8.9.1:0": true, "[::1]:4010": true, "localhost:4010": true, "LocalHost:1": true,
		":4010": false, "0.0.0.0:4010": false, "[::]:4010": false, "192.168.1.10:4010": false,
		"sandbox.localhost:4010": false, "example.com:80": false,
	} {
		got, err := sandbox.LoopbackAddr(addr)
		require.NoError(t, err, addr)
		assert.Equal(t, want, got, addr)
	}
	_, err := sandbox.LoopbackAddr("127.0.0.1")
	assert.Error(t, err, "a port is required")
}
