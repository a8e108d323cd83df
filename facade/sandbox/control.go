package sandbox

import (
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"slices"
	"time"

	"github.com/banklink/banklink/gen/linkmoney"
	"github.com/banklink/banklink/gen/moneykit"
)

// Errors of the control API.
var (
	ErrUnknownSession      = errors.New("sandbox: unknown session")
	ErrSessionCompleted    = errors.New("sandbox: session already completed")
	ErrSessionExpired      = errors.New("sandbox: session expired")
	ErrUnknownLink         = errors.New("sandbox: unknown link")
	ErrUnknownCustomer     = errors.New("sandbox: unknown customer")
	ErrDuplicateRequestKey = errors.New("sandbox: requestKey already used")
)

// ConnectOptions describe what the end user does in MoneyKit Connect.
type ConnectOptions struct {
	// InstitutionID is the institution the user picks, when the session did
	// not name one (default instant_bank). Naming a different institution
	// than the session's is an error.
	InstitutionID string
	// DenyProducts are products the user refuses to share. Denying
	// "accounts" makes GET /links/{id} answer 403 link_error.forbidden_action.
	DenyProducts []string
	// FailWith, a PublicLinkError such as "auth_expired", makes the link end
	// up in state error with that error code.
	FailWith string
}

// CompleteLinkSession plays the end user in MoneyKit Connect: it completes the
// link session and returns the exchangeable token that Connect would hand to
// the front end. The new link waits in state awaiting_token_exchange (or
// error, with FailWith). A session made with existing_link_id reconnects
// that link in place and returns "" (Connect's relink returns no token).
func (s *Sandbox) CompleteLinkSession(linkSessionToken string, opt ConnectOptions) (string, error) {
	r, err := s.completeLinkSession(linkSessionToken, connectChoice{ConnectOptions: opt, custom: true})
	return r.token, err
}

// connectChoice is what the end user chose in Connect: the options of
// ConnectOptions, and what only Connect's pages choose.
type connectChoice struct {
	ConnectOptions
	linkID string // the new link's id, chosen when the accounts were shown; "" picks one
	custom bool   // the session's custom_sandbox_data applies (Credentials Bank's user_custom)
}

// connectResult is what a completed link session made.
type connectResult struct {
	token         string // the exchangeable token; "" for a relink
	linkID        string
	institutionID string
}

// completeLinkSession is the one place a link session completes, for both
// front doors: CompleteLinkSession (and the control endpoint) and Connect's
// pages. Nothing changes when it fails.
func (s *Sandbox) completeLinkSession(linkSessionToken string, ch connectChoice) (connectResult, error) {
	opt := ch.ConnectOptions
	if opt.FailWith != "" && !moneykit.PublicLinkError(opt.FailWith).Valid() {
		return connectResult{}, fmt.Errorf("sandbox: FailWith %q is not a PublicLinkError", opt.FailWith)
	}
	for _, p := range opt.DenyProducts {
		if !moneykit.Product(p).Valid() {
			return connectResult{}, fmt.Errorf("sandbox: DenyProducts: %q is not a product", p)
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	sess := s.mk.sessions[linkSessionToken]
	switch {
	case sess == nil:
		return connectResult{}, ErrUnknownSession
	case sess.done:
		return connectResult{}, ErrSessionCompleted
	case s.Now().Sub(sess.created) > sessionTTL:
		return connectResult{}, ErrSessionExpired
	}
	now := s.Now()
	if sess.existingLinkID != "" {
		l := s.mk.links[sess.existingLinkID]
		if l == nil || l.state == "deleted" {
			return connectResult{}, ErrUnknownLink
		}
		inst := institutions[l.institutionID]
		for _, p := range sess.products {
			if slices.Contains(inst.products, p.name) && !slices.Contains(opt.DenyProducts, p.name) && !slices.Contains(l.products, p.name) {
				l.products = append(l.products, p.name)
			}
		}
		l.webhook, l.tags = sess.webhook, sess.tags
		l.state, l.errorCode = "connected", ""
		if opt.FailWith != "" {
			l.state, l.errorCode = "error", opt.FailWith
		}
		l.syncedAt = now
		sess.done = true
		s.mkLinkStateChangedLocked(l)
		return connectResult{linkID: l.id, institutionID: l.institutionID}, nil
	}
	instID := sess.institutionID
	if opt.InstitutionID != "" {
		if instID != "" && instID != opt.InstitutionID {
			return connectResult{}, fmt.Errorf("sandbox: the session was created for institution %q", instID)
		}
		instID = opt.InstitutionID
	}
	if instID == "" {
		instID = defaultInstitution
	}
	inst, ok := institutions[instID]
	if !ok {
		return connectResult{}, fmt.Errorf("sandbox: unknown institution %q", instID)
	}
	granted := []string{}
	if !slices.Contains(opt.DenyProducts, "accounts") {
		granted = append(granted, "accounts")
	}
	for _, p := range sess.products {
		supported, denied := slices.Contains(inst.products, p.name), slices.Contains(opt.DenyProducts, p.name)
		if p.required && (!supported || denied) {
			return connectResult{}, fmt.Errorf("sandbox: required product %q is not available", p.name)
		}
		if supported && !denied {
			granted = append(granted, p.name)
		}
	}
	id := ch.linkID
	if id == "" {
		id = s.ids.linkID()
	}
	if s.mk.links[id] != nil {
		return connectResult{}, fmt.Errorf("sandbox: link id %q is taken", id)
	}
	l := &link{
		id: id, app: sess.app, userID: sess.userID, institutionID: inst.id,
		state: "awaiting_token_exchange", webhook: sess.webhook, tags: sess.tags,
		products: granted, accountsDenied: slices.Contains(opt.DenyProducts, "accounts"), syncedAt: now,
		created: now,
	}
	if ch.custom {
		l.custom = sess.custom
	}
	if opt.FailWith != "" {
		l.state, l.errorCode = "error", opt.FailWith
		s.mkLinkStateChangedLocked(l)
	}
	s.mk.links[l.id] = l
	tok := "sandbox_exchange_" + s.ids.uuid()
	s.mk.exch[tok] = &exchangeable{app: sess.app, linkID: l.id}
	sess.done = true
	return connectResult{token: tok, linkID: l.id, institutionID: inst.id}, nil
}

// SetLinkState forces a link into a PublicLinkState; errorCode (a
// PublicLinkError) is required for state "error" and must be empty otherwise.
func (s *Sandbox) SetLinkState(linkID, state, errorCode string) error {
	if !moneykit.PublicLinkState(state).Valid() {
		return fmt.Errorf("sandbox: %q is not a PublicLinkState", state)
	}
	if (state == "error") != (errorCode != "") {
		return errors.New("sandbox: errorCode goes with state error, and only with it")
	}
	if errorCode != "" && !moneykit.PublicLinkError(errorCode).Valid() {
		return fmt.Errorf("sandbox: %q is not a PublicLinkError", errorCode)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	l := s.mk.links[linkID]
	if l == nil {
		return ErrUnknownLink
	}
	changed := l.state != state || l.errorCode != errorCode
	l.state, l.errorCode = state, errorCode
	if changed {
		s.mkLinkStateChangedLocked(l)
	}
	return nil
}

// CompleteSession plays the end user in Link Money's hosted UI: it completes
// the session and returns the new customer's id. See CompleteSessionPayment.
func (s *Sandbox) CompleteSession(sessionKey string) (customerID string, err error) {
	customerID, _, err = s.CompleteSessionPayment(sessionKey)
	return customerID, err
}

// CompleteSessionPayment completes a session like CompleteSession and also
// returns the id of the payment that a LINK_MANAGED_PAYMENT session makes from
// its paymentDetails ("" for other sessions). A session is single-use.
func (s *Sandbox) CompleteSessionPayment(sessionKey string) (customerID, paymentID string, err error) {
	r, err := s.completeSession(sessionKey, lmChoice{})
	return r.customerID, r.paymentID, err
}

// lmChoice is what the customer chose in Link Money's hosted UI. The zero
// value is what CompleteSession plays: FinBank Profiles - A, profile_522,
// the first of two new accounts.
type lmChoice struct {
	bank     string      // a sandbox bank's name
	profile  string      // the login, which decides how payments go
	accounts []lmAccount // the accounts shown; nil makes new ones
	account  int         // the index of the chosen (preferred) account
}

// lmResult is what a completed session made.
type lmResult struct {
	customerID, paymentID string
	paymentStatus         string // AUTHORIZED, PENDING or TERMINAL_FAILED; "" without a payment
}

// completeSession is the one place a Link Money session completes, for both
// front doors: CompleteSessionPayment (and the control endpoint) and the
// hosted UI's pages. Nothing changes when it fails.
func (s *Sandbox) completeSession(sessionKey string, ch lmChoice) (lmResult, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sess := s.lm.sessions[sessionKey]
	switch {
	case sess == nil:
		return lmResult{}, ErrUnknownSession
	case sess.done:
		return lmResult{}, ErrSessionCompleted
	case s.Now().Sub(sess.created) > sessionTTL:
		return lmResult{}, ErrSessionExpired
	}
	if pd := sess.payment; pd != nil {
		if _, dup := s.lm.requestKeys[pd.RequestKey]; dup {
			return lmResult{}, ErrDuplicateRequestKey
		}
	}
	c := s.newCustomerLocked(sess, ch)
	sess.done, sess.customerID = true, c.id
	s.lmEvent("customer.created", "Customer", c.id, "", "")
	s.lmEvent("customer.activated", "Customer", c.id, "", "")
	out := lmResult{customerID: c.id}
	if pd := sess.payment; pd != nil {
		resp, fail := s.createPaymentLocked(c.id, true, pd.Amount.Value, pd.ClientReferenceId, pd.RequestKey)
		if fail != nil {
			return out, fmt.Errorf("sandbox: the session's payment failed: %s", fail.msg)
		}
		sess.paymentID = resp.PaymentId
		out.paymentID, out.paymentStatus = resp.PaymentId, string(resp.PaymentStatus)
	}
	return out, nil
}

// SetCustomerStatus sets a Link Money customer's status (ACTIVE, CREATED or
// INACTIVE); only ACTIVE customers can pay.
func (s *Sandbox) SetCustomerStatus(customerID, status string) error {
	if !linkmoney.CustomerStatus(status).Valid() {
		return fmt.Errorf("sandbox: %q is not a CustomerStatus", status)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.lm.customers[customerID]
	if c == nil {
		return ErrUnknownCustomer
	}
	c.status = status
	return nil
}

// registerControl adds the sandbox's own endpoints under /_sandbox/.
func (s *Sandbox) registerControl(mux *http.ServeMux) {
	handle := func(pattern, name string, h func(http.ResponseWriter, *http.Request) (int, any)) {
		mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
			rs := stateOf(r.Context())
			rs.provider, rs.opID = provSandbox, name
			if status, msg := controlRefusal(r); status != 0 {
				writeJSON(w, status, map[string]string{"error": msg})
				return
			}
			status, body := h(w, r)
			if status == http.StatusNoContent {
				w.WriteHeader(status)
				return
			}
			writeJSON(w, status, body)
		})
	}
	handle("POST /_sandbox/moneykit/connect", "connect", func(w http.ResponseWriter, r *http.Request) (int, any) {
		var in struct {
			LinkSessionToken string   `json:"link_session_token"`
			InstitutionID    string   `json:"institution_id"`
			DenyProducts     []string `json:"deny_products"`
			FailWith         string   `json:"fail_with"`
		}
		if err := decodeControl(r, &in); err != nil {
			return controlError(err)
		}
		tok, err := s.CompleteLinkSession(in.LinkSessionToken, ConnectOptions{InstitutionID: in.InstitutionID, DenyProducts: in.DenyProducts, FailWith: in.FailWith})
		if err != nil {
			return controlError(err)
		}
		return http.StatusOK, map[string]string{"exchangeable_token": tok}
	})
	handle("POST /_sandbox/moneykit/links/{id}/state", "setLinkState", func(w http.ResponseWriter, r *http.Request) (int, any) {
		var in struct {
			State     string `json:"state"`
			ErrorCode string `json:"error_code"`
		}
		if err := decodeControl(r, &in); err != nil {
			return controlError(err)
		}
		if err := s.SetLinkState(r.PathValue("id"), in.State, in.ErrorCode); err != nil {
			return controlError(err)
		}
		return http.StatusNoContent, nil
	})
	handle("POST /_sandbox/linkmoney/complete", "complete", func(w http.ResponseWriter, r *http.Request) (int, any) {
		var in struct {
			SessionKey string `json:"sessionKey"`
		}
		if err := decodeControl(r, &in); err != nil {
			return controlError(err)
		}
		cid, pid, err := s.CompleteSessionPayment(in.SessionKey)
		if err != nil {
			return controlError(err)
		}
		out := map[string]string{"customerId": cid}
		if pid != "" {
			out["paymentId"] = pid
		}
		return http.StatusOK, out
	})
	handle("POST /_sandbox/linkmoney/customers/{id}/status", "setCustomerStatus", func(w http.ResponseWriter, r *http.Request) (int, any) {
		var in struct {
			CustomerStatus string `json:"customerStatus"`
		}
		if err := decodeControl(r, &in); err != nil {
			return controlError(err)
		}
		if err := s.SetCustomerStatus(r.PathValue("id"), in.CustomerStatus); err != nil {
			return controlError(err)
		}
		return http.StatusNoContent, nil
	})
	handle("POST /_sandbox/clock/advance", "advance", func(w http.ResponseWriter, r *http.Request) (int, any) {
		var in struct {
			Duration string `json:"duration"`
		}
		if err := decodeControl(r, &in); err != nil {
			return controlError(err)
		}
		d, err := time.ParseDuration(in.Duration)
		if err != nil || d < 0 {
			return http.StatusBadRequest, map[string]string{"error": "duration must be a non-negative Go duration such as \"90s\""}
		}
		s.Advance(d)
		return http.StatusOK, map[string]string{"now": s.Now().UTC().Format(time.RFC3339Nano)}
	})
	handle("GET /_sandbox/requests", "requests", func(w http.ResponseWriter, r *http.Request) (int, any) {
		type entry struct {
			Provider      string    `json:"provider"`
			Operation     string    `json:"operation"`
			Method        string    `json:"method"`
			Path          string    `json:"path"`
			Status        int       `json:"status"`
			HandlerStatus int       `json:"handlerStatus"`
			RequestKey    string    `json:"requestKey,omitempty"`
			Time          time.Time `json:"time"`
			Injected      string    `json:"injected,omitempty"`
		}
		// Bodies and headers stay out: they may hold personal data.
		reqs := s.Requests()
		out := make([]entry, len(reqs))
		for i, q := range reqs {
			out[i] = entry{q.Provider, q.Operation, q.Method, q.Path, q.Status, q.HandlerStatus, q.RequestKey, q.Time, q.Injected}
		}
		return http.StatusOK, out
	})
	s.registerWebhookControl(handle)
}

func decodeControl(r *http.Request, v any) error {
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return errBadControlBody
	}
	return nil
}

var errBadControlBody = errors.New("sandbox: the body must be a JSON object with the documented fields")

func controlError(err error) (int, any) {
	status := http.StatusBadRequest
	switch {
	case errors.Is(err, ErrUnknownSession), errors.Is(err, ErrUnknownLink), errors.Is(err, ErrUnknownCustomer):
		status = http.StatusNotFound
	case errors.Is(err, ErrSessionCompleted), errors.Is(err, ErrDuplicateRequestKey):
		status = http.StatusConflict
	case errors.Is(err, ErrSessionExpired):
		status = http.StatusGone
	}
	return status, map[string]string{"error": err.Error()}
}

// crossOrigin is the standard library's CSRF check: a request is cross-origin
// when Sec-Fetch-Site says so (anything but same-origin or none) or, without
// that header, when Origin names a host other than the request's Host.
var crossOrigin = http.NewCrossOriginProtection()

// controlRefusal keeps the control endpoints out of a web page's reach: a
// page on another origin may send a "simple" cross-origin POST (text/plain or
// a form) to a sandbox on localhost without any CORS preflight. Every control
// request must come from the same origin or a non-browser client, and every
// control POST must declare application/json, which a page cannot send
// cross-origin without a preflight the sandbox never answers. It returns 0
// when r is acceptable.
func controlRefusal(r *http.Request) (int, string) {
	probe := r
	if r.Method == http.MethodGet || r.Method == http.MethodHead || r.Method == http.MethodOptions {
		// CrossOriginProtection lets safe methods through; the request log
		// holds request keys, so GET is checked too.
		probe = r.Clone(r.Context())
		probe.Method = http.MethodPost
	}
	if err := crossOrigin.Check(probe); err != nil {
		return http.StatusForbidden, "sandbox: cross-origin requests to the control endpoints are refused"
	}
	if r.Method == http.MethodPost {
		mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
		if err != nil || mt != "application/json" {
			return http.StatusUnsupportedMediaType, "sandbox: control endpoints accept only Content-Type application/json"
		}
	}
	return 0, ""
}
