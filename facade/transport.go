package facade

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/textproto"
	"net/url"
	"slices"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/banklink/banklink/gen/moneykit"
)

// DefaultMaxConnsPerHost bounds the default client's connections to one host.
// Further concurrent callers wait for a free connection; that is far above
// what the providers' published rate limits allow anyway.
const DefaultMaxConnsPerHost = 64

// DefaultHTTPClient returns a new copy of the HTTP client banklink uses when
// WithHTTPClient is not given, for callers who want to adjust it (for
// example, to add a proxy) rather than start from a zero http.Client.
func DefaultHTTPClient() *http.Client { return defaultHTTPClient() }

// defaultHTTPClient is tuned for many goroutines calling one host: every
// connection it may open stays in the idle pool, so up to 64 concurrent
// callers reuse theirs and never race each other into extra dials; bounded
// dial, handshake and header waits; HTTP/2 when the server offers it; and no
// redirects (an API answer is never a redirect; following one could carry
// credentials elsewhere).
func defaultHTTPClient() *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxConnsPerHost = DefaultMaxConnsPerHost
	t.MaxIdleConnsPerHost = DefaultMaxConnsPerHost
	t.MaxIdleConns = 4 * DefaultMaxConnsPerHost
	t.IdleConnTimeout = 90 * time.Second
	t.TLSHandshakeTimeout = 10 * time.Second
	t.ResponseHeaderTimeout = 30 * time.Second
	t.ExpectContinueTimeout = time.Second
	t.ForceAttemptHTTP2 = true
	t.DialContext = (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext
	return &http.Client{
		Transport: t,
		Timeout:   DefaultAttemptTimeout,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
}

// client is the machinery shared by MoneyKit and LinkMoney: one provider, its
// operation table, credentials, and the retrying sender.
type client struct {
	provider     Provider
	spec         *providerSpec
	baseURL      string
	clientID     string
	clientSecret string

	http           *http.Client
	attemptTimeout time.Duration
	maxRetries     int
	backoff        Backoff
	policy         RetryPolicy
	maxRetryAfter  time.Duration
	limiter        *rate.Limiter
	logger         *slog.Logger
	wait           func(context.Context, time.Duration) error
	now            func() time.Time

	gate   gate
	tokens []*tokenCache         // indexed by operation.scopeIdx
	posts  [numOps]*postTemplate // JSON POSTs without parameters, by operation

	// Header values built once and shared by every request (never mutated).
	hdrUserAgent []string
	hdrAccept    []string
	hdrVersion   []string // MoneyKit-Version; nil for Link Money
	hdrBasic     []string
	hdrClientID  []string
}

var hdrJSON = []string{"application/json"}

func newClient(p Provider, opts []Option) (*client, error) {
	spec, err := specFor(p)
	if err != nil {
		return nil, err
	}
	cfg, err := newConfig(p, opts)
	if err != nil {
		return nil, err
	}
	ua := "banklink-go/" + Version
	if cfg.userAgent != "" {
		ua = cfg.userAgent + " " + ua
	}
	c := &client{
		provider:       p,
		spec:           spec,
		baseURL:        cfg.baseURL,
		clientID:       cfg.clientID,
		clientSecret:   cfg.clientSecret,
		http:           cfg.httpClient,
		attemptTimeout: cfg.attemptTimeout,
		maxRetries:     cfg.maxRetries,
		backoff:        cfg.backoff,
		policy:         cfg.policy,
		maxRetryAfter:  cfg.maxRetryAfter,
		limiter:        cfg.limiter,
		logger:         cfg.logger,
		wait:           cfg.wait,
		now:            cfg.now,
		hdrUserAgent:   []string{ua},
		hdrAccept:      hdrJSON,
		hdrBasic:       basicAuth(cfg.clientID, cfg.clientSecret),
		hdrClientID:    []string{cfg.clientID},
	}
	if p == ProviderMoneyKit {
		c.hdrVersion = []string{string(moneykit.SupportedVersionN20230218)}
	}
	c.newTokenCaches()
	return c, nil
}

func specFor(p Provider) (*providerSpec, error) {
	if p == ProviderMoneyKit {
		return moneyKitSpec()
	}
	return linkMoneySpec()
}

// op returns the table row for i. The table was loaded when the client was built.
func (c *client) op(i opIndex) *operation { return c.spec.ops[i] }

// buildErr reports a failure of a generated request builder (a malformed base
// URL or parameter), before anything was sent.
func (c *client) buildErr(op *operation, err error) error {
	return &TransportError{Provider: op.provider, Operation: op.id, Err: err}
}

var bufPool = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// do sends req for op, retrying as the policy allows, and decodes a 2xx body
// into out (unless out is nil). req comes from a generated builder; its body,
// if any, must be rewindable through GetBody for retries to happen.
func (c *client) do(ctx context.Context, op *operation, req *http.Request, out any) error {
	h := req.Header
	h["User-Agent"] = c.hdrUserAgent
	h["Accept"] = c.hdrAccept
	if c.hdrVersion != nil {
		h["Moneykit-Version"] = c.hdrVersion
	}
	rewindable := req.Body == nil || req.Body == http.NoBody || req.GetBody != nil

	var (
		attempts, retries int
		refreshed         bool
		delay             time.Duration // wait before the next attempt
		hinted            bool          // delay was asked for by the server
		lastAPI           *Error        // last HTTP error answer
		lastErr           error         // last failure, API or transport
	)
	for {
		if err := c.waitTurn(ctx, op, delay, hinted, lastAPI, lastErr, attempts); err != nil {
			return err
		}
		if c.limiter != nil {
			if err := c.waitLimiter(ctx); err != nil {
				return &TransportError{Provider: op.provider, Operation: op.id, Attempts: attempts, Err: err, Last: lastAPI}
			}
		}

		var used *bearerToken
		if op.auth == authBearer {
			t, err := c.tokens[op.scopeIdx].get(ctx)
			if err != nil {
				return c.authFailed(op, attempts, err, lastAPI)
			}
			used = t
		}

		actx, cancel := ctx, context.CancelFunc(nil)
		if c.attemptTimeout > 0 {
			actx, cancel = context.WithTimeout(ctx, c.attemptTimeout)
		}
		var areq *http.Request
		if attempts == 0 {
			areq = req.WithContext(actx)
		} else {
			areq = req.Clone(actx)
			if req.GetBody != nil {
				body, err := req.GetBody()
				if err != nil {
					if cancel != nil {
						cancel()
					}
					return &TransportError{Provider: op.provider, Operation: op.id, Attempts: attempts, Err: err, Last: lastAPI}
				}
				areq.Body = body
			}
		}
		switch op.auth {
		case authBearer:
			areq.Header["Authorization"] = used.header
		case authBasic:
			areq.Header["Authorization"] = c.hdrBasic
		case authClientID:
			areq.Header[textproto.CanonicalMIMEHeaderKey(op.authHeader)] = c.hdrClientID
		}

		attempts++
		start := time.Now()
		resp, err := c.http.Do(areq)

		if err == nil && resp.StatusCode >= 200 && resp.StatusCode <= 299 {
			derr := c.decode(op, resp, out)
			if cancel != nil {
				cancel()
			}
			if derr == nil {
				if c.logger != nil {
					c.logAttempt(ctx, op, attempts, resp.StatusCode, time.Since(start), requestID(resp.Header), "done", "", nil)
				}
				return nil
			}
			var apiErr *Error
			if errors.As(derr, &apiErr) {
				apiErr.Attempts = attempts
				c.logAttempt(ctx, op, attempts, resp.StatusCode, time.Since(start), apiErr.RequestID, "fail", "undecodable response", nil)
				return apiErr
			}
			// The body broke off mid-read: the server answered, so it saw the request.
			err, resp = derr, nil
		} else if cancel != nil && err != nil {
			cancel()
		}

		// Failure path: the Attempt is built only here, so a successful call
		// does not pay for it.
		a := &Attempt{
			Provider:  op.provider,
			Operation: op.id,
			Method:    op.method,
			Safety:    op.safety,
			Number:    attempts,
		}
		if err != nil {
			if ctx.Err() != nil {
				c.logAttempt(ctx, op, attempts, 0, time.Since(start), "", "fail", "context ended", err)
				return &TransportError{Provider: op.provider, Operation: op.id, Attempts: attempts, Err: err, Last: lastAPI}
			}
			a.Err = err
			a.ReachedServer = !neverReachedServer(err)
			lastErr = err
		} else {
			apiErr := newAPIError(op, resp, c.now())
			if cancel != nil {
				cancel()
			}
			apiErr.Attempts = attempts
			if resp.StatusCode == http.StatusUnauthorized && !refreshed && op.auth == authBearer &&
				(op.provider == ProviderLinkMoney || apiErr.Code == CodeExpiredAccessToken) {
				// The server refused before doing anything: refresh once and resend,
				// whatever the operation's safety. This does not use up a retry.
				c.tokens[op.scopeIdx].invalidate(used)
				refreshed = true
				delay, hinted = 0, false
				c.logAttempt(ctx, op, attempts, resp.StatusCode, time.Since(start), apiErr.RequestID, "retry", "access token rejected; refreshing it", nil)
				continue
			}
			a.Response = resp
			a.Err = apiErr
			a.ReachedServer = true
			lastAPI, lastErr = apiErr, apiErr
			if resp.StatusCode == http.StatusTooManyRequests {
				window := apiErr.RetryAfter
				if !apiErr.retryAfterSet {
					window = c.backoff.Delay(retries + 1)
				}
				// The gate honours the server's window, but a window longer than
				// maxGateWindow is taken as a broken header: later calls probe
				// again after maxGateWindow instead of failing fast for years.
				if window > maxGateWindow {
					window = maxGateWindow
				}
				if window > 0 {
					c.gate.block(c.now().Add(window), apiErr)
				}
			}
		}

		status := a.StatusCode()
		var reqID string
		if lastAPI != nil && a.Response != nil {
			reqID = lastAPI.RequestID
		}
		if retries >= c.maxRetries {
			c.logAttempt(ctx, op, attempts, status, time.Since(start), reqID, "fail", "retries exhausted", a.Err)
			return c.final(op, attempts, a.Err, lastAPI)
		}
		if !rewindable {
			c.logAttempt(ctx, op, attempts, status, time.Since(start), reqID, "fail", "request body cannot be replayed", a.Err)
			return c.final(op, attempts, a.Err, lastAPI)
		}
		if !c.policy.ShouldRetry(a) {
			c.logAttempt(ctx, op, attempts, status, time.Since(start), reqID, "fail", notRetriedReason(a), a.Err)
			return c.final(op, attempts, a.Err, lastAPI)
		}
		retries++
		delay, hinted = c.backoff.Delay(retries), false
		if a.Response != nil && lastAPI.retryAfterSet {
			delay, hinted = lastAPI.RetryAfter, true
			if delay > c.maxRetryAfter || exceedsDeadline(ctx, delay) {
				c.logAttempt(ctx, op, attempts, status, time.Since(start), reqID, "fail", "server asked to wait longer than allowed", a.Err)
				return &RateLimitError{Operation: op.id, RetryAfter: delay, Err: lastAPI}
			}
		}
		c.logAttempt(ctx, op, attempts, status, time.Since(start), reqID, "retry", retryReason(a, hinted, delay), a.Err)
	}
}

// waitTurn performs the wait before an attempt: the retry delay, or the
// client-wide 429 window if that is longer.
func (c *client) waitTurn(ctx context.Context, op *operation, delay time.Duration, hinted bool, lastAPI *Error, lastErr error, attempts int) error {
	wait, fromServer, cause := delay, hinted, lastAPI
	if c.gate.until.Load() != 0 {
		if g, gcause := c.gate.remaining(c.now()); g > wait {
			wait, fromServer = g, true
			if gcause != nil {
				cause = gcause
			}
		}
	}
	if wait <= 0 {
		if err := ctx.Err(); err != nil {
			return &TransportError{Provider: op.provider, Operation: op.id, Attempts: attempts, Err: err, Last: lastAPI}
		}
		return nil
	}
	if fromServer && (wait > c.maxRetryAfter || exceedsDeadline(ctx, wait)) {
		return &RateLimitError{Operation: op.id, RetryAfter: wait, Err: cause}
	}
	if !fromServer && exceedsDeadline(ctx, wait) {
		// Waiting would outlast the caller; give back the failure now.
		return c.final(op, attempts, lastErr, lastAPI)
	}
	if err := c.wait(ctx, wait); err != nil {
		return &TransportError{Provider: op.provider, Operation: op.id, Attempts: attempts, Err: err, Last: lastAPI}
	}
	return nil
}

// errLimiterDeadline is returned when the rate limiter's next slot is past the context's deadline.
var errLimiterDeadline = errors.New("rate limiter wait would exceed the context deadline")

// waitLimiter reserves a slot on the client-side rate limiter and waits for
// it through the wait function, giving the slot back if the wait is cut short.
func (c *client) waitLimiter(ctx context.Context) error {
	r := c.limiter.Reserve()
	if !r.OK() {
		return errors.New("rate limiter allows no requests")
	}
	d := r.Delay()
	if d <= 0 {
		return nil
	}
	if exceedsDeadline(ctx, d) {
		r.Cancel()
		return errLimiterDeadline
	}
	if err := c.wait(ctx, d); err != nil {
		r.Cancel()
		return err
	}
	return nil
}

func exceedsDeadline(ctx context.Context, d time.Duration) bool {
	dl, ok := ctx.Deadline()
	return ok && time.Until(dl) < d
}

// final turns the last attempt's failure into the error the caller sees.
func (c *client) final(op *operation, attempts int, err error, lastAPI *Error) error {
	// An *Error already carries its attempt count; it is not written again
	// because a 429's *Error is shared with other calls through the gate.
	var apiErr *Error
	if errors.As(err, &apiErr) {
		return apiErr
	}
	if err == nil && lastAPI != nil {
		return lastAPI
	}
	return &TransportError{Provider: op.provider, Operation: op.id, Attempts: attempts, Err: err, Last: lastAPI}
}

// authFailed returns the token endpoint's failure met while calling op, as
// its own typed error (*Error for CreateAccessToken/CreateToken,
// *TransportError, *RateLimitError), unless the caller's context ended.
func (c *client) authFailed(op *operation, attempts int, err error, lastAPI *Error) error {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		var te *TransportError
		if !errors.As(err, &te) {
			return &TransportError{Provider: op.provider, Operation: op.id, Attempts: attempts, Err: err, Last: lastAPI}
		}
	}
	return err
}

// decode reads a 2xx body into out and always closes it. A read failure is
// returned as is; anything else that goes wrong is an *Error.
func (c *client) decode(op *operation, resp *http.Response, out any) error {
	if out == nil {
		drainAndClose(resp.Body)
		return nil
	}
	buf := bufPool.Get().(*bytes.Buffer)
	buf.Reset()
	defer func() {
		if buf.Cap() <= 1<<20 {
			bufPool.Put(buf)
		}
	}()
	eof, err := readCapped(buf, resp.Body, maxSuccessBody+1)
	if err != nil {
		_ = resp.Body.Close()
		return err
	}
	if eof {
		_ = resp.Body.Close()
	} else {
		drainAndClose(resp.Body)
	}
	fail := func(msg string, cause error) error {
		body := buf.Bytes()
		if len(body) > maxErrorBody {
			body = body[:maxErrorBody]
		}
		body = bytes.Clone(body)
		tokenEndpoint := op.idx == opCreateAccessToken || op.idx == opCreateToken
		if tokenEndpoint {
			body = redactTokenBody(body)
		}
		resp.Body = io.NopCloser(bytes.NewReader(body))
		if resp.Request != nil {
			resp.Request = redactedRequest(resp.Request)
		}
		return &Error{
			Provider: op.provider, Operation: op.id, StatusCode: resp.StatusCode,
			Message: msg, RequestID: requestID(resp.Header), Body: body, Response: resp, Err: cause,
			tokenEndpoint: tokenEndpoint,
		}
	}
	if buf.Len() > maxSuccessBody {
		return fail("response body larger than 64 MiB", nil)
	}
	if buf.Len() == 0 && (resp.StatusCode == http.StatusAccepted || resp.StatusCode == http.StatusNoContent) {
		// An accepted request may carry no body (MoneyKit's 2023 SDKs read
		// POST /links/{id}/products that way); out keeps its zero value.
		return nil
	}
	if err := json.Unmarshal(buf.Bytes(), out); err != nil {
		return fail("decoding "+contentTypeOf(resp.Header)+" response", err)
	}
	return nil
}

// postTemplate is a JSON POST to an operation without path, query or header
// parameters, as its generated builder makes it. The builder runs once, when
// the client is built; each call then creates its request from the
// builder's method, URL and headers, with the caller's context and body,
// instead of parsing and resolving the URL again.
type postTemplate struct {
	method string
	url    string
	header http.Header // shared by every request built from it, never mutated
	err    error       // the builder's failure, returned by every call
}

func newPostTemplate(build func(body io.Reader) (*http.Request, error)) *postTemplate {
	req, err := build(nil)
	if err != nil {
		return &postTemplate{err: err}
	}
	header := make(http.Header, len(req.Header))
	for k, v := range req.Header {
		header[k] = slices.Clip(v) // an append to a request's value copies it
	}
	return &postTemplate{method: req.Method, url: req.URL.String(), header: header}
}

// request builds one call's request; body is rewindable (GetBody is set).
func (t *postTemplate) request(ctx context.Context, body *bytes.Reader) (*http.Request, error) {
	if t.err != nil {
		return nil, t.err
	}
	req, err := http.NewRequestWithContext(ctx, t.method, t.url, body)
	if err != nil {
		return nil, err
	}
	for k, v := range t.header {
		req.Header[k] = v
	}
	return req, nil
}

// urlErrCause strips the URL from a *url.Error so messages never echo path
// parameters (which may be customer identifiers).
func urlErrCause(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// readCapped appends r's content to buf until EOF or until buf holds limit
// bytes. eof reports whether r was read to the end.
func readCapped(buf *bytes.Buffer, r io.Reader, limit int) (eof bool, err error) {
	for buf.Len() < limit {
		if buf.Available() < 512 {
			buf.Grow(min(max(buf.Cap(), 512), limit-buf.Len()))
		}
		b := buf.AvailableBuffer()
		b = b[:min(cap(b), limit-buf.Len())]
		n, rerr := r.Read(b)
		buf.Write(b[:n])
		if rerr == io.EOF {
			return true, nil
		}
		if rerr != nil {
			return false, rerr
		}
	}
	return false, nil
}

const contentJSON = "application/json"

// marshalBody encodes a JSON request body once; every attempt replays these
// bytes (the generated builders set GetBody for them).
func marshalBody(op *operation, v any) (*bytes.Reader, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, &TransportError{Provider: op.provider, Operation: op.id, Err: err}
	}
	return bytes.NewReader(b), nil
}
