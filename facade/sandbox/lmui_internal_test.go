package sandbox

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/banklink/banklink/gen/linkmoney"
)

// lmWalk is a browser-less walk through the hosted UI: it keeps the
// current page's flow and token and posts the next step's form.
type lmWalk struct {
	t           *testing.T
	u           string
	flow, token string
}

func (w *lmWalk) read(r *http.Response) string {
	w.t.Helper()
	b, err := io.ReadAll(r.Body)
	require.NoError(w.t, err)
	require.NoError(w.t, r.Body.Close())
	body := string(b)
	if _, after, ok := strings.Cut(body, `name="flow" value="`); ok {
		w.flow, _, _ = strings.Cut(after, `"`)
	}
	if _, after, ok := strings.Cut(body, `name="token" value="`); ok {
		w.token, _, _ = strings.Cut(after, `"`)
	}
	return body
}

func (w *lmWalk) post(kv ...string) (*http.Response, string) {
	w.t.Helper()
	form := url.Values{"flow": {w.flow}, "token": {w.token}}
	for i := 0; i+1 < len(kv); i += 2 {
		form.Set(kv[i], kv[i+1])
	}
	r, err := http.PostForm(w.u, form)
	require.NoError(w.t, err)
	return r, w.read(r)
}

func TestLinkMoneyPageReportsAPaymentItCouldNotMake(t *testing.T) {
	// A LINK_MANAGED_PAYMENT session whose payment cannot be made (here an
	// amount no request could carry) still links the customer; the page
	// shows the error and returns the exit status, never status=200.
	s := Start(t)
	key := s.ids.sessionKey()
	s.mu.Lock()
	s.lm.sessions[key] = &lmSession{
		firstName: "Ada", created: s.Now(), experience: string(linkmoney.ExperienceIDLINKMANAGEDPAYMENT), redirect: "https://shop.example/back",
		payment: &linkmoney.PaymentDetails{Amount: linkmoney.Amount{Value: "0", Currency: linkmoney.AmountCurrencyUSD}, RequestKey: "rk-unpaid"},
	}
	s.mu.Unlock()
	r, err := http.Get(s.URL() + lmUIPath + "?redirect=https%3A%2F%2Fshop.example%2Fback&version=web-v1.0.0&sessionKey=" + key)
	require.NoError(t, err)
	w := &lmWalk{t: t, u: s.URL() + lmUIPath}
	w.read(r)
	require.Equal(t, http.StatusOK, r.StatusCode)
	w.post("action", "continue")
	w.post("action", "bank", "bank", "FinBank Profiles - A")
	w.post("action", "continue", "username", lmProfileGood, "password", lmProfileGood)
	w.post("action", "continue", "account", "0")
	r, body := w.post("action", "pay")

	assert.Equal(t, http.StatusBadRequest, r.StatusCode)
	assert.Contains(t, body, "The payment could not be made")
	assert.Contains(t, body, "no payment was made")
	s.mu.RLock()
	sess := s.lm.sessions[key]
	cid, pid, payments := sess.customerID, sess.paymentID, len(s.lm.payments)
	s.mu.RUnlock()
	require.NotEmpty(t, cid, "the customer was linked")
	assert.Empty(t, pid)
	assert.Zero(t, payments)
	back := "https://shop.example/back?customerId=" + cid + "&amp;status=" + lmExitStatus
	assert.Contains(t, body, `href="`+back+`"`)
	assert.NotContains(t, body, "status=200")
}
