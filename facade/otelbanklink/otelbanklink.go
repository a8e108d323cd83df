package otelbanklink

import (
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	"github.com/banklink/banklink/facade"
)

// ScopeName is the instrumentation scope of banklink's tracer and meter.
const ScopeName = "github.com/banklink/banklink/facade/otelbanklink"

// Option configures WithTelemetry, Trace, WebhookTrace and Propagate.
type Option interface{ apply(*config) }

type optionFunc func(*config)

func (f optionFunc) apply(c *config) { f(c) }

type config struct {
	tp   trace.TracerProvider
	mp   metric.MeterProvider
	prop propagation.TextMapPropagator
}

// WithTracerProvider sets where spans go (default: otel.GetTracerProvider()
// at the time the option is applied). nil keeps the default.
func WithTracerProvider(tp trace.TracerProvider) Option {
	return optionFunc(func(c *config) {
		if tp != nil {
			c.tp = tp
		}
	})
}

// WithMeterProvider sets where metrics go (default:
// otel.GetMeterProvider()). nil keeps the default.
func WithMeterProvider(mp metric.MeterProvider) Option {
	return optionFunc(func(c *config) {
		if mp != nil {
			c.mp = mp
		}
	})
}

// WithPropagator sets the propagator Propagate injects with (default: the
// W3C trace context, propagation.TraceContext{}; pass
// otel.GetTextMapPropagator() for the global one). nil keeps the default.
func WithPropagator(p propagation.TextMapPropagator) Option {
	return optionFunc(func(c *config) {
		if p != nil {
			c.prop = p
		}
	})
}

func newConfig(opts []Option) *config {
	c := &config{}
	for _, o := range opts {
		if o != nil {
			o.apply(c)
		}
	}
	if c.tp == nil {
		c.tp = otel.GetTracerProvider()
	}
	if c.mp == nil {
		c.mp = otel.GetMeterProvider()
	}
	if c.prop == nil {
		c.prop = propagation.TraceContext{}
	}
	return c
}

// WithTelemetry is the client option that traces and measures every call a
// MoneyKit or Link Money client makes: a span per call, a client span per
// HTTP attempt, a span per token fetch, an event per wait, and the metrics
// the package documentation lists. Without options it uses the global
// TracerProvider and MeterProvider. It sends no traceparent header:
// Propagate does, where the caller opts in.
func WithTelemetry(opts ...Option) facade.Option {
	return facade.WithTrace(Trace(opts...))
}

// Trace returns the hooks WithTelemetry installs, for a caller that
// combines them with hooks of its own before passing them to
// facade.WithTrace.
func Trace(opts ...Option) *facade.Trace {
	return newClientTracer(newConfig(opts)).hooks()
}
