package facade

import (
	"context"
	"time"
)

// The tracing seam the transport calls. Off unless WithTrace is given;
// every field is optional (nil = not called).

// WithTrace installs hooks that observe every call the client makes.
func WithTrace(t *Trace) Option {
	return clientOption(func(c *config) { c.trace = t })
}

type Trace struct {
	// CallStart runs once per service-method call, after the arguments were
	// validated and before the first attempt (and before any wait). The
	// context it returns is the parent of everything the call does (attempts,
	// token fetches, waits) and is the one CallDone receives.
	CallStart func(ctx context.Context, c TraceCall) context.Context
	// CallDone runs once when the call returns.
	CallDone func(ctx context.Context, c TraceCall, r TraceCallResult)
	// AttemptStart runs before each HTTP request; the context it returns is
	// the request's context (so a middleware or transport beneath sees it).
	AttemptStart func(ctx context.Context, a TraceAttempt) context.Context
	// AttemptDone runs after each HTTP request, with its outcome.
	AttemptDone func(ctx context.Context, a TraceAttempt, r TraceAttemptResult)
	// TokenStart / TokenDone bracket one OAuth token fetch made by this
	// client (not one served from the cache or by another caller's fetch).
	TokenStart func(ctx context.Context, t TraceToken) context.Context
	TokenDone  func(ctx context.Context, t TraceToken, err error)
	// Wait runs before the call waits: a backoff, a Retry-After, a cool-down
	// or the documented-limit pacing.
	Wait func(ctx context.Context, w TraceWait)
	// FleetFallback runs when a shared store (e.g. Redis) failed and the
	// call was served from in-process state instead.
	FleetFallback func(ctx context.Context, store string, err error)
}

type TraceCall struct {
	Provider       Provider // "moneykit" or "linkmoney"
	Operation      string   // operationId, e.g. "getLink", "createPayment"
	Method         string   // HTTP method
	URLTemplate    string   // path template, e.g. "/links/{id}"
	IdempotencyKey string   // the requestKey of a money operation, else ""
}

type TraceCallResult struct {
	Attempts   int    // HTTP requests made
	StatusCode int    // last response's status, 0 if none
	RequestID  string // the provider's request id of the last response
	Err        error  // nil on success; errors.Is works with facade's sentinels
}

type TraceAttempt struct {
	TraceCall
	Attempt int    // 1 for the first request, 2 for the first retry, ...
	Host    string // server host
	Port    int    // server port (default port filled in)
}

type TraceAttemptResult struct {
	StatusCode int // 0 when no response
	RequestID  string
	Err        error // transport failure or the *Error the response became
}

type TraceToken struct {
	Provider Provider
	Scope    string // OAuth scope ("" for MoneyKit)
}

type TraceWait struct {
	TraceCall
	Cause    string // "backoff", "retry_after", "cool_down", "pacing"
	Duration time.Duration
}
