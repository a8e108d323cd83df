package transport_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/banklink/banklink/facade"
	"github.com/banklink/banklink/facade/internal/transport"
	"github.com/banklink/banklink/facade/linkmoney"
	"github.com/banklink/banklink/facade/moneykit"
)

// Fuzz targets for what banklink reads from the network: error answers,
// Retry-After hints and token responses. Their seed corpora run with every
// `go test`; `go test -run '^$' -fuzz FuzzX ./facade/internal/transport/` explores further.
// Responses come from a RoundTripper, so any status, header value and body
// reaches the facade exactly as given, including ones no well-behaved
// server would send.

// fuzzStatus maps any int to a status code from 100 to 999, keeping those
// already in range.
func fuzzStatus(n int) int {
	if n < 0 {
		n = -(n + 1)
	}
	n %= 1000
	if n < 100 {
		n += 100
	}
	return n
}

// fuzzHeader reads "Name: value" lines into a header, keeping values
// byte for byte.
func fuzzHeader(blob string) http.Header {
	h := http.Header{}
	for _, line := range strings.Split(blob, "\n") {
		k, v, ok := strings.Cut(line, ":")
		if !ok || k == "" {
			continue
		}
		k = http.CanonicalHeaderKey(strings.TrimSpace(k))
		h[k] = append(h[k], strings.TrimLeft(v, " "))
	}
	return h
}

// scripted is a RoundTripper that answers token requests with a fixed token
// and everything else through answer, counting requests by path.
type scripted struct {
	token  func(r *http.Request) *http.Response
	answer func(r *http.Request) *http.Response

	mu   sync.Mutex
	hits map[string]int
}

func (s *scripted) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Body != nil {
		_, _ = io.Copy(io.Discard, r.Body)
		_ = r.Body.Close()
	}
	s.mu.Lock()
	if s.hits == nil {
		s.hits = map[string]int{}
	}
	s.hits[r.URL.Path]++
	s.mu.Unlock()
	var resp *http.Response
	if r.URL.Path == "/auth/token" || r.URL.Path == "/v1/tokens" {
		if s.token != nil {
			resp = s.token(r)
		} else {
			resp = respond(http.StatusOK, http.Header{"Content-Type": {"application/json"}}, []byte(`{"access_token":"tok-fuzz","token_type":"bearer","expires_in":3600}`))
		}
	} else {
		resp = s.answer(r)
	}
	resp.Request = r
	return resp, nil
}

func (s *scripted) hitCount(path string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.hits[path]
}

func respond(status int, h http.Header, body []byte) *http.Response {
	return &http.Response{
		StatusCode: status, Status: strconv.Itoa(status) + " " + http.StatusText(status),
		Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header: h, Body: io.NopCloser(bytes.NewReader(body)), ContentLength: int64(len(body)),
	}
}

func scriptedClient(rt http.RoundTripper) *http.Client {
	hc := facade.DefaultHTTPClient() // keeps "do not follow redirects"
	hc.Transport = rt
	return hc
}

func isRedirect(status int) bool {
	switch status {
	case http.StatusMovedPermanently, http.StatusFound, http.StatusSeeOther, http.StatusTemporaryRedirect, http.StatusPermanentRedirect:
		return true
	}
	return false
}

func instantWait(ctx context.Context, _ time.Duration) error { return ctx.Err() }

type fuzzOp struct {
	name, path string
	call       func(ctx context.Context, opts []facade.Option) error
}

// fuzzOps are the calls whose answer the error fuzzer controls: one per
// operation of both generated tables, in table order (MoneyKit's, then Link
// Money's), each made through opCalls, so a new operation is fuzzed as soon
// as it has its call.
var fuzzOps = sync.OnceValue(func() []fuzzOp {
	var out []fuzzOp
	for _, o := range allTableOps() {
		oc, ok := opCalls[o.id]
		if !ok {
			panic("no opCalls entry for " + o.id)
		}
		_, path, _ := strings.Cut(oc.route, " ")
		out = append(out, fuzzOp{o.id, path, func(ctx context.Context, opts []facade.Option) error {
			mk, err := moneykit.New(opts...)
			if err != nil {
				return err
			}
			lm, err := linkmoney.New(opts...)
			if err != nil {
				return err
			}
			return oc.call(ctx, mk, lm)
		}})
	}
	return out
})

// fuzzOpIndex is the index in fuzzOps of operationId id.
func fuzzOpIndex(id string) uint8 {
	for i, o := range fuzzOps() {
		if o.name == id {
			return uint8(i)
		}
	}
	panic("no operation " + id)
}

// FuzzErrorResponse feeds any status, headers and body to the facade's
// response handling: never a panic; an error status always gives an *Error
// with that status and at most 1 MiB of the body, readable again from
// Response; a 2xx gives a result or an *Error.
func FuzzErrorResponse(f *testing.F) {
	seeds := []struct {
		op      string
		status  int
		headers string
		body    string
	}{
		{"getLink", 404, "Content-Type: application/json", `{"error_code":"link_error.not_found","error_message":"Link not found.","documentation_url":"https://docs.moneykit.com"}`},
		{"getLink", 422, "Content-Type: application/json\nX-Request-Id: r-1", `{"error_code":"api_error.request.validation_failed","validation_errors":[{"loc":["body",0],"msg":"bad","type":"value_error"}]}`},
		{"getLink", 502, "Content-Type: text/html", "<html><body><h1>502 Bad Gateway</h1></body></html>"},
		{"getLink", 500, "Content-Type: application/json", `{"error_code":"api_error.internal`},
		{"getLink", 503, "Content-Type: application/xml", `<?xml version="1.0"?><error><code>503</code></error>`},
		{"getLink", 410, "Content-Type: text/plain", `{"error_code":"link_error.deleted","error_message":"gone"}`},
		{"getLink", 429, "Retry-After: 99999999999999999999\nRetry-After-Ms: -1", `{"error_code":"api_error.rate_limit_exceeded"}`},
		{"getLink", 200, "Content-Type: application/json", `{"link_id":"mk_1","state":"frozen","products":{"x":{}},"extra":[1,{}]}`},
		{"getLink", 200, "Content-Type: application/json", `{"link_id":`},
		{"getLink", 200, "Content-Type: text/html", `<html>maintenance</html>`},
		{"deleteLink", 204, "", ""},
		{"deleteLink", 410, "Content-Type: application/json", `{"error_code":"link_error.deleted"}`},
		{"getUserLinks", 200, "Content-Type: application/json", `{"links":null}`},
		{"createAccessToken", 401, "Content-Type: application/json", `{"error_code":"api_error.auth.unauthorized"}`},
		{"createAccessToken", 201, "Content-Type: application/json", `{"access_token":"","expires_in":-1}`},
		{"getCustomer", 404, "Content-Type: application/json", `{"errorId":12,"errorCode":"NOT_FOUND","errorMessage":"customer not found","errorSeverity":"ERROR"}`},
		{"getCustomer", 401, "Content-Type: application/json", `{"error":"invalid token"}`},
		{"getCustomer", 400, "Content-Type: application/json", `{"errorId":1e999,"errorCode":7}`},
		{"createPayment", 400, "Content-Type: application/json", `{"errorCode":"DUPLICATE_REQUEST_KEY","errorMessage":"A payment with this requestKey already exists."}`},
		{"createPayment", 200, "Content-Type: application/json", `{"paymentId":"p1","paymentStatus":"SOMETHING_NEW","errorDetails":{"errorCode":"X"}}`},
		{"createToken", 400, "Content-Type: application/json", `{"error":"invalid_client"}`},
		{"createToken", 200, "", `null`},
		{"getLink", 301, "Location: https://elsewhere.example/", ""},
		{"getLink", 100, "", ""},
		{"getLink", 999, "Content-Type: application/json; charset=\x00", "\xff\xfe{"},
		{"getCustomer", 500, "Content-Type: application/json", strings.Repeat(`{"a":`, 300)},
	}
	for _, s := range seeds {
		f.Add(fuzzOpIndex(s.op), s.status, s.headers, []byte(s.body))
	}
	// Every operation's answer to the same hostile shapes.
	for i := range fuzzOps() {
		for _, s := range []struct {
			status        int
			headers, body string
		}{
			{200, "Content-Type: application/json", `{"a":`},
			{200, "Content-Type: application/json", `[]`},
			{200, "Content-Type: text/html", "<html>maintenance</html>"},
			{500, "Content-Type: text/html", "<html>oops</html>"},
			{429, "Retry-After: soon", `{}`},
			{302, "Location: https://elsewhere.example/", ""},
		} {
			f.Add(uint8(i), s.status, s.headers, []byte(s.body))
		}
	}

	f.Fuzz(func(t *testing.T, opSel uint8, status int, headers string, body []byte) {
		ops := fuzzOps()
		op := ops[int(opSel)%len(ops)]
		status = fuzzStatus(status)
		rt := &scripted{answer: func(r *http.Request) *http.Response {
			return respond(status, fuzzHeader(headers), body)
		}}
		if op.path == "/auth/token" || op.path == "/v1/tokens" {
			rt.token = rt.answer
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		err := op.call(ctx, []facade.Option{facade.WithCredentials(testClientID, testClientSecret), facade.WithBaseURL("https://api.example"),
			facade.WithHTTPClient(scriptedClient(rt)), facade.WithMaxRetries(0), facade.WithWait(instantWait)})
		if err == nil {
			require.True(t, status >= 200 && status <= 299, "status %d gave no error", status)
			return
		}
		if loc := fuzzHeader(headers).Get("Location"); loc != "" && isRedirect(status) {
			if _, perr := url.Parse(loc); perr != nil {
				// net/http's Client fails on a redirect whose Location does
				// not parse, and closes the answer, before banklink sees it:
				// banklink can only report a *TransportError for it.
				te, ok := err.(*facade.TransportError)
				require.True(t, ok, "status %d: %T %v", status, err, err)
				assert.Equal(t, op.name, te.Operation)
				assert.Equal(t, 1, te.Attempts)
				return
			}
		}
		apiErr, ok := err.(*facade.Error)
		require.True(t, ok, "status %d: %T %v", status, err, err)
		assert.Equal(t, op.name, apiErr.Operation)
		if apiErr.Message == "token response has no access_token" {
			assert.True(t, status >= 200 && status <= 299)
		} else {
			assert.Equal(t, status, apiErr.StatusCode)
		}
		assert.LessOrEqual(t, len(apiErr.Body), transport.MaxErrorBody)
		if (op.name == "createAccessToken" || op.name == "createToken") && status >= 200 && status <= 299 {
			// A token endpoint's refused 2xx is kept with its token redacted.
			assert.NotContains(t, string(apiErr.Body), tokenValueOf(body))
			return
		}
		assert.True(t, bytes.HasPrefix(body, apiErr.Body), "Body is a prefix of what was sent")
		if len(body) <= transport.MaxErrorBody && apiErr.Response != nil {
			assert.Equal(t, len(body), len(apiErr.Body), "a body under the cap is kept whole")
		}
		if apiErr.Response != nil {
			again, rerr := io.ReadAll(apiErr.Response.Body)
			require.NoError(t, rerr)
			assert.Equal(t, apiErr.Body, again)
			if apiErr.Response.Request != nil {
				assert.NotContains(t, apiErr.Response.Request.Header.Get("Authorization"), "tok-fuzz")
			}
		}
		assert.GreaterOrEqual(t, apiErr.RetryAfter, time.Duration(0))
		assert.Equal(t, status >= 500 && status <= 599, errors.Is(err, facade.ErrServer))
		assert.Equal(t, status == 404, errors.Is(err, facade.ErrNotFound))
		msg := err.Error()
		assert.True(t, strings.HasPrefix(msg, "banklink: "), msg)
		assert.Contains(t, msg, strconv.Itoa(apiErr.StatusCode))
		assert.NotContains(t, msg, testClientSecret)
	})
}

// FuzzRetryAfter checks the server's wait hint, parsed directly and as the
// facade acts on it: never negative, never a wait above the cap (a longer
// hint fails at once with *RateLimitError), never a panic.
func FuzzRetryAfter(f *testing.F) {
	for _, s := range []struct{ ms, ra string }{
		{"", "1"}, {"", "0"}, {"", "-1"}, {"", "30"}, {"", "31"}, {"", "+5"}, {"", " 5"}, {"", "1.5"},
		{"", "9223372036"}, {"", "9223372037"}, {"", "99999999999999999999999"}, {"", "-9223372036854775808"},
		{"", "Wed, 21 Oct 2015 07:28:00 GMT"}, {"", "Fri, 31 Dec 9999 23:59:59 GMT"}, {"", "Sunday, 06-Nov-94 08:49:37 GMT"},
		{"", "Sun Nov  6 08:49:37 1994"}, {"", "soon"}, {"", "0x10"},
		{"1500", ""}, {"0.5", ""}, {"-0", ""}, {"-1", "2"}, {"NaN", "3"}, {"Inf", ""}, {"+Inf", "1"}, {"1e308", ""},
		{"9223372036853.999", ""}, {"9223372036854", ""}, {"0x1p20", ""}, {"1_000", ""}, {"30000", ""}, {"30000.001", ""},
		{"4.9e-324", ""}, {"\x00", "\xff"},
	} {
		f.Add(s.ms, s.ra, s.ms != "", s.ra != "", false)
		f.Add(s.ms, s.ra, s.ms != "", s.ra != "", true)
	}
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	f.Fuzz(func(t *testing.T, ms, ra string, setMs, setRA, is429 bool) {
		h := http.Header{}
		if setMs {
			h["Retry-After-Ms"] = []string{ms}
		}
		if setRA {
			h["Retry-After"] = []string{ra}
		}
		d, ok := transport.RetryAfter(h, now)
		assert.GreaterOrEqual(t, d, time.Duration(0), "never negative")
		if !ok {
			assert.Zero(t, d)
		}

		// The same hint through a client: 503 or 429 once, then success. In
		// a synctest bubble the clock stands still while the call runs, so
		// an HTTP-date hint means to the client exactly what it means here.
		synctest.Test(t, func(t *testing.T) {
			const backoff = 7 * time.Millisecond
			status := http.StatusServiceUnavailable
			if is429 {
				status = http.StatusTooManyRequests
			}
			var n atomic.Int64
			rt := &scripted{answer: func(r *http.Request) *http.Response {
				if n.Add(1) == 1 {
					return respond(status, h.Clone(), []byte(`{}`))
				}
				return respond(http.StatusOK, http.Header{"Content-Type": {"application/json"}}, []byte(linkJSON))
			}}
			w := &waits{}
			mk, err := moneykit.New(facade.WithCredentials(testClientID, testClientSecret), facade.WithBaseURL("https://api.example"),
				facade.WithHTTPClient(scriptedClient(rt)), facade.WithWait(w.wait), facade.WithBackoff(facade.ExponentialBackoff{Initial: backoff}))
			require.NoError(t, err)
			ctx, cancel := context.WithTimeout(t.Context(), time.Hour)
			defer cancel()
			start := time.Now()
			d, ok := transport.RetryAfter(h, start) // what the client sees, on its own clock
			_, err = mk.Links.Get(ctx, "mk_1")
			for _, wd := range w.all() {
				assert.GreaterOrEqual(t, wd, time.Duration(0))
				assert.LessOrEqual(t, wd, facade.DefaultMaxRetryAfter, "no wait above the cap")
			}
			var rl *facade.RateLimitError
			switch {
			case ok && d > facade.DefaultMaxRetryAfter:
				require.ErrorAs(t, err, &rl, "a hint over the cap fails at once")
				assert.Empty(t, w.all(), "without waiting")
				assert.Greater(t, rl.RetryAfter, facade.DefaultMaxRetryAfter)
				assert.Equal(t, int64(1), n.Load())
			case ok:
				require.NoError(t, err)
				ws := w.all()
				require.LessOrEqual(t, len(ws), 1)
				if d > 0 {
					assert.Equal(t, []time.Duration{d}, ws, "waits as asked")
				}
				assert.Equal(t, int64(2), n.Load())
			default:
				require.NoError(t, err)
				assert.Equal(t, []time.Duration{backoff}, w.all(), "an unreadable hint means the client's own backoff")
			}
		})
	})
}

// FuzzTokenResponse feeds any status and body to both token endpoints, as
// Auth.Token and as the cache behind every bearer call: a token or a typed
// error, never a panic, and whatever expires_in says, the cache never hands
// out a token past the expiry the server gave.
func FuzzTokenResponse(f *testing.F) {
	for _, s := range []struct {
		status int
		body   string
	}{
		{201, `{"access_token":"tok-a","token_type":"bearer","expires_in":3600}`},
		{200, `{"access_token":"tok-b","token_type":"Bearer","expires_in":1,"scope":"Link-Core"}`},
		{200, `{"access_token":"tok-c","expires_in":0}`},
		{200, `{"access_token":"tok-d","expires_in":-1}`},
		{200, `{"access_token":"tok-e","expires_in":-9223372037}`},
		{200, `{"access_token":"tok-f","expires_in":-18446744073}`},
		{200, `{"access_token":"tok-g","expires_in":9223372036}`},
		{200, `{"access_token":"tok-h","expires_in":9223372037}`},
		{200, `{"access_token":"tok-i","expires_in":9223372036854775807}`},
		{200, `{"access_token":"tok-j","expires_in":1e3}`},
		{200, `{"access_token":"tok-k","expires_in":"3600"}`},
		{200, `{"access_token":"","expires_in":3600}`},
		{200, `{"expires_in":3600}`},
		{200, `{"access_token":null}`},
		{200, `{"access_token":"tok-l"`},
		{200, ``},
		{200, `[]`},
		{200, `<html>login</html>`},
		{400, `{"error":"invalid_grant"}`},
		{401, `{"error_code":"api_error.auth.unauthorized","error_message":"Invalid client credentials."}`},
		{429, `{"error_code":"api_error.rate_limit_exceeded"}`},
		{503, `<html>down</html>`},
	} {
		f.Add(s.status, []byte(s.body), false)
		f.Add(s.status, []byte(s.body), true)
	}
	f.Fuzz(func(t *testing.T, status int, body []byte, lm bool) {
		status = fuzzStatus(status)
		var clock atomic.Int64
		clock.Store(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC).UnixNano())
		now := func() time.Time { return time.Unix(0, clock.Load()) }
		rt := &scripted{
			token: func(r *http.Request) *http.Response {
				return respond(status, http.Header{"Content-Type": {"application/json"}}, body)
			},
			answer: func(r *http.Request) *http.Response {
				return respond(http.StatusOK, http.Header{"Content-Type": {"application/json"}}, []byte(`{"links":{},"id":"c1"}`))
			},
		}
		opts := []facade.Option{facade.WithCredentials(testClientID, testClientSecret), facade.WithBaseURL("https://api.example"),
			facade.WithHTTPClient(scriptedClient(rt)), facade.WithMaxRetries(0), facade.WithWait(instantWait), transport.WithClock(now)}
		tokenPath, tokenOp, callOp := "/auth/token", "createAccessToken", "getUserLinks"
		var direct func() (string, error)
		var call func() error
		if lm {
			tokenPath, tokenOp, callOp = "/v1/tokens", "createToken", "getCustomer"
			c, err := linkmoney.New(opts...)
			require.NoError(t, err)
			direct = func() (string, error) {
				tr, err := c.Auth.Token(context.Background(), linkmoney.TokenScopeLinkCore)
				if err != nil {
					return "", err
				}
				return tr.AccessToken, nil
			}
			call = func() error { _, err := c.Customers.Get(context.Background(), "c1"); return err }
		} else {
			c, err := moneykit.New(opts...)
			require.NoError(t, err)
			direct = func() (string, error) {
				tr, err := c.Auth.Token(context.Background())
				if err != nil {
					return "", err
				}
				return tr.AccessToken, nil
			}
			call = func() error { _, err := c.Users.Links(context.Background(), "user-1"); return err }
		}
		typed := func(err error, ops ...string) {
			t.Helper()
			switch e := err.(type) {
			case *facade.Error:
				assert.Contains(t, ops, e.Operation)
			case *facade.RateLimitError:
				assert.Contains(t, ops, e.Operation)
			case *facade.TransportError:
				assert.Contains(t, ops, e.Operation)
			default:
				t.Fatalf("untyped error %T: %v", err, err)
			}
		}

		tok, err := direct()
		if err != nil {
			typed(err, tokenOp)
		} else {
			assert.NotEmpty(t, tok)
			assert.True(t, status >= 200 && status <= 299)
		}

		err = call()
		fetches := rt.hitCount(tokenPath)
		if err != nil {
			typed(err, tokenOp, callOp)
			return
		}
		// The call went out with the token the server gave: read its expiry.
		var tr struct {
			AccessToken string `json:"access_token"`
			ExpiresIn   int64  `json:"expires_in"`
		}
		require.NoError(t, json.Unmarshal(body, &tr), "a token was used from a body that does not decode")
		require.NotEmpty(t, tr.AccessToken)

		const century = 100 * 365 * 24 * time.Hour
		switch {
		case tr.ExpiresIn == 0:
			// No lifetime named: MoneyKit's documented 60 minutes.
			clock.Add(int64(60 * time.Minute))
		case tr.ExpiresIn < 0:
			// Already expired: the next call must fetch again.
		case tr.ExpiresIn < int64(century/time.Second):
			clock.Add(int64(time.Duration(tr.ExpiresIn) * time.Second))
		default:
			return // valid for a century or more, as the server says
		}
		require.NoError(t, call())
		assert.Equal(t, fetches+1, rt.hitCount(tokenPath), "expires_in %d: the cache handed out a token at or past its expiry", tr.ExpiresIn)
	})
}

// tokenValueOf is the access_token a token body carries, or a string no
// body holds.
func tokenValueOf(body []byte) string {
	var v struct {
		AccessToken string `json:"access_token"`
	}
	if json.Unmarshal(body, &v) != nil || len(v.AccessToken) < 4 {
		return "\x00no token\x00"
	}
	return v.AccessToken
}
