package facade

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"sync"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/banklink/banklink/facade/internal/validate"
	"github.com/banklink/banklink/gen/linkmoney"
	"github.com/banklink/banklink/gen/moneykit"
)

// Provider names an upstream API.
type Provider string

const (
	ProviderMoneyKit  Provider = "moneykit"
	ProviderLinkMoney Provider = "linkmoney"
)

// Safety is an operation's retry class, read from the spec's x-banklink-retry.
type Safety int

const (
	// SafetyUnknown is the zero value; no operation in the spec has it.
	SafetyUnknown Safety = iota
	// SafetySafe operations may be repeated with no further effect.
	SafetySafe
	// SafetyIdempotencyKey operations carry a key in the body that the server
	// deduplicates on; banklink reuses the same key on every attempt.
	SafetyIdempotencyKey
	// SafetySingleUse operations are never replayed once the server may have seen them.
	SafetySingleUse
	// SafetyUnsafe operations are replayed only after a 429 or when the request
	// never reached the server.
	SafetyUnsafe
)

var safetyNames = map[string]Safety{
	"safe":            SafetySafe,
	"idempotency-key": SafetyIdempotencyKey,
	"single-use":      SafetySingleUse,
	"unsafe":          SafetyUnsafe,
}

func (s Safety) String() string {
	switch s {
	case SafetySafe:
		return "safe"
	case SafetyIdempotencyKey:
		return "idempotency-key"
	case SafetySingleUse:
		return "single-use"
	case SafetyUnsafe:
		return "unsafe"
	}
	return "unknown"
}

// authKind is how an operation authenticates, derived from its security requirement.
type authKind int

const (
	authNone     authKind = iota // credentials travel in the form body, or none are needed
	authBasic                    // HTTP Basic client_id:client_secret
	authBearer                   // OAuth2 client-credentials bearer token
	authClientID                 // API key header carrying the client id
)

func (a authKind) String() string {
	return [...]string{"none", "basic", "bearer", "client-id"}[a]
}

// operation is one row of the table read from the spec.
type operation struct {
	idx            opIndex
	id             string // operationId as in the embedded spec
	provider       Provider
	method         string
	path           string // path template, e.g. /links/{id}; the only path banklink logs
	safety         Safety
	idempotencyKey string // JSON name of the idempotency key, for SafetyIdempotencyKey
	auth           authKind
	authHeader     string // header name for authClientID
	scope          string // OAuth2 scope for authBearer (Link Money)
	scopeIdx       int    // index into the provider's token caches
}

// opIndex names the operations banklink implements; the table maps each to
// the spec's operationId. Policy comes from the spec, not from here.
type opIndex int

const (
	opCreateAccessToken opIndex = iota
	opCreateLinkSession
	opExchangeToken
	opGetLink
	opUpdateLink
	opDeleteLink
	opGetUserLinks
	opGetJWKS
	opGetLinks
	opRefreshProducts
	opResetLink
	opImportLink
	opImportTransactions
	opGetAccounts
	opGetAccount
	opGetAccountNumbers
	opGetIdentity
	opGetTransactions
	opGetTransactionsSync
	opUpdateTransactionEnrichment
	opGetHoldings
	opGetInvestmentTransactions
	opGetUserAccounts
	opGetUserTransactions
	opGetInstitutions
	opGetInstitution
	opIntrospectClient
	opWebhookTestLink

	opCreateToken
	opCreateSession
	opGetCustomer
	opGetCustomerAccounts
	opCreatePayment
	opCreateRefund
	opReleasePayment
	opGetTransaction
	opSubscribeWebhook
	opUnsubscribeWebhook

	numOps
)

// opSpec binds an opIndex to its provider and operationId, and for
// idempotency-key operations to the Go request type whose JSON field must
// match the spec's x-banklink-idempotency-key.
var opSpecs = [numOps]struct {
	provider    Provider
	operationID string
	keyType     reflect.Type
}{
	opCreateAccessToken: {ProviderMoneyKit, "createAccessToken", nil},
	opCreateLinkSession: {ProviderMoneyKit, "createLinkSession", nil},
	opExchangeToken:     {ProviderMoneyKit, "exchangeToken", nil},
	opGetLink:           {ProviderMoneyKit, "getLink", nil},
	opUpdateLink:        {ProviderMoneyKit, "updateLink", nil},
	opDeleteLink:        {ProviderMoneyKit, "deleteLink", nil},
	opGetUserLinks:      {ProviderMoneyKit, "getUserLinks", nil},
	opGetJWKS:           {ProviderMoneyKit, "getJWKS", nil},
	opWebhookTestLink:   {ProviderMoneyKit, "webhookTestLink", reflect.TypeFor[moneykit.WebhookTestLinkRequest]()},

	opGetLinks:                    {ProviderMoneyKit, "getLinks", nil},
	opRefreshProducts:             {ProviderMoneyKit, "refreshProducts", nil},
	opResetLink:                   {ProviderMoneyKit, "resetLink", nil},
	opImportLink:                  {ProviderMoneyKit, "importLink", nil},
	opImportTransactions:          {ProviderMoneyKit, "importTransactions", nil},
	opGetAccounts:                 {ProviderMoneyKit, "getAccounts", nil},
	opGetAccount:                  {ProviderMoneyKit, "getAccount", nil},
	opGetAccountNumbers:           {ProviderMoneyKit, "getAccountNumbers", nil},
	opGetIdentity:                 {ProviderMoneyKit, "getIdentity", nil},
	opGetTransactions:             {ProviderMoneyKit, "getTransactions", nil},
	opGetTransactionsSync:         {ProviderMoneyKit, "getTransactionsSync", nil},
	opUpdateTransactionEnrichment: {ProviderMoneyKit, "updateTransactionEnrichment", nil},
	opGetHoldings:                 {ProviderMoneyKit, "getHoldings", nil},
	opGetInvestmentTransactions:   {ProviderMoneyKit, "getInvestmentTransactions", nil},
	opGetUserAccounts:             {ProviderMoneyKit, "getUserAccounts", nil},
	opGetUserTransactions:         {ProviderMoneyKit, "getUserTransactions", nil},
	opGetInstitutions:             {ProviderMoneyKit, "getInstitutions", nil},
	opGetInstitution:              {ProviderMoneyKit, "getInstitution", nil},
	opIntrospectClient:            {ProviderMoneyKit, "introspectClient", nil},

	opCreateToken:         {ProviderLinkMoney, "createToken", nil},
	opCreateSession:       {ProviderLinkMoney, "createSession", nil},
	opGetCustomer:         {ProviderLinkMoney, "getCustomer", nil},
	opGetCustomerAccounts: {ProviderLinkMoney, "getCustomerAccounts", nil},
	opCreatePayment:       {ProviderLinkMoney, "createPayment", reflect.TypeFor[linkmoney.PaymentRequest]()},
	opCreateRefund:        {ProviderLinkMoney, "createRefund", reflect.TypeFor[linkmoney.RefundRequest]()},
	opReleasePayment:      {ProviderLinkMoney, "releasePayment", nil},
	opGetTransaction:      {ProviderLinkMoney, "getTransaction", nil},
	opSubscribeWebhook:    {ProviderLinkMoney, "subscribeWebhook", nil},
	opUnsubscribeWebhook:  {ProviderLinkMoney, "unsubscribeWebhook", nil},
}

// providerSpec is what banklink reads from one provider's embedded spec.
type providerSpec struct {
	provider Provider
	ops      [numOps]*operation // only this provider's entries are set
	scopes   []string           // OAuth2 scopes, indexed by operation.scopeIdx
	rules    *validate.Rules
	doc      *openapi3.T
}

var (
	moneyKitSpec  = lazySpec(ProviderMoneyKit, moneykit.GetSwagger)
	linkMoneySpec = lazySpec(ProviderLinkMoney, linkmoney.GetSwagger)
)

func lazySpec(p Provider, get func() (*openapi3.T, error)) func() (*providerSpec, error) {
	return sync.OnceValues(func() (*providerSpec, error) {
		doc, err := get()
		if err != nil {
			return nil, fmt.Errorf("banklink: loading %s spec: %w", p, err)
		}
		return loadSpec(p, doc)
	})
}

// loadSpec builds the operation table for provider p from doc.
func loadSpec(p Provider, doc *openapi3.T) (*providerSpec, error) {
	ps := &providerSpec{provider: p, doc: doc}
	byID := map[string]*specOp{}
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			byID[op.OperationID] = &specOp{path: path, method: method, op: op}
		}
	}
	scopeIdx := map[string]int{}
	for i, s := range opSpecs {
		if s.provider != p {
			continue
		}
		so, ok := byID[s.operationID]
		if !ok {
			return nil, fmt.Errorf("banklink: %s spec has no operation %q", p, s.operationID)
		}
		o := &operation{
			idx:      opIndex(i),
			id:       so.op.OperationID,
			provider: p,
			method:   so.method,
			path:     so.path,
		}
		retry, err := extString(so.op.Extensions, "x-banklink-retry")
		if err != nil {
			return nil, fmt.Errorf("banklink: %s: %w", s.operationID, err)
		}
		if o.safety = safetyNames[retry]; o.safety == SafetyUnknown {
			return nil, fmt.Errorf("banklink: %s: unknown x-banklink-retry %q", s.operationID, retry)
		}
		if o.safety == SafetyIdempotencyKey {
			if o.idempotencyKey, err = extString(so.op.Extensions, "x-banklink-idempotency-key"); err != nil {
				return nil, fmt.Errorf("banklink: %s: %w", s.operationID, err)
			}
			if s.keyType == nil || !hasJSONField(s.keyType, o.idempotencyKey) {
				return nil, fmt.Errorf("banklink: %s: idempotency key %q is not a field banklink sets", s.operationID, o.idempotencyKey)
			}
		}
		if err := resolveAuth(doc, so.op, o); err != nil {
			return nil, fmt.Errorf("banklink: %s: %w", s.operationID, err)
		}
		if o.auth == authBearer && o.scope != "" {
			idx, ok := scopeIdx[o.scope]
			if !ok {
				idx = len(ps.scopes)
				scopeIdx[o.scope] = idx
				ps.scopes = append(ps.scopes, o.scope)
			}
			o.scopeIdx = idx
		} else if o.auth == authBearer {
			if _, ok := scopeIdx[""]; !ok {
				scopeIdx[""] = len(ps.scopes)
				ps.scopes = append(ps.scopes, "")
			}
			o.scopeIdx = scopeIdx[""]
		}
		ps.ops[i] = o
	}
	rules, err := validate.Compile(doc)
	if err != nil {
		return nil, fmt.Errorf("banklink: compiling %s validation rules: %w", p, err)
	}
	ps.rules = rules
	return ps, nil
}

type specOp struct {
	path, method string
	op           *openapi3.Operation
}

// resolveAuth reads the operation's security requirements. An empty
// alternative ({}) means the call may go without an Authorization header,
// which is how banklink calls token endpoints (credentials in the form).
func resolveAuth(doc *openapi3.T, op *openapi3.Operation, o *operation) error {
	reqs := doc.Security
	if op.Security != nil {
		reqs = *op.Security
	}
	if len(reqs) == 0 {
		o.auth = authNone
		return nil
	}
	for _, r := range reqs {
		if len(r) == 0 {
			o.auth = authNone
			return nil
		}
	}
	if len(reqs[0]) != 1 {
		return fmt.Errorf("security requirement needs exactly one scheme, has %d", len(reqs[0]))
	}
	for name, scopes := range reqs[0] {
		ref := doc.Components.SecuritySchemes[name]
		if ref == nil || ref.Value == nil {
			return fmt.Errorf("unknown security scheme %q", name)
		}
		s := ref.Value
		switch {
		case s.Type == "http" && strings.EqualFold(s.Scheme, "basic"):
			o.auth = authBasic
		case s.Type == "http" && strings.EqualFold(s.Scheme, "bearer"), s.Type == "oauth2":
			o.auth = authBearer
			if len(scopes) > 1 {
				return fmt.Errorf("scheme %q asks for %d scopes; banklink supports one", name, len(scopes))
			}
			if len(scopes) == 1 {
				o.scope = scopes[0]
			}
		case s.Type == "apiKey" && s.In == "header":
			o.auth = authClientID
			o.authHeader = s.Name
		default:
			return fmt.Errorf("unsupported security scheme %q (%s)", name, s.Type)
		}
	}
	return nil
}

func extString(ext map[string]any, key string) (string, error) {
	v, ok := ext[key]
	if !ok {
		return "", fmt.Errorf("missing %s", key)
	}
	switch v := v.(type) {
	case string:
		return v, nil
	case json.RawMessage:
		var s string
		if err := json.Unmarshal(v, &s); err != nil {
			return "", fmt.Errorf("%s: %w", key, err)
		}
		return s, nil
	}
	return "", fmt.Errorf("%s is %T, not a string", key, v)
}

func hasJSONField(t reflect.Type, name string) bool {
	for i := range t.NumField() {
		f := t.Field(i)
		tag, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if tag == name && f.Type.Kind() == reflect.String {
			return true
		}
	}
	return false
}
