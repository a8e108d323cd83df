package otelbanklink

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/metric/noop"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/semconv/v1.43.0/httpconv"
	"go.opentelemetry.io/otel/trace"

	"github.com/banklink/banklink/facade"
)

// Attribute keys of banklink's own (the HTTP ones are the semantic
// conventions': http.request.method, url.template, server.address,
// server.port, http.response.status_code, http.request.resend_count,
// error.type).
const (
	AttrProvider       = attribute.Key("banklink.provider")
	AttrOperation      = attribute.Key("banklink.operation")
	AttrAttempts       = attribute.Key("banklink.attempts")
	AttrIdempotencyKey = attribute.Key("banklink.idempotency_key")
	AttrRequestID      = attribute.Key("banklink.request_id")
	AttrOutcomeUnknown = attribute.Key("banklink.outcome_unknown")
	AttrWaitCause      = attribute.Key("banklink.wait.cause")
	AttrWaitDuration   = attribute.Key("banklink.wait.duration")
	AttrTokenScope     = attribute.Key("banklink.token.scope")
	AttrFleetStore     = attribute.Key("banklink.fleet.store")
	AttrRejection      = attribute.Key("banklink.rate_limit.reason")
)

// Names of the spans, events and metrics that are not an operation's or an
// HTTP request's.
const (
	SpanTokenFetch = "banklink.token"
	EventWait      = "banklink.wait"
	EventFallback  = "banklink.fleet_fallback"

	MetricRetries        = "banklink.client.retries"
	MetricRateLimitWaits = "banklink.client.rate_limit.waits"
	MetricRejections     = "banklink.client.rate_limit.rejections"
	MetricTokenFetches   = "banklink.client.token.fetches"
	MetricFleetFallbacks = "banklink.client.fleet.fallbacks"
)

// maxRequestID bounds the provider's request id recorded: it is the
// server's header value, and a hostile server could make it long.
const maxRequestID = 128

// clientTracer turns a client's hooks into spans and metrics.
type clientTracer struct {
	tracer         trace.Tracer
	duration       httpconv.ClientRequestDuration
	retries        metric.Int64Counter
	rateLimitWaits metric.Int64Counter
	rejections     metric.Int64Counter
	tokenFetches   metric.Int64Counter
	fallbacks      metric.Int64Counter

	entries    sync.Map // operation id -> *opEntry
	entryCount atomic.Int64
}

func newClientTracer(c *config) *clientTracer {
	m := c.mp.Meter(ScopeName, metric.WithInstrumentationVersion(facade.Version), metric.WithSchemaURL(semconv.SchemaURL))
	t := &clientTracer{
		tracer: c.tp.Tracer(ScopeName, trace.WithInstrumentationVersion(facade.Version), trace.WithSchemaURL(semconv.SchemaURL)),
	}
	var err error
	if t.duration, err = httpconv.NewClientRequestDuration(m); err != nil {
		otel.Handle(err)
	}
	t.retries = counter(m, MetricRetries, "{request}", "HTTP requests sent again within a call: retries, and the resend after a refreshed token.")
	t.rateLimitWaits = counter(m, MetricRateLimitWaits, "{wait}", "Waits a call made because the server (Retry-After), a 429 cool-down or the documented-limit pacing asked for them.")
	t.rejections = counter(m, MetricRejections, "{call}", "Calls that ended with a RateLimitError instead of waiting longer than allowed.")
	t.tokenFetches = counter(m, MetricTokenFetches, "{fetch}", "OAuth token fetches the client made.")
	t.fallbacks = counter(m, MetricFleetFallbacks, "{fallback}", "Calls served from in-process state after a shared store failed.")
	return t
}

func counter(m metric.Meter, name, unit, desc string) metric.Int64Counter {
	c, err := m.Int64Counter(name, metric.WithUnit(unit), metric.WithDescription(desc))
	if err != nil {
		otel.Handle(err)
		return noop.Int64Counter{}
	}
	return c
}

func (t *clientTracer) hooks() *facade.Trace {
	return &facade.Trace{
		CallStart:     t.callStart,
		CallDone:      t.callDone,
		AttemptStart:  t.attemptStart,
		AttemptDone:   t.attemptDone,
		TokenStart:    t.tokenStart,
		TokenDone:     t.tokenDone,
		Wait:          t.wait,
		FleetFallback: t.fleetFallback,
		LogHandler:    LogHandler,
	}
}

// callCtx is a call's context: its span is the context's, and it keeps what
// the call's attempts met, for CallDone.
type callCtx struct {
	context.Context
	span trace.Span
	// reached: an attempt may have reached the server without a clear
	// answer (a 5xx, or a connection lost after the request was written).
	reached bool
	lastErr error // the last attempt's error
}

type callKey struct{}

func (c *callCtx) Value(k any) any {
	if k == (callKey{}) {
		return c
	}
	return c.Context.Value(k)
}

func callFrom(ctx context.Context) *callCtx {
	c, _ := ctx.Value(callKey{}).(*callCtx)
	return c
}

// attemptCtx is an attempt's context.
type attemptCtx struct {
	context.Context
	span  trace.Span
	start time.Time
	op    *opEntry
}

type attemptKey struct{}

func (a *attemptCtx) Value(k any) any {
	if k == (attemptKey{}) {
		return a
	}
	return a.Context.Value(k)
}

// tokenCtx is a token fetch's context.
type tokenCtx struct {
	context.Context
	span trace.Span
}

type tokenKey struct{}

func (t *tokenCtx) Value(k any) any {
	if k == (tokenKey{}) {
		return t
	}
	return t.Context.Value(k)
}

// A call's span gets its attributes when it ends, in one go: setting some
// at the start and the rest at the end costs the SDK two more allocations
// per call, and no sampler needs them (the attempts' spans carry the HTTP
// attributes from their start, as the conventions ask).
func (t *clientTracer) callStart(ctx context.Context, c facade.TraceCall) context.Context {
	ctx, span := t.tracer.Start(ctx, c.Operation, kindInternal)
	return &callCtx{Context: ctx, span: span}
}

func (t *clientTracer) callDone(ctx context.Context, c facade.TraceCall, r facade.TraceCallResult) {
	cc := callFrom(ctx)
	if cc == nil {
		return
	}
	span := cc.span
	if r.Err != nil {
		var rle *facade.RateLimitError
		if errors.As(r.Err, &rle) {
			t.rejections.Add(ctx, 1, metric.WithAttributes(AttrProvider.String(string(c.Provider)), AttrOperation.String(c.Operation),
				AttrRejection.String(rejectionReason(rle, cc.lastErr))))
		}
	}
	if span.IsRecording() {
		attrs := make([]attribute.KeyValue, 3, 7)
		attrs[0] = AttrProvider.String(string(c.Provider))
		attrs[1] = AttrOperation.String(c.Operation)
		attrs[2] = AttrAttempts.Int(r.Attempts)
		if c.IdempotencyKey != "" {
			attrs = append(attrs, AttrIdempotencyKey.String(c.IdempotencyKey))
		}
		if r.RequestID != "" {
			attrs = append(attrs, AttrRequestID.String(bounded(r.RequestID)))
		}
		if r.Err != nil {
			et := callErrorType(r.Err)
			attrs = append(attrs, semconv.ErrorTypeKey.String(et))
			if c.IdempotencyKey != "" && (cc.reached && !clearAnswer(r.Err) || errors.Is(r.Err, facade.ErrOutcomeUnknown)) {
				attrs = append(attrs, AttrOutcomeUnknown.Bool(true))
			}
			span.SetStatus(codes.Error, et)
		}
		span.SetAttributes(attrs...)
	}
	span.End()
}

// clearAnswer reports whether err is the provider's definite answer to the
// call (a 4xx, or ErrAcceptedEarlier), which settles a money operation's
// outcome even after an attempt whose answer was lost.
func clearAnswer(err error) bool {
	if errors.Is(err, facade.ErrAcceptedEarlier) {
		return true
	}
	apiErr, ok := err.(*facade.Error)
	return ok && apiErr.StatusCode < 500
}

// rejectionReason tells why a call returned *RateLimitError without
// waiting: "documented_limit" when the documented limit's next slot was
// too far, "retry_after" when the call's own last answer asked for too
// long a wait, else "cool_down" (a 429 window another call opened).
func rejectionReason(rle *facade.RateLimitError, lastErr error) string {
	switch {
	case rle.Scope != "":
		return "documented_limit"
	case rle.Err != nil && lastErr != nil && error(rle.Err) == lastErr:
		return "retry_after"
	}
	return "cool_down"
}

func (t *clientTracer) attemptStart(ctx context.Context, a facade.TraceAttempt) context.Context {
	e := t.entry(a)
	opts := e.attemptOpts
	if a.Attempt > 1 {
		opts = []trace.SpanStartOption{kindClient, trace.WithAttributes(semconv.HTTPRequestMethodKey.String(a.Method),
			semconv.URLTemplate(a.URLTemplate), semconv.ServerAddress(a.Host), semconv.ServerPort(a.Port),
			AttrOperation.String(a.Operation), semconv.HTTPRequestResendCount(a.Attempt-1))}
		t.retries.Add(ctx, 1, metric.WithAttributes(AttrProvider.String(string(a.Provider)), AttrOperation.String(a.Operation)))
	}
	ctx, span := t.tracer.Start(ctx, e.attemptName, opts...)
	return &attemptCtx{Context: ctx, span: span, start: time.Now(), op: e}
}

var (
	kindInternal = trace.WithSpanKind(trace.SpanKindInternal)
	kindClient   = trace.WithSpanKind(trace.SpanKindClient)
)

// opEntry is what an operation's attempts on one server share, built once:
// the start options of its first attempts' spans, the span name, and the
// attribute sets of http.client.request.duration by status and error type.
type opEntry struct {
	provider                          facade.Provider
	operation, method, template, host string
	port                              int
	attemptOpts                       []trace.SpanStartOption
	attemptName                       string
	sets                              atomic.Pointer[[]durationSet] // copy on write
}

type durationSet struct {
	status    int
	errorType string
	set       attribute.Set
}

// Bounds on the caches, so that a client of ever new hosts or a server
// answering ever new statuses cannot grow them without end: past them,
// entries and sets are built per attempt.
const (
	maxEntries      = 1024
	maxDurationSets = 32 // per entry
)

func (e *opEntry) matches(a facade.TraceAttempt) bool {
	return e.operation == a.Operation && e.provider == a.Provider && e.method == a.Method &&
		e.template == a.URLTemplate && e.host == a.Host && e.port == a.Port
}

// entry returns a's opEntry. The cache is keyed by operation id: a client
// calls one server, so an id names one entry; a Trace shared by clients of
// two servers builds the other server's entries per attempt.
func (t *clientTracer) entry(a facade.TraceAttempt) *opEntry {
	if v, ok := t.entries.Load(a.Operation); ok {
		if e := v.(*opEntry); e.matches(a) {
			return e
		}
		return newEntry(a)
	}
	e := newEntry(a)
	if t.entryCount.Add(1) <= maxEntries {
		if v, loaded := t.entries.LoadOrStore(a.Operation, e); loaded {
			if old := v.(*opEntry); old.matches(a) {
				return old
			}
		}
	}
	return e
}

func newEntry(a facade.TraceAttempt) *opEntry {
	return &opEntry{
		provider: a.Provider, operation: a.Operation, method: a.Method, template: a.URLTemplate, host: a.Host, port: a.Port,
		attemptOpts: []trace.SpanStartOption{kindClient, trace.WithAttributes(semconv.HTTPRequestMethodKey.String(a.Method),
			semconv.URLTemplate(a.URLTemplate), semconv.ServerAddress(a.Host), semconv.ServerPort(a.Port), AttrOperation.String(a.Operation))},
		attemptName: a.Method + " " + a.URLTemplate,
	}
}

// durationAttrs returns the http.client.request.duration attributes of an
// attempt of e that ended with status and error type et.
func (e *opEntry) durationAttrs(status int, et string) attribute.Set {
	sets := e.sets.Load()
	if sets != nil {
		for _, d := range *sets {
			if d.status == status && d.errorType == et {
				return d.set
			}
		}
	}
	kvs := make([]attribute.KeyValue, 0, 6)
	kvs = append(kvs, semconv.HTTPRequestMethodKey.String(e.method), semconv.URLTemplate(e.template),
		semconv.ServerAddress(e.host), semconv.ServerPort(e.port))
	if status != 0 {
		kvs = append(kvs, semconv.HTTPResponseStatusCode(status))
	}
	if et != "" {
		kvs = append(kvs, semconv.ErrorTypeKey.String(et))
	}
	set := attribute.NewSet(kvs...)
	if sets == nil || len(*sets) < maxDurationSets {
		var next []durationSet
		if sets != nil {
			next = append(next, *sets...)
		}
		next = append(next, durationSet{status: status, errorType: et, set: set})
		e.sets.CompareAndSwap(sets, &next) // a lost race only costs a rebuild later
	}
	return set
}

func (t *clientTracer) attemptDone(ctx context.Context, a facade.TraceAttempt, r facade.TraceAttemptResult) {
	ac, _ := ctx.Value(attemptKey{}).(*attemptCtx)
	if ac == nil {
		return
	}
	elapsed := time.Since(ac.start)
	if cc := callFrom(ctx); cc != nil {
		cc.lastErr = r.Err
		if r.StatusCode >= 500 || (r.StatusCode == 0 && r.Err != nil && r.ReachedServer) {
			cc.reached = true
		}
	}
	et := attemptErrorType(r.StatusCode, r.Err)
	t.duration.RecordSet(ctx, elapsed.Seconds(), ac.op.durationAttrs(r.StatusCode, et))
	span := ac.span
	if span.IsRecording() {
		var extra [3]attribute.KeyValue
		n := 0
		if r.StatusCode != 0 {
			extra[n] = semconv.HTTPResponseStatusCode(r.StatusCode)
			n++
		}
		if et != "" {
			extra[n] = semconv.ErrorTypeKey.String(et)
			n++
		}
		if r.RequestID != "" {
			extra[n] = AttrRequestID.String(bounded(r.RequestID))
			n++
		}
		span.SetAttributes(extra[:n]...)
		if et != "" {
			span.SetStatus(codes.Error, et)
		}
	}
	span.End()
}

func (t *clientTracer) tokenStart(ctx context.Context, tk facade.TraceToken) context.Context {
	attrs := make([]attribute.KeyValue, 1, 2)
	attrs[0] = AttrProvider.String(string(tk.Provider))
	if tk.Scope != "" {
		attrs = append(attrs, AttrTokenScope.String(tk.Scope))
	}
	ctx, span := t.tracer.Start(ctx, SpanTokenFetch, trace.WithSpanKind(trace.SpanKindInternal), trace.WithAttributes(attrs...))
	return &tokenCtx{Context: ctx, span: span}
}

func (t *clientTracer) tokenDone(ctx context.Context, tk facade.TraceToken, err error) {
	tc, _ := ctx.Value(tokenKey{}).(*tokenCtx)
	attrs := []attribute.KeyValue{AttrProvider.String(string(tk.Provider))}
	if err != nil {
		attrs = append(attrs, semconv.ErrorTypeKey.String(callErrorType(err)))
	}
	t.tokenFetches.Add(ctx, 1, metric.WithAttributes(attrs...))
	if tc == nil {
		return
	}
	if err != nil {
		tc.span.SetAttributes(attrs[1])
		tc.span.SetStatus(codes.Error, attrs[1].Value.AsString())
	}
	tc.span.End()
}

func (t *clientTracer) wait(ctx context.Context, w facade.TraceWait) {
	if w.Cause != "backoff" {
		t.rateLimitWaits.Add(ctx, 1, metric.WithAttributes(AttrProvider.String(string(w.Provider)),
			AttrOperation.String(w.Operation), AttrWaitCause.String(w.Cause)))
	}
	span := trace.SpanFromContext(ctx)
	if span.IsRecording() {
		span.AddEvent(EventWait, trace.WithAttributes(AttrWaitCause.String(w.Cause), AttrWaitDuration.Float64(w.Duration.Seconds())))
	}
}

func (t *clientTracer) fleetFallback(ctx context.Context, store string, _ error) {
	// The store's error is not recorded: it may quote the store's address,
	// and a Redis URL may carry a password.
	t.fallbacks.Add(ctx, 1, metric.WithAttributes(AttrFleetStore.String(store)))
	span := trace.SpanFromContext(ctx)
	if span.IsRecording() {
		span.AddEvent(EventFallback, trace.WithAttributes(AttrFleetStore.String(store)))
	}
}

// bounded makes a value from the server (a request id, a delivery id)
// safe to record: at most maxRequestID bytes, and valid UTF-8, which OTLP's
// protobuf strings require (an invalid one would fail the whole export).
func bounded(s string) string {
	if len(s) > maxRequestID {
		s = s[:maxRequestID]
	}
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	return s
}
