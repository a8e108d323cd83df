// Package otelbanklink traces and measures banklink's MoneyKit and Link
// Money clients and webhook handlers with OpenTelemetry.
//
//	tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(exporter))
//	mk, err := moneykit.New(otelbanklink.WithTelemetry(otelbanklink.WithTracerProvider(tp)))
//	h := webhook.MoneyKitHandler(v, fn, otelbanklink.WithWebhookTelemetry())
//
// It is off unless its options are given, and it is the only banklink
// package that imports OpenTelemetry: the clients and handlers expose
// stdlib-only hooks (facade.WithTrace, webhook.WithTrace) that this package
// fills, so a program that does not import it links no OpenTelemetry
// package. It uses the OpenTelemetry API only; the program chooses the SDK
// and exporters. Without WithTracerProvider and WithMeterProvider it uses
// the global providers.
//
// # Spans
//
// A call (one service method) is an internal span named by its operation
// id ("getLink", "createPayment"), with banklink.provider,
// banklink.operation, banklink.attempts, the idempotency key of a payment
// or refund (banklink.idempotency_key), the last answer's request id
// (banklink.request_id) and, on failure, error.type: the name of the
// facade sentinel the error matches ("rate_limited", "link_not_found",
// "server_error", "accepted_earlier", ...), "timeout", "canceled",
// "transport_error", or the status code of an answer no sentinel names. A
// payment or refund that failed after an attempt may have reached Link
// Money without a clear answer carries banklink.outcome_unknown: resend it
// with its key. A call refused before sending (an invalid request) has no
// span.
//
// Each HTTP attempt is a client span, the call's child, named
// "{METHOD} {url.template}" ("GET /links/{id}"), with the stable HTTP
// semantic conventions: http.request.method, url.template, server.address,
// server.port, http.response.status_code, http.request.resend_count from
// the second attempt on, and error.type (the status code of an answer of
// 400 or more, else the kind of failure); plus banklink.operation and
// banklink.request_id.
//
// Each OAuth2 token fetch is a span "banklink.token", the child of the call
// that needed it, with banklink.provider and banklink.token.scope. Each wait
// (a backoff, a Retry-After, a 429 cool-down, the documented-limit pacing)
// is an event "banklink.wait" on the call's span, with banklink.wait.cause
// and banklink.wait.duration in seconds; a fall back from a failed shared
// store is an event "banklink.fleet_fallback" with banklink.fleet.store.
//
// Each webhook delivery is a server span named "POST" and the route, with
// banklink.webhook.outcome (handled, duplicate, rejected, failed), the
// reason (banklink.webhook.reason and error.type: invalid_signature,
// too_old, handler_error, ...), the event type and the delivery id once
// verified, and http.response.status_code. The function given to the
// handler runs inside it.
//
// # Metrics
//
//	http.client.request.duration            histogram, s: method, url.template, server, status, error.type
//	banklink.client.retries                 requests sent again within a call
//	banklink.client.rate_limit.waits        waits for a Retry-After, a cool-down or the pacing, by cause
//	banklink.client.rate_limit.rejections   calls that returned *RateLimitError, by reason
//	banklink.client.token.fetches           token fetches, by provider and error.type
//	banklink.client.fleet.fallbacks         calls served in-process after a shared store failed
//	banklink.webhook.deliveries             deliveries by provider, outcome and reason
//
// # What is never recorded
//
// No span, event or metric carries a client secret, an access token, an
// Authorization header, a webhook signature or token, a request or
// response body, a concrete path or query (only the path template), an
// error's message (it may quote the provider), or a customer's name, email,
// phone or address. A status description is the error type, never the
// error's text.
//
// # Propagation and logs
//
// banklink sends no traceparent: neither provider asks for it. Propagate
// is the middleware that sends it, for a client or a single call that opts
// in. A client with WithTelemetry and a logger (facade.WithLogger) logs
// each attempt's record with trace_id and span_id (the attempt's span);
// LogHandler does the same for any other slog.Handler, such as the one
// given to webhook.WithLogger.
package otelbanklink
