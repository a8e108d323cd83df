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
)

// CallOption shapes one call of a service method. Every method takes
// trailing CallOptions; a SharedOption given there overrides the client's
// setting for that call only.
type CallOption interface{ applyCall(*callConfig) }

// SharedOption is accepted both by NewMoneyKit and NewLinkMoney, where it
// sets the client's default, and by every service method, where it
// overrides that default for the one call. The same value may be used in
// both places and by any number of calls.
type SharedOption struct{ set func(*callSettings) error }

func (o SharedOption) applyClient(c *config) {
	if o.set == nil {
		return
	}
	if err := o.set(&c.call); err != nil {
		c.errs = append(c.errs, fmt.Errorf("banklink: %w", err))
	}
}

func (o SharedOption) applyCall(cc *callConfig) {
	if o.set == nil {
		return
	}
	if err := o.set(&cc.settings); err != nil {
		cc.errs = append(cc.errs, err)
	}
	cc.changed = true
}

// callSettings are the settings a call may override: the client holds the
// defaults, and a call with SharedOptions works on its own copy.
type callSettings struct {
	maxRetries     int
	attemptTimeout time.Duration
	policy         RetryPolicy
	headers        []fixedHeader
	middleware     []Middleware
	// send is the middleware chain around the HTTP client, built by finish;
	// nil when there is no middleware.
	send Next
}

// fixedHeader is one WithHeader value, ready to set (never mutated).
type fixedHeader struct {
	name  string // canonical
	value []string
}

// finish builds the middleware chain for hc: the first middleware given is
// the outermost, the HTTP client the innermost.
func (s *callSettings) finish(hc *http.Client) {
	s.send = nil
	if len(s.middleware) == 0 {
		return
	}
	next := Next(hc.Do)
	for _, m := range slices.Backward(s.middleware) {
		inner := next
		next = func(r *http.Request) (*http.Response, error) { return m(r, inner) }
	}
	s.send = next
}

// callConfig collects one call's options.
type callConfig struct {
	settings callSettings
	changed  bool // a SharedOption was given: settings differ from the client's
	resp     *Response
	errs     []error
}

// call is what a service method hands the transport: the settings in force,
// where to report what happened, and the idempotency key sent.
type call struct {
	set     *callSettings
	resp    *Response
	key     string
	ref     string // clientReferenceId sent with key
	scopeID string // the user a limit is counted by, when the path does not name it
}

// newCall applies a call's options. Without options it costs nothing: the
// call uses the client's settings as they are.
func (c *client) newCall(op *operation, opts []CallOption) (call, error) {
	if len(opts) == 0 {
		return call{set: &c.call}, nil
	}
	return c.newCallWith(op, opts)
}

func (c *client) newCallWith(op *operation, opts []CallOption) (call, error) {
	cc := &callConfig{settings: c.call}
	for _, o := range opts {
		if o != nil {
			o.applyCall(cc)
		}
	}
	if len(cc.errs) > 0 {
		return call{}, &callOptionError{provider: op.provider, operation: op.id, err: errors.Join(cc.errs...)}
	}
	if !cc.changed {
		return call{set: &c.call, resp: cc.resp}, nil
	}
	cc.settings.finish(c.http)
	return call{set: &cc.settings, resp: cc.resp}, nil
}

// callOptionError reports invalid CallOptions; nothing was sent. It matches
// ErrInvalidRequest.
type callOptionError struct {
	provider  Provider
	operation string
	err       error
}

func (e *callOptionError) Error() string {
	return "banklink: " + string(e.provider) + " " + e.operation + ": invalid call option, nothing was sent: " +
		strings.ReplaceAll(e.err.Error(), "\n", "; ")
}
func (e *callOptionError) Unwrap() error        { return e.err }
func (e *callOptionError) Is(target error) bool { return target == ErrInvalidRequest }

// WithMaxRetries sets how many times a failed attempt may be retried: 2 by
// default (3 attempts), 0 for a single attempt. Negative values are an error.
func WithMaxRetries(n int) SharedOption {
	return SharedOption{func(s *callSettings) error {
		if n < 0 {
			return fmt.Errorf("WithMaxRetries(%d): must not be negative", n)
		}
		s.maxRetries = n
		return nil
	}}
}

// WithAttemptTimeout bounds each HTTP attempt. The caller's context bounds the
// whole call, retries and waits included. Zero means no per-attempt bound beyond
// the HTTP client's own timeout. Negative values are an error.
func WithAttemptTimeout(d time.Duration) SharedOption {
	return SharedOption{func(s *callSettings) error {
		if d < 0 {
			return fmt.Errorf("WithAttemptTimeout(%v): must not be negative", d)
		}
		s.attemptTimeout = d
		return nil
	}}
}

// WithRetryPolicy replaces the decision whether a failed attempt is retried.
// The retry budget (WithMaxRetries) and context still apply. nil is an error.
func WithRetryPolicy(p RetryPolicy) SharedOption {
	return SharedOption{func(s *callSettings) error {
		if p == nil {
			return errors.New("WithRetryPolicy(nil): a policy is required")
		}
		s.policy = p
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
	return SharedOption{func(s *callSettings) error {
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
		h := fixedHeader{name: key, value: []string{value}}
		for i, old := range s.headers {
			if old.name == key {
				hs := slices.Clone(s.headers)
				hs[i] = h
				s.headers = hs
				return nil
			}
		}
		s.headers = append(slices.Clip(s.headers), h)
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
type Next func(*http.Request) (*http.Response, error)

// Middleware wraps every HTTP attempt. It may read or change the request
// (each attempt's request is its own copy, with its headers, credentials
// included, already set), call next, and inspect or replace the answer; a
// middleware that returns without calling next answers the attempt itself.
// Its result is judged like the HTTP client's: errors and statuses go
// through the retry policy as usual.
type Middleware func(req *http.Request, next Next) (*http.Response, error)

// WithMiddleware adds middleware around every HTTP attempt, inside the
// retry loop: it runs once per attempt (retries and the resend after a
// token refresh included), in the order given, the client's before the
// call's. This is the seam for tracing and metrics; AttemptInfoFrom tells
// a middleware which operation and attempt it is handling. A nil
// middleware is an error.
func WithMiddleware(mw ...Middleware) SharedOption {
	mw = slices.Clone(mw)
	return SharedOption{func(s *callSettings) error {
		for i, m := range mw {
			if m == nil {
				return fmt.Errorf("WithMiddleware: middleware %d is nil", i)
			}
		}
		s.middleware = slices.Concat(s.middleware, mw)
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

type attemptInfoKey struct{}

// AttemptInfoFrom returns the attempt a request's context belongs to. It is
// set only on requests that pass through middleware.
func AttemptInfoFrom(ctx context.Context) (AttemptInfo, bool) {
	ai, ok := ctx.Value(attemptInfoKey{}).(*AttemptInfo)
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

func (o responseOption) applyCall(cc *callConfig) {
	if o.r != nil {
		*o.r = Response{}
	}
	cc.resp = o.r
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
