// Package opmeta holds the types of the operation tables that cmd/specgen
// generates into gen/<provider>/operations.gen.go: one Operation per
// operationId, with everything the facade needs to call it (method, path,
// success status, retry class, security, rate limits). It imports only the
// standard library, so the table costs nothing to load: no spec is parsed at
// run time.
package opmeta

import "time"

// Retry is an operation's retry class (the spec's x-banklink-retry).
type Retry uint8

const (
	// RetryUnknown is the zero value; specgen never emits it.
	RetryUnknown Retry = iota
	// RetrySafe operations may be repeated with no further effect.
	RetrySafe
	// RetryIdempotencyKey operations carry a key in the body that the server
	// deduplicates on (Operation.IdempotencyKey names it).
	RetryIdempotencyKey
	// RetrySingleUse operations are never replayed once the server may have seen them.
	RetrySingleUse
	// RetryUnsafe operations are replayed only after a 429 or when the
	// request never reached the server.
	RetryUnsafe
)

// String returns the spec's spelling of the class.
func (r Retry) String() string {
	switch r {
	case RetrySafe:
		return "safe"
	case RetryIdempotencyKey:
		return "idempotency-key"
	case RetrySingleUse:
		return "single-use"
	case RetryUnsafe:
		return "unsafe"
	}
	return "unknown"
}

// AuthKind is how an operation authenticates.
type AuthKind uint8

const (
	// AuthNone: no Authorization header (token endpoints take their
	// credentials in the form body).
	AuthNone AuthKind = iota
	// AuthBasic: HTTP Basic with client_id:client_secret.
	AuthBasic
	// AuthBearer: an OAuth2 client-credentials bearer token.
	AuthBearer
	// AuthAPIKeyHeader: an API key in the header Auth.Header.
	AuthAPIKeyHeader
)

// String names the kind.
func (a AuthKind) String() string {
	switch a {
	case AuthBasic:
		return "basic"
	case AuthBearer:
		return "bearer"
	case AuthAPIKeyHeader:
		return "api-key-header"
	}
	return "none"
}

// Auth is an operation's security requirement, resolved against the
// spec's security schemes.
type Auth struct {
	Kind   AuthKind
	Scheme string   // security scheme name, e.g. "moneykitBearer"; "" for AuthNone
	Header string   // header name, for AuthAPIKeyHeader
	Scopes []string // OAuth2 scopes the operation asks for
	// Optional reports that the spec also lists an empty requirement ({}):
	// the call may go without credentials in a header.
	Optional bool
}

// LimitKey is what a documented rate limit is counted by.
type LimitKey uint8

const (
	LimitPerClient LimitKey = iota + 1 // per API client (credentials)
	LimitPerApp                        // per application, across its clients
	LimitPerUser                       // per end user (customer_user.id)
	LimitPerLink                       // per link id
)

// String returns the spec's spelling of the key.
func (k LimitKey) String() string {
	switch k {
	case LimitPerClient:
		return "client"
	case LimitPerApp:
		return "app"
	case LimitPerUser:
		return "user"
	case LimitPerLink:
		return "link"
	}
	return "unknown"
}

// RateLimit is one documented limit (x-banklink-rate-limits): Requests per
// Per, counted by Key.
type RateLimit struct {
	Requests int
	Per      time.Duration
	Key      LimitKey
}

// Operation is one row of a provider's generated operation table.
type Operation struct {
	ID            string // operationId as api/openapi.yaml spells it
	Method        string // HTTP method, e.g. "GET"
	Path          string // path template, e.g. "/links/{id}"
	SuccessStatus int    // the documented 2xx status
	Retry         Retry
	// IdempotencyKey is the JSON name of the body field that carries the
	// key, for RetryIdempotencyKey.
	IdempotencyKey string
	Auth           Auth
	RateLimits     []RateLimit
	// ResponseRequired lists, as JSON pointers, the fields the success
	// response schema marks required ("*" stands for every array item or
	// map value).
	ResponseRequired []string
	// PathParams names the path parameters, in template order.
	PathParams []string
	// CheckParam validates one path parameter value; nil means valid.
	CheckParam func(name, value string) error
}
