package sandbox

import (
	"errors"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/banklink/banklink/gen/moneykit"
)

// MoneyKit Connect's pages. A front end loads {MONEYKIT_BASE_URL}/connect/connect.js,
// whose window.MoneyKit opens {MONEYKIT_BASE_URL}/connect/start in an
// overlay iframe; the pages walk the link session's steps (products,
// institution, login, accounts) and tell the front end the outcome with
// MoneyKit's postMessage types, posted to exactly the origin the page was
// opened for. The steps end in completeLinkSession, the same rules as
// CompleteLinkSession and POST /_sandbox/moneykit/connect.

// connectFlow is one opening of Connect for a link session.
type connectFlow struct {
	id, token   string // the flow's handle and the token its forms carry
	session     string // the link session token
	origin      string // the front end's origin
	started     time.Time
	step        string
	relink      bool
	relinkInst  string // the institution of the link a relink reconnects
	products    []requestedProduct
	sessionInst string // the session's institution_id ("" lets the user pick)
	redirectURI string
	hasCustom   bool

	inst     string   // the institution chosen
	deny     []string // optional products the user turned down
	custom   bool     // logged in as user_custom
	linkID   string   // the link to be, whose accounts are shown
	accounts []*account
	oauthOK  bool
	done     bool
}

// Connect's steps.
const (
	stepProducts    = "products"
	stepInstitution = "institution"
	stepLogin       = "login"
	stepOAuth       = "oauth"
	stepOAuthDone   = "oauth_done"
	stepAccounts    = "accounts"
	stepDone        = "done"
	stepExit        = "exit"
	stepError       = "error"
	stepAuthorize   = "authorize"
	stepReturn      = "return"
)

// Connect's error ids, as the front end's onExit receives them.
const (
	exitInvalidSession = "link_session_error.invalid_token"
	exitOAuthDenied    = "user_oauth_denied"
)

var productNames = map[string]string{
	"accounts": "Accounts and balances", "account_numbers": "Account and routing numbers",
	"identity": "Identity (names, addresses)", "transactions": "Transactions", "investments": "Investments",
}

// connectPage starts a Connect page for flow f (nil for a page without one).
func connectPage(f *connectFlow, heading, step string) uiPage {
	p := uiPage{Provider: "MoneyKit Connect", Heading: heading, Step: step, Action: connectPath + "step", Static: connectPath + "static/"}
	if f != nil {
		p.Flow, p.Token, p.Origin = f.id, f.token, f.origin
	}
	return p
}

func frameFor(origin string) string {
	if origin == "" {
		return "'none'"
	}
	return origin
}

// connectError renders an error page; the caller holds pages.mu. A page
// opened for a front end's origin gets a flow of its own that only its
// Close button can use, bound to that origin: closing it tells that front
// end link.exit with the error. Without an origin the page may be framed
// by nobody.
func (s *Sandbox) connectError(w http.ResponseWriter, status int, origin, msg string) {
	p := connectPage(nil, "Connect cannot continue", stepError)
	p.Error, p.ExitError = msg, exitInvalidSession
	if origin != "" {
		f := &connectFlow{id: newFlowID(), token: newFlowToken(), origin: origin, started: s.Now(), step: stepError}
		if s.pages.connect == nil {
			s.pages.connect = map[string]*connectFlow{}
		}
		s.pages.connect[f.id] = f
		p.Flow, p.Token, p.Origin = f.id, f.token, origin
	}
	renderPage(w, status, "connect", frameFor(origin), p)
}

// connectOpen serves /connect/start and /connect/relink.
func (s *Sandbox) connectOpen(kind string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s.pages.mu.Lock()
		defer s.pages.mu.Unlock()
		s.pruneFlowsLocked()
		origin, ok := webOrigin(r.URL.Query().Get("origin"))
		if !ok {
			s.connectError(w, http.StatusBadRequest, "", "The origin parameter must be the front end's origin, such as https://app.example.")
			return
		}
		tok := r.URL.Query().Get("linkSessionToken")
		s.mu.RLock()
		sess := s.mk.sessions[tok]
		var f *connectFlow
		expired := sess != nil && s.Now().Sub(sess.created) > sessionTTL
		if sess != nil && !sess.done && !expired {
			f = &connectFlow{
				id: newFlowID(), token: newFlowToken(), session: tok, origin: origin, started: s.Now(),
				step: stepProducts, relink: sess.existingLinkID != "", products: append([]requestedProduct(nil), sess.products...),
				sessionInst: sess.institutionID, redirectURI: sess.redirectURI, hasCustom: sess.custom != nil,
			}
			if l := s.mk.links[sess.existingLinkID]; l != nil {
				f.relinkInst = l.institutionID
			}
		}
		done := sess != nil && sess.done
		s.mu.RUnlock()
		switch {
		case sess == nil:
			s.connectError(w, http.StatusNotFound, origin, "This link session does not exist.")
			return
		case done:
			s.connectError(w, http.StatusConflict, origin, "This link session was already completed.")
			return
		case expired:
			s.connectError(w, http.StatusGone, origin, "This link session expired. Ask the application for a new one.")
			return
		}
		if s.pages.connect == nil {
			s.pages.connect = map[string]*connectFlow{}
		}
		s.pages.connect[f.id] = f
		s.renderConnect(w, f, "", map[string]any{"type": "connect.started", "mode": kind})
	}
}

// pruneFlowsLocked forgets flows that expired; the caller holds pages.mu.
func (s *Sandbox) pruneFlowsLocked() {
	now := s.Now()
	for id, f := range s.pages.connect {
		if now.Sub(f.started) > 2*flowTTL {
			delete(s.pages.connect, id)
		}
	}
	for id, f := range s.pages.lm {
		if now.Sub(f.started) > 2*flowTTL {
			delete(s.pages.lm, id)
		}
	}
}

// connectFlowOf finds the flow a form post belongs to and checks its token.
// It answers the error page itself and returns nil when the post is refused.
func (s *Sandbox) connectFlowOf(w http.ResponseWriter, r *http.Request) *connectFlow {
	f := s.pages.connect[formValue(r, "flow")]
	switch {
	case f == nil || f.step == stepError:
		s.connectError(w, http.StatusNotFound, "", "This Connect page is no longer valid. Close it and start again.")
	case !tokenMatches(formValue(r, "token"), f.token):
		s.connectError(w, http.StatusForbidden, f.origin, "This form does not belong to this link session.")
	case f.done:
		s.connectError(w, http.StatusConflict, f.origin, "This link session was already completed.")
	case s.Now().Sub(f.started) > flowTTL:
		s.connectError(w, http.StatusGone, f.origin, "This link session expired. Close Connect and start again.")
	default:
		return f
	}
	return nil
}

// connectStep takes every form post of Connect's steps.
func (s *Sandbox) connectStep(w http.ResponseWriter, r *http.Request) {
	s.pages.mu.Lock()
	defer s.pages.mu.Unlock()
	action := formValue(r, "action")
	if action == "exit" {
		s.connectExit(w, r)
		return
	}
	f := s.connectFlowOf(w, r)
	if f == nil {
		return
	}
	switch {
	case f.step == stepProducts && action == "continue":
		chosen := r.PostForm["product"]
		f.deny = nil
		for _, p := range f.products {
			if !p.required && !slices.Contains(chosen, p.name) {
				f.deny = append(f.deny, p.name)
			}
		}
		switch {
		case f.relink:
			f.inst = f.relinkInst
			s.connectAfterInstitution(w, f)
		case f.sessionInst != "":
			f.inst = f.sessionInst
			s.connectAfterInstitution(w, f)
		default:
			f.step = stepInstitution
			s.renderConnect(w, f, "", nil)
		}
	case f.step == stepInstitution && action == "search":
		s.renderConnect(w, f, "", nil, formValue(r, "q"))
	case f.step == stepInstitution && action == "institution":
		id := formValue(r, "institution")
		if _, ok := institutions[id]; !ok {
			s.renderConnect(w, f, "Choose one of the institutions listed.", nil)
			return
		}
		f.inst = id
		s.connectAfterInstitution(w, f)
	case f.step == stepLogin && action == "continue":
		user, pass := formValue(r, "username"), formValue(r, "password")
		if pass != "pass_good" || (user != "user_good" && user != "user_custom") {
			s.renderConnect(w, f, "The username or password is incorrect. Try user_good and pass_good.", nil, user)
			return
		}
		f.custom = user == "user_custom" && f.hasCustom
		if f.relink {
			s.connectComplete(w, f, nil)
			return
		}
		s.connectShowAccounts(w, f, nil)
	case f.step == stepAccounts && action == "continue":
		chosen := r.PostForm["account"]
		var picked []*account
		for _, a := range f.accounts {
			if slices.Contains(chosen, a.id) {
				picked = append(picked, a)
			}
		}
		if len(picked) == 0 {
			s.renderConnect(w, f, "Choose at least one account to share.", nil)
			return
		}
		s.connectComplete(w, f, picked)
	default:
		s.renderConnect(w, f, "That action does not belong to this step.", nil)
	}
}

// connectAfterInstitution moves on from the chosen institution: Instant
// Bank needs no login, Credentials Bank asks for one, OAuth Bank sends the
// browser to its authorize page.
func (s *Sandbox) connectAfterInstitution(w http.ResponseWriter, f *connectFlow) {
	switch f.inst {
	case "credentials_bank":
		f.step = stepLogin
		s.renderConnect(w, f, "", nil)
	case "oauth_bank":
		if _, ok := webURL(f.redirectURI); !ok {
			s.connectError(w, http.StatusBadRequest, f.origin, "OAuth Bank needs the link session's redirect_uri, an http or https URL.")
			return
		}
		f.step = stepOAuth
		s.renderConnect(w, f, "", nil)
	default:
		if f.relink {
			s.connectComplete(w, f, nil)
			return
		}
		s.connectShowAccounts(w, f, nil)
	}
}

// connectShowAccounts shows the accounts of the link to be: its id is
// chosen now, and its data is what the link will hold. msg, when set, is
// posted to the front end too.
func (s *Sandbox) connectShowAccounts(w http.ResponseWriter, f *connectFlow, msg map[string]any) {
	if f.linkID == "" {
		f.linkID = s.ids.linkID()
	}
	s.mu.RLock()
	sess := s.mk.sessions[f.session]
	var custom *moneykit.CustomSandboxData
	if sess != nil && f.custom {
		custom = sess.custom // never changed after the session is made
	}
	s.mu.RUnlock()
	if sess == nil {
		s.connectError(w, http.StatusNotFound, f.origin, "This link session does not exist.")
		return
	}
	// Generated outside the sandbox's lock: a link's data is a function of
	// its id, institution, day and custom data only.
	d := newLinkData(f.linkID, institutions[f.inst], s.Now(), custom)
	f.accounts = d.accounts
	f.step = stepAccounts
	s.renderConnect(w, f, "", msg)
}

// connectComplete completes the link session with what the user chose.
func (s *Sandbox) connectComplete(w http.ResponseWriter, f *connectFlow, picked []*account) {
	res, err := s.completeLinkSession(f.session, connectChoice{
		ConnectOptions: ConnectOptions{InstitutionID: f.inst, DenyProducts: f.deny},
		linkID:         f.linkID, custom: f.custom,
	})
	if err != nil {
		status, msg := http.StatusBadRequest, "Connect could not link this account: "+strings.TrimPrefix(err.Error(), "sandbox: ")+"."
		switch {
		case errors.Is(err, ErrSessionCompleted):
			status, msg = http.StatusConflict, "This link session was already completed."
		case errors.Is(err, ErrSessionExpired):
			status, msg = http.StatusGone, "This link session expired. Close Connect and start again."
		case errors.Is(err, ErrUnknownSession), errors.Is(err, ErrUnknownLink):
			status, msg = http.StatusNotFound, "This link session does not exist."
		}
		s.connectError(w, status, f.origin, msg)
		return
	}
	f.done, f.step = true, stepDone
	inst := connectInstitution(res.institutionID)
	selected := []map[string]any{}
	for _, a := range picked {
		selected = append(selected, map[string]any{
			"account_id": a.id, "account_type": connectAccountType(a.typ), "name": a.name, "account_mask": a.mask,
		})
	}
	inst["selectedAccounts"] = selected
	inst["trackedScreens"] = []any{}
	msg := map[string]any{"type": "link.complete", "exchangeableToken": res.token, "institution": inst}
	if f.relink {
		msg = map[string]any{"type": "relink.complete", "institution": inst}
	}
	s.renderConnect(w, f, "", msg)
}

// connectExit answers the Close button: the front end hears link.exit,
// with the error the page showed (if any), and the link session stays
// open for another try. The origin it is told at, and that may frame the
// answer, is only ever the flow's: a post without a valid flow and token
// gets a page framed by nobody that tells nobody anything.
func (s *Sandbox) connectExit(w http.ResponseWriter, r *http.Request) {
	f := s.pages.connect[formValue(r, "flow")]
	if f != nil && !tokenMatches(formValue(r, "token"), f.token) {
		f = nil
	}
	p := connectPage(f, "Connect closed", stepExit)
	p.Flow, p.Token = "", ""
	if f == nil {
		renderPage(w, http.StatusOK, "connect", "'none'", p)
		return
	}
	if !f.done {
		delete(s.pages.connect, f.id)
	}
	var exitErr any
	if code := formValue(r, "error"); code == exitInvalidSession || code == exitOAuthDenied {
		exitErr = connectExitError(code)
	}
	p.Messages = messagesJSON(map[string]any{"type": "link.exit", "error": exitErr})
	renderPage(w, http.StatusOK, "connect", frameFor(f.origin), p)
}

func connectExitError(code string) map[string]any {
	msg := "The link session is no longer valid."
	if code == exitOAuthDenied {
		msg = "You did not allow access at OAuth Bank."
	}
	return map[string]any{"error_id": code, "displayed_message": msg, "request_id": nil}
}

// renderConnect renders f's current step; msg, when set, is posted to the
// front end besides the step's link.event. extra carries a step's input
// to show again (the search term, the username).
func (s *Sandbox) renderConnect(w http.ResponseWriter, f *connectFlow, errMsg string, msg map[string]any, extra ...string) {
	arg := ""
	if len(extra) > 0 {
		arg = extra[0]
	}
	var p uiPage
	switch f.step {
	case stepProducts:
		p = connectPage(f, "Share your data", f.step)
		var req, opt []map[string]string
		req = append(req, map[string]string{"ID": "accounts", "Name": productNames["accounts"]})
		for _, pr := range f.products {
			e := map[string]string{"ID": pr.name, "Name": productNames[pr.name]}
			if pr.required {
				req = append(req, e)
			} else {
				opt = append(opt, e)
			}
		}
		p.Data = map[string]any{"Required": req, "Optional": opt}
	case stepInstitution:
		p = connectPage(f, "Select your institution", f.step)
		var banks []institution
		for _, in := range institutions {
			if arg == "" || strings.Contains(strings.ToLower(in.name), strings.ToLower(arg)) {
				banks = append(banks, in)
			}
		}
		sort.Slice(banks, func(i, j int) bool { return banks[i].name < banks[j].name })
		view := []map[string]string{}
		for _, b := range banks {
			view = append(view, map[string]string{"ID": b.id, "Name": b.name})
		}
		p.Data = map[string]any{"Query": arg, "Banks": view}
	case stepLogin:
		p = connectPage(f, "Log in to "+institutions[f.inst].name, f.step)
		p.Data = map[string]any{"Username": arg}
	case stepOAuth:
		p = connectPage(f, "Continue to OAuth Bank", f.step)
		p.Data = map[string]any{"URL": connectPath + "oauth?flow=" + url.QueryEscape(f.id)}
	case stepAccounts:
		p = connectPage(f, "Choose accounts to share", f.step)
		view := []map[string]string{}
		for _, a := range f.accounts {
			view = append(view, map[string]string{"ID": a.id, "Name": a.name, "Mask": a.mask})
		}
		p.Data = map[string]any{"Accounts": view}
	case stepDone:
		p = connectPage(f, "Account linked", f.step)
		p.Data = map[string]any{"Institution": institutions[f.inst].name}
		p.Flow, p.Token = "", ""
	}
	p.Error = errMsg
	msgs := []any{}
	if msg != nil && msg["type"] == "connect.started" {
		msgs = append(msgs, msg)
		msg = nil
	}
	msgs = append(msgs, map[string]any{"type": "link.event", "event": map[string]any{"name": "step_viewed", "step": f.step}})
	if msg != nil {
		msgs = append(msgs, msg)
	}
	p.Messages = messagesJSON(msgs...)
	renderPage(w, http.StatusOK, "connect", f.origin, p)
}

// connectInstitution is the institution object Connect's onSuccess gets.
func connectInstitution(id string) map[string]any {
	in := institutions[id]
	return map[string]any{
		"id": in.id, "name": in.name, "country": in.country, "domain": strings.ReplaceAll(in.id, "_", "") + ".sandbox.invalid",
		"color": "#1f4f8f", "color_dark": nil, "avatar": nil, "avatar_dark": nil, "logo": nil, "logo_dark": nil,
		"search_group": "primary",
	}
}

// connectAccountType maps the sandbox's account types to the launcher's
// AccountType values.
func connectAccountType(typ string) string {
	switch {
	case strings.HasPrefix(typ, "depository."):
		return typ
	case typ == "liability.credit_card":
		return "credit_card"
	case strings.HasPrefix(typ, "investment"):
		return "investment"
	case strings.HasPrefix(typ, "liability.") || strings.HasPrefix(typ, "loan"):
		return "loan.general"
	}
	return "other"
}

// oauthAuthorize is OAuth Bank's authorize page, opened at the top level
// from Connect's OAuth step. It is framed by nobody.
func (s *Sandbox) oauthAuthorize(w http.ResponseWriter, r *http.Request) {
	s.pages.mu.Lock()
	defer s.pages.mu.Unlock()
	f := s.pages.connect[r.URL.Query().Get("flow")]
	if f == nil || f.step != stepOAuth || f.done || s.Now().Sub(f.started) > flowTTL {
		p := connectPage(nil, "OAuth Bank cannot continue", stepError)
		p.Action, p.Error = connectPath+"oauth", "This authorization request is not valid. Go back to the application and start again."
		renderPage(w, http.StatusNotFound, "connect", "'none'", p)
		return
	}
	p := connectPage(f, "OAuth Bank: allow access", stepAuthorize)
	p.Action, p.Origin = connectPath+"oauth", ""
	renderPage(w, http.StatusOK, "connect", "'none'", p)
}

// oauthDecide takes the authorize page's answer and returns the browser to
// the link session's redirect_uri with the flow as state (and
// error=access_denied when the user closed the page).
func (s *Sandbox) oauthDecide(w http.ResponseWriter, r *http.Request) {
	s.pages.mu.Lock()
	defer s.pages.mu.Unlock()
	f := s.pages.connect[formValue(r, "flow")]
	if f == nil || f.step != stepOAuth || !tokenMatches(formValue(r, "token"), f.token) || s.Now().Sub(f.started) > flowTTL {
		p := connectPage(nil, "OAuth Bank cannot continue", stepError)
		p.Action, p.Error = connectPath+"oauth", "This authorization request is not valid. Go back to the application and start again."
		renderPage(w, http.StatusForbidden, "connect", "'none'", p)
		return
	}
	u, _ := webURL(f.redirectURI)
	f.step, f.oauthOK = stepOAuthDone, formValue(r, "action") == "allow"
	back := withQuery(u, "state", f.id)
	if !f.oauthOK {
		back = withQuery(u, "state", f.id, "error", "access_denied")
	}
	p := connectPage(nil, "Returning to the application", stepReturn)
	p.Action, p.Navigate = connectPath+"oauth", back
	renderPage(w, http.StatusOK, "connect", "'none'", p)
}

// connectContinue serves /connect/continue, which the launcher's
// continue(redirectURL) opens after OAuth Bank returned to redirect_uri.
func (s *Sandbox) connectContinue(w http.ResponseWriter, r *http.Request) {
	s.pages.mu.Lock()
	defer s.pages.mu.Unlock()
	q := r.URL.Query()
	origin, ok := webOrigin(q.Get("origin"))
	if !ok {
		s.connectError(w, http.StatusBadRequest, "", "The origin parameter must be the front end's origin, such as https://app.example.")
		return
	}
	back, err := url.Parse(q.Get("redirectURL"))
	if err != nil {
		s.connectError(w, http.StatusBadRequest, origin, "The redirect URL cannot be read.")
		return
	}
	f := s.pages.connect[back.Query().Get("state")]
	switch {
	case f == nil || f.step == stepError || f.session != q.Get("linkSessionToken") || f.origin != origin:
		s.connectError(w, http.StatusNotFound, origin, "There is no OAuth login to continue for this link session.")
		return
	case f.done:
		s.connectError(w, http.StatusConflict, origin, "This link session was already completed.")
		return
	case f.step != stepOAuthDone || s.Now().Sub(f.started) > flowTTL:
		s.connectError(w, http.StatusGone, origin, "This OAuth login is no longer valid. Close Connect and start again.")
		return
	}
	if !f.oauthOK || back.Query().Get("error") != "" {
		delete(s.pages.connect, f.id)
		p := connectPage(f, "Access not allowed", stepExit)
		p.Flow, p.Token = "", ""
		p.Messages = messagesJSON(map[string]any{"type": "connect.started", "mode": "continue"},
			map[string]any{"type": "link.exit", "error": connectExitError(exitOAuthDenied)})
		renderPage(w, http.StatusOK, "connect", f.origin, p)
		return
	}
	if f.relink {
		s.connectComplete(w, f, nil)
		return
	}
	// The front end's onEvent hears connect.started again: a new overlay opened.
	s.connectShowAccounts(w, f, map[string]any{"type": "connect.started", "mode": "continue"})
}
