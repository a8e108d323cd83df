package facade

import (
	"context"
	"log/slog"
	"time"

	"github.com/banklink/banklink/facade/internal/config"
)

// Trace receives the life of every call a client makes: the call, each
// HTTP attempt, each token fetch, each wait. It is the seam for tracing
// and metrics (facade/otelbanklink builds OpenTelemetry spans and metrics
// on it) and costs nothing when no Trace is given. Every field is
// optional. The hooks run on the caller's goroutine and must not block.
//
// Nothing a hook receives carries a credential, a token or a body: only
// operation ids, path templates, statuses, request ids and the
// idempotency key of a money operation (a key, not a secret).
type Trace struct {
	// CallStart runs once per service-method call, after the arguments
	// were validated and before the first wait or attempt. The context it
	// returns is the parent of everything the call does, and the one
	// CallDone receives.
	CallStart func(ctx context.Context, c TraceCall) context.Context
	// CallDone runs once when the call returns.
	CallDone func(ctx context.Context, c TraceCall, r TraceCallResult)
	// AttemptStart runs before each HTTP request; the context it returns
	// is the request's context, which middleware beneath sees.
	AttemptStart func(ctx context.Context, a TraceAttempt) context.Context
	// AttemptDone runs after each HTTP request, with its outcome.
	AttemptDone func(ctx context.Context, a TraceAttempt, r TraceAttemptResult)
	// TokenStart and TokenDone bracket one OAuth2 token fetch made by this
	// client (not one served from the token store, or fetched by another
	// caller that this one waited for).
	TokenStart func(ctx context.Context, t TraceToken) context.Context
	TokenDone  func(ctx context.Context, t TraceToken, err error)
	// Wait runs before the call waits: a backoff, a Retry-After, a 429
	// cool-down or the documented-limit pacing.
	Wait func(ctx context.Context, w TraceWait)
	// FleetFallback runs when a shared store failed and the call was
	// served from in-process state instead; store names it ("limiter",
	// "cooldown", "tokens").
	FleetFallback func(ctx context.Context, store string, err error)
	// LogHandler, when set, wraps the handler of the client's logger
	// (WithLogger), for example to add the active span's ids to each
	// record; the records are logged with the attempt's context.
	LogHandler func(slog.Handler) slog.Handler
}

// TraceCall identifies a call.
type TraceCall struct {
	Provider       Provider
	Operation      string // operationId, e.g. "getLink", "createPayment"
	Method         string // HTTP method
	URLTemplate    string // path template, e.g. "/links/{id}"
	IdempotencyKey string // the requestKey of a money operation, else ""
}

// TraceCallResult is how a call ended.
type TraceCallResult struct {
	Attempts   int    // HTTP requests made
	StatusCode int    // the last response's status, 0 when none came
	RequestID  string // the provider's request id of the last response
	Err        error  // nil on success; errors.Is matches this package's sentinels
}

// TraceAttempt identifies one HTTP attempt of a call.
type TraceAttempt struct {
	TraceCall
	Attempt int    // 1 for the first request, 2 for the first retry, …
	Host    string // server host
	Port    int    // server port, the scheme's default filled in
}

// TraceAttemptResult is an attempt's outcome.
type TraceAttemptResult struct {
	StatusCode int // 0 when no response came
	RequestID  string
	Err        error // the transport failure, or the *Error a failed status became
	// ReachedServer is false only when the request provably never left
	// the client (the connection could not be dialled), as in Attempt.
	ReachedServer bool
}

// TraceToken identifies a token fetch.
type TraceToken struct {
	Provider Provider
	Scope    string // the OAuth2 scope ("" for MoneyKit)
}

// Wait causes, in TraceWait.Cause.
const (
	WaitBackoff    = "backoff"     // the delay between retries
	WaitRetryAfter = "retry_after" // the server's Retry-After hint
	WaitCoolDown   = "cool_down"   // a 429 window on one of the call's scopes
	WaitPacing     = "pacing"      // the documented limits, or WithRateLimiter
)

// TraceWait is one wait of a call.
type TraceWait struct {
	TraceCall
	Cause    string // WaitBackoff, WaitRetryAfter, WaitCoolDown or WaitPacing
	Duration time.Duration
}

// WithTrace makes the client report every call to t. nil turns tracing off.
func WithTrace(t *Trace) Option {
	return clientOption(func(c *config.Client) {
		if t == nil {
			c.Trace = nil
			return
		}
		c.Trace = t
	})
}
