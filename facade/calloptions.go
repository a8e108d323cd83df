package facade

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/textproto"
	"slices"
	"strings"
	"time"

	"github.com/banklink/banklink/facade/internal/config"
)

// CallOption shapes one call of a service method. Every method takes
// trailing CallOptions; a SharedOption given there overrides the client's
// setting for that call only.
type CallOption interface{ ApplyCall(*config.CallConfig) }

// SharedOption is accepted both by moneykit.New and linkmoney.New, where it
// sets the client's default, and by every service method, where it
// overrides that default for the one call. The same value may be used in
// both places and by any number of calls.
type SharedOption struct{ set func(*config.Call) error }

// ApplyClient sets the client's default.
func (o SharedOption) ApplyClient(c *config.Client) {
	if o.set == nil {
		return
	}
	if err := o.set(&c.Call); err != nil {
		c.Errs = append(c.Errs, fmt.Errorf("banklink: %w", err))
	}
}

// ApplyCall overrides the client's setting for one call.
func (o SharedOption) ApplyCall(cc *config.CallConfig) {
	if o.set == nil {
		return
	}
	if err := o.set(&cc.Settings); err != nil {
		cc.Errs = append(cc.Errs, err)
	}
	cc.Changed = true
}

// WithMaxRetries sets how many times a failed attempt may be retried: 2 by
// default (3 attempts), 0 for a single attempt. Negative values are an error.
func WithMaxRetries(n int) SharedOption {
	return SharedOption{func(s *config.Call) error {
		if n < 0 {
			return fmt.Errorf("WithMaxRetries(%d): must not be negative", n)
		}
		s.MaxRetries = n
		return nil
	}}
}

// WithAttemptTimeout bounds each HTTP attempt. The caller's context bounds the
// whole call, retries and waits included. Zero means no per-attempt bound beyond
// the HTTP client's own timeout. Negative values are an error.
func WithAttemptTimeout(d time.Duration) SharedOption {
	return SharedOption{func(s *config.Call) error {
		if d < 0 {
			return fmt.Errorf("WithAttemptTimeout(%v): must not be negative", d)
		}
		s.AttemptTimeout = d
		return nil
	}}
}

// WithRetryPolicy replaces the decision whether a failed attempt is retried.
// The retry budget (WithMaxRetries) and context still apply. nil is an error.
func WithRetryPolicy(p RetryPolicy) SharedOption {
	return SharedOption{func(s *config.Call) error {
		if p == nil {
			return errors.New("WithRetryPolicy(nil): a policy is required")
		}
		s.Policy = p
		return nil
	}}
}

// protectedHeaders are the headers WithHeader refuses, with the reason: the
// ones banklink sets itself and the ones net/http manages. Middleware, which
// sees the finished request, can still change any of them.
var protectedHeaders = map[string]string{
	"Authorization":       "banklink sets it from the credentials (WithCredentials)",
	"X-Client-Id":         "banklink sets it from the credentials (WithCredentials)",
	"Proxy-Authorization": "it belongs to the HTTP client's proxy settings",
	"User-Agent":          "use WithUserAgent",
	"Accept":              "banklink sets it (application/json)",
	"Content-Type":        "banklink sets it for the request body",
	"Moneykit-Version":    "banklink sets it to the API version it was built for",
	"Host":                "it is derived from the base URL",
	"Content-Length":      "net/http sets it",
	"Transfer-Encoding":   "net/http sets it",
	"Connection":          "net/http manages connections",
	"Keep-Alive":          "net/http manages connections",
	"Proxy-Connection":    "net/http manages connections",
	"Te":                  "net/http sets it",
	"Trailer":             "net/http sets it",
	"Upgrade":             "net/http manages connections",
	"Expect":              "net/http sets it",
}

// WithHeader sets the request header name to value on every attempt, for
// example a tenant or routing header a gateway in front of the provider
// needs. A later WithHeader of the same name replaces the earlier one, and a
// per-call one replaces the client's. Headers banklink sets itself
// (Authorization, X-Client-Id, User-Agent, Accept, Content-Type,
// MoneyKit-Version) and those net/http manages (Host, Content-Length,
// Connection, …) are refused with an error rather than overridden
// silently; a name that is not an HTTP token or a value with control
// characters is an error too. Use WithMiddleware to change any header on
// purpose.
func WithHeader(name, value string) SharedOption {
	return SharedOption{func(s *config.Call) error {
		if !validHeaderName(name) {
			return fmt.Errorf("WithHeader(%q): not a valid header name (an HTTP token)", name)
		}
		key := textproto.CanonicalMIMEHeaderKey(name)
		if why, ok := protectedHeaders[key]; ok {
			return fmt.Errorf("WithHeader(%q): header is not settable: %s", key, why)
		}
		if !validHeaderValue(value) {
			// The value is not echoed: it may be a credential.
			return fmt.Errorf("WithHeader(%q): value contains control characters", key)
		}
		h := config.Header{Name: key, Value: []string{value}}
		for i, old := range s.Headers {
			if old.Name == key {
				hs := slices.Clone(s.Headers)
				hs[i] = h
				s.Headers = hs
				return nil
			}
		}
		s.Headers = append(slices.Clip(s.Headers), h)
		return nil
	}}
}

// validHeaderName reports whether name is an RFC 9110 token.
func validHeaderName(name string) bool {
	if name == "" {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0:
		default:
			return false
		}
	}
	return true
}

// validHeaderValue rejects control characters other than horizontal tab.
func validHeaderValue(v string) bool {
	for i := 0; i < len(v); i++ {
		if c := v[i]; (c < ' ' && c != '\t') || c == 0x7f {
			return false
		}
	}
	return true
}

// Next sends a request on: to the next middleware, or to the HTTP client.
type Next = func(*http.Request) (*http.Response, error)

// Middleware wraps every HTTP attempt. It may read or change the request
// (each attempt's request is its own copy, with its headers, credentials
// included, already set), call next, and inspect or replace the answer; a
// middleware that returns without calling next answers the attempt itself.
// Its result is judged like the HTTP client's: errors and statuses go
// through the retry policy as usual.
type Middleware = func(req *http.Request, next Next) (*http.Response, error)

// WithMiddleware adds middleware around every HTTP attempt, inside the
// retry loop: it runs once per attempt (retries and the resend after a
// token refresh included), in the order given, the client's before the
// call's. This is the seam for tracing and metrics; AttemptInfoFrom tells
// a middleware which operation and attempt it is handling. A nil
// middleware is an error.
func WithMiddleware(mw ...Middleware) SharedOption {
	mw = slices.Clone(mw)
	return SharedOption{func(s *config.Call) error {
		for i, m := range mw {
			if m == nil {
				return fmt.Errorf("WithMiddleware: middleware %d is nil", i)
			}
		}
		s.Middleware = slices.Concat(s.Middleware, mw)
		return nil
	}}
}

// AttemptInfo describes the attempt a middleware is handling.
type AttemptInfo struct {
	Provider  Provider
	Operation string // operationId as the spec spells it, e.g. "getLink"
	Method    string
	Path      string // path template, e.g. /links/{id}: free of identifiers
	Attempt   int    // 1 for the first attempt
	// IdempotencyKey is the requestKey sent (Link Money payments and refunds).
	IdempotencyKey string
}

// AttemptInfoFrom returns the attempt a request's context belongs to. It is
// set only on requests that pass through middleware.
func AttemptInfoFrom(ctx context.Context) (AttemptInfo, bool) {
	ai, ok := ctx.Value(config.AttemptInfoKey{}).(*AttemptInfo)
	if !ok {
		return AttemptInfo{}, false
	}
	return *ai, true
}

type nextKey struct{}

// TransportMiddleware turns a RoundTripper wrapper, such as
// otelhttp.NewTransport, into Middleware. wrap is called once, here; the
// RoundTripper it returns must hand each request (or a copy whose context
// derives from the request's, as http.Request.Clone makes) to the
// RoundTripper it was given, which continues the attempt.
func TransportMiddleware(wrap func(next http.RoundTripper) http.RoundTripper) Middleware {
	rt := wrap(nextTransport{})
	return func(req *http.Request, next Next) (*http.Response, error) {
		return rt.RoundTrip(req.WithContext(context.WithValue(req.Context(), nextKey{}, next)))
	}
}

type nextTransport struct{}

func (nextTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	next, ok := req.Context().Value(nextKey{}).(Next)
	if !ok {
		return nil, errors.New("banklink: TransportMiddleware: the wrapped RoundTripper dropped the request's context")
	}
	return next(req)
}

// Response reports what happened on one call: pass WithResponse(&r) to any
// service method. It is filled in on success and on failure alike.
type Response struct {
	// StatusCode, Header and RequestID are those of the last HTTP answer
	// received (the success, or the last failure); 0, nil and "" when no
	// answer came.
	StatusCode int
	Header     http.Header
	RequestID  string
	// Attempts is how many HTTP requests the call made (0 when it failed
	// before sending).
	Attempts int
	// Duration is the call's time in the transport, from its first wait or
	// attempt to its result, token fetches, retries and waits included.
	Duration time.Duration
	// IdempotencyKey is the requestKey sent, for Link Money payments and
	// refunds: the caller's or the one banklink generated. Send it again
	// (WithRequestKey) to retry a payment whose outcome is unknown.
	IdempotencyKey string
}

type responseOption struct{ r *Response }

// ApplyCall makes the call fill in o.r.
func (o responseOption) ApplyCall(cc *config.CallConfig) {
	if o.r != nil {
		*o.r = Response{}
		cc.Response = o.r
		return
	}
	cc.Response = nil
}

// WithResponse makes the call fill in *r with what happened (status,
// headers, request id, attempts, duration, idempotency key), whatever the
// outcome. Use one Response per call; nil is ignored.
func WithResponse(r *Response) CallOption { return responseOption{r} }

// keyed is implemented by the errors that carry an idempotency key.
type keyed interface{ idempotencyKey() string }

func (e *Error) idempotencyKey() string          { return e.IdempotencyKey }
func (e *TransportError) idempotencyKey() string { return e.IdempotencyKey }
func (e *RateLimitError) idempotencyKey() string { return e.IdempotencyKey }
func (e *AcceptedEarlierError) idempotencyKey() string {
	return e.IdempotencyKey
}

// IdempotencyKeyOf returns the requestKey a failed Link Money payment or
// refund sent, read from the outermost *TransportError, *RateLimitError or
// *Error in err's chain; "" when err carries none (a *ValidationError: nothing
// was sent). When the outcome is unknown (a *TransportError after an attempt
// may have reached Link Money, a 5xx, a timeout), send the payment again
// with WithRequestKey(key): Link Money executes it at most once.
func IdempotencyKeyOf(err error) string {
	var k keyed
	if errors.As(err, &k) {
		return k.idempotencyKey()
	}
	return ""
}
