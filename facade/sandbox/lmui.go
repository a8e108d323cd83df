package sandbox

import (
	"encoding/json"
	"errors"
	"math/big"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/banklink/banklink/gen/linkmoney"
)

// Link Money's hosted UI: the page a session's sessionUrl opens,
// {sandbox root}/linkmoney/ui/?redirect=…&version=web-v1.0.0&sessionKey=….
// Its steps (consent, bank, login, account and, for LINK_MANAGED_PAYMENT,
// the order and the pay button) end in completeSession, the same rules as
// CompleteSessionPayment and POST /_sandbox/linkmoney/complete. The
// browser then returns to the session's redirectUrl with customerId and
// status=200, as Link Money's own integration reads them, and paymentId
// when the page made a payment. The page may be framed by nobody.

// Link Money's sandbox banks and logins (the password equals the username).
const (
	lmProfileGood = "profile_522" // links; payments succeed up to $9,000.00
	lmProfileNSF  = "profile_08"  // links; payments fail for insufficient funds (ACH return R01)
)

type lmBank struct {
	id   int64
	name string
}

var lmBanks = []lmBank{{5001, "FinBank Profiles - A"}, {5002, "FinBank Profiles - B"}, {5003, "Finbank OAuth"}}

func lmBankByName(name string) lmBank {
	for _, b := range lmBanks {
		if b.name == name {
			return b
		}
	}
	return lmBanks[0]
}

// The query parameters of the return to redirectUrl. customerId and
// status=200 are what Link Money's own integration reads; paymentId and
// the status of an exit are unconfirmed.
const (
	// lmReturnPaymentID carries the payment the page made (unconfirmed: a
	// third-party integration reads it; no Link Money document names it).
	lmReturnPaymentID = "paymentId"
	// lmExitStatus is the status of a customer who closed the page, and of
	// a return after the customer was linked but the payment the session
	// asked for could not be made (unconfirmed: 204, as a third-party
	// integration reads a close; no document says what Link Money returns
	// for a payment it could not make).
	lmExitStatus = "204"
)

// lmFlow is one opening of the hosted UI for a session.
type lmFlow struct {
	id, token  string
	key        string // the session key
	started    time.Time
	step       string
	redirect   *url.URL
	firstName  string
	payment    *linkmoney.PaymentDetails
	order      linkmoney.OrderDetails
	bank       string
	profile    string
	accounts   []lmAccount
	account    int
	done       bool
	returnedTo string
}

// The hosted UI's steps besides those it shares with Connect.
const (
	stepConsent  = "consent"
	stepBank     = "bank"
	stepAccount  = "account"
	stepOrder    = "order"
	stepDeclined = "declined"
	// stepPayFailed: the customer was linked, the payment was not made.
	stepPayFailed = "payfailed"
)

func lmPage(f *lmFlow, heading, step string) uiPage {
	p := uiPage{Provider: "Link Money", Heading: heading, Step: step, Action: lmUIPath, Static: lmUIPath + "static/"}
	if f != nil {
		p.Flow, p.Token = f.id, f.token
	}
	return p
}

func lmPageError(w http.ResponseWriter, status int, msg string) {
	p := lmPage(nil, "This page cannot continue", stepError)
	p.Error = msg
	renderPage(w, status, "linkmoney", "'none'", p)
}

// lmOpen serves the sessionUrl.
func (s *Sandbox) lmOpen(w http.ResponseWriter, r *http.Request) {
	key := r.URL.Query().Get("sessionKey")
	s.mu.RLock()
	sess := s.lm.sessions[key]
	var f *lmFlow
	var redirectOK bool
	expired := sess != nil && s.Now().Sub(sess.created) > sessionTTL
	if sess != nil && !sess.done && !expired {
		f = &lmFlow{
			id: newFlowID(), token: newFlowToken(), key: key, started: s.Now(), step: stepConsent,
			firstName: sess.firstName, order: sess.order,
		}
		if sess.payment != nil {
			pd := *sess.payment
			f.payment = &pd
		}
		f.redirect, redirectOK = webURL(sess.redirect)
	}
	done := sess != nil && sess.done
	s.mu.RUnlock()
	switch {
	case sess == nil:
		lmPageError(w, http.StatusNotFound, "This session does not exist. Ask the merchant for a new one.")
		return
	case done:
		lmPageError(w, http.StatusConflict, "This session was already completed. Ask the merchant for a new one.")
		return
	case expired:
		lmPageError(w, http.StatusGone, "This session expired. Ask the merchant for a new one.")
		return
	case !redirectOK:
		lmPageError(w, http.StatusBadRequest, "The session's redirectUrl must be an http or https URL.")
		return
	}
	s.pages.mu.Lock()
	defer s.pages.mu.Unlock()
	s.pruneFlowsLocked()
	if s.pages.lm == nil {
		s.pages.lm = map[string]*lmFlow{}
	}
	s.pages.lm[f.id] = f
	s.renderLM(w, f, "", "")
}

// lmStep takes every form post of the hosted UI.
func (s *Sandbox) lmStep(w http.ResponseWriter, r *http.Request) {
	s.pages.mu.Lock()
	defer s.pages.mu.Unlock()
	f := s.pages.lm[formValue(r, "flow")]
	action := formValue(r, "action")
	switch {
	case f == nil:
		if action == "exit" {
			p := lmPage(nil, "Closed", stepExit)
			renderPage(w, http.StatusOK, "linkmoney", "'none'", p)
			return
		}
		lmPageError(w, http.StatusNotFound, "This page is no longer valid. Go back to the merchant and start again.")
		return
	case !tokenMatches(formValue(r, "token"), f.token):
		lmPageError(w, http.StatusForbidden, "This form does not belong to this session.")
		return
	case f.done:
		lmPageError(w, http.StatusConflict, "This session was already completed. Nothing was changed.")
		return
	case s.Now().Sub(f.started) > flowTTL:
		lmPageError(w, http.StatusGone, "This session expired. Go back to the merchant and start again.")
		return
	}
	switch {
	case action == "exit":
		delete(s.pages.lm, f.id)
		p := lmPage(nil, "Returning to the merchant", stepReturn)
		p.Navigate = withQuery(f.redirect, "status", lmExitStatus)
		renderPage(w, http.StatusOK, "linkmoney", "'none'", p)
	case f.step == stepConsent && action == "continue":
		f.step = stepBank
		s.renderLM(w, f, "", "")
	case f.step == stepBank && action == "search":
		s.renderLM(w, f, "", formValue(r, "q"))
	case f.step == stepBank && action == "bank":
		name := formValue(r, "bank")
		if lmBankByName(name).name != name {
			s.renderLM(w, f, "Choose one of the banks listed.", "")
			return
		}
		f.bank, f.step = name, stepLogin
		s.renderLM(w, f, "", "")
	case f.step == stepLogin && action == "continue":
		user, pass := formValue(r, "username"), formValue(r, "password")
		if user != pass || (user != lmProfileGood && user != lmProfileNSF) {
			s.renderLM(w, f, "The username or password is incorrect. Try profile_522 for both.", user)
			return
		}
		f.profile, f.accounts, f.step = user, s.newLMAccounts(f.bank), stepAccount
		s.renderLM(w, f, "", "")
	case f.step == stepAccount && action == "continue":
		i, err := strconv.Atoi(formValue(r, "account"))
		if err != nil || i < 0 || i >= len(f.accounts) {
			s.renderLM(w, f, "Choose an account.", "")
			return
		}
		f.account = i
		if f.payment != nil {
			f.step = stepOrder
			s.renderLM(w, f, "", "")
			return
		}
		s.lmComplete(w, f)
	case f.step == stepOrder && action == "pay":
		s.lmComplete(w, f)
	default:
		s.renderLM(w, f, "That action does not belong to this step.", "")
	}
}

// lmComplete completes the session with what the customer chose and sends
// the browser back to the merchant.
func (s *Sandbox) lmComplete(w http.ResponseWriter, f *lmFlow) {
	res, err := s.completeSession(f.key, lmChoice{bank: f.bank, profile: f.profile, accounts: f.accounts, account: f.account})
	if err != nil && res.customerID == "" {
		status, msg := http.StatusBadRequest, "The session could not be completed: "+strings.TrimPrefix(err.Error(), "sandbox: ")+"."
		switch {
		case errors.Is(err, ErrSessionCompleted):
			status, msg = http.StatusConflict, "This session was already completed. Nothing was changed."
		case errors.Is(err, ErrSessionExpired):
			status, msg = http.StatusGone, "This session expired. Go back to the merchant and start again."
		case errors.Is(err, ErrUnknownSession):
			status, msg = http.StatusNotFound, "This session does not exist."
		}
		lmPageError(w, status, msg)
		return
	}
	f.done = true
	if err != nil {
		// The customer was made but the payment the session asked for was
		// not: the merchant hears the exit status, not a success.
		f.returnedTo = withQuery(f.redirect, "customerId", res.customerID, "status", lmExitStatus)
		p := lmPage(nil, "Payment not made", stepPayFailed)
		p.Error = "The payment could not be made: " + strings.TrimPrefix(err.Error(), "sandbox: ") + "."
		p.Data = map[string]any{"Return": f.returnedTo}
		renderPage(w, http.StatusBadRequest, "linkmoney", "'none'", p)
		return
	}
	kv := []string{"customerId", res.customerID, "status", "200"}
	if res.paymentID != "" {
		kv = append(kv, lmReturnPaymentID, res.paymentID)
	}
	f.returnedTo = withQuery(f.redirect, kv...)
	if res.paymentStatus == statusTerminalFailed {
		p := lmPage(nil, "Payment declined", stepDeclined)
		p.Data = map[string]any{"Amount": usd(f.payment.Amount.Value), "Return": f.returnedTo}
		renderPage(w, http.StatusOK, "linkmoney", "'none'", p)
		return
	}
	p := lmPage(nil, "Returning to the merchant", stepReturn)
	p.Navigate = f.returnedTo
	renderPage(w, http.StatusOK, "linkmoney", "'none'", p)
}

type lmLine struct{ Label, Amount string }

// renderLM renders f's current step; arg is a step's input shown again.
func (s *Sandbox) renderLM(w http.ResponseWriter, f *lmFlow, errMsg, arg string) {
	var p uiPage
	switch f.step {
	case stepConsent:
		p = lmPage(f, "Pay by bank with Link Money", f.step)
		p.Data = map[string]any{"Name": f.firstName, "Pay": f.payment != nil}
	case stepBank:
		p = lmPage(f, "Select your bank", f.step)
		var banks []string
		for _, b := range lmBanks {
			if arg == "" || strings.Contains(strings.ToLower(b.name), strings.ToLower(arg)) {
				banks = append(banks, b.name)
			}
		}
		p.Data = map[string]any{"Query": arg, "Banks": banks}
	case stepLogin:
		p = lmPage(f, "Log in to "+f.bank, f.step)
		p.Data = map[string]any{"Username": arg}
	case stepAccount:
		p = lmPage(f, "Choose an account", f.step)
		type acct struct {
			Index      int
			Name, Mask string
			Checked    bool
		}
		var accts []acct
		for i, a := range f.accounts {
			accts = append(accts, acct{i, strings.ToUpper(a.accountType[:1]) + a.accountType[1:], a.lastFour, i == f.account})
		}
		p.Data = map[string]any{"Accounts": accts}
	case stepOrder:
		p = lmPage(f, "Review and pay", f.step)
		o := f.order
		var items []lmLine
		for _, it := range o.Items {
			items = append(items, lmLine{it.Description, usd(it.Amount.Value)})
		}
		var lines []lmLine
		for _, l := range []struct {
			label string
			a     linkmoney.Amount
		}{{"Subtotal", o.SubtotalAmount}, {"Tax", o.TaxAmount}, {"Shipping", o.ShippingAmount}, {"Discount", o.DiscountAmount}} {
			if l.a.Value != "" {
				v := usd(l.a.Value)
				if l.label == "Discount" {
					v = "−" + v
				}
				lines = append(lines, lmLine{l.label, v})
			}
		}
		total := f.payment.Amount.Value
		if o.TotalAmount.Value != "" {
			total = o.TotalAmount.Value
		}
		a := f.accounts[f.account]
		p.Data = map[string]any{
			"Items": items, "Lines": lines, "Total": usd(total), "Pay": usd(f.payment.Amount.Value),
			"Account": strings.ToUpper(a.accountType[:1]) + a.accountType[1:] + " ••" + a.lastFour, "Bank": f.bank,
		}
	}
	p.Error = errMsg
	renderPage(w, http.StatusOK, "linkmoney", "'none'", p)
}

// usd formats a decimal amount as dollars: 9000 → "$9,000.00".
func usd(n json.Number) string {
	r, ok := new(big.Rat).SetString(string(n))
	if !ok {
		return "$" + string(n)
	}
	neg := r.Sign() < 0
	s := new(big.Rat).Abs(r).FloatString(2)
	whole, cents, _ := strings.Cut(s, ".")
	var b strings.Builder
	for i, c := range whole {
		if i > 0 && (len(whole)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	out := "$" + b.String() + "." + cents
	if neg {
		out = "−" + out
	}
	return out
}
