package transport_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/banklink/banklink/facade"
	"github.com/banklink/banklink/facade/internal/transport"
	"github.com/banklink/banklink/facade/linkmoney"
	"github.com/banklink/banklink/facade/moneykit"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestPerCallMaxRetriesOverridesClientForOneCall(t *testing.T) {
	f := newFakeAPI(t)
	f.handle("GET /links/mk_1", jsonReply(503, `{}`))
	mk := f.moneyKit() // default: 2 retries
	ctx := context.Background()

	_, err := mk.Links.Get(ctx, "mk_1", facade.WithMaxRetries(0))
	var apiErr *facade.Error
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, 1, apiErr.Attempts)
	assert.Equal(t, 1, f.hitCount("GET /links/mk_1"), "exactly one attempt")

	_, err = mk.Links.Get(ctx, "mk_1")
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, 3, apiErr.Attempts, "the client's default is untouched")
	assert.Equal(t, 4, f.hitCount("GET /links/mk_1"))

	// A per-call value can also raise the client's.
	mk1 := f.moneyKit(facade.WithMaxRetries(1))
	_, err = mk1.Links.Get(ctx, "mk_1", facade.WithMaxRetries(3))
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, 4, apiErr.Attempts)
}

func TestSharedOptionValueWorksInBothPlaces(t *testing.T) {
	f := newFakeAPI(t)
	f.handle("GET /links/mk_1", jsonReply(503, `{}`))
	once := facade.WithMaxRetries(0)
	mk := f.moneyKit(once)
	_, err := mk.Links.Get(context.Background(), "mk_1", once)
	require.ErrorIs(t, err, facade.ErrServer)
	_, err = mk.Links.Get(context.Background(), "mk_1")
	require.ErrorIs(t, err, facade.ErrServer)
	assert.Equal(t, 2, f.hitCount("GET /links/mk_1"))
}

func TestPerCallRetryPolicy(t *testing.T) {
	f := newFakeAPI(t)
	f.handle("GET /links/mk_1", jsonReply(503, `{}`))
	mk := f.moneyKit()
	var judged []int
	never := facade.RetryPolicyFunc(func(a *facade.Attempt) bool { judged = append(judged, a.Number); return false })
	_, err := mk.Links.Get(context.Background(), "mk_1", facade.WithRetryPolicy(never))
	require.ErrorIs(t, err, facade.ErrServer)
	assert.Equal(t, []int{1}, judged)
	assert.Equal(t, 1, f.hitCount("GET /links/mk_1"))
	_, err = mk.Links.Get(context.Background(), "mk_1")
	require.ErrorIs(t, err, facade.ErrServer)
	assert.Equal(t, 4, f.hitCount("GET /links/mk_1"), "the default policy retries again on the next call")
}

func TestPerCallAttemptTimeout(t *testing.T) {
	// The transport reports each attempt's deadline instead of waiting for it.
	var mu sync.Mutex
	var left []time.Duration
	hc := &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
		d := time.Duration(-1)
		if dl, ok := r.Context().Deadline(); ok {
			d = time.Until(dl)
		}
		mu.Lock()
		left = append(left, d)
		mu.Unlock()
		return &http.Response{StatusCode: 200, Header: http.Header{"Content-Type": {"application/json"}},
			Body: io.NopCloser(strings.NewReader(`{"keys":[]}`)), Request: r}, nil
	})}
	mk, err := moneykit.New(facade.WithCredentials(testClientID, testClientSecret), facade.WithBaseURL("http://127.0.0.1:9"),
		facade.WithHTTPClient(hc), facade.WithAttemptTimeout(time.Hour))
	require.NoError(t, err)
	_, err = mk.Webhooks.JWKS(context.Background(), facade.WithAttemptTimeout(7*time.Second))
	require.NoError(t, err)
	_, err = mk.Webhooks.JWKS(context.Background())
	require.NoError(t, err)
	_, err = mk.Webhooks.JWKS(context.Background(), facade.WithAttemptTimeout(0))
	require.NoError(t, err)
	require.Len(t, left, 3)
	assert.True(t, left[0] > 6*time.Second && left[0] <= 7*time.Second, "per-call bound, got %v", left[0])
	assert.Greater(t, left[1], 59*time.Minute, "the client's bound")
	assert.Equal(t, time.Duration(-1), left[2], "0 for one call: no per-attempt bound")
}

func TestWithHeaderReachesTheWire(t *testing.T) {
	f := newFakeAPI(t)
	f.handle("GET /links/mk_1", sequence(jsonReply(503, `{}`), jsonReply(200, linkJSON)))
	mk := f.moneyKit(facade.WithHeader("X-Tenant", "client-level"), facade.WithHeader("x-gateway-route", "eu"))
	ctx := context.Background()

	_, err := mk.Links.Get(ctx, "mk_1", facade.WithHeader("X-Tenant", "per-call"), facade.WithHeader("X-Trace", "t-1"))
	require.NoError(t, err)
	_, err = mk.Links.Get(ctx, "mk_1")
	require.NoError(t, err)

	hs := f.headersOf("GET /links/mk_1")
	require.Len(t, hs, 3, "503 and retry, then the second call")
	for _, h := range hs[:2] {
		assert.Equal(t, []string{"per-call"}, h.Values("X-Tenant"), "every attempt; the call's value replaces the client's")
		assert.Equal(t, []string{"t-1"}, h.Values("X-Trace"))
		assert.Equal(t, []string{"eu"}, h.Values("X-Gateway-Route"))
		assert.True(t, strings.HasPrefix(h.Get("Authorization"), "Bearer tok-"), "credentials untouched")
	}
	assert.Equal(t, []string{"client-level"}, hs[2].Values("X-Tenant"), "the override held for one call only")
	assert.Empty(t, hs[2].Values("X-Trace"))
	assert.Equal(t, []string{"eu"}, hs[2].Values("X-Gateway-Route"))
}

func TestWithHeaderRefusesProtectedAndMalformedHeaders(t *testing.T) {
	f := newFakeAPI(t)
	f.handle("GET /links/mk_1", jsonReply(200, linkJSON))
	mk := f.moneyKit()
	for _, tc := range []struct{ name, value, want string }{
		{"Authorization", "Bearer stolen", `WithHeader("Authorization"): header is not settable: banklink sets it from the credentials`},
		{"authorization", "Basic x", `WithHeader("Authorization"): header is not settable`},
		{"X-Client-ID", "other", `WithHeader("X-Client-Id"): header is not settable`},
		{"MoneyKit-Version", "2020-01-01", `WithHeader("Moneykit-Version"): header is not settable: banklink sets it to the API version`},
		{"User-Agent", "x", "use WithUserAgent"},
		{"Host", "evil.example", `WithHeader("Host"): header is not settable`},
		{"Content-Length", "1", `WithHeader("Content-Length")`},
		{"Bad Name", "value-1", `WithHeader("Bad Name"): not a valid header name`},
		{"", "value-2", `WithHeader(""): not a valid header name`},
		{"X-Api-Key", "s3cr3t\r\nX-Injected: 1", `WithHeader("X-Api-Key"): value contains control characters`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := mk.Links.Get(context.Background(), "mk_1", facade.WithHeader(tc.name, tc.value))
			require.ErrorIs(t, err, facade.ErrInvalidRequest)
			assert.Contains(t, err.Error(), tc.want)
			assert.Contains(t, err.Error(), "getLink")
			assert.NotContains(t, err.Error(), tc.value, "the value is never echoed")

			_, err = moneykit.New(facade.WithCredentials("a", "b"), facade.WithHeader(tc.name, tc.value))
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
	assert.Zero(t, f.hitCount("GET /links/mk_1"), "nothing was sent")
}

func TestInvalidCallOptionsSendNothing(t *testing.T) {
	f := newFakeAPI(t)
	f.handle("POST /v1/payments", jsonReply(201, `{"paymentId":"p1"}`))
	lm := f.linkMoney()
	for _, tc := range []struct {
		opt  facade.CallOption
		want string
	}{
		{facade.WithMaxRetries(-1), "WithMaxRetries(-1): must not be negative"},
		{facade.WithAttemptTimeout(-time.Second), "WithAttemptTimeout(-1s): must not be negative"},
		{facade.WithRetryPolicy(nil), "WithRetryPolicy(nil)"},
		{facade.WithMiddleware(nil), "WithMiddleware: middleware 0 is nil"},
	} {
		_, err := lm.Payments.Create(context.Background(), linkmoney.NewPayment("c1", "m1", linkmoney.USD(100)), tc.opt)
		require.ErrorIs(t, err, facade.ErrInvalidRequest)
		assert.Contains(t, err.Error(), "linkmoney createPayment: invalid call option, nothing was sent: "+tc.want)
	}
	assert.Zero(t, f.hitCount("POST /v1/payments"))
	// Zero and nil options are ignored.
	_, err := lm.Payments.Create(context.Background(), linkmoney.NewPayment("c1", "m1", linkmoney.USD(100)), nil, facade.SharedOption{}, facade.WithResponse(nil))
	require.NoError(t, err)
}

func TestMiddlewareSeesEveryAttemptInOrder(t *testing.T) {
	f := newFakeAPI(t)
	f.handle("GET /links/mk_1", sequence(jsonReply(503, `{}`), jsonReply(502, `{}`), jsonReply(200, linkJSON)))
	var mu sync.Mutex
	var trail []string
	record := func(name string) facade.Middleware {
		return func(r *http.Request, next facade.Next) (*http.Response, error) {
			info, ok := facade.AttemptInfoFrom(r.Context())
			require.True(t, ok)
			if info.Operation != "getLink" {
				mu.Lock()
				trail = append(trail, name+":"+info.Operation)
				mu.Unlock()
				return next(r)
			}
			mu.Lock()
			trail = append(trail, fmt.Sprintf("%s:%s#%d>", name, info.Operation, info.Attempt))
			mu.Unlock()
			assert.True(t, strings.HasPrefix(r.Header.Get("Authorization"), "Bearer "), "middleware sees the finished request")
			assert.Equal(t, "/links/{id}", info.Path)
			r.Header.Add("X-Seen-By", name) // a copy per attempt: values do not pile up
			resp, err := next(r)
			mu.Lock()
			trail = append(trail, fmt.Sprintf("<%s:%d", name, resp.StatusCode))
			mu.Unlock()
			return resp, err
		}
	}
	mk := f.moneyKit(facade.WithMiddleware(record("client1"), record("client2")))
	_, err := mk.Links.Get(context.Background(), "mk_1", facade.WithMiddleware(record("call")))
	require.NoError(t, err)
	// The token fetch goes through the client's middleware, not the call's.
	want := []string{"client1:createAccessToken", "client2:createAccessToken"}
	for i, status := range []int{503, 502, 200} {
		n := i + 1
		want = append(want,
			fmt.Sprintf("client1:getLink#%d>", n), fmt.Sprintf("client2:getLink#%d>", n), fmt.Sprintf("call:getLink#%d>", n),
			fmt.Sprintf("<call:%d", status), fmt.Sprintf("<client2:%d", status), fmt.Sprintf("<client1:%d", status))
	}
	assert.Equal(t, want, trail)
	for _, h := range f.headersOf("GET /links/mk_1") {
		assert.Equal(t, []string{"client1", "client2", "call"}, h.Values("X-Seen-By"))
	}

	// The next call without options runs the client's middleware only.
	trail = nil
	_, err = mk.Links.Get(context.Background(), "mk_1")
	require.NoError(t, err)
	assert.Equal(t, []string{"client1:getLink#1>", "client2:getLink#1>", "<client2:200", "<client1:200"}, trail)
}

func TestMiddlewareRunsForTokenRefreshResend(t *testing.T) {
	f := newFakeAPI(t)
	f.handle("GET /links/mk_1", sequence(jsonReply(401, `{"error_code":"api_error.auth.expired_access_token"}`), jsonReply(200, linkJSON)))
	var n atomic.Int64
	count := func(r *http.Request, next facade.Next) (*http.Response, error) { n.Add(1); return next(r) }
	_, err := f.moneyKit().Links.Get(context.Background(), "mk_1", facade.WithMiddleware(count))
	require.NoError(t, err)
	assert.Equal(t, int64(2), n.Load(), "the 401 and the resend")
}

func TestMiddlewareMisbehaviourIsATypedError(t *testing.T) {
	f := newFakeAPI(t)
	f.handle("GET /links/mk_1", jsonReply(200, linkJSON))
	mk := f.moneyKit(facade.WithMaxRetries(0))
	ctx := context.Background()

	nothing := func(*http.Request, facade.Next) (*http.Response, error) { return nil, nil }
	_, err := mk.Links.Get(ctx, "mk_1", facade.WithMiddleware(nothing))
	var te *facade.TransportError
	require.ErrorAs(t, err, &te)
	assert.Contains(t, err.Error(), "middleware returned neither a response nor an error")

	noBody := func(r *http.Request, next facade.Next) (*http.Response, error) {
		return &http.Response{StatusCode: 503, Header: http.Header{}, Request: r}, nil
	}
	_, err = mk.Links.Get(ctx, "mk_1", facade.WithMiddleware(noBody))
	require.ErrorIs(t, err, facade.ErrServer)

	both := func(r *http.Request, next facade.Next) (*http.Response, error) {
		resp, _ := next(r)
		return resp, errors.New("middleware gave up")
	}
	_, err = mk.Links.Get(ctx, "mk_1", facade.WithMiddleware(both))
	require.ErrorAs(t, err, &te)
	assert.Contains(t, err.Error(), "middleware gave up")

	short := func(r *http.Request, next facade.Next) (*http.Response, error) {
		return &http.Response{StatusCode: 200, Header: http.Header{"Content-Type": {"application/json"}},
			Body: io.NopCloser(strings.NewReader(linkJSON)), Request: r}, nil
	}
	link, err := mk.Links.Get(ctx, "mk_1", facade.WithMiddleware(short))
	require.NoError(t, err)
	assert.Equal(t, "mk_1", link.LinkId, "a middleware may answer itself")
	assert.Equal(t, 1, f.hitCount("GET /links/mk_1"), "only the call that reached next")
}

// cloningTransport behaves like otelhttp.Transport: it copies the request
// with a derived context, adds a header, and counts.
type cloningTransport struct {
	next  http.RoundTripper
	calls *atomic.Int64
}

type spanKey struct{}

func (t cloningTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	t.calls.Add(1)
	r = r.Clone(context.WithValue(r.Context(), spanKey{}, "span"))
	r.Header.Set("Traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01")
	return t.next.RoundTrip(r)
}

func TestTransportMiddleware(t *testing.T) {
	f := newFakeAPI(t)
	f.handle("GET /links/mk_1", sequence(jsonReply(503, `{}`), jsonReply(200, linkJSON)))
	var calls atomic.Int64
	var names []string
	wrap := func(next http.RoundTripper) http.RoundTripper {
		return cloningTransport{next: roundTripFunc(func(r *http.Request) (*http.Response, error) {
			info, _ := facade.AttemptInfoFrom(r.Context())
			names = append(names, fmt.Sprintf("%s %s %d %v", info.Provider, info.Operation, info.Attempt, r.Context().Value(spanKey{})))
			return next.RoundTrip(r)
		}), calls: &calls}
	}
	mk := f.moneyKit(facade.WithMiddleware(facade.TransportMiddleware(wrap)))
	_, err := mk.Links.Get(context.Background(), "mk_1")
	require.NoError(t, err)
	assert.Equal(t, int64(3), calls.Load(), "once per attempt: the token, then getLink twice")
	assert.Equal(t, []string{"moneykit createAccessToken 1 span", "moneykit getLink 1 span", "moneykit getLink 2 span"}, names)
	for _, h := range f.headersOf("GET /links/mk_1") {
		assert.NotEmpty(t, h.Get("Traceparent"))
	}

	// A wrapper that loses the request's context fails the attempt, typed.
	lossy := facade.TransportMiddleware(func(next http.RoundTripper) http.RoundTripper {
		return roundTripFunc(func(r *http.Request) (*http.Response, error) {
			return next.RoundTrip(r.WithContext(context.Background()))
		})
	})
	_, err = mk.Links.Get(context.Background(), "mk_1", facade.WithMiddleware(lossy), facade.WithMaxRetries(0))
	var te *facade.TransportError
	require.ErrorAs(t, err, &te)
	assert.Contains(t, err.Error(), "dropped the request's context")
}

// stepClock stands still except when a wait moves it on.
type stepClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *stepClock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *stepClock) wait(ctx context.Context, d time.Duration) error {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
	return ctx.Err()
}

func TestWithResponseAfter503Then200(t *testing.T) {
	f := newFakeAPI(t)
	f.handle("GET /links/mk_1", sequence(
		jsonReply(503, `{}`, "X-Request-Id", "req-first"),
		jsonReply(200, linkJSON, "X-Request-Id", "req-second", "X-Extra", "yes")))
	clock := &stepClock{t: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
	mk := f.moneyKit(transport.WithClock(clock.now), facade.WithWait(clock.wait),
		facade.WithBackoff(facade.ExponentialBackoff{Initial: 250 * time.Millisecond}))
	resp := facade.Response{StatusCode: 999, Attempts: 99, IdempotencyKey: "stale"} // reused values are reset
	link, err := mk.Links.Get(context.Background(), "mk_1", facade.WithResponse(&resp))
	require.NoError(t, err)
	assert.Equal(t, "mk_1", link.LinkId)
	assert.Equal(t, 2, resp.Attempts)
	assert.Equal(t, 200, resp.StatusCode)
	assert.Equal(t, "req-second", resp.RequestID)
	assert.Equal(t, "yes", resp.Header.Get("X-Extra"))
	assert.Equal(t, 250*time.Millisecond, resp.Duration, "the backoff on the client's clock")
	assert.Empty(t, resp.IdempotencyKey, "getLink has no idempotency key")
}

func TestWithResponseOnFailure(t *testing.T) {
	f := newFakeAPI(t)
	f.handle("POST /v1/payments", jsonReply(503, `{"errorCode":"UNAVAILABLE"}`, "X-Request-Id", "req-503"))
	var resp facade.Response
	_, err := f.linkMoney(facade.WithMaxRetries(1)).Payments.Create(context.Background(),
		linkmoney.NewPayment("c1", "m1", linkmoney.USD(100), linkmoney.WithRequestKey("rk-1")), facade.WithResponse(&resp))
	require.ErrorIs(t, err, facade.ErrServer)
	assert.Equal(t, facade.Response{StatusCode: 503, Header: resp.Header, RequestID: "req-503", Attempts: 2, Duration: resp.Duration, IdempotencyKey: "rk-1"}, resp)
	assert.Equal(t, "application/json", resp.Header.Get("Content-Type"))

	// No answer at all: attempts counted, no status.
	lm, err := linkmoney.New(facade.WithCredentials(testClientID, testClientSecret), facade.WithBaseURL("http://"+closedAddr(t)),
		facade.WithWait((&waits{}).wait))
	require.NoError(t, err)
	_, err = lm.Sessions.Create(context.Background(), linkmoney.NewSession(linkmoney.SessionCustomer{FirstName: "A", LastName: "B", Email: "a@example.com"}, "https://m.example/r"),
		facade.WithResponse(&resp))
	require.Error(t, err)
	assert.Equal(t, 3, resp.Attempts, "dial failures are retried")
	assert.Zero(t, resp.StatusCode)
	assert.Nil(t, resp.Header)

	// Refused before sending: nothing happened.
	_, err = f.linkMoney().Payments.Create(context.Background(), linkmoney.NewPayment("", "m1", linkmoney.USD(100)), facade.WithResponse(&resp))
	require.ErrorIs(t, err, facade.ErrInvalidRequest)
	assert.Equal(t, facade.Response{}, resp)
}

func TestCallerPaymentRequestIsNeverModified(t *testing.T) {
	f := newFakeAPI(t)
	f.handle("POST /v1/payments", sequence(jsonReply(503, `{}`), jsonReply(201, `{"paymentId":"p1","paymentStatus":"PENDING"}`)))
	lm := f.linkMoney()
	req := linkmoney.NewPayment("cust", "merch", linkmoney.USD(1234), linkmoney.WithClientReferenceID("order-1"), linkmoney.WithSoftDescriptor("ACME"))
	before, err := json.Marshal(req)
	require.NoError(t, err)

	var r1, r2 facade.Response
	_, err = lm.Payments.Create(context.Background(), req, facade.WithResponse(&r1))
	require.NoError(t, err)
	after, err := json.Marshal(req)
	require.NoError(t, err)
	assert.Equal(t, string(before), string(after), "byte-identical after the call")
	assert.Empty(t, req.RequestKey)

	// The same value again is a new payment with a new key, not a duplicate.
	_, err = lm.Payments.Create(context.Background(), req, facade.WithResponse(&r2))
	require.NoError(t, err)
	require.NotEmpty(t, r1.IdempotencyKey)
	require.NotEmpty(t, r2.IdempotencyKey)
	assert.NotEqual(t, r1.IdempotencyKey, r2.IdempotencyKey)
	bodies := f.bodiesOf("POST /v1/payments")
	require.Len(t, bodies, 3)
	assert.Equal(t, r1.IdempotencyKey, mustJSON(t, bodies[0])["requestKey"])
	assert.Equal(t, r1.IdempotencyKey, mustJSON(t, bodies[1])["requestKey"], "the retry reuses the call's key")
	assert.Equal(t, r2.IdempotencyKey, mustJSON(t, bodies[2])["requestKey"])

	// Shared between goroutines, the value is only read (the race detector checks).
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			_, err := lm.Refunds.Create(context.Background(), linkmoney.NewRefund("p1", linkmoney.USD(1)))
			assert.Error(t, err) // no route: 418
			_, err = lm.Payments.Create(context.Background(), req)
			assert.NoError(t, err)
		})
	}
	wg.Wait()
	final, err := json.Marshal(req)
	require.NoError(t, err)
	assert.Equal(t, string(before), string(final))
}

func TestWrappedDefaultTransportDoesNotPanic(t *testing.T) {
	orig := http.DefaultTransport
	t.Cleanup(func() { http.DefaultTransport = orig })
	var wrapped atomic.Int64
	http.DefaultTransport = roundTripFunc(func(r *http.Request) (*http.Response, error) {
		wrapped.Add(1)
		return orig.RoundTrip(r)
	})

	hc := facade.DefaultHTTPClient()
	tr, ok := hc.Transport.(*http.Transport)
	require.True(t, ok)
	assert.Equal(t, facade.DefaultMaxConnsPerHost, tr.MaxConnsPerHost)
	assert.NotNil(t, tr.Proxy, "the fresh transport still honours HTTP_PROXY")
	assert.True(t, tr.ForceAttemptHTTP2)

	f := newFakeAPI(t)
	f.handle("GET /links/mk_1", jsonReply(200, linkJSON))
	mk, err := moneykit.New(facade.WithCredentials(testClientID, testClientSecret), facade.WithBaseURL(f.srv.URL))
	require.NoError(t, err)
	t.Cleanup(mk.CloseIdleConnections)
	link, err := mk.Links.Get(context.Background(), "mk_1")
	require.NoError(t, err)
	assert.Equal(t, "mk_1", link.LinkId)
	assert.Zero(t, wrapped.Load(), "banklink's own transport carried the call")

	// An *http.Transport in DefaultTransport is cloned with its settings.
	custom := orig.(*http.Transport).Clone()
	custom.DisableCompression = true
	http.DefaultTransport = custom
	assert.True(t, facade.DefaultHTTPClient().Transport.(*http.Transport).DisableCompression)
}

// keyCase is one way a payment or refund can fail.
type keyCase struct {
	name  string
	setup func(f *fakeAPI, route string) []facade.Option
	check func(t *testing.T, err error)
}

func TestPaymentAndRefundErrorsCarryTheRequestKey(t *testing.T) {
	isType := func(target any) func(t *testing.T, err error) {
		return func(t *testing.T, err error) { require.ErrorAs(t, err, target) }
	}
	cases := []keyCase{
		{"5xx until retries run out", func(f *fakeAPI, route string) []facade.Option {
			f.handle(route, jsonReply(503, `{}`))
			return nil
		}, func(t *testing.T, err error) {
			var e *facade.Error
			require.ErrorAs(t, err, &e)
			assert.Equal(t, 3, e.Attempts)
		}},
		{"4xx answer", func(f *fakeAPI, route string) []facade.Option {
			f.handle(route, jsonReply(400, `{"errorCode":"DUPLICATE_REQUEST_KEY"}`))
			return nil
		}, func(t *testing.T, err error) { require.ErrorIs(t, err, facade.ErrDuplicateRequestKey) }},
		{"undecodable 2xx", func(f *fakeAPI, route string) []facade.Option {
			f.handle(route, jsonReply(201, `{"paymentId":`))
			return nil
		}, isType(new(*facade.Error))},
		{"connection lost on every attempt", func(f *fakeAPI, route string) []facade.Option {
			f.handle(route, func(w http.ResponseWriter, r *http.Request) {
				conn, _, _ := w.(http.Hijacker).Hijack()
				_ = conn.Close()
			})
			return nil
		}, func(t *testing.T, err error) {
			var te *facade.TransportError
			require.ErrorAs(t, err, &te)
			assert.Equal(t, 3, te.Attempts)
		}},
		{"context cancelled while waiting to retry", func(f *fakeAPI, route string) []facade.Option {
			f.handle(route, jsonReply(503, `{}`))
			return []facade.Option{facade.WithWait(func(context.Context, time.Duration) error { return context.Canceled })}
		}, func(t *testing.T, err error) {
			var te *facade.TransportError
			require.ErrorAs(t, err, &te)
			require.NotNil(t, te.Last)
			assert.Equal(t, te.IdempotencyKey, te.Last.IdempotencyKey)
		}},
		{"Retry-After longer than allowed", func(f *fakeAPI, route string) []facade.Option {
			f.handle(route, jsonReply(503, `{}`, "Retry-After", "120"))
			return nil
		}, isType(new(*facade.RateLimitError))},
		{"token endpoint refuses", func(f *fakeAPI, route string) []facade.Option {
			f.handle("POST /v1/tokens", jsonReply(401, `{"error":"invalid_client"}`))
			return nil
		}, func(t *testing.T, err error) {
			var te *facade.TransportError
			require.ErrorAs(t, err, &te)
			require.ErrorIs(t, err, facade.ErrUnauthorized)
			assert.Contains(t, err.Error(), "fetching token: ")
			var tokErr *facade.Error
			require.ErrorAs(t, err, &tokErr)
			assert.Equal(t, "createToken", tokErr.Operation)
		}},
	}
	type op struct {
		name, route string
		create      func(lm *linkmoney.Client, key string) error
	}
	ops := []op{
		{"payment", "POST /v1/payments", func(lm *linkmoney.Client, key string) error {
			var opts []linkmoney.PaymentOption
			if key != "" {
				opts = append(opts, linkmoney.WithRequestKey(key))
			}
			_, err := lm.Payments.Create(context.Background(), linkmoney.NewPayment("c1", "m1", linkmoney.USD(100), opts...))
			return err
		}},
		{"refund", "POST /v1/refunds", func(lm *linkmoney.Client, key string) error {
			var opts []linkmoney.PaymentOption
			if key != "" {
				opts = append(opts, linkmoney.WithRequestKey(key))
			}
			_, err := lm.Refunds.Create(context.Background(), linkmoney.NewRefund("p1", linkmoney.USD(100), opts...))
			return err
		}},
	}
	for _, o := range ops {
		for _, tc := range cases {
			for _, given := range []string{"", "merchant-key-7"} {
				t.Run(o.name+"/"+tc.name+"/given="+given, func(t *testing.T) {
					f := newFakeAPI(t)
					opts := tc.setup(f, o.route)
					err := o.create(f.linkMoney(opts...), given)
					require.Error(t, err)
					tc.check(t, err)
					key := facade.IdempotencyKeyOf(err)
					require.NotEmpty(t, key, "%v", err)
					if given != "" {
						assert.Equal(t, given, key)
					}
					for _, b := range f.bodiesOf(o.route) {
						assert.Equal(t, key, mustJSON(t, b)["requestKey"], "the key reported is the key sent")
					}
					var te *facade.TransportError
					var e *facade.Error
					var rl *facade.RateLimitError
					switch {
					case errors.As(err, &te):
						assert.Equal(t, key, te.IdempotencyKey)
					case errors.As(err, &rl):
						assert.Equal(t, key, rl.IdempotencyKey)
					case errors.As(err, &e):
						assert.Equal(t, key, e.IdempotencyKey)
					}
				})
			}
		}
	}
}

func TestGateDoesNotLendOneCallsKeyToAnother(t *testing.T) {
	f := newFakeAPI(t)
	f.handle("POST /v1/payments", jsonReply(429, `{"errorCode":"RATE_LIMITED"}`, "Retry-After", "10"))
	lm := f.linkMoney(facade.WithMaxRetries(0))
	_, errA := lm.Payments.Create(context.Background(), linkmoney.NewPayment("c1", "m1", linkmoney.USD(100), linkmoney.WithRequestKey("key-A")))
	var a *facade.Error
	require.ErrorAs(t, errA, &a)
	assert.Equal(t, "key-A", a.IdempotencyKey)

	// B runs into the gate A's 429 closed, and its context cannot wait 10s.
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	_, errB := lm.Payments.Create(ctx, linkmoney.NewPayment("c1", "m1", linkmoney.USD(100), linkmoney.WithRequestKey("key-B")))
	var rl *facade.RateLimitError
	require.ErrorAs(t, errB, &rl)
	assert.Equal(t, "key-B", rl.IdempotencyKey)
	assert.Equal(t, "key-B", facade.IdempotencyKeyOf(errB))
	require.NotNil(t, rl.Err, "A's answer is shown")
	assert.Empty(t, rl.Err.IdempotencyKey, "but not A's key")
	assert.Equal(t, "key-A", a.IdempotencyKey, "A's own error keeps its key")
	assert.Equal(t, 1, f.hitCount("POST /v1/payments"))
}

func TestIdempotencyKeyOfOtherErrors(t *testing.T) {
	assert.Empty(t, facade.IdempotencyKeyOf(nil))
	assert.Empty(t, facade.IdempotencyKeyOf(errors.New("x")))
	wrapped := fmt.Errorf("order 1042: %w", &facade.TransportError{Err: io.ErrUnexpectedEOF, IdempotencyKey: "k"})
	assert.Equal(t, "k", facade.IdempotencyKeyOf(wrapped))
	f := newFakeAPI(t)
	f.handle("GET /links/mk_1", jsonReply(503, `{}`))
	_, err := f.moneyKit().Links.Get(context.Background(), "mk_1")
	require.Error(t, err)
	assert.Empty(t, facade.IdempotencyKeyOf(err), "operations without an idempotency key carry none")
}

// The per-call settings and the response are the call's own: concurrent
// calls with different options on one client do not see each other's.
func TestConcurrentCallsKeepTheirOwnOptions(t *testing.T) {
	f := newFakeAPI(t)
	f.handle("GET /links/mk_1", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Request-Id", "echo-"+r.Header.Get("X-Call"))
		jsonReply(200, linkJSON)(w, r)
	})
	mk := f.moneyKit()
	var wg sync.WaitGroup
	for i := range 16 {
		wg.Go(func() {
			var resp facade.Response
			id := fmt.Sprint(i)
			_, err := mk.Links.Get(context.Background(), "mk_1", facade.WithHeader("X-Call", id), facade.WithResponse(&resp))
			assert.NoError(t, err)
			assert.Equal(t, "echo-"+id, resp.RequestID)
		})
	}
	wg.Wait()
	var buf bytes.Buffer
	for _, h := range f.headersOf("GET /links/mk_1") {
		buf.WriteString(h.Get("X-Call"))
	}
	assert.Len(t, f.headersOf("GET /links/mk_1"), 16, buf.String())
}
