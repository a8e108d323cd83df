package sandbox_test

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/banklink/banklink/facade/sandbox"
	"github.com/banklink/banklink/gen/linkmoney"
	"github.com/banklink/banklink/gen/moneykit"
)

func TestEnvAndCredentials(t *testing.T) {
	sb := sandbox.Start(t)
	assert.True(t, strings.HasPrefix(sb.URL(), "http://127.0.0.1:"), sb.URL())
	mk, lm := sb.MoneyKit(), sb.LinkMoney()
	assert.Equal(t, sb.URL()+"/moneykit", mk.BaseURL)
	assert.Equal(t, "sandbox_client_id", mk.ClientID)
	assert.Equal(t, "sandbox_client_secret", mk.ClientSecret)
	assert.Equal(t, sb.URL()+"/linkmoney", lm.BaseURL)
	assert.Equal(t, "lm_sandbox_client_id", lm.ClientID)
	assert.Equal(t, "lm_sandbox_client_secret", lm.ClientSecret)
	assert.Equal(t, []string{
		"MONEYKIT_BASE_URL=" + mk.BaseURL,
		"MONEYKIT_CLIENT_ID=sandbox_client_id",
		"MONEYKIT_CLIENT_SECRET=sandbox_client_secret",
		"LINKMONEY_BASE_URL=" + lm.BaseURL,
		"LINKMONEY_CLIENT_ID=lm_sandbox_client_id",
		"LINKMONEY_CLIENT_SECRET=lm_sandbox_client_secret",
	}, sb.Env())
	sb.Setenv(t)
	assert.Equal(t, mk.BaseURL, os.Getenv("MONEYKIT_BASE_URL"))
	assert.Equal(t, "lm_sandbox_client_secret", os.Getenv("LINKMONEY_CLIENT_SECRET"))
}

func TestRequestLog(t *testing.T) {
	cfg, fc := fakeClockConfig()
	sb := sandbox.Start(t, cfg)
	c := mkClient(t, sb)
	tok := mkToken(t, c, sb.MoneyKit())
	fc.Advance(time.Minute)
	getLink(t, c, tok, "mk_missing")
	_, _ = postJSON(t, sb.URL()+"/_sandbox/moneykit/connect", map[string]string{"link_session_token": "x"})
	_, _ = rawDo(t, http.MethodGet, sb.URL()+"/elsewhere", "", "", nil)

	reqs := sb.Requests()
	require.Len(t, reqs, 4)
	r := reqs[0]
	assert.Equal(t, "moneykit", r.Provider)
	assert.Equal(t, "createAccessToken", r.Operation)
	assert.Equal(t, http.MethodPost, r.Method)
	assert.Equal(t, "/moneykit/auth/token", r.Path)
	assert.Equal(t, http.StatusCreated, r.Status)
	assert.Equal(t, http.StatusCreated, r.HandlerStatus)
	assert.Contains(t, string(r.Body), "grant_type=client_credentials")
	assert.Equal(t, "2023-02-18", r.Header.Get("MoneyKit-Version"))
	assert.Equal(t, time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC), r.Time)

	r = reqs[1]
	assert.Equal(t, "getLink", r.Operation)
	assert.Equal(t, "/moneykit/links/mk_missing", r.Path)
	assert.Equal(t, http.StatusNotFound, r.Status)
	assert.Equal(t, "Bearer [redacted]", r.Header.Get("Authorization"))
	assert.NotContains(t, fmt.Sprint(r.Header), tok)
	assert.Empty(t, r.Body)
	assert.Equal(t, time.Date(2025, 3, 1, 12, 1, 0, 0, time.UTC), r.Time)

	assert.Equal(t, "sandbox", reqs[2].Provider)
	assert.Equal(t, "connect", reqs[2].Operation)
	assert.Equal(t, http.StatusNotFound, reqs[2].Status)
	assert.Equal(t, "", reqs[3].Provider)
	assert.Equal(t, http.StatusNotFound, reqs[3].Status)

	// The log over HTTP leaves bodies and headers out.
	res, b := rawDo(t, http.MethodGet, sb.URL()+"/_sandbox/requests", "", "", nil)
	require.Equal(t, http.StatusOK, res.StatusCode)
	assert.Contains(t, string(b), `"operation":"getLink"`)
	assert.NotContains(t, string(b), "client_secret")
}

func TestRequestLogLimit(t *testing.T) {
	sb := sandbox.Start(t, sandbox.Config{RequestLogLimit: 3})
	for i := range 10 {
		_, _ = rawDo(t, http.MethodGet, fmt.Sprintf("%s/nope/%d", sb.URL(), i), "", "", nil)
	}
	reqs := sb.Requests()
	require.Len(t, reqs, 3)
	assert.Equal(t, "/nope/7", reqs[0].Path)
	assert.Equal(t, "/nope/9", reqs[2].Path)

	off := sandbox.Start(t, sandbox.Config{RequestLogLimit: -1})
	_, _ = rawDo(t, http.MethodGet, off.URL()+"/nope", "", "", nil)
	assert.Empty(t, off.Requests())
}

// TestAdvanceWithoutFakeClock: Advance moves the sandbox's real clock by
// exactly the duration (checked on synctest's clock, which stands still
// otherwise), and tokens expire by it.
func TestAdvanceWithoutFakeClock(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		sb, hc := startMem(t, sandbox.Config{TokenTTL: time.Hour})
		c, err := moneykit.NewClientWithResponses(sb.MoneyKit().BaseURL, moneykit.WithHTTPClient(hc))
		require.NoError(t, err)
		tok := mkToken(t, c, sb.MoneyKit())
		before := sb.Now()
		sb.Advance(2 * time.Hour)
		assert.Equal(t, before.Add(2*time.Hour), sb.Now())
		assert.Equal(t, http.StatusUnauthorized, getLink(t, c, tok, "mk_x").StatusCode())

		advance := func(body string) int {
			res, err := hc.Post(sb.URL()+"/_sandbox/clock/advance", "application/json", strings.NewReader(body))
			require.NoError(t, err)
			_ = res.Body.Close()
			return res.StatusCode
		}
		require.Equal(t, http.StatusOK, advance(`{"duration":"90s"}`))
		assert.Equal(t, before.Add(2*time.Hour+90*time.Second), sb.Now())
		assert.Equal(t, http.StatusBadRequest, advance(`{"duration":"soon"}`))
	})
}

func TestServeAndShutdown(t *testing.T) {
	sb := sandbox.New(sandbox.Config{})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- sb.Serve(ctx, ln) }()
	// The listening socket queues the request until Serve accepts it, and
	// Serve sets URL before it accepts: no polling needed.
	url := "http://" + ln.Addr().String()
	c, err := moneykit.NewClientWithResponses(url + "/moneykit")
	require.NoError(t, err)
	mkToken(t, c, sb.MoneyKit())
	assert.Equal(t, url, sb.URL())
	cancel()
	select {
	case err := <-done:
		assert.NoError(t, err)
	case <-time.After(10 * time.Second):
		t.Fatal("Serve did not return after ctx ended")
	}

	// ListenAndServe reports listen errors at once.
	err = sandbox.New(sandbox.Config{}).ListenAndServe(context.Background(), "256.0.0.1:bad")
	assert.Error(t, err)

	sb2 := sandbox.New(sandbox.Config{})
	ctx2, cancel2 := context.WithCancel(context.Background())
	done2 := make(chan error, 1)
	go func() { done2 <- sb2.ListenAndServe(ctx2, "127.0.0.1:0") }()
	waitURL(t, sb2) // a readiness poll: the port is known only once it listens
	cancel2()
	assert.NoError(t, <-done2)
}

func waitURL(t *testing.T, sb *sandbox.Sandbox) string {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for sb.URL() == "" {
		if time.Now().After(deadline) {
			t.Fatal("the sandbox did not start")
		}
		time.Sleep(5 * time.Millisecond)
	}
	return sb.URL()
}

func TestHandlerMountedByCaller(t *testing.T) {
	sb := sandbox.New(sandbox.Config{})
	srv := httpServer(t, sb.Handler())
	sb.SetURL(srv + "/")
	assert.Equal(t, srv+"/moneykit", sb.MoneyKit().BaseURL)
	mkToken(t, mkClient(t, sb), sb.MoneyKit())
}

// TestConcurrentClients drives both providers from 64 clients at once, with
// faults, rate limits and the request log on; run it with -race.
func TestConcurrentClients(t *testing.T) {
	sb := sandbox.Start(t, sandbox.Config{Seed: 1, Faults: map[string]sandbox.Fault{
		"getLink":       {Rate: 0.1, Statuses: []int{500, 503}, RetryAfter: time.Second},
		"createPayment": {Rate: 0.1, Statuses: []int{502}, AfterHandling: true},
		"getCustomer":   {Rate: 0.1, Latency: time.Millisecond},
	}})
	mc := mkClient(t, sb)
	lc := lmClient(t, sb)
	tok := mkToken(t, mc, sb.MoneyKit())
	pay := lmToken(t, lc, linkmoney.TokenScopeLinkPayment)
	core := lmToken(t, lc, linkmoney.TokenScopeLinkCore)
	cust := newCustomer(t, sb, lc)

	const clients, rounds = 64, 20
	var wg sync.WaitGroup
	errs := make(chan string, clients*rounds*3)
	for i := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx := context.Background()
			user := fmt.Sprintf("user-%03d", i)
			cs, err := mc.CreateLinkSessionWithResponse(ctx, nil, sessionRequest(user), bearer(tok))
			if err != nil || cs.StatusCode() != http.StatusCreated {
				errs <- fmt.Sprintf("createLinkSession: %v", err)
				return
			}
			exch, err := sb.CompleteLinkSession(cs.JSON201.LinkSessionToken, sandbox.ConnectOptions{})
			if err != nil {
				errs <- err.Error()
				return
			}
			ex, err := mc.ExchangeTokenWithResponse(ctx, nil, moneykit.ExchangeTokenRequest{ExchangeableToken: exch}, bearer(tok))
			if err != nil || ex.StatusCode() != http.StatusCreated {
				errs <- fmt.Sprintf("exchange: %v %d", err, ex.StatusCode())
				return
			}
			id := ex.JSON201.LinkId
			for j := range rounds {
				gl, err := mc.GetLinkWithResponse(ctx, id, nil, bearer(tok))
				if err != nil {
					errs <- err.Error()
				} else if s := gl.StatusCode(); s != 200 && s != 429 && s != 500 && s != 503 {
					errs <- fmt.Sprintf("getLink %d", s)
				}
				pr, err := lc.CreatePaymentWithResponse(ctx, debit(cust, "1.00", fmt.Sprintf("rk-%d-%d", i, j)), lmBearer(pay))
				if err != nil {
					errs <- err.Error()
				} else if s := pr.StatusCode(); s != 200 && s != 502 {
					errs <- fmt.Sprintf("createPayment %d", s)
				}
				gc, err := lc.GetCustomerWithResponse(ctx, cust, lmBearer(core))
				if err != nil || gc.StatusCode() != 200 {
					errs <- fmt.Sprintf("getCustomer %v", err)
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
	n := 0
	for _, r := range sb.Requests() {
		if r.Operation == "createPayment" {
			n++
			assert.NotZero(t, r.Status)
		}
	}
	assert.Equal(t, clients*rounds, n)
}

func TestLogfKeepsSecretsOut(t *testing.T) {
	var mu sync.Mutex
	var lines []string
	sb := sandbox.Start(t, sandbox.Config{
		Logf: func(format string, args ...any) {
			mu.Lock()
			lines = append(lines, fmt.Sprintf(format, args...))
			mu.Unlock()
		},
		Faults: map[string]sandbox.Fault{"getLink": {Rate: 1, Statuses: []int{503}}},
	})
	c := mkClient(t, sb)
	tok := mkToken(t, c, sb.MoneyKit())
	getLink(t, c, tok, "mk_x")
	getLink(t, c, "mk_sandbox_wrongtoken", "mk_x")
	_, err := c.CreateAccessTokenWithFormdataBodyWithResponse(context.Background(), nil, moneykit.CreateAccessTokenRequest{
		ClientId: ptr(sandbox.MoneyKitClientID), ClientSecret: ptr("a-wrong-secret"),
	})
	require.NoError(t, err)
	lc := lmClient(t, sb)
	_, err = lc.CreateSessionWithResponse(context.Background(), lmSessionRequest(), lmBasic(sandbox.LinkMoneyClientID, "wrong"))
	require.NoError(t, err)

	mu.Lock()
	defer mu.Unlock()
	require.NotEmpty(t, lines)
	all := strings.Join(lines, "\n")
	assert.Contains(t, all, "getLink")
	for _, secret := range []string{tok, sandbox.MoneyKitClientSecret, "a-wrong-secret", "wrongtoken", "jane", "wrong\n"} {
		assert.NotContains(t, all, secret)
	}
}
