// Package sandbox is an in-process, stateful fake of the two provider APIs that
// banklink drives: MoneyKit (hosted bank linking) and Link Money (pay by bank).
//
// It is built from the same OpenAPI document as banklink's generated bindings
// (gen/moneykit and gen/linkmoney): it implements their strict server
// interfaces, validates every request against the embedded spec, and reads
// the provider facts that the spec records in its x-banklink-* extensions
// (rate limits, idempotency keys, cross-field rules, decimal places).
// It shares no client code with package facade, so a bug in the client cannot
// hide in the fake.
//
// # Use in tests
//
// Two lines give a test a running sandbox and the environment a banklink
// client reads:
//
//	sb := sandbox.Start(t)
//	sb.Setenv(t)
//
// One server hosts both providers: MoneyKit under URL()+"/moneykit", Link
// Money under URL()+"/linkmoney", and the sandbox's own control endpoints
// under URL()+"/_sandbox/" (not part of the providers' APIs).
//
// # Reproducible runs
//
// Config.Seed (banklink sandbox --seed) draws every id, token and signing
// key from a stream derived from the seed, and Config.ClockStart (--clock-start)
// starts the sandbox on a FakeClock that moves only through Advance or POST
// /_sandbox/clock/advance. Two sandboxes with the same seed and clock start,
// given the same calls in the same order, answer byte for byte the same:
// the same link, account, transaction, customer, payment and refund ids,
// with the same data. Without a seed, ids are random. A link's data is a
// function of its id, the day it was made and the times of its refreshes,
// so the same link id always gives the same data.
//
// # Safety on a laptop
//
// The sandbox's credentials are public and it speaks plain http, so it
// keeps to the machine it runs on unless told otherwise: `banklink sandbox`
// listens on 127.0.0.1 by default and refuses a non-loopback --addr without
// --public (LoopbackAddr is the rule). The control endpoints refuse
// cross-origin requests (http.CrossOriginProtection: Sec-Fetch-Site, then
// Origin against Host, checked for GET too) and, for POST, any Content-Type
// but application/json, so a web page open in the same browser cannot drive
// them. Serve bounds request headers (ReadHeaderTimeout, MaxHeaderBytes),
// whole requests (ReadTimeout), responses (WriteTimeout) and idle
// connections (IdleTimeout); bodies are capped at MaxBodyBytes (413 above);
// a JSON number in a body may have at most 32 digits and an exponent of at
// most 32, since exact decimal checks on a 900,000-digit amount cost
// seconds. Connect gives up after DefaultConnectTimeout when given no client.
//
// # Credentials
//
// The sandbox accepts fixed credentials: MoneyKit client id
// "sandbox_client_id" with secret "sandbox_client_secret" (a second
// application, "sandbox_other_client_id"/"sandbox_other_client_secret",
// exists to exercise cross-application access), and Link Money client id
// "lm_sandbox_client_id" with secret "lm_sandbox_client_secret".
//
// # MoneyKit behaviour
//
//   - POST /auth/token takes client credentials in the form or as HTTP Basic;
//     wrong credentials answer 401 api_error.auth.unauthorized, a grant_type
//     other than client_credentials answers 400. Tokens are opaque and live
//     for Config.TokenTTL; an expired token answers 401
//     api_error.auth.expired_access_token, a missing or unknown one 401
//     api_error.auth.unauthorized.
//   - The MoneyKit-Version header must be absent or 2023-02-18; anything
//     else fails request validation (422).
//   - POST /link-session answers 201 with a "sandbox_" token. The sandbox
//     institutions are instant_bank ("Instant Bank", the default),
//     credentials_bank ("Credentials Bank") and oauth_bank ("OAuth Bank");
//     any other institution_id (for example "forbidden") answers 403
//     link_session_error.forbidden_config, as does an existing_link_id that
//     does not name a live link of the calling application.
//   - The end user's part (MoneyKit Connect) is played in a browser by the
//     sandbox's Connect pages (see Customer pages), by
//     Sandbox.CompleteLinkSession, or from another process by Connect (POST
//     /_sandbox/moneykit/connect). A new
//     link waits in state awaiting_token_exchange until its exchangeable
//     token is exchanged; the exchange is single-use (a second one answers
//     400 link_session_error.invalid_token_exchange). Completing a session
//     made with existing_link_id reconnects that link in place: it returns no
//     exchangeable token (as Connect's relink does) and replaces the link's
//     webhook and tags with the session's (omitted means removed).
//   - GET /links/{id}: unknown links answer 404 link_error.not_found; a link
//     of another application answers 401 link_error.unauthorized_access;
//     a deleted link answers 200 with state "deleted" (PATCH and DELETE on it
//     answer 410 link_error.deleted); a link in state "error" answers 422
//     link_error.bad_state with link_error_code set to its error code; a link
//     whose user denied the "accounts" product (ConnectOptions.DenyProducts)
//     answers 403 link_error.forbidden_action. Only GET applies the 422 and
//     403 rules: PATCH and DELETE change the application's own settings and
//     work on such links.
//   - GET /users/{id}/links lists the user's links that are not deleted.
//   - GET /.well-known/jwks.json needs X-Client-Id (a bearer token is also
//     accepted) and publishes the ES256 P-256 webhook signing keys, the
//     current one first.
//   - Account data. Every link has data generated from its link id and the
//     day it was made, so the same link id always gives the same data:
//     checking and savings accounts (with ACH numbers whose routing numbers
//     pass the ABA check digit), a credit card (liability, balance
//     sign-reversed), and at institutions that offer investments
//     (credentials_bank) a brokerage account with three holdings and a year
//     of monthly purchases; one owner with a name, address, phone and
//     example.com email; and 400 days of transactions, those of the last two
//     days pending. Every amount and balance is exact to the cent (kept in
//     integer cents; imported balances are rounded to the cent). custom_sandbox_data on the link session replaces the
//     generated accounts and owners (a routing number with a wrong check
//     digit answers 422 when the session is created; an absent one is
//     generated for depository accounts).
//   - Data reads follow GET /links/{id}'s rules (404, 401, 422, 403 when
//     accounts were denied) and answer 410 link_error.deleted for a deleted
//     link; a product the user did not grant, or the institution does not
//     offer, answers 403 link_error.forbidden_action on its endpoints
//     (account_numbers, identity, transactions, investments).
//   - POST /links/{id}/products takes effect at once and answers 202 with
//     the link. With "transactions" it moves the link's data forward by at
//     least a day of activity, even when the sandbox clock has not moved:
//     the days since the last refresh bring their transactions, or, on the
//     same day, a further slice of the day's activity, as pending
//     transactions; the previous pending set is replaced wholesale, each of
//     its transactions posting as a new posted transaction with its own id;
//     one posted transaction of the last month is corrected (its category
//     refined with a subcategory) and another one is reversed. The sandbox
//     does not apply MoneyKit's hourly and daily refresh throttles.
//     Sandbox.productsRefreshed is the single place a refresh takes effect.
//   - GET /links/{id}/transactions/sync replays the link's change log:
//     cursors are positions in it ("sync_N"), so a sync resumed from a
//     stored cursor reports exactly the changes after it; a cursor the
//     sandbox never gave answers 422. Pending transactions follow
//     MoneyKit's documented rule: they are reported only in created, never
//     in updated or removed, and a pending transaction that a refresh
//     replaced is not reported again, from any cursor. A client that, when
//     a sync brings created transactions, first drops its stored pending
//     ones keeps an exact copy. Corrections (the refresh's, and enrichment updates of
//     posted transactions) are updates; reversals are removals. An
//     enrichment update of a pending transaction shows in its answer and in
//     listings, not in the feed.
//   - GET /institutions pages, in id order, through the three test
//     institutions (featured) and sixty generated regional banks; each
//     has the alias "sandbox.<id>". Unknown ids answer 404
//     institution_error.not_found.
//   - POST /links/import creates a link in state error (auth_expired) from
//     the given accounts and transactions; POST
//     /links/{id}/import/transactions adds to such a link (422 for another
//     link or an unknown account). As MoneyKit documents, all of an imported
//     link's data stays readable; only a refresh answers 422
//     link_error.bad_state. POST /links/{id}/reset puts a link into state
//     error with auth_expired, and then its data reads answer 422 until it
//     is reconnected.
//   - Rate limits are read from the spec's x-banklink-rate-limits and
//     enforced as sliding windows on the sandbox clock: at most N requests in
//     any span of the stated length, counted per client, app, user or link.
//     Over the limit a request answers 429 api_error.rate_limit_exceeded with
//     Retry-After (whole seconds until a slot frees). Config.NoRateLimits
//     turns them off.
//
// # Link Money behaviour
//
//   - POST /v1/tokens issues one token per scope (Link-Core by default,
//     or Link-Payment). Customers endpoints need a Link-Core token,
//     payments and refunds a Link-Payment token; a token of the wrong scope
//     answers 401 INVALID_SCOPE, an expired one 401 TOKEN_EXPIRED.
//   - POST /v2/sessions checks HTTP Basic credentials and the spec's
//     cross-field rules (paymentDetails only with experienceId
//     LINK_MANAGED_PAYMENT, which in turn needs paymentDetails; subtotal
//     before discount, shipping or tax).
//   - The hosted UI is the sandbox's own page (see Customer pages), whose
//     URL is the session's sessionUrl; it is also played by
//     Sandbox.CompleteSession, or from another process by Pay (POST
//     /_sandbox/linkmoney/complete). Both create an ACTIVE customer with two
//     accounts and, for LINK_MANAGED_PAYMENT, the payment.
//   - The sandbox banks' logins decide how payments go, through the pages and
//     POST /v1/payments alike: profile_522 (the default of CompleteSession)
//     pays as the rules below say; every debit of a profile_08 customer
//     settles TERMINAL_FAILED with achReturnCode R01 (insufficient funds).
//   - POST /v1/payments: the customer must exist and be ACTIVE (else 400).
//     Amounts up to 1000.00 are AUTHORIZED, up to 9000.00 PENDING, above
//     that TERMINAL_FAILED with errorDetails PAYMENT_DECLINED. A requestKey
//     already used by a payment or refund answers 400 DUPLICATE_REQUEST_KEY.
//   - Debits move through Link Money's payment cycle on the sandbox clock:
//     created and pending at once; an authorized debit is SCHEDULED an hour
//     after authorization, INITIATED a day later and settles two days after
//     that: SUCCEEDED, or TERMINAL_FAILED with achReturnCode R01 when its
//     cents are .13 (R02 for .14). PENDING debits are held until POST
//     /v1/payments/{id}/release authorizes them. GET
//     /v1/transactions/{id} reads the status; credits and refunds keep the
//     status they were created with.
//   - POST /v1/refunds answers 201 PENDING; the payment must exist (404),
//     be a debit that did not fail, and have at least the refund amount
//     left to refund (400 otherwise).
//
// # Customer pages
//
// The sandbox serves the pages a provider hosts for the end user, so that a
// front end runs its whole flow against it, offline (connectui.go, lmui.go;
// html/template pages and one small script, embedded):
//
//   - MoneyKit Connect: {MONEYKIT_BASE_URL}/connect/connect.js defines
//     window.MoneyKit with the web launcher's interface (new MoneyKit(options),
//     link, continue, relink), which opens /connect/start in an overlay
//     iframe and hears connect.started, link.event, link.complete,
//     relink.complete, link.exit and link.close_oauth from that frame only.
//     The steps follow the link session: products (required ones listed,
//     optional ones as choices; turned down means denied), institution
//     (skipped when the session named one), login, accounts. Instant Bank
//     needs no login; Credentials Bank takes user_good / pass_good
//     (user_custom / pass_good gives custom_sandbox_data), anything else
//     shows an error and lets the user try again; OAuth Bank sends the
//     browser to its authorize page (/connect/oauth), which returns to the
//     session's redirect_uri with state (and error=access_denied when the
//     user closed it), where continue(location.href, …) resumes. The
//     accounts shown are those of the link to be; onSuccess gets the
//     exchangeable token and the institution with selectedAccounts.
//   - Link Money's hosted UI at {sandbox root}/linkmoney/ui/ with the real
//     sessionUrl's query (redirect, version, sessionKey): consent, bank
//     (FinBank Profiles - A, FinBank Profiles - B, Finbank OAuth), login
//     (the password is the username: profile_522 or profile_08), one
//     account and, for LINK_MANAGED_PAYMENT, the order (items, subtotal,
//     tax, shipping, discount, total from orderDetails) and a "Pay $25.00"
//     button. The browser returns to redirectUrl with customerId and
//     status=200 (as Link Money's own integration reads them) and, after a
//     payment, paymentId (unconfirmed: seen in a third-party integration
//     only). Close returns status=204 (unconfirmed, likewise). A payment the
//     rules decline (over $9,000.00) shows a page saying so before the return.
//     A LINK_MANAGED_PAYMENT session whose payment could not be made at all
//     (its customer is linked) shows the error and returns customerId with
//     status=204, not 200 (unconfirmed: no document says what Link Money
//     returns then).
//
// Both complete through the same function as the control endpoints and the
// Go methods, so webhooks, products granted and denied, the customer and
// the payment come out the same way. Every page sends a
// Content-Security-Policy of its own origin only, without inline script or
// style; Connect's page may be framed only by the origin it was opened for
// (its origin parameter) and posts its messages to that origin only (an
// error page's Close tells it link.exit through a flow bound to that
// origin; a Close without a valid flow is framed by nobody and posts
// nothing); the
// hosted UI and OAuth Bank's page may be framed by nobody. Every form post
// carries a token bound to its flow; a flow expires 30 minutes after it
// opened (sandbox clock), and a session completes once: a second
// completion shows an error page (409) and changes nothing. A link session
// or Link Money session expires 30 minutes after it was made (sandbox
// clock; unconfirmed: neither provider documents a lifetime, Link Money
// calls its session keys short-lived): opening or completing it then shows
// an error page (410), and the control endpoints, Connect and Pay answer
// 410 (ErrSessionExpired). Closing Connect or the hosted UI completes
// nothing.
//
// # Webhooks
//
// The sandbox delivers both providers' webhooks (see webhooks.go and the
// README). MoneyKit deliveries carry MoneyKit-Signature (an ES256 JWT with
// iss https://api.moneykit.com, iat and request_body_sha256, signed with the
// newest key its JWKS publishes; RotateWebhookKey adds a key and keeps the
// previous two published), MoneyKit-Delivery-Token and
// MoneyKit-Delivery-Attempt, and go to the link's webhook URL:
// link.state_changed when a link is connected (token exchange or relink),
// is deleted, or changes state through ConnectOptions.FailWith or
// SetLinkState, and any event through POST /webhooks/test/link/{id} (a link
// without a webhook URL answers 400 link_error.bad_config). Link Money
// deliveries go to every subscription (POST /v1/webhook/subscribe), signed
// with its secretKey by the scheme package webhook verifies by default:
// customer.created and customer.activated when a session completes,
// payment.created and then payment.authorized, payment.pending or
// payment.failed as the payment rules decide. Refund events are not sent
// (their names are unconfirmed).
//
// A delivery that gets no 2xx (or times out, WebhookOptions.Timeout) is
// retried after 1s, 2s, 4s, … capped at 1m, on the sandbox clock, up to 6
// attempts. WebhookDeliveries is the log (state, attempts, statuses),
// WaitWebhooks waits until nothing is due, PauseWebhooks holds delivery, and
// SetWebhookFaults injects duplicates, reordering, bad signatures and stale
// timestamps. URLs that are not loopback are refused unless
// WebhookOptions.AllowAnyHost is set.
//
// # Faults
//
// Config.Faults injects faults per operationId (the spec's, such as
// "getLink" or "createPayment"; the key "*" applies to every operation
// without its own entry). Whether the n-th request to an operation is hit,
// and how, is a pure function of Config.Seed, the operationId and n, so the
// same seed gives the same fault sequence. See Fault.
//
// Faults happen before anything else: an injected status or a dropped
// connection pre-empts authentication, validation and rate limiting (unless
// AfterHandling is set). Note that Go's http.Transport resends an idempotent
// request (a GET, or one with an Idempotency-Key header) by itself when a
// reused connection closes without a response; fault tests that count
// attempts should disable keep-alives.
//
// # Order of checks
//
// For every operation the sandbox applies, in order: faults, the
// MoneyKit-Version header (MoneyKit), authentication, request validation
// against the spec, rate limits, and then the operation. MoneyKit's
// /auth/token is not schema-validated: it answers its documented 400 and 401
// itself. Validation failures answer MoneyKit's 422
// api_error.request.validation_failed with validation_errors, or Link
// Money's 400 BAD_REQUEST; their messages come from the spec, never from
// the request's values.
//
// # What the answers conform to
//
// Every answer decodes strictly with the providers' own SDK models as well
// as banklink's client: its status is one the operation documents, and its
// body carries every field the spec or the SDK models require, with known
// enum values, exact types and parseable timestamps. In particular:
//   - MoneyKit timestamps are RFC 3339 in UTC ("2023-02-16T09:14:11Z"),
//     including last_synced_at, whose example in MoneyKit's documents has
//     no offset (banklink's client reads both forms); dates are YYYY-MM-DD.
//     Link Money timestamps are UTC with milliseconds, as its documents show.
//   - A MoneyKit 422 on a link-scoped call is link_error.bad_state (with
//     link_error_code) or api_error.request.validation_failed (with at least
//     one validation_errors entry); a wrong MoneyKit-Version header answers
//     the latter on every operation.
//   - Fields older MoneyKit SDK models require and newer ones do not
//     (account balances' currency, an institution's color) are always sent.
//   - An injected MoneyKit 4xx carries the error code the operation
//     documents for that status.
//
// # Control endpoints
//
// Besides the Go methods, the sandbox answers (JSON in, JSON out):
//
//	POST /_sandbox/moneykit/connect               {"link_session_token", "institution_id", "deny_products", "fail_with"} → {"exchangeable_token"}
//	POST /_sandbox/moneykit/links/{id}/state      {"state", "error_code"} → 204
//	POST /_sandbox/linkmoney/complete             {"sessionKey"} → {"customerId", "paymentId"}
//	POST /_sandbox/linkmoney/customers/{id}/status {"customerStatus"} → 204
//	POST /_sandbox/clock/advance                  {"duration": "90s"} → {"now"}
//	GET  /_sandbox/requests                       the request log, without bodies and headers
//	POST /_sandbox/moneykit/webhooks/rotate-key   {} → {"kid"}
//	POST /_sandbox/webhooks/faults                {"duplicate", "out_of_order", "bad_signature", "stale_timestamp"} → 204
//	GET  /_sandbox/webhooks                       the delivery log, without bodies
//
// Unknown sessions, links and customers answer 404, a session completed
// twice 409, anything else malformed 400, all as {"error": "..."}.
//
// # Request log
//
// Sandbox.Requests returns every request seen, in arrival order. The log
// keeps request bodies as received: they may hold personal data and client
// secrets, so never print or persist them.
package sandbox
