// Package webhook verifies, parses and deduplicates the webhooks MoneyKit
// and Link Money send, and serves them as http.Handlers.
//
//	v, err := webhook.NewMoneyKitVerifier(webhook.MoneyKitOptions{}) // MONEYKIT_BASE_URL, MONEYKIT_CLIENT_ID
//	defer v.Close()
//	http.Handle("POST /webhooks/moneykit", webhook.MoneyKitHandler(v, func(ctx context.Context, ev *webhook.MoneyKitEvent) error {
//		if ev.LinkStateChanged != nil { /* re-fetch the link ev.LinkID */ }
//		return nil // anything else makes MoneyKit retry
//	}, webhook.WithLogger(logger)))
//
//	hv, err := webhook.NewHMACVerifier(secretGivenToSubscribe)
//	http.Handle("POST /webhooks/linkmoney", webhook.LinkMoneyHandler(hv, handlePayment))
//
// It is a package of its own so that a program importing only
// github.com/banklink/banklink/facade does not link the JWT and JWKS
// libraries (github.com/golang-jwt/jwt/v5, github.com/MicahParks/keyfunc/v3
// and github.com/MicahParks/jwkset) that MoneyKit verification needs.
//
// # MoneyKit
//
// MoneyKitVerifier reads the MoneyKit-Signature header, a compact JWT. Only
// alg ES256 is accepted (none, HS256 and the rest are rejected before a key is
// looked up). The key is picked by the header's kid from MoneyKit's JWKS
// (GET /.well-known/jwks.json, sent with X-Client-Id, answer capped at
// 1 MiB; keys whose use is not sig are ignored). The JWKS is kept for 12
// hours, refreshed in the background, and refetched on an unknown kid at most
// once per 5 minutes; an unknown kid inside that window is rejected without
// waiting for it to end (unless it ends within the 10s fetch timeout). keyfunc logs nothing: fetch failures go to
// MoneyKitOptions.Logger, reason only. Close stops the refresher.
//
// The claims must hold request_body_sha256 equal to the SHA-256 of the raw
// body (compared in constant time), and iat no older than MaxAge (5 minutes)
// nor later than FutureLeeway (30 seconds) ahead of the clock; MoneyKit's
// tokens carry no exp, so without a maximum age a captured delivery could be
// replayed forever. iss, when present, must be https://api.moneykit.com (or
// MoneyKitOptions.Issuer). An exp, if ever sent, is honoured.
//
// Events decode into MoneyKitEvent, with typed parts for link.state_changed,
// link.product_refresh and transactions.updates_available. Other event types
// are not an error: they keep their envelope and Raw body.
//
// # Link Money
//
// Link Money does not document how it signs webhooks; the spec marks the
// scheme x-banklink-unconfirmed. The verifier is therefore an interface,
// LinkMoneyVerifier, and the default, HMACVerifier, implements the scheme a
// production integrator documents: the headers x-signature,
// x-signature-timestamp (unix seconds) and x-signature-uniqueid, with
// x-signature = base64(HMAC-SHA512(secret, uniqueId + "." + timestamp + "." +
// rawBody)), compared in constant time, a 5-minute window in both directions,
// and deduplication on the unique id. Several secrets may be given, so that
// one can be rolled. Should Link Money confirm another scheme, implement
// LinkMoneyVerifier and pass it to LinkMoneyHandler.
//
// LinkMoneyEvent carries clientReferenceId, resourceId, resourceType,
// paymentType and achReturnCode whether Link Money sends them at the top
// level of the body or under "metadata": both shapes are seen.
//
// # Handlers
//
// MoneyKitHandler and LinkMoneyHandler share one contract:
//
//   - only POST (405 otherwise); the body is read up to 1 MiB
//     (WithMaxBodyBytes), a larger one answers 413 unverified;
//   - a delivery that fails verification answers 400 with no detail in the
//     body; the reason goes to the logger (WithLogger), never the signature,
//     token or body;
//   - a verified delivery is claimed in the Store under its idempotency key
//     (MoneyKit's webhook_idempotency_key, Link Money's unique id) for the
//     dedupe TTL (24 hours); a key already claimed answers 200 without calling
//     the function again;
//   - the function's nil answers 200; an error (or a panic) answers 500 and
//     releases the key, so that the provider's retry is handled. Nothing is
//     lost, and nothing handled twice unless the function failed.
//
// The Store is an interface of two methods ("set if absent with a TTL" and
// "forget"); MemoryStore, the default, keeps keys in memory with expiry on an
// injectable clock. Receivers behind a load balancer need a shared Store.
//
// # Tracing
//
// WithTrace reports each delivery a handler serves to stdlib-only hooks:
// when it arrives (the context the hook returns is the one the function
// receives) and what became of it: handled, duplicate, rejected or failed,
// with a short reason (invalid_signature, too_old, handler_error, ...), the
// event type and the delivery id once verified. facade/otelbanklink turns
// them into a server span per delivery and a counter by outcome and reason
// (otelbanklink.WithWebhookTelemetry); this package imports no telemetry
// library.
//
// # Testing
//
// The sandbox (facade/sandbox) signs deliveries exactly as described here,
// with a JWKS it serves and the subscription secrets it is given, retries
// them, logs them, and injects faults (duplicates, reordering, bad
// signatures, stale timestamps). LinkMoneySignatureHeaders signs a body for
// hand-made Link Money test deliveries.
package webhook
