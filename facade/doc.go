// Package facade is what banklink's two clients share: a backend drives
// MoneyKit's hosted bank linking with package facade/moneykit and Link
// Money's pay by bank with package facade/linkmoney, and configures both
// with this package's options. It also holds the errors both return, the
// per-call Response, middleware, the Trace hooks and Timestamp. The
// policies below (retries, rate limits, tokens, validation, errors,
// logging) are written once, here; the provider packages link to them.
//
//	mk, err := moneykit.New(facade.WithCredentials(id, secret))
//	sess, err := mk.LinkSessions.Create(ctx, moneykit.NewLinkSession("user-42", "https://app.example/oauth"))
//	link, err := mk.Links.Get(ctx, linkID) // moneykit.LinkDeleted(link, err): state deleted or 410
//
//	lm, err := linkmoney.New(facade.WithEnvironment(facade.Sandbox))
//	pay, err := lm.Payments.Create(ctx, linkmoney.NewPayment(customerID, merchantID, linkmoney.USD(1234)))
//
// Requests and responses are the types generated from api/openapi.yaml,
// which the provider packages hand through as aliases (moneykit.Link,
// linkmoney.Payment, …) with Go-style enum constants
// (moneykit.ProductTransactions); a program never imports gen/. Clients
// are safe for concurrent use; build one per application and share it.
//
// Optional fields are plain values, not pointers, in both providers' types
// (link.Webhook is a string; "" means absent), and a zero value is left out
// of a request. The exceptions are fields where absent and zero differ on
// the wire: UpdateLinkRequest's webhook (nullable.Nullable, so null removes
// it) and link tags (nil leaves them, an empty slice clears them), product
// requests, and a few Link Money profile fields such as guestCheckout.
// Timestamps are Timestamp values: link.LastSyncedAt.Time() is a time.Time,
// MoneyKit's offset-less "2023-02-16T09:14:11" is read as UTC, and the text
// received is re-encoded unchanged. Build request timestamps with
// NewTimestamp.
//
// # Configuration
//
// Options apply to both clients. Settings no option gives are read from
// MONEYKIT_CLIENT_ID, MONEYKIT_CLIENT_SECRET, MONEYKIT_BASE_URL,
// LINKMONEY_CLIENT_ID, LINKMONEY_CLIENT_SECRET and LINKMONEY_BASE_URL. Base
// URLs default to https://api.moneykit.com (one host for sandbox and live
// keys) and https://api.link.money or, with WithEnvironment(Sandbox),
// https://api.link-sandbox.money. A plain-http base URL is refused unless
// its host is provably loopback: an IP literal in 127.0.0.0/8 or ::1, or the
// exact name localhost. Other names, *.localhost included, are refused,
// because a proxy (HTTP_PROXY) or resolver may send them elsewhere and every
// call carries credentials. A base URL must not carry user info; error
// messages about a base URL never quote its password.
//
// The default HTTP client (DefaultHTTPClient) keeps up to 64 connections per
// host, all of them reusable from the idle pool, bounds dialling and TLS
// handshakes at 10s, response headers at 30s (and at 1 MiB) and each
// attempt at 30s overall, negotiates HTTP/2, and does not follow redirects. Redirects are
// not followed through a client given with WithHTTPClient either: banklink
// sends through a copy of it whose CheckRedirect stops at the first
// response, so a 3xx comes back as an *Error and the credentials, token and
// body are never re-sent to the Location (the caller's client itself is not
// changed). Response
// bodies are always drained and closed so connections are reused.
// WithAttemptTimeout adds a per-attempt bound; the caller's context bounds
// the whole call, waits and retries included. When a program has replaced
// http.DefaultTransport with a wrapper (tracing setups do), the default
// client starts from a fresh *http.Transport (proxy from the environment)
// instead; trace banklink's calls with WithMiddleware.
//
// # Per-call options
//
// Every service method takes trailing CallOptions:
//
//	var resp facade.Response
//	link, err := mk.Links.Get(ctx, linkID,
//		facade.WithMaxRetries(0),                     // this call only
//		facade.WithHeader("X-Tenant", "eu-1"),
//		facade.WithResponse(&resp))                   // what happened, on success or failure
//	log.Print(resp.StatusCode, resp.RequestID, resp.Attempts, resp.Duration)
//
// WithMaxRetries, WithAttemptTimeout, WithRetryPolicy, WithHeader and
// WithMiddleware return a SharedOption: given to moneykit.New or
// linkmoney.New it sets the client's default, given to a method it
// overrides that default for the one call (middleware is added after the
// client's). One value may be used in both places. An invalid option is an
// error matching ErrInvalidRequest, before anything is sent; a call without
// options allocates nothing for them.
//
// WithHeader sets a header on every attempt; a per-call one replaces the
// client's of the same name. It refuses, with an error rather than
// silently, the headers banklink sets itself (Authorization, X-Client-Id,
// User-Agent, Accept, Content-Type, MoneyKit-Version) and those net/http
// manages (Host, Content-Length, Connection, Transfer-Encoding, …).
// Middleware, which sees the finished request, can change any header on
// purpose.
//
// WithResponse(&r) fills r with the last HTTP answer's status, headers and
// request id, the number of attempts, the call's duration (token fetches,
// retries and waits included, on the client's clock) and, for Link Money
// payments and refunds, the requestKey sent.
//
// # Middleware, tracing and metrics
//
// WithMiddleware(func(req *http.Request, next facade.Next) (*http.Response, error))
// wraps each HTTP attempt inside the retry loop: it runs once per attempt
// (every retry, the resend after a token refresh, and the token requests
// themselves for client-level middleware), in the order given, the
// client's before the call's. Each attempt's request is its own copy, with
// credentials already set: middleware must not log its headers.
// AttemptInfoFrom(req.Context()) names the provider, operation, path
// template and attempt number, which make low-cardinality span names and
// metric labels. TransportMiddleware adapts RoundTripper wrappers; for
// OpenTelemetry (banklink does not depend on it):
//
//	tracing := facade.TransportMiddleware(func(next http.RoundTripper) http.RoundTripper {
//		return otelhttp.NewTransport(next, otelhttp.WithSpanNameFormatter(
//			func(_ string, r *http.Request) string {
//				info, _ := facade.AttemptInfoFrom(r.Context())
//				return string(info.Provider) + " " + info.Operation // "moneykit getLink"
//			}))
//	})
//	mk, err := moneykit.New(facade.WithMiddleware(tracing))
//
// otelhttp records the full URL, whose path can carry link and customer
// ids; filter that attribute if your traces must be free of identifiers.
//
// # Validation
//
// A nil context is refused with a *ValidationError (path "ctx", rule
// "required") instead of a panic; a cancelled one ends the call with a
// *TransportError before anything is sent.
//
// Every path parameter must become exactly one path segment: the empty
// string, "." and "..", and any value containing '/', '\\', '?', '#', '%' or a
// control character are refused with a *ValidationError (rule
// "path_segment") before anything is sent, since escaping alone cannot stop
// a dot segment from addressing another resource ("DELETE /links/.."
// would be "DELETE /").
//
// Before anything is sent, each request body and path parameter is checked
// against the constraints in the providers' OpenAPI document (lengths,
// patterns, enums, formats, amounts with at most two decimal places, and
// banklink's conditional rules such as paymentDetails only with
// LINK_MANAGED_PAYMENT). A failure returns *ValidationError listing every
// violation (errors.Is(err, ErrInvalidRequest)); nothing is sent.
//
// The checks are compiled from the spec at build time: every request type
// has a generated Validate method, which callers may use themselves, e.g. to
// check a form before submitting it:
//
//	req := moneykit.NewLinkSession(userID, redirectURI)
//	if err := req.Validate(); err != nil {
//		var ve *facade.ValidationError // Operation is empty outside a call
//		errors.As(err, &ve)
//	}
//
// Validate reads the request as encoding/json would send it (a nil pointer
// or an omitempty zero value is absent), reports fields and rules but never
// values, and allocates nothing for a valid request.
// A payment or refund built without WithRequestKey has no requestKey until
// the call generates one, so its own Validate reports /requestKey; the
// facade validates the copy it sends, after filling the key in.
//
// # Retries and safety classes
//
// Whether a request may be replayed comes from the spec's x-banklink-retry,
// compiled by cmd/specgen into each provider's generated operation table
// (moneykit.Operations, linkmoney.Operations); no spec is parsed at run time:
//
//   - safe (GET, PATCH /links/{id}, DELETE, token endpoints): retried after
//     connection errors and 408, 429, 500, 502, 503 and 504.
//   - idempotency-key (Link Money payments and refunds): retried like safe
//     operations. The key named by x-banklink-idempotency-key (requestKey) is
//     generated as a UUID v4 for the call when the request has none (the
//     caller's request value is never written to, so it may be shared
//     between goroutines) and sent unchanged on every attempt. The key sent
//     is reported by WithResponse and carried by every *Error,
//     *TransportError and *RateLimitError the call returns
//     (IdempotencyKeyOf(err)); after an unknown outcome (a timeout, a lost
//     answer, a 5xx), send the payment again with WithRequestKey(key) and
//     Link Money executes it at most once. A *ValidationError means nothing
//     was sent and carries no key. When banklink's own retry, after an
//     attempt whose answer was lost or a 5xx, draws DUPLICATE_REQUEST_KEY,
//     the earlier attempt was accepted: the call returns an
//     *AcceptedEarlierError (errors.Is ErrAcceptedEarlier) with the key and
//     the clientReferenceId, not ErrDuplicateRequestKey, which stays the
//     answer to a first attempt.
//   - unsafe (POST /link-session, POST /v2/sessions): retried only after a 429
//     or when the request provably never reached the server (the connection
//     could not be dialled or the host not resolved).
//   - single-use (POST /link-session/exchange-token): retried only when the
//     request provably never reached the server; never after any response or
//     a connection lost mid-request.
//
// No other 4xx is retried. WithMaxRetries sets the retry budget (default 2,
// so 3 attempts). WithRetryPolicy replaces the decision; it receives an
// *Attempt with the operation, method, safety class, attempt number,
// response, error and whether the request reached the server.
//
// # Backoff, Retry-After and the 429 cool-downs
//
// Without a server hint, retries wait ExponentialBackoff: 500ms, 1s, 2s, …
// capped at 8s, each shortened by up to 25% at random. A server hint wins:
// Retry-After-Ms, then Retry-After as delta-seconds or an HTTP date. Hints
// are capped by WithMaxRetryAfter (default 30s); when the server asks for
// longer than the cap, or longer than the context has left, the call returns
// *RateLimitError at once, carrying RetryAfter and the response's *Error,
// without waiting. A backoff that would outlast the context returns the
// last error at once too.
//
// Rate limits are scoped like the provider's. Each operation is counted by
// the scopes of its documented limits (x-banklink-rate-limits in the
// generated table): per link (GET /links/{id} and the link's data, 15 a
// minute for most, 4 for accounts, 3 for account numbers), per user
// (POST /link-session, 20 a minute, counted by customer_user.id), per app
// and per client (the token endpoint, 300 a minute). An operation with no
// documented limit (Link Money's, exchange-token) has a scope of its own
// per client.
//
// A 429 cools down the narrowest scope of the operation that drew it, for
// its Retry-After (or a backoff; at most an hour, longer hints being taken
// as broken): getLink("mk_A") drawing a 429 holds back getLink("mk_A"),
// never getLink("mk_B") or getUserLinks, and a 429 on the token endpoint
// holds back token requests, never calls that already hold a token. Every
// other call on that scope waits out the window before its next attempt
// instead of drawing its own 429, released with jitter (up to a tenth of
// the window, at most 1s) so they do not all go at once, and fails fast
// with *RateLimitError if the window outlasts its context. Each caller gets
// its own error value, a copy of the answer that opened the window without
// that call's key.
//
// With a fleet (WithFleet, WithLimiter) or WithDocumentedLimits, calls are
// paced on the documented limits before they are sent, so no instance sends
// what the provider would refuse: a limit lets half its budget through at
// once and the rest over the window (Limit.Pacing). A call waits for its
// slot within its context, or fails fast with a *RateLimitError whose Scope
// and Limit name the limit when the slot comes after its deadline; nothing
// is sent. A plain client does not pace: it sends at once, as it would
// without banklink, and honours the 429s it draws (above).
// WithoutDocumentedLimits turns the pacing off even with a fleet (for
// servers that do not enforce the limits, and benchmarks).
// WithRateLimiter adds client-side throttling with a golang.org/x/time/rate
// limiter, waited on before each attempt. Every wait goes through WithWait's
// function (a timer by default) and ends the moment the context ends.
//
// The budgets, the cool-downs and the tokens live in a fleet.Limiter, a
// fleet.CoolDownStore and a fleet.TokenStore, in memory by default;
// WithFleet (for example redisfleet.With) shares them between the
// instances of an application.
//
// # Authentication
//
// MoneyKit calls carry a bearer token from POST /auth/token (client
// credentials in the form body) and the MoneyKit-Version: 2023-02-18 header;
// the JWKS endpoint gets X-Client-Id instead. Link Money's POST /v2/sessions
// uses HTTP Basic; every other Link Money call a bearer token from
// POST /v1/tokens for the scope its security requirement names (Link-Core or
// Link-Payment). Tokens are cached per scope until min(60s, lifetime/10)
// before they expire; a token response without expires_in (or with 0) is
// taken to live MoneyKit's documented 60 minutes. A token is fetched once
// however many calls ask at the same time, and the fetch stops when the last
// call waiting for it has gone (or after 60s). When MoneyKit answers 401 api_error.auth.expired_access_token, or
// Link Money 401 on a bearer call, the token is dropped, a new one fetched
// and the call resent once; this does not use up a retry and applies to
// every safety class, since the server refused before acting. A token
// endpoint failure is returned inside a *TransportError naming the call
// that needed the token ("getLink: fetching token: ...createAccessToken:
// 401..."), and the endpoint's own typed error is reachable with errors.As
// and errors.Is. A call cancelled or out of time while waiting to retry is
// a *TransportError whose Last keeps the previous answer as a field: it
// does not match ErrServer.
//
// # Errors
//
// An HTTP error answer is *Error: provider, operation, status, the
// provider's code (MoneyKit error_code, Link Money errorCode) and message,
// documentation URL, link_error_code, validation errors, Link Money errorId
// and severity, request id, Retry-After, up to 1 MiB of the body, the last
// response (body readable again, Authorization redacted) and the number of
// attempts. Decide on the code, not the status: MoneyKit's 422 is either
// link_error.bad_state or api_error.request.validation_failed. Bodies that
// are not the documented JSON (an HTML 502, truncated JSON, a huge body)
// still give an *Error with the status and the capped bytes. The error
// fields are decoded one at a time, so a field of an unexpected type (an
// errorId that is a string, a validation_errors that is an object) leaves
// only that field empty, never the code and message. A 2xx from a token
// endpoint that cannot be decoded keeps no token: the access_token value in
// Body (and in the response's body) reads "REDACTED", or the body is
// dropped when it cannot be rewritten. A 2xx whose body lacks a field the
// success schema marks required, or has the provider's error shape (a
// top-level error_code or errorCode with a required field missing, or with
// an error message where nothing is required), is an *Error too, with the
// provider's code when there is one: an exchange answered
// 200 {"error_code": ...} is never a success with an empty link_id. Sentinels match
// with errors.Is: ErrLinkNotFound, ErrLinkDeleted, ErrForbiddenAction,
// ErrBadState, ErrRateLimited (any 429 and *RateLimitError), ErrAuthExpired,
// ErrUnauthorized, ErrUnauthorizedLinkAccess, ErrInvalidTokenExchange,
// ErrForbiddenConfig, ErrBadConfig, ErrValidationFailed, ErrDuplicateRequestKey,
// ErrAcceptedEarlier, ErrOutcomeUnknown (a payment or refund answered 202
// or 204 without a body: it may have been accepted, and its requestKey is
// on the error), ErrNotFound (any 404), ErrServer (any 5xx) and
// ErrInvalidRequest. Failures
// without an answer are *TransportError, which names the operation and the
// attempts and unwraps to the cause (and to the last *Error, if the context
// ended while waiting to retry).
//
// # Webhooks
//
// Verifying and handling webhooks lives in package facade/webhook, so that
// importing a client does not link the JWT libraries. The clients have the
// calls around them: moneykit's Webhooks.JWKS and Webhooks.TestLink (the
// test trigger, sandbox links only; the idempotency key is generated when
// empty and reused on retries), linkmoney's Webhooks.Subscribe (retried
// only when the request never reached Link Money, since a repeat may create
// a second subscription) and Webhooks.Unsubscribe. Link Money's
// delivery signature scheme is unconfirmed (x-banklink-unconfirmed in the
// spec); see package webhook for the scheme banklink assumes.
//
// # Tracing and metrics
//
// WithTrace(t) reports every call to the hooks of a Trace: the call, each
// HTTP attempt, each token fetch and each wait, with the operation id, the
// path template, statuses and request ids, never a credential or a body.
// Package facade/otelbanklink turns them into OpenTelemetry spans and
// metrics; a program that does not import it links no OpenTelemetry
// package. Without WithTrace nothing is reported and nothing is paid.
//
// # Logging and redaction
//
// banklink logs nothing unless WithLogger is given. It then writes one
// debug record per attempt: provider, operation, method, path template
// (/links/{id}, never the concrete path), status, attempt, duration, request
// id, and the retry decision with its reason. Credentials, tokens,
// Authorization headers, request and response bodies and customer data are
// never logged, and error messages carry status, code, provider message and
// operation, never request contents or URLs. The user info of any URL in a
// transport or proxy error (net/http quotes a proxy URL as configured) is
// replaced by REDACTED in Error() and in the log.
//
// Error() strings show the provider's text (code, message, request id)
// without control characters or terminal escape sequences and cut to a few
// hundred bytes; the fields of *Error keep the raw text and Body the raw
// bytes, for programs that need them.
package facade
