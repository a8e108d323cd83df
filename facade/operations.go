package facade

import (
	"fmt"
	"sync"

	"github.com/banklink/banklink/gen/linkmoney"
	"github.com/banklink/banklink/gen/moneykit"
	"github.com/banklink/banklink/internal/opmeta"
)

// Provider names an upstream API.
type Provider string

const (
	ProviderMoneyKit  Provider = "moneykit"
	ProviderLinkMoney Provider = "linkmoney"
)

// Safety is an operation's retry class, the spec's x-banklink-retry.
type Safety = opmeta.Retry

const (
	// SafetyUnknown is the zero value; no operation in the spec has it.
	SafetyUnknown = opmeta.RetryUnknown
	// SafetySafe operations may be repeated with no further effect.
	SafetySafe = opmeta.RetrySafe
	// SafetyIdempotencyKey operations carry a key in the body that the server
	// deduplicates on; banklink reuses the same key on every attempt.
	SafetyIdempotencyKey = opmeta.RetryIdempotencyKey
	// SafetySingleUse operations are never replayed once the server may have seen them.
	SafetySingleUse = opmeta.RetrySingleUse
	// SafetyUnsafe operations are replayed only after a 429 or when the request
	// never reached the server.
	SafetyUnsafe = opmeta.RetryUnsafe
)

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

// opIndex indexes a provider's generated operation table
// (moneykit.Operations, linkmoney.Operations), e.g. moneykit.OpGetLink.
type opIndex = int

// numOps bounds the operation indexes of both providers.
const numOps = max(len(moneykit.Operations), len(linkmoney.Operations))

// operation is one row of the generated table, in the shape the transport uses.
type operation struct {
	idx            opIndex
	id             string // operationId as api/openapi.yaml spells it
	provider       Provider
	method         string
	path           string // path template, e.g. /links/{id}; the only path banklink logs
	safety         Safety
	idempotencyKey string // JSON name of the idempotency key, for SafetyIdempotencyKey
	auth           authKind
	authHeader     string   // header name for authClientID
	scope          string   // OAuth2 scope for authBearer (Link Money)
	scopeIdx       int      // index into the provider's token caches
	tokenEndpoint  bool     // the provider's client-credentials token operation
	required       *reqNode // required.go: the success body's required fields
	meta           *opmeta.Operation
}

// providerSpec is what banklink reads from one provider's generated table.
type providerSpec struct {
	provider Provider
	ops      [numOps]*operation
	scopes   []string // OAuth2 scopes, indexed by operation.scopeIdx
}

var (
	moneyKitSpec = sync.OnceValues(func() (*providerSpec, error) {
		return buildSpec(ProviderMoneyKit, moneykit.Operations[:], int(moneykit.OpCreateAccessToken))
	})
	linkMoneySpec = sync.OnceValues(func() (*providerSpec, error) {
		return buildSpec(ProviderLinkMoney, linkmoney.Operations[:], int(linkmoney.OpCreateToken))
	})
)

// buildSpec turns a generated table into the transport's operations.
func buildSpec(p Provider, table []opmeta.Operation, tokenOp opIndex) (*providerSpec, error) {
	ps := &providerSpec{provider: p}
	scopeIdx := map[string]int{}
	for i := range table {
		m := &table[i]
		o := &operation{
			idx:            i,
			id:             m.ID,
			provider:       p,
			method:         m.Method,
			path:           m.Path,
			safety:         m.Retry,
			idempotencyKey: m.IdempotencyKey,
			tokenEndpoint:  i == tokenOp,
			meta:           m,
		}
		switch {
		case m.Auth.Optional || m.Auth.Kind == opmeta.AuthNone:
			o.auth = authNone
		case m.Auth.Kind == opmeta.AuthBasic:
			o.auth = authBasic
		case m.Auth.Kind == opmeta.AuthAPIKeyHeader:
			o.auth, o.authHeader = authClientID, m.Auth.Header
		case m.Auth.Kind == opmeta.AuthBearer:
			o.auth = authBearer
			if len(m.Auth.Scopes) > 1 {
				return nil, fmt.Errorf("banklink: %s asks for %d scopes; banklink supports one", m.ID, len(m.Auth.Scopes))
			}
			if len(m.Auth.Scopes) == 1 {
				o.scope = m.Auth.Scopes[0]
			}
			idx, ok := scopeIdx[o.scope]
			if !ok {
				idx = len(ps.scopes)
				scopeIdx[o.scope] = idx
				ps.scopes = append(ps.scopes, o.scope)
			}
			o.scopeIdx = idx
		}
		if o.tokenEndpoint {
			// An absent expires_in is MoneyKit's documented 60 minutes.
			o.required = buildRequired(m.ResponseRequired, "/expires_in")
		} else {
			o.required = buildRequired(m.ResponseRequired)
		}
		if o.safety == SafetyUnknown {
			return nil, fmt.Errorf("banklink: %s has no retry class", m.ID)
		}
		ps.ops[i] = o
	}
	return ps, nil
}
