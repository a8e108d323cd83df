package transport

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/textproto"
	"strconv"
	"time"

	"github.com/banklink/banklink/facade"
	"github.com/banklink/banklink/facade/fleet"
	"github.com/banklink/banklink/facade/internal/config"
)

// This file holds the retry loop every call goes through. One pass of the
// loop is one HTTP attempt, in named stages:
//
//	wait      the retry delay decide chose, or the cool-down of the call's
//	          rate-limit scopes (scopes.go), with jitter
//	limit     the client-side rate limiter (WithRateLimiter), then the
//	          documented limits of the operation's scopes (the Limiter)
//	token     the bearer token for the operation's scope
//	attempt   one HTTP request (built by request), through the middleware
//	classify  success, a failure to judge, a token to refresh, or the end
//	decide    retry or not, and after how long
//
// The loop's state lives in an exchange, one per call.

// exchange is one call in flight: its request and settings, and what its
// attempts have met so far.
type exchange struct {
	c          *client
	ctx        context.Context
	op         *operation
	req        *http.Request // from a generated builder; the first attempt sends it
	out        any           // where a 2xx body is decoded; nil to discard it
	set        *config.Call
	path       []string // the path parameters
	call       facade.TraceCall
	key        string // idempotency key sent, for idempotency-key operations
	ref        string // clientReferenceId sent with the key, if any
	scopeID    string // the user or link a limit is counted by, when the path does not name it
	keys       []string
	rewindable bool // the body can be sent again

	attempts, retries int
	refreshed         bool          // the token was refreshed after a 401 once already
	unclear           bool          // an attempt may have been accepted without its answer arriving
	delay             time.Duration // wait before the next attempt
	hinted            bool          // delay was asked for by the server
	lastHinted        bool          // lastAPI carried a Retry-After hint
	lastAPI           *facade.Error // last HTTP error answer
	lastErr           error         // last failure, API or transport
	answer            *http.Response
	actx              context.Context // the current attempt's context, for its log records
}

// verdict is classify's reading of an attempt.
type verdict int

const (
	verdictDone   verdict = iota // the call ends, with classify's error (nil on success)
	verdictResend                // the token was refreshed: send again now, no retry used
	verdictFailed                // a failed attempt for decide to judge
)

// do sends req for op, retrying as the call's settings allow, and decodes a
// 2xx body into out (unless out is nil). req comes from a generated builder;
// its body, if any, must be rewindable through GetBody for retries to happen.
func (c *client) do(ctx context.Context, op *operation, req *http.Request, out any, cl call) error {
	if ctx == nil {
		return errNilContext(op)
	}
	x := exchange{c: c, ctx: ctx, op: op, req: req, out: out, set: cl.set, key: cl.key, ref: cl.ref, scopeID: cl.scopeID, path: cl.path}
	x.prepare()
	tr := c.trace
	if cl.resp == nil && tr == nil {
		return x.run()
	}
	if tr != nil {
		x.call = facade.TraceCall{Provider: op.provider, Operation: op.id, Method: op.method, URLTemplate: op.path, IdempotencyKey: x.key}
		if tr.CallStart != nil {
			x.ctx = tr.CallStart(x.ctx, x.call)
		}
		if tr.FleetFallback != nil {
			callCtx := x.ctx
			x.ctx = fleet.WithFallbackReport(x.ctx, func(store string, err error) { tr.FleetFallback(callCtx, store, err) })
		}
	}
	began := c.now()
	err := x.run()
	if cl.resp != nil {
		x.report(cl.resp, c.now().Sub(began))
	}
	if tr != nil && tr.CallDone != nil {
		r := facade.TraceCallResult{Attempts: x.attempts, Err: err}
		if x.answer != nil {
			r.StatusCode, r.RequestID = x.answer.StatusCode, requestID(x.answer.Header)
		}
		tr.CallDone(x.ctx, x.call, r)
	}
	return err
}

// prepare sets the headers every attempt carries.
func (x *exchange) prepare() {
	c, h := x.c, x.req.Header
	h["User-Agent"] = c.hdrUserAgent
	h["Accept"] = c.hdrAccept
	if c.hdrVersion != nil {
		h["Moneykit-Version"] = c.hdrVersion
	}
	for _, fh := range x.set.Headers {
		h[fh.Name] = fh.Value
	}
	x.rewindable = x.req.Body == nil || x.req.Body == http.NoBody || x.req.GetBody != nil
}

func (x *exchange) run() error {
	for {
		if err := x.wait(); err != nil {
			return err
		}
		if err := x.limit(); err != nil {
			return err
		}
		tok, err := x.token()
		if err != nil {
			return err
		}
		areq, cancel, err := x.request(tok)
		if err != nil {
			return x.transportErr(err)
		}
		x.actx = areq.Context()
		began := time.Now()
		resp, err := x.attempt(areq)
		v, a, err := x.classify(resp, cancel, err, tok, began)
		x.traceAttempt(areq, resp, a, err)
		switch v {
		case verdictDone:
			return err
		case verdictResend:
			continue
		}
		if err := x.decide(a, began); err != nil {
			return err
		}
	}
}

// wait performs the wait before an attempt: the retry delay, or the
// cool-down of the call's rate-limit scopes if that is longer.
func (x *exchange) wait() error {
	c := x.c
	wait, fromServer, cause := x.delay, x.hinted, x.lastAPI
	if g, gcause := x.coolDown(); g > wait {
		wait, fromServer = g, true
		if gcause != nil {
			cause = gcause
		}
		if g <= c.maxRetryAfter && !exceedsDeadline(x.ctx, g) {
			// Released with jitter, so that the callers one window held
			// back do not all go at once.
			wait += c.jitter(g)
		}
	}
	if wait <= 0 {
		if err := x.ctx.Err(); err != nil {
			return x.transportErr(err)
		}
		return nil
	}
	if fromServer && (wait > c.maxRetryAfter || exceedsDeadline(x.ctx, wait)) {
		return x.rateLimited(wait, cause)
	}
	if !fromServer && exceedsDeadline(x.ctx, wait) {
		// Waiting would outlast the caller; give back the failure now.
		return x.final(x.lastErr)
	}
	switch {
	case wait > x.delay:
		x.traceWait(facade.WaitCoolDown, wait)
	case x.hinted:
		x.traceWait(facade.WaitRetryAfter, wait)
	default:
		x.traceWait(facade.WaitBackoff, wait)
	}
	if err := c.wait(x.ctx, wait); err != nil {
		return x.transportErr(err)
	}
	return nil
}

// limit waits for the client-side rate limiter (WithRateLimiter), if there
// is one, then for the documented limits of the operation's scopes.
func (x *exchange) limit() error {
	if x.c.limiter != nil {
		if err := x.waitLimiter(); err != nil {
			return x.transportErr(err)
		}
	}
	return x.limitScopes()
}

// token returns the bearer token the operation needs (nil if it needs none).
func (x *exchange) token() (*bearerToken, error) {
	if x.op.auth != authBearer {
		return nil, nil
	}
	t, err := x.c.token(x.ctx, x.op.scopeIdx)
	if err != nil {
		return nil, x.authFailed(err)
	}
	return t, nil
}

// request builds the attempt's request. cancel, when not nil, ends the
// attempt's own timeout and must be called once its body has been read.
func (x *exchange) request(tok *bearerToken) (areq *http.Request, cancel context.CancelFunc, err error) {
	c, op, req := x.c, x.op, x.req
	actx := x.ctx
	if d := x.set.AttemptTimeout; d > 0 {
		actx, cancel = context.WithTimeout(actx, d)
	}
	if tr := c.trace; tr != nil && tr.AttemptStart != nil {
		actx = tr.AttemptStart(actx, x.traceAttemptInfo())
	}
	mw := x.set.Send != nil
	if mw {
		actx = context.WithValue(actx, config.AttemptInfoKey{}, &facade.AttemptInfo{
			Provider: op.provider, Operation: op.id, Method: op.method, Path: op.path,
			Attempt: x.attempts + 1, IdempotencyKey: x.key,
		})
	}
	if x.attempts == 0 && !mw {
		areq = req.WithContext(actx)
	} else {
		// Middleware gets a request of its own on every attempt, so what it
		// changes does not carry over to the next one.
		areq = req.Clone(actx)
		if x.attempts > 0 && req.GetBody != nil {
			body, err := req.GetBody()
			if err != nil {
				if cancel != nil {
					cancel()
				}
				return nil, nil, err
			}
			areq.Body = body
		}
	}
	switch op.auth {
	case authBearer:
		areq.Header["Authorization"] = tok.header
	case authBasic:
		areq.Header["Authorization"] = c.hdrBasic
	case authClientID:
		areq.Header[textproto.CanonicalMIMEHeaderKey(op.authHeader)] = c.hdrClientID
	}
	return areq, cancel, nil
}

// attempt sends areq, through the middleware if there is any. A
// middleware's odd answers are made regular: a response with an error is
// closed and dropped, no response and no error is an error, and a missing
// body an empty one.
func (x *exchange) attempt(areq *http.Request) (*http.Response, error) {
	x.attempts++
	if x.set.Send == nil {
		return x.c.http.Do(areq)
	}
	resp, err := x.set.Send(areq)
	switch {
	case err != nil && resp != nil:
		if resp.Body != nil {
			_ = resp.Body.Close()
		}
		resp = nil
	case err == nil && resp == nil:
		err = errors.New("middleware returned neither a response nor an error")
	case err == nil && resp.Body == nil:
		resp.Body = http.NoBody
	}
	return resp, err
}

// classify reads an attempt's outcome: a decoded success, the call's end, a
// rejected token to refresh, or a failed attempt (returned for decide).
func (x *exchange) classify(resp *http.Response, cancel context.CancelFunc, err error, used *bearerToken, began time.Time) (verdict, *facade.Attempt, error) {
	c, op, ctx := x.c, x.op, x.ctx
	if err == nil {
		x.answer = resp
	}
	if err == nil && resp.StatusCode >= 200 && resp.StatusCode <= 299 {
		derr := c.decode(op, resp, x.out)
		if cancel != nil {
			cancel()
		}
		if derr == nil {
			if c.logger != nil {
				c.logAttempt(x.actx, op, x.attempts, resp.StatusCode, time.Since(began), requestID(resp.Header), "done", "", nil)
			}
			return verdictDone, nil, nil
		}
		var apiErr *facade.Error
		if errors.As(derr, &apiErr) {
			apiErr.Attempts, apiErr.IdempotencyKey = x.attempts, x.key
			c.logAttempt(x.actx, op, x.attempts, resp.StatusCode, time.Since(began), apiErr.RequestID, "fail", "undecodable response", nil)
			return verdictDone, nil, apiErr
		}
		// The body broke off mid-read: the server answered, so it saw the request.
		err, resp = derr, nil
	} else if cancel != nil && err != nil {
		cancel()
	}

	// Failure path: the Attempt is built only here, so a successful call
	// does not pay for it.
	a := &facade.Attempt{
		Provider:  op.provider,
		Operation: op.id,
		Method:    op.method,
		Safety:    op.safety,
		Number:    x.attempts,
	}
	if err != nil {
		if ctx.Err() != nil {
			c.logAttempt(x.actx, op, x.attempts, 0, time.Since(began), "", "fail", "context ended", err)
			return verdictDone, nil, x.transportErr(err)
		}
		a.Err = err
		a.ReachedServer = !neverReachedServer(err)
		x.unclear = x.unclear || a.ReachedServer
		x.lastErr = err
		return verdictFailed, a, nil
	}
	apiErr, hinted := newAPIError(op, resp, c.now())
	if cancel != nil {
		cancel()
	}
	apiErr.Attempts, apiErr.IdempotencyKey = x.attempts, x.key
	if resp.StatusCode == http.StatusUnauthorized && !x.refreshed && op.auth == authBearer &&
		(op.provider == facade.ProviderLinkMoney || apiErr.Code == facade.CodeExpiredAccessToken) {
		// The server refused before doing anything: refresh once and resend,
		// whatever the operation's safety. This does not use up a retry.
		c.invalidateToken(ctx, op.scopeIdx, used)
		x.refreshed = true
		x.delay, x.hinted = 0, false
		c.logAttempt(x.actx, op, x.attempts, resp.StatusCode, time.Since(began), apiErr.RequestID, "retry", "access token rejected; refreshing it", nil)
		return verdictResend, nil, nil
	}
	if x.key != "" && x.unclear && apiErr.Code == facade.CodeDuplicateRequestKey {
		// banklink sent this key before, in this call: an earlier attempt
		// was accepted, though its answer never arrived.
		c.logAttempt(x.actx, op, x.attempts, resp.StatusCode, time.Since(began), apiErr.RequestID, "done", "an earlier attempt was accepted", nil)
		return verdictDone, nil, &facade.AcceptedEarlierError{
			Provider: op.provider, Operation: op.id, IdempotencyKey: x.key, ClientReferenceID: x.ref,
			Attempts: x.attempts, Answer: apiErr,
		}
	}
	a.Response = resp
	a.Err = apiErr
	a.ReachedServer = true
	x.unclear = x.unclear || resp.StatusCode >= 500
	x.lastAPI, x.lastErr, x.lastHinted = apiErr, apiErr, hinted
	if resp.StatusCode == http.StatusTooManyRequests {
		x.recordLimited(apiErr, hinted)
	}
	return verdictFailed, a, nil
}

// decide judges a failed attempt: nil to retry (after x.delay), or the
// error the call ends with.
func (x *exchange) decide(a *facade.Attempt, began time.Time) error {
	c, op, ctx := x.c, x.op, x.ctx
	status := a.StatusCode()
	var reqID string
	if x.lastAPI != nil && a.Response != nil {
		reqID = x.lastAPI.RequestID
	}
	fail := func(reason string) error {
		c.logAttempt(x.actx, op, x.attempts, status, time.Since(began), reqID, "fail", reason, a.Err)
		return x.final(a.Err)
	}
	switch {
	case x.retries >= x.set.MaxRetries:
		return fail("retries exhausted")
	case !x.rewindable:
		return fail("request body cannot be replayed")
	case !x.policy().ShouldRetry(a):
		return fail(notRetriedReason(a))
	}
	x.retries++
	x.delay, x.hinted = c.backoff.Delay(x.retries), false
	if a.Response != nil && x.lastHinted {
		x.delay, x.hinted = x.lastAPI.RetryAfter, true
		if x.delay > c.maxRetryAfter || exceedsDeadline(ctx, x.delay) {
			c.logAttempt(x.actx, op, x.attempts, status, time.Since(began), reqID, "fail", "server asked to wait longer than allowed", a.Err)
			return x.rateLimited(x.delay, x.lastAPI)
		}
	}
	c.logAttempt(x.actx, op, x.attempts, status, time.Since(began), reqID, "retry", retryReason(a, x.hinted, x.delay), a.Err)
	return nil
}

// report fills in a WithResponse target.
func (x *exchange) report(r *facade.Response, d time.Duration) {
	r.Attempts, r.Duration, r.IdempotencyKey = x.attempts, d, x.key
	if x.answer != nil {
		r.StatusCode, r.Header, r.RequestID = x.answer.StatusCode, x.answer.Header, requestID(x.answer.Header)
	}
}

// final turns the last attempt's failure into the error the caller sees.
func (x *exchange) final(err error) error {
	var apiErr *facade.Error
	if errors.As(err, &apiErr) {
		return apiErr
	}
	if err == nil && x.lastAPI != nil {
		return x.lastAPI
	}
	return x.transportErr(err)
}

func (x *exchange) transportErr(err error) error {
	return &facade.TransportError{Provider: x.op.provider, Operation: x.op.id, Attempts: x.attempts, Err: err, Last: x.lastAPI, IdempotencyKey: x.key}
}

func (x *exchange) rateLimited(wait time.Duration, cause *facade.Error) error {
	return &facade.RateLimitError{Operation: x.op.id, RetryAfter: wait, Err: cause, IdempotencyKey: x.key}
}

// authFailed returns the token endpoint's failure met while calling op
// inside a *TransportError naming op (and carrying the key of an
// idempotency-key operation); the endpoint's own typed error (*Error,
// *TransportError, *RateLimitError) is its cause. A caller whose context
// ended gets that as the cause.
func (x *exchange) authFailed(err error) error {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		var te *facade.TransportError
		if !errors.As(err, &te) {
			return x.transportErr(err)
		}
	}
	// The message names the call that needed the token as well as the
	// token operation ("getLink: fetching token: ... createAccessToken: ...").
	return x.transportErr(fmt.Errorf("fetching token: %w", err))
}

// errLimiterDeadline is returned when the rate limiter's next slot is past the context's deadline.
var errLimiterDeadline = errors.New("rate limiter wait would exceed the context deadline")

// waitLimiter reserves a slot on the client-side rate limiter and waits for
// it through the wait function, giving the slot back if the wait is cut short.
func (x *exchange) waitLimiter() error {
	c, ctx := x.c, x.ctx
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
	x.traceWait(facade.WaitPacing, d)
	if err := c.wait(ctx, d); err != nil {
		r.Cancel()
		return err
	}
	return nil
}

// policy is the retry policy in force.
func (x *exchange) policy() facade.RetryPolicy {
	if p, ok := x.set.Policy.(facade.RetryPolicy); ok {
		return p
	}
	return facade.DefaultRetryPolicy()
}

// traceAttemptInfo describes the next attempt for the client's Trace.
func (x *exchange) traceAttemptInfo() facade.TraceAttempt {
	u := x.req.URL
	port, _ := strconv.Atoi(u.Port())
	if port == 0 {
		port = 443
		if u.Scheme == "http" {
			port = 80
		}
	}
	return facade.TraceAttempt{TraceCall: x.call, Attempt: x.attempts + 1, Host: u.Hostname(), Port: port}
}

// traceAttempt reports a finished attempt to the client's Trace.
func (x *exchange) traceAttempt(areq *http.Request, resp *http.Response, a *facade.Attempt, err error) {
	tr := x.c.trace
	if tr == nil || tr.AttemptDone == nil {
		return
	}
	info := x.traceAttemptInfo()
	info.Attempt = x.attempts
	var r facade.TraceAttemptResult
	if resp != nil {
		r.StatusCode, r.RequestID = resp.StatusCode, requestID(resp.Header)
	}
	switch {
	case a != nil:
		r.Err, r.ReachedServer = a.Err, a.ReachedServer
	case err != nil:
		r.Err, r.ReachedServer = err, !neverReachedServer(err)
	default:
		r.ReachedServer = true
	}
	tr.AttemptDone(areq.Context(), info, r)
}

// traceWait reports a wait to the client's Trace.
func (x *exchange) traceWait(cause string, d time.Duration) {
	if tr := x.c.trace; tr != nil && tr.Wait != nil {
		tr.Wait(x.ctx, facade.TraceWait{TraceCall: x.call, Cause: cause, Duration: d})
	}
}

func exceedsDeadline(ctx context.Context, d time.Duration) bool {
	dl, ok := ctx.Deadline()
	return ok && time.Until(dl) < d
}
