package sandbox

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"time"

	"github.com/banklink/banklink/gen/moneykit"
	"github.com/banklink/banklink/internal/timestamp"
)

// mkApp is a MoneyKit application (one key pair).
type mkApp struct {
	id           string
	clientID     string
	clientSecret string
}

type mkToken struct {
	app     *mkApp
	expires time.Time
}

// institution is a MoneyKit sandbox institution.
type institution struct {
	id       string
	name     string
	country  string
	featured bool
	products []string // the products it supports, accounts first
}

var institutions = map[string]institution{
	"instant_bank":     {id: "instant_bank", name: "Instant Bank", country: "US", featured: true, products: []string{"accounts", "account_numbers", "identity", "transactions"}},
	"credentials_bank": {id: "credentials_bank", name: "Credentials Bank", country: "US", featured: true, products: []string{"accounts", "account_numbers", "identity", "transactions", "investments"}},
	"oauth_bank":       {id: "oauth_bank", name: "OAuth Bank", country: "US", featured: true, products: []string{"accounts", "account_numbers", "identity", "transactions"}},
}

const defaultInstitution = "instant_bank"

type requestedProduct struct {
	name     string
	required bool
}

type linkSession struct {
	app            *mkApp
	userID         string
	institutionID  string // "" lets the user pick
	webhook        *string
	tags           *[]string
	products       []requestedProduct
	existingLinkID string
	custom         *moneykit.CustomSandboxData
	redirectURI    string // where OAuth Bank's authorize page returns
	created        time.Time
	done           bool
}

type exchangeable struct {
	app    *mkApp
	linkID string
	used   bool
}

type link struct {
	id             string
	app            *mkApp
	userID         string
	institutionID  string
	state          string
	errorCode      string
	webhook        *string
	tags           *[]string
	products       []string // granted
	accountsDenied bool
	syncedAt       time.Time
	created        time.Time
	custom         *moneykit.CustomSandboxData // replaces the generated accounts and owners
	data           *linkData                   // generated on first use
}

type mkState struct {
	tokens   map[string]*mkToken
	issued   int
	sessions map[string]*linkSession
	exch     map[string]*exchangeable
	links    map[string]*link
}

func (m *mkState) init() {
	m.tokens = map[string]*mkToken{}
	m.sessions = map[string]*linkSession{}
	m.exch = map[string]*exchangeable{}
	m.links = map[string]*link{}
}

// view renders a link as MoneyKit's LinkCommon.
func (l *link) view() moneykit.LinkCommon {
	inst := institutions[l.institutionID]
	// MoneyKit's own example of last_synced_at carries no offset, but the
	// field is a date-time: the sandbox sends RFC 3339 in UTC, which every
	// strict decoder reads (banklink reads both forms).
	refreshed := timestamp.New(l.syncedAt.UTC().Truncate(time.Second))
	synced := refreshed
	lc := moneykit.LinkCommon{
		LinkId:            l.id,
		InstitutionId:     inst.id,
		InstitutionName:   inst.name,
		InstitutionAvatar: "https://sandbox.invalid/institutions/" + inst.id + ".png",
		State:             moneykit.PublicLinkState(l.state),
		LastSyncedAt:      synced,
		Provider:          moneykit.Provider("moneykit"),
		Webhook:           deref(l.webhook),
		AvailableProducts: []moneykit.Product{},
	}
	if l.errorCode != "" {
		lc.ErrorCode = moneykit.PublicLinkError(l.errorCode)
	}
	if l.tags != nil {
		lc.LinkTags = append([]string{}, *l.tags...)
		lc.Tags = append([]string{}, *l.tags...)
	}
	for _, p := range l.products {
		pr := moneykit.LinkProductResponse{RefreshedAt: refreshed}
		switch p {
		case "accounts":
			lc.Products.Accounts = pr
		case "account_numbers":
			lc.Products.AccountNumbers = pr
		case "identity":
			lc.Products.Identity = pr
		case "investments":
			lc.Products.Investments = pr
		case "enrichment":
			lc.Products.Enrichment = pr
		case "transactions":
			// has_history is required: the official SDKs refuse a
			// transactions product without it. The sandbox fetches the
			// whole (empty) history at link time.
			lc.Products.Transactions = moneykit.TransactionsLinkProduct{RefreshedAt: refreshed, HasHistory: true}
		}
	}
	for _, p := range inst.products {
		if !slices.Contains(l.products, p) {
			lc.AvailableProducts = append(lc.AvailableProducts, moneykit.Product(p))
		}
	}
	return lc
}

// mkServer implements MoneyKit's strict server interface. Authentication,
// validation and rate limits happened before any of its methods run.
type mkServer struct{ s *Sandbox }

var _ moneykit.StrictServerInterface = (*mkServer)(nil)

// CreateAccessToken issues an opaque bearer token for valid client credentials.
func (m *mkServer) CreateAccessToken(ctx context.Context, req moneykit.CreateAccessTokenRequestObject) (moneykit.CreateAccessTokenResponseObject, error) {
	s, rs := m.s, stateOf(ctx)
	var id, secret string
	b := req.Body
	if b != nil && b.ClientId != nil {
		id = *b.ClientId
		if b.ClientSecret != nil {
			secret = *b.ClientSecret
		}
	} else if rs.req != nil {
		id, secret, _ = rs.req.BasicAuth()
	}
	app := s.mkAppByCreds(id, secret)
	if app == nil {
		s.logf("moneykit createAccessToken: 401 bad client credentials")
		return moneykit.CreateAccessToken401JSONResponse{ErrorCode: "api_error.auth.unauthorized", ErrorMessage: "Invalid client credentials."}, nil
	}
	if b != nil && b.GrantType != nil && *b.GrantType != "client_credentials" {
		return moneykit.CreateAccessToken400JSONResponse{ErrorCode: "api_error.auth.unauthorized", ErrorMessage: "Invalid grant_type"}, nil
	}
	tok := "mk_sandbox_" + s.ids.base62(40)
	now := s.Now()
	s.mu.Lock()
	s.mk.tokens[tok] = &mkToken{app: app, expires: now.Add(s.cfg.TokenTTL)}
	s.mk.issued++
	if s.mk.issued%1024 == 0 {
		// Forget tokens that expired long ago; recent ones stay, so that
		// they still answer "expired" rather than "unknown".
		for k, t := range s.mk.tokens {
			if now.Sub(t.expires) > 24*time.Hour {
				delete(s.mk.tokens, k)
			}
		}
	}
	s.mu.Unlock()
	return moneykit.CreateAccessToken201JSONResponse{AccessToken: tok, TokenType: "bearer", ExpiresIn: ttlSeconds(s.cfg.TokenTTL)}, nil
}

func ttlSeconds(d time.Duration) int {
	if n := int(d / time.Second); n > 0 {
		return n
	}
	return 1
}

// CreateLinkSession starts a Connect session.
func (m *mkServer) CreateLinkSession(ctx context.Context, req moneykit.CreateLinkSessionRequestObject) (moneykit.CreateLinkSessionResponseObject, error) {
	s, rs := m.s, stateOf(ctx)
	b := req.Body
	forbidden := func(msg string) (moneykit.CreateLinkSessionResponseObject, error) {
		return moneykit.CreateLinkSession403JSONResponse{ErrorCode: "link_session_error.forbidden_config", ErrorMessage: msg}, nil
	}
	sess := &linkSession{app: rs.mkApp, userID: b.CustomerUser.Id, redirectURI: b.RedirectUri, created: s.Now()}
	if b.Webhook != "" {
		webhook := b.Webhook
		sess.webhook = &webhook
	}
	if b.LinkTags != nil {
		tags := append([]string{}, b.LinkTags...)
		sess.tags = &tags
	}
	if c := b.CustomSandboxData; len(c.Accounts) > 0 {
		for i, a := range c.Accounts {
			if a.RoutingNumber != "" && !validABA(a.RoutingNumber) {
				return moneykit.CreateLinkSession422JSONResponse{MoneyKitValidationFailedJSONResponse: moneykit.MoneyKitValidationFailedJSONResponse{
					ErrorCode:    "api_error.request.validation_failed",
					ErrorMessage: fmt.Sprintf("custom_sandbox_data.accounts[%d].routing_number: the ABA check digit is wrong", i),
					ValidationErrors: []moneykit.ValidationError{{
						Location: []any{"body", "custom_sandbox_data", "accounts", i, "routing_number"},
						Message:  "the ABA check digit is wrong", Type: "value_error",
					}},
				}}, nil
			}
		}
		sess.custom = &c
	}
	{
		ps := &b.Settings
		for name, p := range map[string]*moneykit.ProductSettings{
			"account_numbers": ps.Products.AccountNumbers,
			"identity":        ps.Products.Identity,
			"investments":     ps.Products.Investments,
			"transactions":    ps.Products.Transactions,
		} {
			if p != nil {
				sess.products = append(sess.products, requestedProduct{name: name, required: p.Required != nil && *p.Required})
			}
		}
		sort.Slice(sess.products, func(i, j int) bool { return sess.products[i].name < sess.products[j].name })
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case b.ExistingLinkId != "":
		l := s.mk.links[b.ExistingLinkId]
		if l == nil || l.app != rs.mkApp || l.state == "deleted" {
			return forbidden("existing_link_id does not name a link this application can reconnect.")
		}
		sess.existingLinkID = l.id
		sess.institutionID = l.institutionID
		sess.userID = l.userID
	case b.InstitutionId != "":
		if _, ok := institutions[b.InstitutionId]; !ok {
			return forbidden("This institution is not available to this application.")
		}
		sess.institutionID = b.InstitutionId
	}
	tok := "sandbox_" + s.ids.uuid()
	s.mk.sessions[tok] = sess
	return moneykit.CreateLinkSession201JSONResponse{LinkSessionToken: tok}, nil
}

// ExchangeToken turns an exchangeable token into the link, once.
func (m *mkServer) ExchangeToken(ctx context.Context, req moneykit.ExchangeTokenRequestObject) (moneykit.ExchangeTokenResponseObject, error) {
	s, rs := m.s, stateOf(ctx)
	s.mu.Lock()
	defer s.mu.Unlock()
	e := s.mk.exch[req.Body.ExchangeableToken]
	if e == nil || e.used || e.app != rs.mkApp {
		return moneykit.ExchangeToken400JSONResponse{ErrorCode: "link_session_error.invalid_token_exchange", ErrorMessage: "Invalid token for link."}, nil
	}
	e.used = true
	l := s.mk.links[e.linkID]
	if l.state == "awaiting_token_exchange" {
		l.state = "connected"
		s.mkLinkStateChangedLocked(l)
	}
	return moneykit.ExchangeToken201JSONResponse{LinkId: l.id, Link: l.view()}, nil
}

// lookupLink resolves a link-scoped call: nil with a response kind when the
// link is unknown or belongs to another application.
func (s *Sandbox) lookupLink(rs *reqState, id string) (*link, int) {
	l := s.mk.links[id]
	if l == nil {
		return nil, http.StatusNotFound
	}
	if l.app != rs.mkApp {
		return nil, http.StatusUnauthorized
	}
	return l, 0
}

const (
	msgLinkNotFound     = "Link not found."
	msgLinkBadState     = "The link is in an error state and must be reconnected."
	msgLinkDeleted      = "This link was deleted at some earlier time."
	msgUnauthorizedLink = "Unauthorized link access."
)

// GetLink answers a link's details; see the package documentation for the
// rules on deleted, failed and denied links.
func (m *mkServer) GetLink(ctx context.Context, req moneykit.GetLinkRequestObject) (moneykit.GetLinkResponseObject, error) {
	s, rs := m.s, stateOf(ctx)
	s.mu.RLock()
	defer s.mu.RUnlock()
	l, miss := s.lookupLink(rs, req.Id)
	switch miss {
	case http.StatusNotFound:
		return moneykit.GetLink404JSONResponse{MoneyKitLinkNotFoundJSONResponse: moneykit.MoneyKitLinkNotFoundJSONResponse{ErrorCode: "link_error.not_found", ErrorMessage: msgLinkNotFound}}, nil
	case http.StatusUnauthorized:
		return moneykit.GetLink401JSONResponse{MoneyKitLinkUnauthorizedJSONResponse: linkUnauthorized()}, nil
	}
	switch {
	case l.state == "deleted":
	case l.state == "error":
		return moneykit.GetLink422JSONResponse{MoneyKitLinkBadStateJSONResponse: linkBadState(l.errorCode)}, nil
	case l.accountsDenied:
		return moneykit.GetLink403JSONResponse{MoneyKitLinkForbiddenJSONResponse: moneykit.MoneyKitLinkForbiddenJSONResponse{
			ErrorCode: "link_error.forbidden_action", ErrorMessage: "Accounts access not permitted",
		}}, nil
	}
	return moneykit.GetLink200JSONResponse(l.view()), nil
}

// UpdateLink replaces a link's webhook and tags.
func (m *mkServer) UpdateLink(ctx context.Context, req moneykit.UpdateLinkRequestObject) (moneykit.UpdateLinkResponseObject, error) {
	s, rs := m.s, stateOf(ctx)
	s.mu.Lock()
	defer s.mu.Unlock()
	l, miss := s.lookupLink(rs, req.Id)
	switch {
	case miss == http.StatusNotFound:
		return moneykit.UpdateLink404JSONResponse{MoneyKitLinkNotFoundJSONResponse: moneykit.MoneyKitLinkNotFoundJSONResponse{ErrorCode: "link_error.not_found", ErrorMessage: msgLinkNotFound}}, nil
	case miss == http.StatusUnauthorized:
		return moneykit.UpdateLink401JSONResponse{MoneyKitLinkUnauthorizedJSONResponse: linkUnauthorized()}, nil
	case l.state == "deleted":
		return moneykit.UpdateLink410JSONResponse{MoneyKitLinkDeletedJSONResponse: moneykit.MoneyKitLinkDeletedJSONResponse{ErrorCode: "link_error.deleted", ErrorMessage: msgLinkDeleted}}, nil
	}
	b := req.Body
	if b.Webhook.IsSpecified() {
		if b.Webhook.IsNull() {
			l.webhook = nil
		} else {
			v := b.Webhook.MustGet()
			l.webhook = &v
		}
	}
	switch {
	case b.LinkTags != nil:
		tags := append([]string{}, *b.LinkTags...)
		l.tags = &tags
	case b.Tags != nil:
		tags := append([]string{}, *b.Tags...)
		l.tags = &tags
	}
	return moneykit.UpdateLink200JSONResponse(l.view()), nil
}

// DeleteLink disconnects a link; it stays readable in state deleted.
func (m *mkServer) DeleteLink(ctx context.Context, req moneykit.DeleteLinkRequestObject) (moneykit.DeleteLinkResponseObject, error) {
	s, rs := m.s, stateOf(ctx)
	s.mu.Lock()
	defer s.mu.Unlock()
	l, miss := s.lookupLink(rs, req.Id)
	switch {
	case miss == http.StatusNotFound:
		return moneykit.DeleteLink404JSONResponse{MoneyKitLinkNotFoundJSONResponse: moneykit.MoneyKitLinkNotFoundJSONResponse{ErrorCode: "link_error.not_found", ErrorMessage: msgLinkNotFound}}, nil
	case miss == http.StatusUnauthorized:
		return moneykit.DeleteLink401JSONResponse{MoneyKitLinkUnauthorizedJSONResponse: linkUnauthorized()}, nil
	case l.state == "deleted":
		return moneykit.DeleteLink410JSONResponse{MoneyKitLinkDeletedJSONResponse: moneykit.MoneyKitLinkDeletedJSONResponse{ErrorCode: "link_error.deleted", ErrorMessage: msgLinkDeleted}}, nil
	}
	l.state, l.errorCode = "deleted", ""
	s.mkLinkStateChangedLocked(l)
	return moneykit.DeleteLink204Response{}, nil
}

// GetUserLinks lists a user's links that are not deleted.
func (m *mkServer) GetUserLinks(ctx context.Context, req moneykit.GetUserLinksRequestObject) (moneykit.GetUserLinksResponseObject, error) {
	s, rs := m.s, stateOf(ctx)
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := map[string]moneykit.LinkCommon{}
	for id, l := range s.mk.links {
		if l.app == rs.mkApp && l.userID == req.Id && l.state != "deleted" {
			out[id] = l.view()
		}
	}
	return moneykit.GetUserLinks200JSONResponse{Links: out}, nil
}

// GetJWKS publishes the sandbox's webhook signing keys, the current one first.
func (m *mkServer) GetJWKS(ctx context.Context, req moneykit.GetJWKSRequestObject) (moneykit.GetJWKSResponseObject, error) {
	return moneykit.GetJWKS200JSONResponse{Keys: m.s.jwks()}, nil
}

// linkBadState is the 422 a link-scoped call gets for a link in the error
// state.
func linkBadState(linkErrorCode string) moneykit.MoneyKitLinkBadStateJSONResponse {
	var u moneykit.LinkUnprocessableResponse
	if err := u.FromLinkErrorBadStateResponse(moneykit.LinkErrorBadStateResponse{
		ErrorCode: "link_error.bad_state", ErrorMessage: msgLinkBadState, LinkErrorCode: linkErrorCode,
	}); err != nil {
		panic(err) // a struct of strings always marshals
	}
	return moneykit.MoneyKitLinkBadStateJSONResponse(u)
}

// linkUnauthorized is the 401 a link-scoped call gets for a link of another
// application.
func linkUnauthorized() moneykit.MoneyKitLinkUnauthorizedJSONResponse {
	var u moneykit.LinkAuthErrorResponse
	if err := u.FromLinkErrorUnauthorizedAccessResponse(moneykit.LinkErrorUnauthorizedAccessResponse{
		ErrorCode: moneykit.LinkErrorUnauthorizedAccessResponseErrorCodeLinkErrorUnauthorizedAccess, ErrorMessage: msgUnauthorizedLink,
	}); err != nil {
		panic(err) // a struct of strings always marshals
	}
	return moneykit.MoneyKitLinkUnauthorizedJSONResponse(u)
}

// mustTimestamp parses a timestamp the sandbox formats itself.
func mustTimestamp(s string) timestamp.Time {
	t, err := timestamp.Parse(s)
	if err != nil {
		panic(err) // the sandbox's own layouts always parse
	}
	return t
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}
