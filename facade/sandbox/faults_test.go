package sandbox_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/banklink/banklink/facade/sandbox"
	"github.com/banklink/banklink/gen/linkmoney"
	"github.com/banklink/banklink/gen/moneykit"
)

// freshConns makes every request use a new connection, so that the HTTP
// transport never retries a request on its own after a dropped connection.
var freshConns = &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}

func faultyMK(t *testing.T, sb *sandbox.Sandbox) *moneykit.ClientWithResponses {
	c, err := moneykit.NewClientWithResponses(sb.MoneyKit().BaseURL, moneykit.WithHTTPClient(freshConns))
	require.NoError(t, err)
	return c
}

func faultyLM(t *testing.T, sb *sandbox.Sandbox) *linkmoney.ClientWithResponses {
	c, err := linkmoney.NewClientWithResponses(sb.LinkMoney().BaseURL, linkmoney.WithHTTPClient(freshConns))
	require.NoError(t, err)
	return c
}

// lastRequest returns the last logged request of an operation.
func lastRequest(t *testing.T, sb *sandbox.Sandbox, op string) sandbox.Request {
	t.Helper()
	reqs := sb.Requests()
	for i := len(reqs) - 1; i >= 0; i-- {
		if reqs[i].Operation == op {
			return reqs[i]
		}
	}
	t.Fatalf("no %s request logged", op)
	return sandbox.Request{}
}

func TestFaultStatusWithRetryAfter(t *testing.T) {
	sb := sandbox.Start(t, sandbox.Config{Faults: map[string]sandbox.Fault{
		"getLink": {Rate: 1, Statuses: []int{503}, RetryAfter: 1500 * time.Millisecond},
	}})
	c := faultyMK(t, sb)
	tok := mkToken(t, c, sb.MoneyKit())
	id := newLink(t, sb, c, tok, sessionRequest("user-fault"), sandbox.ConnectOptions{})

	res := getLink(t, c, tok, id)
	require.Equal(t, http.StatusServiceUnavailable, res.StatusCode())
	assert.Equal(t, "2", res.HTTPResponse.Header.Get("Retry-After"))
	assert.Equal(t, "1500", res.HTTPResponse.Header.Get("Retry-After-Ms"))
	m := mkErrorOf(t, res.Body)
	assert.Equal(t, "api_error.service_unavailable", m["error_code"])

	r := lastRequest(t, sb, "getLink")
	assert.Equal(t, "status=503", r.Injected)
	assert.Equal(t, 503, r.Status)
	assert.Zero(t, r.HandlerStatus, "the handler did not run")
	assert.Equal(t, "moneykit", r.Provider)
}

func TestFault429WithoutRetryAfter(t *testing.T) {
	sb := sandbox.Start(t, sandbox.Config{Faults: map[string]sandbox.Fault{
		"createPayment": {Rate: 1, Statuses: []int{429}}, // Go-style names work too
		"getCustomer":   {Rate: 1, Statuses: []int{500}},
	}})
	c := faultyLM(t, sb)
	cust := newCustomer(t, sb, c)
	res, err := c.CreatePaymentWithResponse(context.Background(), debit(cust, "1.00", "rk-429"), lmBearer(lmToken(t, c, linkmoney.TokenScopeLinkPayment)))
	require.NoError(t, err)
	require.Equal(t, http.StatusTooManyRequests, res.StatusCode())
	assert.Empty(t, res.HTTPResponse.Header.Get("Retry-After"))
	var e map[string]any
	require.NoError(t, json.Unmarshal(res.Body, &e))
	assert.Equal(t, "TOO_MANY_REQUESTS", e["errorCode"])
	assert.Equal(t, "ERROR", e["errorSeverity"])

	gc, err := c.GetCustomerWithResponse(context.Background(), cust, lmBearer(lmToken(t, c, linkmoney.TokenScopeLinkCore)))
	require.NoError(t, err)
	require.Equal(t, http.StatusInternalServerError, gc.StatusCode())
	assert.Equal(t, "INTERNAL_SERVER_ERROR", gc.JSON500.ErrorCode)
	assert.Equal(t, int64(10003), gc.JSON500.ErrorId)
}

// TestFaultLatency checks on synctest's clock that injected latency delays
// the answer by exactly its duration.
func TestFaultLatency(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		sb, hc := startMem(t, sandbox.Config{Faults: map[string]sandbox.Fault{
			"createAccessToken": {Rate: 1, Latency: 60 * time.Millisecond},
		}})
		c, err := moneykit.NewClientWithResponses(sb.MoneyKit().BaseURL, moneykit.WithHTTPClient(hc))
		require.NoError(t, err)
		start := time.Now()
		mkToken(t, c, sb.MoneyKit())
		assert.Equal(t, 60*time.Millisecond, time.Since(start))
		r := lastRequest(t, sb, "createAccessToken")
		assert.Equal(t, "latency=60ms", r.Injected)
		assert.Equal(t, http.StatusCreated, r.Status)
	})
}

func TestFaultDropBeforeHandling(t *testing.T) {
	sb := sandbox.Start(t)
	c := faultyLM(t, sb)
	cust := newCustomer(t, sb, c)
	pay := lmToken(t, c, linkmoney.TokenScopeLinkPayment)
	sb.SetFaults(map[string]sandbox.Fault{"createPayment": {Rate: 1, Drop: true}})

	_, err := c.CreatePaymentWithResponse(context.Background(), debit(cust, "1.00", "rk-drop"), lmBearer(pay))
	require.Error(t, err, "the connection is closed without a response")
	r := lastRequest(t, sb, "createPayment")
	assert.Equal(t, "drop", r.Injected)
	assert.Zero(t, r.Status)
	assert.Zero(t, r.HandlerStatus)
	assert.Equal(t, "rk-drop", r.RequestKey)

	// Nothing was written, so the same key succeeds once the fault is gone.
	sb.SetFaults(nil)
	res, err := c.CreatePaymentWithResponse(context.Background(), debit(cust, "1.00", "rk-drop"), lmBearer(pay))
	require.NoError(t, err)
	assert.Equal(t, http.StatusOK, res.StatusCode())
}

func TestFaultDropAfterHandling(t *testing.T) {
	sb := sandbox.Start(t)
	c := faultyLM(t, sb)
	cust := newCustomer(t, sb, c)
	pay := lmToken(t, c, linkmoney.TokenScopeLinkPayment)
	sb.SetFaults(map[string]sandbox.Fault{"createPayment": {Rate: 1, Drop: true, AfterHandling: true}})

	_, err := c.CreatePaymentWithResponse(context.Background(), debit(cust, "1.00", "rk-lost"), lmBearer(pay))
	require.Error(t, err)
	r := lastRequest(t, sb, "createPayment")
	assert.Equal(t, "drop after-handling", r.Injected)
	assert.Zero(t, r.Status)
	assert.Equal(t, http.StatusOK, r.HandlerStatus, "the payment was made")

	// The write happened: replaying the key is rejected.
	sb.SetFaults(nil)
	res, err := c.CreatePaymentWithResponse(context.Background(), debit(cust, "1.00", "rk-lost"), lmBearer(pay))
	require.NoError(t, err)
	require.Equal(t, http.StatusBadRequest, res.StatusCode())
	assert.Equal(t, "DUPLICATE_REQUEST_KEY", res.JSON400.ErrorCode)
}

func TestFaultStatusAfterHandling(t *testing.T) {
	sb := sandbox.Start(t)
	c := faultyMK(t, sb)
	tok := mkToken(t, c, sb.MoneyKit())
	lst := createSession(t, c, tok, sessionRequest("user-lost"))
	exch, err := sb.CompleteLinkSession(lst, sandbox.ConnectOptions{})
	require.NoError(t, err)
	sb.SetFaults(map[string]sandbox.Fault{"exchangeToken": {Rate: 1, Statuses: []int{502}, AfterHandling: true}})

	res := exchange(t, c, tok, exch)
	require.Equal(t, http.StatusBadGateway, res.StatusCode())
	r := lastRequest(t, sb, "exchangeToken")
	assert.Equal(t, "status=502 after-handling", r.Injected)
	assert.Equal(t, http.StatusCreated, r.HandlerStatus)
	assert.Equal(t, http.StatusBadGateway, r.Status)

	// The token was spent: a replay fails, and the link exists.
	sb.SetFaults(nil)
	assert.Equal(t, http.StatusBadRequest, exchange(t, c, tok, exch).StatusCode())
	ul, err := c.GetUserLinksWithResponse(context.Background(), "user-lost", nil, bearer(tok))
	require.NoError(t, err)
	require.Len(t, ul.JSON200.Links, 1)
	for _, l := range ul.JSON200.Links {
		assert.Equal(t, moneykit.PublicLinkStateConnected, l.State)
	}
}

func TestFaultTruncate(t *testing.T) {
	sb := sandbox.Start(t)
	c := faultyMK(t, sb)
	tok := mkToken(t, c, sb.MoneyKit())
	id := newLink(t, sb, c, tok, sessionRequest("user-trunc"), sandbox.ConnectOptions{})
	sb.SetFaults(map[string]sandbox.Fault{"getLink": {Rate: 1, Truncate: true}})

	_, err := c.GetLinkWithResponse(context.Background(), id, nil, bearer(tok))
	require.Error(t, err, "the body is cut short")

	// A raw request sees the real status and half the body.
	req, err := http.NewRequest(http.MethodGet, sb.MoneyKit().BaseURL+"/links/"+id, nil)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+tok)
	resp, err := freshConns.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	buf := make([]byte, 1<<16)
	n, rerr := readAll(resp, buf)
	require.Error(t, rerr)
	assert.Equal(t, int(resp.ContentLength)/2, n)
	assert.True(t, strings.HasPrefix(string(buf[:n]), `{"available_products"`), string(buf[:n]))

	r := lastRequest(t, sb, "getLink")
	assert.Equal(t, "truncate", r.Injected)
	assert.Equal(t, http.StatusOK, r.Status)
	assert.Equal(t, http.StatusOK, r.HandlerStatus)
}

func readAll(resp *http.Response, buf []byte) (int, error) {
	n := 0
	for {
		m, err := resp.Body.Read(buf[n:])
		n += m
		if err != nil {
			if err.Error() == "EOF" {
				return n, nil
			}
			return n, err
		}
	}
}

func TestFaultWildcardAndMixedModes(t *testing.T) {
	sb := sandbox.Start(t, sandbox.Config{Seed: 7, NoRateLimits: true, Faults: map[string]sandbox.Fault{
		"*":                 {Rate: 1, Statuses: []int{500, 503}, Drop: true},
		"createAccessToken": {},
	}})
	c := faultyMK(t, sb)
	tok := mkToken(t, c, sb.MoneyKit())
	seen := map[string]int{}
	for range 60 {
		_, _ = c.GetLinkWithResponse(context.Background(), "mk_x", nil, bearer(tok))
		seen[lastRequest(t, sb, "getLink").Injected]++
	}
	assert.Len(t, seen, 3, "%v", seen)
	for _, k := range []string{"status=500", "status=503", "drop"} {
		assert.Positive(t, seen[k], k)
	}
}

// faultSequence runs n getLink requests and returns what was injected.
func faultSequence(t *testing.T, seed int64, n int) []string {
	sb := sandbox.Start(t, sandbox.Config{Seed: seed, NoRateLimits: true, Faults: map[string]sandbox.Fault{
		"getLink": {Rate: 0.3, Statuses: []int{500, 502, 503, 429}, Truncate: true},
	}})
	c := faultyMK(t, sb)
	tok := mkToken(t, c, sb.MoneyKit())
	var out []string
	for range n {
		_, _ = c.GetLinkWithResponse(context.Background(), "mk_x", nil, bearer(tok))
		out = append(out, lastRequest(t, sb, "getLink").Injected)
	}
	return out
}

func TestFaultDeterminism(t *testing.T) {
	a := faultSequence(t, 42, 50)
	b := faultSequence(t, 42, 50)
	c := faultSequence(t, 43, 50)
	assert.Equal(t, a, b, "same seed, same faults")
	assert.NotEqual(t, a, c, "another seed, other faults")
	hits := 0
	for _, s := range a {
		if s != "" {
			hits++
		}
	}
	assert.InDelta(t, 15, hits, 10, "about 30%% of 50 requests are hit: %v", a)
}

func TestFaultRateZeroAndUnlistedOps(t *testing.T) {
	sb := sandbox.Start(t, sandbox.Config{Faults: map[string]sandbox.Fault{"getLink": {Rate: 0, Statuses: []int{500}}}})
	c := faultyMK(t, sb)
	tok := mkToken(t, c, sb.MoneyKit())
	for range 10 {
		assert.Equal(t, http.StatusNotFound, getLink(t, c, tok, "mk_x").StatusCode())
	}
	for _, r := range sb.Requests() {
		assert.Empty(t, r.Injected)
	}
}
