package otelbanklink

import (
	"context"
	"net/http"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/metric"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"

	"github.com/banklink/banklink/facade"
	"github.com/banklink/banklink/facade/webhook"
)

// Webhook attribute keys and the deliveries counter.
const (
	AttrWebhookOutcome    = attribute.Key("banklink.webhook.outcome")
	AttrWebhookReason     = attribute.Key("banklink.webhook.reason")
	AttrWebhookEventType  = attribute.Key("banklink.webhook.event_type")
	AttrWebhookDeliveryID = attribute.Key("banklink.webhook.delivery_id")

	MetricWebhookDeliveries = "banklink.webhook.deliveries"
)

// WithWebhookTelemetry is the webhook.HandlerOption that opens a server span
// per delivery (named "POST" and the route, with the outcome: handled,
// duplicate, rejected or failed, and the reason) and counts deliveries by
// provider, outcome and reason (banklink.webhook.deliveries). The span
// carries no header, body, signature or token. The function given to the
// handler runs inside the span.
func WithWebhookTelemetry(opts ...Option) webhook.HandlerOption {
	return webhook.WithTrace(WebhookTrace(opts...))
}

// WebhookTrace returns the hooks WithWebhookTelemetry installs.
func WebhookTrace(opts ...Option) *webhook.Trace {
	c := newConfig(opts)
	w := &webhookTracer{
		tracer: c.tp.Tracer(ScopeName, trace.WithInstrumentationVersion(facade.Version), trace.WithSchemaURL(semconv.SchemaURL)),
	}
	m := c.mp.Meter(ScopeName, metric.WithInstrumentationVersion(facade.Version), metric.WithSchemaURL(semconv.SchemaURL))
	w.deliveries = counter(m, MetricWebhookDeliveries, "{delivery}", "Webhook deliveries received, by outcome (handled, duplicate, rejected, failed) and reason.")
	return &webhook.Trace{DeliveryStart: w.start, DeliveryDone: w.done}
}

type webhookTracer struct {
	tracer     trace.Tracer
	deliveries metric.Int64Counter
}

func (w *webhookTracer) start(ctx context.Context, d webhook.TraceDelivery) context.Context {
	method, known := knownMethod(d.Method)
	name := method
	attrs := []attribute.KeyValue{AttrProvider.String(d.Provider), semconv.HTTPRequestMethodKey.String(method)}
	if !known {
		// The conventions' answer to a method a client made up: "_OTHER",
		// and a span named "HTTP", so that names and values stay few.
		name = "HTTP"
	}
	if d.Route != "" {
		attrs = append(attrs, semconv.HTTPRoute(d.Route))
		name += " " + d.Route
	}
	ctx, _ = w.tracer.Start(ctx, name, trace.WithSpanKind(trace.SpanKindServer), trace.WithAttributes(attrs...))
	return ctx
}

func (w *webhookTracer) done(ctx context.Context, d webhook.TraceDelivery, r webhook.TraceDeliveryResult) {
	attrs := []attribute.KeyValue{AttrProvider.String(d.Provider), AttrWebhookOutcome.String(r.Outcome)}
	if r.Reason != "" {
		attrs = append(attrs, AttrWebhookReason.String(r.Reason))
	}
	w.deliveries.Add(ctx, 1, metric.WithAttributes(attrs...))
	span := trace.SpanFromContext(ctx)
	if !span.IsRecording() {
		span.End()
		return
	}
	attrs = append(attrs, semconv.HTTPResponseStatusCode(r.StatusCode))
	if r.EventType != "" {
		attrs = append(attrs, AttrWebhookEventType.String(bounded(r.EventType)))
	}
	if r.DeliveryID != "" {
		attrs = append(attrs, AttrWebhookDeliveryID.String(bounded(r.DeliveryID)))
	}
	if r.Reason != "" {
		attrs = append(attrs, semconv.ErrorTypeKey.String(r.Reason))
	}
	span.SetAttributes(attrs...)
	if r.StatusCode >= 500 {
		// A server span is an error for 5xx only (the semantic
		// conventions); a rejected delivery keeps its reason in error.type.
		span.SetStatus(codes.Error, r.Reason)
	}
	span.End()
}

// knownMethod returns m if it is one of HTTP's methods, else "_OTHER".
func knownMethod(m string) (string, bool) {
	switch m {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodConnect, http.MethodOptions, http.MethodTrace:
		return m, true
	}
	return "_OTHER", false
}
