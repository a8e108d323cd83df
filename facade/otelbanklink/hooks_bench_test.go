package otelbanklink_test

import (
	"context"
	"testing"

	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/banklink/banklink/facade"
	"github.com/banklink/banklink/facade/otelbanklink"
)

// BenchmarkHooks is the cost of the hooks one successful call runs (a call
// span and an attempt span, the duration histogram), without the call.
func BenchmarkHooks(b *testing.B) {
	tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(tracetest.NewNoopExporter()))
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(sdkmetric.NewManualReader()))
	b.Cleanup(func() {
		_ = tp.Shutdown(context.Background())
		_ = mp.Shutdown(context.Background())
	})
	h := otelbanklink.Trace(otelbanklink.WithTracerProvider(tp), otelbanklink.WithMeterProvider(mp))
	a := attempt(getLink, 1)
	res := facade.TraceAttemptResult{StatusCode: 200, RequestID: "req-0123456789"}
	done := facade.TraceCallResult{Attempts: 1, StatusCode: 200, RequestID: "req-0123456789"}
	bg := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		ctx := h.CallStart(bg, getLink)
		actx := h.AttemptStart(ctx, a)
		h.AttemptDone(actx, a, res)
		h.CallDone(ctx, getLink, done)
	}
}

// BenchmarkTwoSpans is the floor under BenchmarkHooks: two bare spans, one
// the other's child, through the same SDK set-up.
func BenchmarkTwoSpans(b *testing.B) {
	tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(tracetest.NewNoopExporter()))
	b.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	tr := tp.Tracer("bench")
	bg := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		ctx, call := tr.Start(bg, "getLink")
		_, attempt := tr.Start(ctx, "GET /links/{id}")
		attempt.End()
		call.End()
	}
}
