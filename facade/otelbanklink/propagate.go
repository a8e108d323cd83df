package otelbanklink

import (
	"net/http"

	"go.opentelemetry.io/otel/propagation"

	"github.com/banklink/banklink/facade"
)

// Propagate returns middleware that sends the attempt's trace context
// (traceparent and tracestate, unless WithPropagator names another
// propagator) on each
// request. Neither MoneyKit nor Link Money asks for it, so banklink sends it
// only when given this middleware:
//
//	facade.WithMiddleware(otelbanklink.Propagate())
//
// as a client option, or on a single call. With WithTelemetry the context
// is the attempt's span; without it, the caller's.
func Propagate(opts ...Option) facade.Middleware {
	prop := newConfig(opts).prop
	return func(req *http.Request, next facade.Next) (*http.Response, error) {
		prop.Inject(req.Context(), propagation.HeaderCarrier(req.Header))
		return next(req)
	}
}
