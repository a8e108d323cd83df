package transport_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/banklink/banklink/facade"
	"github.com/banklink/banklink/facade/internal/transport"
	"github.com/banklink/banklink/facade/linkmoney"
	"github.com/banklink/banklink/facade/moneykit"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestPlainHTTPRefused(t *testing.T) {
	for _, tc := range []struct {
		url string
		ok  bool
	}{
		{"http://api.moneykit.com", false},
		{"http://10.0.0.1:8080", false},
		{"http://localhost.evil.com", false},
		{"http://127.0.0.1:8080", true},
		{"http://127.5.6.7", true},
		{"http://[::1]:9000", true},
		{"http://localhost:3000", true},
		{"http://api.localhost", false}, // a proxy or resolver may not treat it as loopback
		{"http://LOCALHOST:3000", true},
		{"http://localhost.:3000", false},
		{"http://0.0.0.0:3000", false},
		{"https://api.moneykit.com", true},
		{"ftp://api.moneykit.com", false},
		{"https://user:pw@api.moneykit.com", false},
		{"not a url", false},
		{"https://api.example/x?y=1", false},
	} {
		_, err := moneykit.New(facade.WithCredentials("id", "secret"), facade.WithBaseURL(tc.url))
		_, err2 := linkmoney.New(facade.WithCredentials("id", "secret"), facade.WithBaseURL(tc.url))
		if tc.ok {
			assert.NoError(t, err, tc.url)
			assert.NoError(t, err2, tc.url)
		} else {
			assert.Error(t, err, tc.url)
			assert.Error(t, err2, tc.url)
		}
		if err != nil {
			assert.NotContains(t, err.Error(), "secret")
		}
	}
	_, err := moneykit.New(facade.WithCredentials("id", "secret"), facade.WithBaseURL("http://api.moneykit.com"))
	assert.ErrorContains(t, err, "plain-http")
}

func TestEnvironmentVariableDefaults(t *testing.T) {
	env := map[string]string{
		moneykit.EnvClientID: "mk-id", moneykit.EnvClientSecret: "mk-secret", moneykit.EnvBaseURL: "https://mk.example/v",
		linkmoney.EnvClientID: "lm-id", linkmoney.EnvClientSecret: "lm-secret",
	}
	getenv := func(k string) string { return env[k] }
	// The client's id, secret and base URL are read from its token request.
	var (
		sentURL  string
		sentForm url.Values
	)
	hc := scriptedClient(roundTripFunc(func(r *http.Request) (*http.Response, error) {
		sentURL = r.URL.String()
		b, _ := io.ReadAll(r.Body)
		sentForm, _ = url.ParseQuery(string(b))
		return respond(http.StatusOK, http.Header{"Content-Type": {contentJSON}}, []byte(`{"access_token":"tok","token_type":"bearer","expires_in":3600}`)), nil
	}))
	mkToken := func(opts ...facade.Option) {
		t.Helper()
		mk, err := moneykit.New(append([]facade.Option{facade.WithHTTPClient(hc)}, opts...)...)
		require.NoError(t, err)
		_, err = mk.Auth.Token(context.Background())
		require.NoError(t, err)
	}
	lmToken := func(opts ...facade.Option) {
		t.Helper()
		lm, err := linkmoney.New(append([]facade.Option{facade.WithHTTPClient(hc)}, opts...)...)
		require.NoError(t, err)
		_, err = lm.Auth.Token(context.Background(), linkmoney.TokenScopeLinkCore)
		require.NoError(t, err)
	}

	mkToken(transport.WithGetenv(getenv))
	assert.Equal(t, "mk-id", sentForm.Get("client_id"))
	assert.Equal(t, "mk-secret", sentForm.Get("client_secret"))
	assert.Equal(t, "https://mk.example/v/auth/token", sentURL)

	lmToken(transport.WithGetenv(getenv))
	assert.Equal(t, "lm-id", sentForm.Get("client_id"))
	assert.Equal(t, "lm-secret", sentForm.Get("client_secret"))
	assert.Equal(t, linkmoney.BaseURL+"/v1/tokens", sentURL)

	lmToken(transport.WithGetenv(getenv), facade.WithEnvironment(facade.Sandbox))
	assert.Equal(t, linkmoney.SandboxBaseURL+"/v1/tokens", sentURL)

	env[linkmoney.EnvBaseURL] = "https://lm.example"
	lmToken(transport.WithGetenv(getenv), facade.WithEnvironment(facade.Sandbox))
	assert.Equal(t, "https://lm.example/v1/tokens", sentURL, "the env base URL beats the environment")

	// Options beat the environment.
	mkToken(transport.WithGetenv(getenv), facade.WithCredentials("opt-id", "opt-secret"), facade.WithBaseURL("https://opt.example"))
	assert.Equal(t, "opt-id", sentForm.Get("client_id"))
	assert.Equal(t, "https://opt.example/auth/token", sentURL)

	// MoneyKit ignores the environment setting.
	mkToken(transport.WithGetenv(func(string) string { return "" }), facade.WithCredentials("a", "b"), facade.WithEnvironment(facade.Sandbox))
	assert.Equal(t, moneykit.BaseURL+"/auth/token", sentURL)

	_, err := moneykit.New(transport.WithGetenv(func(string) string { return "" }))
	assert.ErrorContains(t, err, moneykit.EnvClientID)
}

func TestInvalidOptions(t *testing.T) {
	for name, o := range map[string]facade.Option{
		"retries":     facade.WithMaxRetries(-1),
		"timeout":     facade.WithAttemptTimeout(-time.Second),
		"retry-after": facade.WithMaxRetryAfter(-time.Second),
		"backoff":     facade.WithBackoff(nil),
		"policy":      facade.WithRetryPolicy(nil),
		"wait":        facade.WithWait(nil),
		"http":        facade.WithHTTPClient(nil),
		"environment": facade.WithEnvironment(facade.Environment(7)),
	} {
		_, err := moneykit.New(facade.WithCredentials("a", "b"), o)
		assert.Error(t, err, name)
	}
}

func TestHeadersOnEveryCall(t *testing.T) {
	f := newFakeAPI(t)
	for idx, oc := range opCalls {
		if idx != "createAccessToken" && idx != "createToken" {
			f.handle(oc.route, jsonReply(200, `{}`))
		}
	}
	f.handle("GET /links/mk_1", jsonReply(200, linkJSON))
	mk := f.moneyKit(facade.WithUserAgent("acme-checkout/2.1"))
	lm := f.linkMoney()
	for idx, oc := range opCalls {
		if idx == "createAccessToken" || idx == "createToken" {
			continue
		}
		_ = oc.call(context.Background(), mk, lm)
		hs := f.headersOf(oc.route)
		require.NotEmpty(t, hs, oc.route)
		h := hs[len(hs)-1]
		assert.Equal(t, "application/json", h.Get("Accept"), oc.route)
		if opProvider(t, idx) == facade.ProviderMoneyKit {
			assert.Equal(t, "2023-02-18", h.Get("MoneyKit-Version"), oc.route)
			assert.Equal(t, "acme-checkout/2.1 banklink-go/"+facade.Version, h.Get("User-Agent"), oc.route)
		} else {
			assert.Empty(t, h.Get("MoneyKit-Version"), oc.route)
			assert.Equal(t, "banklink-go/"+facade.Version, h.Get("User-Agent"), oc.route)
		}
	}
	jwks := f.headersOf("GET /.well-known/jwks.json")[0]
	assert.Equal(t, testClientID, jwks.Get("X-Client-Id"))
	assert.Empty(t, jwks.Get("Authorization"))
}

func TestBaseURLPathPrefixKept(t *testing.T) {
	var got string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/auth/token") {
			jsonReply(201, `{"access_token":"a","token_type":"bearer","expires_in":3600}`)(w, r)
			return
		}
		got = r.URL.Path
		jsonReply(200, linkJSON)(w, r)
	}))
	defer srv.Close()
	mk, err := moneykit.New(facade.WithCredentials("a", "b"), facade.WithBaseURL(srv.URL+"/proxy/mk"))
	require.NoError(t, err)
	_, err = mk.Links.Get(context.Background(), "mk_1")
	require.NoError(t, err)
	assert.Equal(t, "/proxy/mk/links/mk_1", got)
}

func TestPathParametersEscaped(t *testing.T) {
	var uris []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/auth/token" {
			jsonReply(201, `{"access_token":"a","token_type":"bearer","expires_in":3600}`)(w, r)
			return
		}
		uris = append(uris, r.RequestURI)
		jsonReply(200, linkJSON)(w, r)
	}))
	defer srv.Close()
	mk, err := moneykit.New(facade.WithCredentials("a", "b"), facade.WithBaseURL(srv.URL))
	require.NoError(t, err)
	_, err = mk.Links.Get(context.Background(), "a b+c;d=e@f")
	require.NoError(t, err)
	require.Len(t, uris, 1)
	assert.Equal(t, "/links/a%20b+c%3Bd=e@f", uris[0], "an id is escaped into one segment")
	// An id that would leave its segment is refused before sending (TestPathParameterOneSegment).
	_, err = mk.Links.Get(context.Background(), "../users/x?y=1#z")
	require.ErrorIs(t, err, facade.ErrInvalidRequest)
	assert.Len(t, uris, 1)
}

func TestDefaultHTTPClient(t *testing.T) {
	c := facade.DefaultHTTPClient()
	require.NotZero(t, c.Timeout)
	tr := c.Transport.(*http.Transport)
	assert.GreaterOrEqual(t, tr.MaxIdleConnsPerHost, 64)
	assert.GreaterOrEqual(t, tr.MaxIdleConns, tr.MaxIdleConnsPerHost)
	assert.NotZero(t, tr.IdleConnTimeout)
	assert.NotZero(t, tr.TLSHandshakeTimeout)
	assert.NotZero(t, tr.ResponseHeaderTimeout)
	assert.True(t, tr.ForceAttemptHTTP2)
	assert.NotSame(t, http.DefaultTransport, tr)
	// Redirects are not followed.
	srv := httptest.NewServer(http.RedirectHandler("https://elsewhere.example/", http.StatusFound))
	defer srv.Close()
	resp, err := c.Get(srv.URL)
	require.NoError(t, err)
	_ = resp.Body.Close()
	assert.Equal(t, http.StatusFound, resp.StatusCode)
}

func TestAttemptTimeoutRetriesSafeCalls(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newMemFakeAPI(t)
		block := make(chan struct{})
		defer close(block)
		f.handle("GET /links/mk_1", sequence(func(w http.ResponseWriter, r *http.Request) {
			select {
			case <-block:
			case <-r.Context().Done():
			}
		}, jsonReply(200, linkJSON)))
		start := time.Now()
		_, err := f.moneyKit(facade.WithAttemptTimeout(50*time.Millisecond)).Links.Get(t.Context(), "mk_1")
		require.NoError(t, err)
		assert.Equal(t, 2, f.hitCount("GET /links/mk_1"))
		assert.Equal(t, 50*time.Millisecond, time.Since(start), "the stalled attempt was given up at its timeout and retried at once")
	})
}
