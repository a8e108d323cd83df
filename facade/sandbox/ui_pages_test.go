package sandbox_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/banklink/banklink/facade/sandbox"
	"github.com/banklink/banklink/gen/linkmoney"
)

// The pages' rules that need no browser: what they refuse, and the headers
// they send.

func TestConnectPageRefusesBadOrigins(t *testing.T) {
	sb := sandbox.Start(t)
	mk := mkClient(t, sb)
	tok := createSession(t, mk, mkToken(t, mk, sb.MoneyKit()), sessionRequest("user-origins"))
	start := sb.MoneyKit().BaseURL + "/connect/start?linkSessionToken=" + url.QueryEscape(tok) + "&origin="
	for _, origin := range []string{"", "javascript:alert(1)", "https://app.example/path", "https://app.example/?q=1", "https://user@app.example", "*"} {
		r, body := rawDo(t, http.MethodGet, start+url.QueryEscape(origin), "", "", nil)
		assert.Equal(t, http.StatusBadRequest, r.StatusCode, origin)
		assert.Contains(t, string(body), "origin parameter", origin)
		assert.Contains(t, r.Header.Get("Content-Security-Policy"), "frame-ancestors 'none'", origin)
	}
	r, body := rawDo(t, http.MethodGet, start+url.QueryEscape("http://localhost:8000"), "", "", nil)
	require.Equal(t, http.StatusOK, r.StatusCode, string(body))
	csp := r.Header.Get("Content-Security-Policy")
	assert.Equal(t, "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors http://localhost:8000", csp)
	assert.NotContains(t, string(body), "<script>", "no inline script")
	assert.NotContains(t, string(body), "style=", "no inline style")
	assert.Contains(t, string(body), `data-origin="http://localhost:8000"`)

	r, _ = rawDo(t, http.MethodGet, sb.MoneyKit().BaseURL+"/connect/start?linkSessionToken=nope&origin=http%3A%2F%2Flocalhost%3A8000", "", "", nil)
	assert.Equal(t, http.StatusNotFound, r.StatusCode)

	r, body = rawDo(t, http.MethodGet, sb.MoneyKit().BaseURL+"/connect/connect.js", "", "", nil)
	require.Equal(t, http.StatusOK, r.StatusCode)
	assert.Equal(t, "text/javascript; charset=utf-8", r.Header.Get("Content-Type"))
	assert.Contains(t, string(body), "window.MoneyKit = MoneyKit")
	assert.NotContains(t, string(body), `"*"`, "no message goes to any origin")
}

func TestLinkMoneyPageRefusesScriptRedirects(t *testing.T) {
	sb := sandbox.Start(t)
	lm := lmClient(t, sb)
	req := lmSessionRequest()
	req.RedirectUrl = "javascript:alert(1)"
	res, err := lm.CreateSessionWithResponse(context.Background(), req, basicOK())
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, res.StatusCode(), "the spec takes any URI: the page is what refuses it")
	r, body := rawDo(t, http.MethodGet, res.JSON200.SessionUrl, "", "", nil)
	assert.Equal(t, http.StatusBadRequest, r.StatusCode)
	assert.Contains(t, string(body), "http or https")
}

func TestLinkMoneyPageRefusesForeignForms(t *testing.T) {
	sb := sandbox.Start(t)
	lm := lmClient(t, sb)
	res, err := lm.CreateSessionWithResponse(context.Background(), lmSessionRequest(), basicOK())
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, res.StatusCode())
	r, body := rawDo(t, http.MethodGet, res.JSON200.SessionUrl, "", "", nil)
	require.Equal(t, http.StatusOK, r.StatusCode, string(body))
	assert.Equal(t, "DENY", r.Header.Get("X-Frame-Options"))
	flow := between(string(body), `name="flow" value="`, `"`)
	require.NotEmpty(t, flow)
	for _, tc := range []struct {
		form   url.Values
		status int
	}{
		{url.Values{"flow": {flow}, "token": {"forged"}, "action": {"continue"}}, http.StatusForbidden},
		{url.Values{"flow": {flow}, "action": {"continue"}}, http.StatusForbidden},
		{url.Values{"flow": {"flow_unknown"}, "token": {"x"}, "action": {"continue"}}, http.StatusNotFound},
	} {
		r, _ := postForm(t, sb.URL()+"/linkmoney/ui/", tc.form)
		assert.Equal(t, tc.status, r.StatusCode, "%v", tc.form)
	}
	// Nothing was completed by those posts.
	_, err = sb.CompleteSession(res.JSON200.SessionKey)
	assert.NoError(t, err)
}

func TestControlAndPagesShareRules(t *testing.T) {
	// A session completed through the control endpoint cannot be completed
	// again through the page, and the page says so.
	sb := sandbox.Start(t)
	lm := lmClient(t, sb)
	req := lmSessionRequest()
	req.ExperienceId = linkmoney.ExperienceIDLINKMANAGEDPAYMENT
	req.PaymentDetails = linkmoney.PaymentDetails{Amount: amount("25.00"), RequestKey: "rk-shared"}
	res, err := lm.CreateSessionWithResponse(context.Background(), req, basicOK())
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, res.StatusCode())
	paid, err := sandbox.Pay(context.Background(), nil, sb.LinkMoney().BaseURL, res.JSON200.SessionKey)
	require.NoError(t, err)
	assert.NotEmpty(t, paid.PaymentID)
	r, body := rawDo(t, http.MethodGet, res.JSON200.SessionUrl, "", "", nil)
	assert.Equal(t, http.StatusConflict, r.StatusCode)
	assert.Contains(t, string(body), "already completed")
}

func between(s, from, to string) string {
	_, after, ok := strings.Cut(s, from)
	if !ok {
		return ""
	}
	v, _, _ := strings.Cut(after, to)
	return v
}

func TestPagesScriptTakesNoMessages(t *testing.T) {
	// The pages post to the front end's origin; they read no message from
	// any window, so the script registers no message listener at all.
	sb := sandbox.Start(t)
	for _, u := range []string{sb.MoneyKit().BaseURL + "/connect/static/pages.js", sb.URL() + "/linkmoney/ui/static/pages.js"} {
		r, body := rawDo(t, http.MethodGet, u, "", "", nil)
		require.Equal(t, http.StatusOK, r.StatusCode, u)
		assert.Contains(t, string(body), "postMessage(msg, origin)", u)
		assert.NotContains(t, string(body), `addEventListener("message"`, u)
	}
}

func TestConnectExitTakesNoOriginFromTheForm(t *testing.T) {
	// Close without a valid flow: whatever origin the post names, the
	// answer may be framed by nobody and tells nobody anything.
	sb := sandbox.Start(t)
	step := sb.MoneyKit().BaseURL + "/connect/step"
	for _, form := range []url.Values{
		{"action": {"exit"}, "origin": {"https://evil.example"}, "error": {"link_session_error.invalid_token"}},
		{"action": {"exit"}, "flow": {"flow_unknown"}, "token": {"x"}, "origin": {"https://evil.example"}},
	} {
		r, body := postForm(t, step, form)
		assert.Equal(t, http.StatusOK, r.StatusCode)
		assert.Contains(t, r.Header.Get("Content-Security-Policy"), "frame-ancestors 'none'")
		assert.NotContains(t, body, "evil.example")
		assert.Contains(t, body, `data-messages=""`)
	}

	// An error page opened for a front end carries a flow bound to that
	// origin: its Close tells that origin, and only it, link.exit.
	r, page := rawDo(t, http.MethodGet, sb.MoneyKit().BaseURL+"/connect/start?linkSessionToken=nope&origin=http%3A%2F%2Flocalhost%3A8000", "", "", nil)
	require.Equal(t, http.StatusNotFound, r.StatusCode)
	assert.Contains(t, r.Header.Get("Content-Security-Policy"), "frame-ancestors http://localhost:8000")
	flow, token := between(string(page), `name="flow" value="`, `"`), between(string(page), `name="token" value="`, `"`)
	require.NotEmpty(t, flow)
	require.NotEmpty(t, token)
	// The flow completes nothing: a step posted with it is refused.
	r, _ = postForm(t, step, url.Values{"action": {"continue"}, "flow": {flow}, "token": {token}})
	assert.Equal(t, http.StatusNotFound, r.StatusCode)
	r, body := postForm(t, step, url.Values{"action": {"exit"}, "flow": {flow}, "token": {token},
		"origin": {"https://evil.example"}, "error": {"link_session_error.invalid_token"}})
	assert.Equal(t, http.StatusOK, r.StatusCode)
	assert.Contains(t, r.Header.Get("Content-Security-Policy"), "frame-ancestors http://localhost:8000")
	assert.Contains(t, body, `data-origin="http://localhost:8000"`)
	assert.Contains(t, body, "link_session_error.invalid_token")
	assert.NotContains(t, body, "evil.example")
	// Once closed, the flow is gone.
	r, body = postForm(t, step, url.Values{"action": {"exit"}, "flow": {flow}, "token": {token}})
	assert.Contains(t, r.Header.Get("Content-Security-Policy"), "frame-ancestors 'none'")
	assert.Contains(t, body, `data-messages=""`)
}

func TestSessionsExpire(t *testing.T) {
	// A link session and a Link Money session can be completed for 30
	// minutes of sandbox time after they were made, through every front
	// door: the pages, the Go methods and the control endpoints.
	cfg, _ := fakeClockConfig()
	sb := sandbox.Start(t, cfg)
	mk := mkClient(t, sb)
	mkTok := mkToken(t, mk, sb.MoneyKit())
	lm := lmClient(t, sb)
	newLM := func() *linkmoney.SessionResponse {
		res, err := lm.CreateSessionWithResponse(context.Background(), lmSessionRequest(), basicOK())
		require.NoError(t, err)
		require.Equal(t, http.StatusOK, res.StatusCode())
		return res.JSON200
	}
	mkOld, mkEdge := createSession(t, mk, mkTok, sessionRequest("user-old")), createSession(t, mk, mkTok, sessionRequest("user-edge"))
	lmOld, lmEdge, lmLate := newLM(), newLM(), newLM()

	sb.Advance(29 * time.Minute)
	// A page opened in time, whose flow is still young when the session ends.
	r, page := rawDo(t, http.MethodGet, lmLate.SessionUrl, "", "", nil)
	require.Equal(t, http.StatusOK, r.StatusCode, string(page))
	flow, token := between(string(page), `name="flow" value="`, `"`), between(string(page), `name="token" value="`, `"`)
	require.NotEmpty(t, token)
	sb.Advance(time.Minute)
	// Exactly 30 minutes old: still open.
	_, err := sb.CompleteLinkSession(mkEdge, sandbox.ConnectOptions{})
	require.NoError(t, err)
	_, err = sb.CompleteSession(lmEdge.SessionKey)
	require.NoError(t, err)
	sb.Advance(time.Second)

	start := sb.MoneyKit().BaseURL + "/connect/start?origin=http%3A%2F%2Flocalhost%3A8000&linkSessionToken=" + url.QueryEscape(mkOld)
	r, body := rawDo(t, http.MethodGet, start, "", "", nil)
	assert.Equal(t, http.StatusGone, r.StatusCode)
	assert.Contains(t, string(body), "expired")
	r, body = rawDo(t, http.MethodGet, lmOld.SessionUrl, "", "", nil)
	assert.Equal(t, http.StatusGone, r.StatusCode)
	assert.Contains(t, string(body), "expired")

	_, err = sb.CompleteLinkSession(mkOld, sandbox.ConnectOptions{})
	assert.ErrorIs(t, err, sandbox.ErrSessionExpired)
	_, err = sandbox.Connect(context.Background(), nil, sb.MoneyKit().BaseURL, mkOld, sandbox.ConnectOptions{})
	assert.ErrorIs(t, err, sandbox.ErrSessionExpired)
	r, _ = postJSON(t, sb.URL()+"/_sandbox/moneykit/connect", map[string]string{"link_session_token": mkOld})
	assert.Equal(t, http.StatusGone, r.StatusCode)
	_, err = sb.CompleteSession(lmOld.SessionKey)
	assert.ErrorIs(t, err, sandbox.ErrSessionExpired)
	_, err = sandbox.Pay(context.Background(), nil, sb.LinkMoney().BaseURL, lmOld.SessionKey)
	assert.ErrorIs(t, err, sandbox.ErrSessionExpired)

	// The young flow of an expired session completes nothing.
	lmUI := sb.URL() + "/linkmoney/ui/"
	for _, step := range []url.Values{
		{"action": {"continue"}},
		{"action": {"bank"}, "bank": {"FinBank Profiles - A"}},
		{"action": {"continue"}, "username": {"profile_522"}, "password": {"profile_522"}},
	} {
		step.Set("flow", flow)
		step.Set("token", token)
		r, body := postForm(t, lmUI, step)
		require.Equal(t, http.StatusOK, r.StatusCode, body)
	}
	r, last := postForm(t, lmUI, url.Values{"flow": {flow}, "token": {token}, "action": {"continue"}, "account": {"0"}})
	assert.Equal(t, http.StatusGone, r.StatusCode)
	assert.Contains(t, last, "expired")
	assert.NotContains(t, last, "customerId=")
	// Nothing was made from the expired sessions.
	assert.Zero(t, userLinks(t, sb, mkTok, "user-old"))
}
