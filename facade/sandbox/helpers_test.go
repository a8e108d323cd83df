package sandbox_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/banklink/banklink/facade/sandbox"
	"github.com/banklink/banklink/gen/linkmoney"
	"github.com/banklink/banklink/gen/moneykit"
	"github.com/banklink/banklink/internal/memnet"
)

func ptr[T any](v T) *T { return &v }

var mkVersion = ptr(moneykit.SupportedVersionN20230218)

// startMem is sandbox.Start on an in-memory network, for a synctest bubble:
// the returned client (no keep-alives, like freshConns) is the only way to
// reach it, and the sandbox's own timers run on the bubble's clock.
func startMem(t *testing.T, cfg sandbox.Config) (*sandbox.Sandbox, *http.Client) {
	t.Helper()
	sb := sandbox.New(cfg)
	srv, ln := memnet.NewServer(t, sb.Handler())
	sb.SetURL(srv.URL)
	hc := memnet.Client(t, &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}, ln)
	return sb, hc
}

func mkClient(t testing.TB, sb *sandbox.Sandbox) *moneykit.ClientWithResponses {
	t.Helper()
	c, err := moneykit.NewClientWithResponses(sb.MoneyKit().BaseURL)
	require.NoError(t, err)
	return c
}

func lmClient(t testing.TB, sb *sandbox.Sandbox) *linkmoney.ClientWithResponses {
	t.Helper()
	c, err := linkmoney.NewClientWithResponses(sb.LinkMoney().BaseURL)
	require.NoError(t, err)
	return c
}

func bearer(tok string) moneykit.RequestEditorFn {
	return func(_ context.Context, r *http.Request) error {
		r.Header.Set("Authorization", "Bearer "+tok)
		return nil
	}
}

func lmBearer(tok string) linkmoney.RequestEditorFn {
	return func(_ context.Context, r *http.Request) error {
		r.Header.Set("Authorization", "Bearer "+tok)
		return nil
	}
}

func lmBasic(id, secret string) linkmoney.RequestEditorFn {
	return func(_ context.Context, r *http.Request) error {
		r.SetBasicAuth(id, secret)
		return nil
	}
}

// mkToken gets a MoneyKit access token for creds.
func mkToken(t testing.TB, c *moneykit.ClientWithResponses, creds sandbox.Credentials) string {
	t.Helper()
	res, err := c.CreateAccessTokenWithFormdataBodyWithResponse(context.Background(), &moneykit.CreateAccessTokenParams{MoneyKitVersion: mkVersion},
		moneykit.CreateAccessTokenRequest{ClientId: &creds.ClientID, ClientSecret: &creds.ClientSecret, GrantType: ptr(moneykit.CreateAccessTokenRequestGrantType("client_credentials"))})
	require.NoError(t, err)
	require.Equal(t, http.StatusCreated, res.StatusCode(), string(res.Body))
	return res.JSON201.AccessToken
}

// lmToken gets a Link Money access token of one scope.
func lmToken(t testing.TB, c *linkmoney.ClientWithResponses, scope linkmoney.TokenScope) string {
	t.Helper()
	res, err := c.CreateTokenWithFormdataBodyWithResponse(context.Background(), linkmoney.TokenRequest{
		ClientId: ptr(sandbox.LinkMoneyClientID), ClientSecret: sandbox.LinkMoneyClientSecret,
		GrantType: linkmoney.TokenRequestGrantTypeClientCredentials, Scope: &scope,
	})
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, res.StatusCode(), string(res.Body))
	return res.JSON200.AccessToken
}

func sessionRequest(user string) moneykit.CreateLinkSessionRequest {
	return moneykit.CreateLinkSessionRequest{
		CustomerUser: moneykit.LinkSessionCustomerUser{Id: user},
		RedirectUri:  "https://app.example/oauth",
	}
}

func createSession(t testing.TB, c *moneykit.ClientWithResponses, tok string, req moneykit.CreateLinkSessionRequest) string {
	t.Helper()
	res, err := c.CreateLinkSessionWithResponse(context.Background(), &moneykit.CreateLinkSessionParams{MoneyKitVersion: mkVersion}, req, bearer(tok))
	require.NoError(t, err)
	require.Equal(t, http.StatusCreated, res.StatusCode(), string(res.Body))
	return res.JSON201.LinkSessionToken
}

func exchange(t testing.TB, c *moneykit.ClientWithResponses, tok, exch string) *moneykit.ExchangeTokenResult {
	t.Helper()
	res, err := c.ExchangeTokenWithResponse(context.Background(), &moneykit.ExchangeTokenParams{MoneyKitVersion: mkVersion},
		moneykit.ExchangeTokenRequest{ExchangeableToken: exch}, bearer(tok))
	require.NoError(t, err)
	return res
}

// newLink runs session → Connect → exchange and returns the link id.
func newLink(t testing.TB, sb *sandbox.Sandbox, c *moneykit.ClientWithResponses, tok string, req moneykit.CreateLinkSessionRequest, opt sandbox.ConnectOptions) string {
	t.Helper()
	lst := createSession(t, c, tok, req)
	exch, err := sb.CompleteLinkSession(lst, opt)
	require.NoError(t, err)
	res := exchange(t, c, tok, exch)
	require.Equal(t, http.StatusCreated, res.StatusCode(), string(res.Body))
	return res.JSON201.Link.LinkId
}

func getLink(t testing.TB, c *moneykit.ClientWithResponses, tok, id string) *moneykit.GetLinkResult {
	t.Helper()
	res, err := c.GetLinkWithResponse(context.Background(), id, &moneykit.GetLinkParams{MoneyKitVersion: mkVersion}, bearer(tok))
	require.NoError(t, err)
	return res
}

// mkErrorOf decodes a MoneyKit error body.
func mkErrorOf(t testing.TB, body []byte) map[string]any {
	t.Helper()
	var m map[string]any
	require.NoError(t, json.Unmarshal(body, &m), string(body))
	return m
}

// rawDo sends a raw request to the sandbox.
func rawDo(t testing.TB, method, url, contentType, body string, header map[string]string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	require.NoError(t, err)
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	res, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	return res, b
}

func postJSON(t testing.TB, url string, v any) (*http.Response, []byte) {
	t.Helper()
	b, err := json.Marshal(v)
	require.NoError(t, err)
	return rawDo(t, http.MethodPost, url, "application/json", string(bytes.TrimSpace(b)), nil)
}

func fakeClockConfig() (sandbox.Config, *sandbox.FakeClock) {
	fc := sandbox.NewFakeClock(time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC))
	return sandbox.Config{Clock: fc}, fc
}

func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }

func httpServer(t testing.TB, h http.Handler) string {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv.URL
}
