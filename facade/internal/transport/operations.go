package transport

import (
	"fmt"
	"strings"
	"sync"

	"github.com/banklink/banklink/facade"
	"github.com/banklink/banklink/internal/opmeta"
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

// operation is one row of the generated table, in the shape the transport uses.
type operation struct {
	idx            int
	id             string // operationId as api/openapi.yaml spells it
	provider       facade.Provider
	method         string
	path           string   // path template, e.g. /links/{id}; the only path banklink logs
	lits           []string // the template around its parameters: lits[0] {params[0]} lits[1] …
	params         []string // path parameter names, in order
	safety         facade.Safety
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
	provider facade.Provider
	ops      []*operation
	scopes   []string // OAuth2 scopes, indexed by operation.scopeIdx
}

// specs caches each provider's table in the transport's shape: a table
// is built once per process, on the first client of its provider.
var specs sync.Map // *opmeta.Operation (the table's first row) -> *providerSpec

func specFor(p *Provider) (*providerSpec, error) {
	key := &p.Table[0]
	if ps, ok := specs.Load(key); ok {
		return ps.(*providerSpec), nil
	}
	ps, err := buildSpec(p.Name, p.Table, p.TokenOp)
	if err != nil {
		return nil, err
	}
	actual, _ := specs.LoadOrStore(key, ps)
	return actual.(*providerSpec), nil
}

// buildSpec turns a generated table into the transport's operations.
func buildSpec(p facade.Provider, table []opmeta.Operation, tokenOp int) (*providerSpec, error) {
	ps := &providerSpec{provider: p, ops: make([]*operation, len(table))}
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
		o.lits, o.params = splitTemplate(m.Path)
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
		if o.safety == facade.SafetyUnknown {
			return nil, fmt.Errorf("banklink: %s has no retry class", m.ID)
		}
		ps.ops[i] = o
	}
	return ps, nil
}

// splitTemplate splits a path template at its parameters:
// "/links/{id}/accounts/{account_id}" gives lits ["/links/", "/accounts/", ""]
// and params ["id", "account_id"].
func splitTemplate(path string) (lits, params []string) {
	for {
		i := strings.IndexByte(path, '{')
		j := strings.IndexByte(path, '}')
		if i < 0 || j < i {
			return append(lits, path), params
		}
		lits = append(lits, path[:i])
		params = append(params, path[i+1:j])
		path = path[j+1:]
	}
}
