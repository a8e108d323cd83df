package sandbox

import (
	"context"
	"encoding/json"
	"fmt"
	"math/big"
	"net/url"
	"time"

	"github.com/banklink/banklink/gen/linkmoney"
	"github.com/banklink/banklink/internal/timestamp"
)

const (
	scopeCore    = "Link-Core"
	scopePayment = "Link-Payment"

	statusAuthorized     = "AUTHORIZED"
	statusPending        = "PENDING"
	statusTerminalFailed = "TERMINAL_FAILED"

	// LinkMoneyMerchantID is the merchant id the sandbox's Link Money-managed
	// payments are paid to. Merchant-initiated payments may name any merchant id.
	LinkMoneyMerchantID = "lm_sandbox_merchant"
)

var (
	// Payments up to authorizedLimit are AUTHORIZED, up to declineLimit
	// PENDING, and above declineLimit TERMINAL_FAILED (the sandbox profile's
	// $9000 payment limit).
	authorizedLimit = big.NewRat(1000, 1)
	declineLimit    = big.NewRat(9000, 1)
)

type lmToken struct {
	scope   string
	expires time.Time
}

type lmSession struct {
	firstName, lastName, email string
	experience                 string
	payment                    *linkmoney.PaymentDetails
	created                    time.Time
	done                       bool
	customerID, paymentID      string
	redirect                   string                 // redirectUrl, where the hosted UI returns
	order                      linkmoney.OrderDetails // shown by the hosted UI
}

type lmCustomer struct {
	id                         string
	firstName, lastName, email string
	status                     string
	created                    time.Time
	accounts                   []lmAccount
	profile                    string // the sandbox login (profile_522, profile_08)
}

type lmAccount struct {
	id, institutionID int64
	institutionName   string
	lastFour          string
	accountType       string
	status            string
	preferred         bool
	routingNumber     string
}

type lmPayment struct {
	id         string
	customerID string
	debit      bool
	refund     bool
	amount     *big.Rat
	refunded   *big.Rat
	status     string // as recorded at creation, or by a release
	clientRef  string
	lastFour   string
	created    time.Time
	authorized time.Time // when the payment was authorized; zero while it is not
	nsf        bool      // the customer's bank returns it for insufficient funds (profile_08)
}

type lmState struct {
	tokens      map[string]*lmToken
	issued      int
	sessions    map[string]*lmSession
	customers   map[string]*lmCustomer
	payments    map[string]*lmPayment
	requestKeys map[string]string // requestKey → payment or refund id
}

func (l *lmState) init() {
	l.tokens = map[string]*lmToken{}
	l.sessions = map[string]*lmSession{}
	l.customers = map[string]*lmCustomer{}
	l.payments = map[string]*lmPayment{}
	l.requestKeys = map[string]string{}
}

func lmTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

// lmTimestamp is t as Link Money writes it: UTC with milliseconds.
func lmTimestamp(t time.Time) timestamp.Time { return mustTimestamp(lmTime(t)) }

func lmGenErr(code, msg string) linkmoney.LinkMoneyError {
	id, sev := lmErrorIDs[code], "ERROR"
	return linkmoney.LinkMoneyError{ErrorId: id, ErrorCode: code, ErrorMessage: msg, ErrorSeverity: sev}
}

// lmServer implements Link Money's strict server interface. Authentication
// and validation happened before any of its methods run.
type lmServer struct{ s *Sandbox }

var _ linkmoney.StrictServerInterface = (*lmServer)(nil)

// CreateToken issues a bearer token for one scope.
func (h *lmServer) CreateToken(ctx context.Context, req linkmoney.CreateTokenRequestObject) (linkmoney.CreateTokenResponseObject, error) {
	s, rs := h.s, stateOf(ctx)
	b := req.Body
	var id, secret string
	if b != nil {
		secret = b.ClientSecret
		if b.ClientId != nil {
			id = *b.ClientId
		}
	}
	if id == "" && rs.req != nil {
		if u, p, ok := rs.req.BasicAuth(); ok {
			id = u
			if secret == "" {
				secret = p
			}
		}
	}
	if !s.lmCredsMatch(id, secret) {
		s.logf("linkmoney createToken: 401 bad client credentials")
		return linkmoney.CreateToken401JSONResponse{LinkMoneyUnauthorizedJSONResponse: linkmoney.LinkMoneyUnauthorizedJSONResponse(lmGenErr("UNAUTHORIZED", "Invalid client credentials."))}, nil
	}
	scope := scopeCore
	if b != nil && b.Scope != nil {
		scope = string(*b.Scope)
	}
	tok := "lm_sandbox_" + s.ids.base62(40)
	now := s.Now()
	s.mu.Lock()
	s.lm.tokens[tok] = &lmToken{scope: scope, expires: now.Add(s.cfg.TokenTTL)}
	s.lm.issued++
	if s.lm.issued%1024 == 0 {
		for k, t := range s.lm.tokens {
			if now.Sub(t.expires) > 24*time.Hour {
				delete(s.lm.tokens, k)
			}
		}
	}
	s.mu.Unlock()
	return linkmoney.CreateToken200JSONResponse{AccessToken: tok, ExpiresIn: ttlSeconds(s.cfg.TokenTTL), Scope: scope, TokenType: "Bearer"}, nil
}

// CreateSession opens a hosted-UI session.
func (h *lmServer) CreateSession(ctx context.Context, req linkmoney.CreateSessionRequestObject) (linkmoney.CreateSessionResponseObject, error) {
	s := h.s
	b := req.Body
	bad := func(code, msg string) (linkmoney.CreateSessionResponseObject, error) {
		return linkmoney.CreateSession400JSONResponse{LinkMoneyBadRequestJSONResponse: linkmoney.LinkMoneyBadRequestJSONResponse(lmGenErr(code, msg))}, nil
	}
	sess := &lmSession{firstName: b.FirstName, lastName: b.LastName, email: b.Email, experience: string(b.ExperienceId),
		redirect: b.RedirectUrl, order: b.OrderDetails, created: s.Now()}
	if b.PaymentDetails != (linkmoney.PaymentDetails{}) {
		pd := b.PaymentDetails
		sess.payment = &pd
	}
	if sess.experience == string(linkmoney.ExperienceIDLINKMANAGEDPAYMENT) && sess.payment == nil {
		return bad("BAD_REQUEST", "Invalid request: body.paymentDetails: Field required when experienceId is LINK_MANAGED_PAYMENT")
	}
	key := s.ids.sessionKey()
	s.mu.Lock()
	defer s.mu.Unlock()
	if pd := sess.payment; pd != nil {
		if _, dup := s.lm.requestKeys[pd.RequestKey]; dup {
			return bad("DUPLICATE_REQUEST_KEY", "A payment with this requestKey already exists.")
		}
	}
	s.lm.sessions[key] = sess
	// The hosted UI is the sandbox's own page, with the real sessionUrl's query.
	u := s.pagesRoot(stateOf(ctx).req) + lmUIPath + "?redirect=" + url.QueryEscape(b.RedirectUrl) + "&version=web-v1.0.0&sessionKey=" + key
	return linkmoney.CreateSession200JSONResponse{SessionKey: key, SessionUrl: u}, nil
}

func (c *lmCustomer) view() linkmoney.Customer {
	out := linkmoney.Customer{
		Id:             c.id,
		FirstName:      c.firstName,
		LastName:       c.lastName,
		Email:          c.email,
		CustomerStatus: linkmoney.CustomerStatus(c.status),
		CreationDate:   lmTimestamp(c.created),
	}
	for _, a := range c.accounts {
		if a.preferred {
			out.AccountDetails = linkmoney.CustomerAccountSummary{
				FinancialInstitutionName: a.institutionName,
				AccountLastFourDigits:    a.lastFour,
				AccountType:              linkmoney.AccountType(a.accountType),
				AccountStatus:            linkmoney.AccountStatus(a.status),
				Preferred:                true,
				CreationDate:             lmTimestamp(c.created),
			}
		}
	}
	return out
}

// GetCustomer answers a customer created by a completed session.
func (h *lmServer) GetCustomer(ctx context.Context, req linkmoney.GetCustomerRequestObject) (linkmoney.GetCustomerResponseObject, error) {
	s := h.s
	s.mu.RLock()
	defer s.mu.RUnlock()
	c := s.lm.customers[req.CustomerId]
	if c == nil {
		return linkmoney.GetCustomer404JSONResponse{LinkMoneyNotFoundJSONResponse: linkmoney.LinkMoneyNotFoundJSONResponse(lmGenErr("NOT_FOUND", "Customer not found."))}, nil
	}
	return linkmoney.GetCustomer200JSONResponse(c.view()), nil
}

// GetCustomerAccounts answers a customer's linked accounts.
func (h *lmServer) GetCustomerAccounts(ctx context.Context, req linkmoney.GetCustomerAccountsRequestObject) (linkmoney.GetCustomerAccountsResponseObject, error) {
	s := h.s
	s.mu.RLock()
	defer s.mu.RUnlock()
	c := s.lm.customers[req.CustomerId]
	if c == nil {
		return linkmoney.GetCustomerAccounts404JSONResponse{LinkMoneyNotFoundJSONResponse: linkmoney.LinkMoneyNotFoundJSONResponse(lmGenErr("NOT_FOUND", "Customer not found."))}, nil
	}
	accts := make([]linkmoney.CustomerAccount, 0, len(c.accounts))
	for _, a := range c.accounts {
		accts = append(accts, linkmoney.CustomerAccount{
			AccountId:                a.id,
			FinancialInstitutionId:   a.institutionID,
			FinancialInstitutionName: a.institutionName,
			LogoUrl:                  "https://sandbox.invalid/banks/finbank/logo.png",
			IconUrl:                  "https://sandbox.invalid/banks/finbank/icon.png",
			AccountLastFourDigits:    a.lastFour,
			AccountType:              linkmoney.AccountType(a.accountType),
			AccountStatus:            linkmoney.AccountStatus(a.status),
			Preferred:                a.preferred,
			RoutingNumber:            a.routingNumber,
			CreationDate:             lmTimestamp(c.created),
		})
	}
	return linkmoney.GetCustomerAccounts200JSONResponse{CustomerId: c.id, AccountDetails: accts}, nil
}

// lmFailure is a rejected payment or refund call.
type lmFailure struct {
	status int
	code   string
	msg    string
}

func parseAmount(n json.Number) (*big.Rat, bool) {
	if !numberInBounds(string(n)) {
		return nil, false
	}
	r, ok := new(big.Rat).SetString(string(n))
	if !ok || r.Sign() <= 0 {
		return nil, false
	}
	return r, true
}

// createPaymentLocked records a payment; the caller holds s.mu.
func (s *Sandbox) createPaymentLocked(customerID string, debit bool, amount json.Number, clientRef string, requestKey string) (linkmoney.PaymentResponse, *lmFailure) {
	if _, dup := s.lm.requestKeys[requestKey]; dup {
		return linkmoney.PaymentResponse{}, &lmFailure{400, "DUPLICATE_REQUEST_KEY", "A payment or refund with this requestKey already exists."}
	}
	c := s.lm.customers[customerID]
	switch {
	case c == nil:
		return linkmoney.PaymentResponse{}, &lmFailure{400, "CUSTOMER_NOT_FOUND", "Customer not found."}
	case c.status != "ACTIVE":
		return linkmoney.PaymentResponse{}, &lmFailure{400, "CUSTOMER_NOT_ACTIVE", "Customer is not active."}
	}
	amt, ok := parseAmount(amount)
	if !ok {
		return linkmoney.PaymentResponse{}, &lmFailure{400, "BAD_REQUEST", "Invalid request: body.amount.value: Input should be a positive decimal"}
	}
	p := &lmPayment{id: s.ids.uuid(), customerID: c.id, debit: debit, amount: amt, refunded: new(big.Rat), clientRef: clientRef,
		nsf: debit && c.profile == lmProfileNSF}
	if len(c.accounts) > 0 {
		p.lastFour = c.accounts[0].lastFour
	}
	resp := linkmoney.PaymentResponse{PaymentId: p.id, ClientReferenceId: clientRef}
	switch {
	case amt.Cmp(declineLimit) > 0:
		p.status = statusTerminalFailed
		resp.ErrorDetails = linkmoney.ErrorDetails{ErrorCode: "PAYMENT_DECLINED", ErrorMessage: "Transaction amount is greater than the limit."}
	case amt.Cmp(authorizedLimit) > 0:
		p.status = statusPending
	default:
		p.status = statusAuthorized
		p.authorized = s.Now()
	}
	resp.PaymentStatus = linkmoney.PaymentStatus(p.status)
	p.created = s.Now()
	s.lm.payments[p.id] = p
	s.lm.requestKeys[requestKey] = p.id
	s.lmPaymentEvents(p, clientRef)
	return resp, nil
}

// CreatePayment debits or credits a customer.
func (h *lmServer) CreatePayment(ctx context.Context, req linkmoney.CreatePaymentRequestObject) (linkmoney.CreatePaymentResponseObject, error) {
	s := h.s
	b := req.Body
	var customerID string
	var debit bool
	switch {
	case b.Source.Type == linkmoney.PartyTypeCUSTOMER && b.Destination.Type == linkmoney.PartyTypeMERCHANT:
		customerID, debit = b.Source.Id, true
	case b.Source.Type == linkmoney.PartyTypeMERCHANT && b.Destination.Type == linkmoney.PartyTypeCUSTOMER:
		customerID = b.Destination.Id
	default:
		return linkmoney.CreatePayment400JSONResponse{LinkMoneyBadRequestJSONResponse: linkmoney.LinkMoneyBadRequestJSONResponse(
			lmGenErr("INVALID_PAYMENT", "One of source and destination must be a CUSTOMER and the other a MERCHANT."))}, nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	resp, fail := s.createPaymentLocked(customerID, debit, b.Amount.Value, b.ClientReferenceId, b.RequestKey)
	if fail != nil {
		return linkmoney.CreatePayment400JSONResponse{LinkMoneyBadRequestJSONResponse: linkmoney.LinkMoneyBadRequestJSONResponse(lmGenErr(fail.code, fail.msg))}, nil
	}
	return linkmoney.CreatePayment200JSONResponse(resp), nil
}

// CreateRefund refunds part or all of a debit.
func (h *lmServer) CreateRefund(ctx context.Context, req linkmoney.CreateRefundRequestObject) (linkmoney.CreateRefundResponseObject, error) {
	s := h.s
	b := req.Body
	bad := func(code, msg string) (linkmoney.CreateRefundResponseObject, error) {
		return linkmoney.CreateRefund400JSONResponse{LinkMoneyBadRequestJSONResponse: linkmoney.LinkMoneyBadRequestJSONResponse(lmGenErr(code, msg))}, nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, dup := s.lm.requestKeys[b.RequestKey]; dup {
		return bad("DUPLICATE_REQUEST_KEY", "A payment or refund with this requestKey already exists.")
	}
	p := s.lm.payments[b.PaymentId]
	if p == nil || p.refund {
		return linkmoney.CreateRefund404JSONResponse{LinkMoneyNotFoundJSONResponse: linkmoney.LinkMoneyNotFoundJSONResponse(lmGenErr("NOT_FOUND", "Payment not found."))}, nil
	}
	if !p.debit || p.status == statusTerminalFailed {
		return bad("INVALID_REFUND", "This payment cannot be refunded.")
	}
	amt, ok := parseAmount(b.Amount.Value)
	if !ok {
		return bad("BAD_REQUEST", "Invalid request: body.amount.value: Input should be a positive decimal")
	}
	remaining := new(big.Rat).Sub(p.amount, p.refunded)
	if amt.Cmp(remaining) > 0 {
		return bad("INVALID_REFUND", "The refund amount exceeds the amount left to refund.")
	}
	p.refunded.Add(p.refunded, amt)
	r := &lmPayment{id: s.ids.uuid(), customerID: p.customerID, refund: true, amount: amt, refunded: new(big.Rat), status: statusPending}
	r.created = s.Now()
	s.lm.payments[r.id] = r
	s.lm.requestKeys[b.RequestKey] = r.id
	return linkmoney.CreateRefund201JSONResponse{PaymentId: r.id, PaymentStatus: linkmoney.PaymentStatus(r.status), ClientReferenceId: b.ClientReferenceId}, nil
}

// newCustomerLocked creates an ACTIVE customer with the accounts the
// customer was shown (by default a checking and a savings account at
// FinBank Profiles - A), the chosen one preferred and first.
func (s *Sandbox) newCustomerLocked(sess *lmSession, ch lmChoice) *lmCustomer {
	now := s.Now()
	c := &lmCustomer{
		id: s.ids.uuid(), firstName: sess.firstName, lastName: sess.lastName, email: sess.email,
		status: "ACTIVE", created: now, profile: ch.profile,
	}
	if c.profile == "" {
		c.profile = lmProfileGood
	}
	accts := ch.accounts
	if accts == nil {
		accts = s.newLMAccounts(ch.bank)
	}
	for i, a := range accts {
		a.preferred = i == ch.account
		if a.preferred {
			c.accounts = append([]lmAccount{a}, c.accounts...)
		} else {
			c.accounts = append(c.accounts, a)
		}
	}
	s.lm.customers[c.id] = c
	return c
}

// newLMAccounts makes a checking and a savings account at one of Link
// Money's sandbox banks (FinBank Profiles - A when bank is "").
func (s *Sandbox) newLMAccounts(bank string) []lmAccount {
	b := lmBankByName(bank)
	base := int64(s.ids.intN(900_000_000)) + 100_000_000
	out := make([]lmAccount, 0, 2)
	for i, typ := range []string{"checking", "savings"} {
		out = append(out, lmAccount{
			id:              base + int64(i),
			institutionID:   b.id,
			institutionName: b.name,
			lastFour:        fmt.Sprintf("%04d", s.ids.intN(10000)),
			accountType:     typ,
			status:          "ACTIVE",
			routingNumber:   "011000015",
		})
	}
	return out
}
