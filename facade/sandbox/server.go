package sandbox

import (
	"bytes"
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/banklink/banklink/gen/linkmoney"
	"github.com/banklink/banklink/gen/moneykit"
)

// maxBody bounds request bodies; the providers' own limits are larger than
// anything banklink sends.
const maxBody = 1 << 20

// reqState travels with one request through the sandbox's layers.
type reqState struct {
	req      *http.Request
	arrived  time.Time
	body     []byte
	json     any // the decoded JSON body (numbers as json.Number), once validated
	provider string
	opID     string
	op       *opInfo
	mkApp    *mkApp // the authenticated MoneyKit application
	lmScope  string // the scope of the Link Money bearer token

	requestKey    string
	injected      []string
	ran           bool // the sandbox's API logic ran (no fault pre-empted it)
	handlerStatus int
	entry         *Request
	finished      bool
	status        int // set when the response is finalized early (drop, truncate)
	statusSet     bool
}

type stateKey struct{}

func stateOf(ctx context.Context) *reqState {
	rs, _ := ctx.Value(stateKey{}).(*reqState)
	if rs == nil {
		// Only reachable if a handler is called outside the sandbox's own
		// router; give it a throwaway state so it cannot crash.
		rs = &reqState{}
	}
	return rs
}

func (rs *reqState) inject(tokens ...string) { rs.injected = append(rs.injected, tokens...) }

// statusWriter records the status actually written to the client.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// bufferWriter holds a whole response so that a fault can replace or cut it.
type bufferWriter struct {
	h      http.Header
	status int
	buf    bytes.Buffer
}

func newBufferWriter() *bufferWriter { return &bufferWriter{h: http.Header{}} }

func (w *bufferWriter) Header() http.Header { return w.h }

func (w *bufferWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
}

func (w *bufferWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.buf.Write(b)
}

// wrapRouted, when set, wraps the router of every sandbox, inside the
// request log. It is nil in programs; the package's tests set it to check
// each response against the spec.
var wrapRouted func(http.Handler) http.Handler

func (s *Sandbox) buildHandler() http.Handler {
	mux := http.NewServeMux()

	mkStrict := moneykit.NewStrictHandlerWithOptions(&mkServer{s: s}, nil, moneykit.StrictHTTPServerOptions{
		RequestErrorHandlerFunc:  s.bodyErrorHandler(provMoneyKit),
		ResponseErrorHandlerFunc: s.responseErrorHandler(provMoneyKit),
	})
	moneykit.HandlerWithOptions(mkStrict, moneykit.StdHTTPServerOptions{
		BaseURL:          mkBase,
		BaseRouter:       mux,
		Middlewares:      []moneykit.MiddlewareFunc{s.opMiddleware},
		ErrorHandlerFunc: s.paramErrorHandler(provMoneyKit),
	})
	lmStrict := linkmoney.NewStrictHandlerWithOptions(&lmServer{s: s}, nil, linkmoney.StrictHTTPServerOptions{
		RequestErrorHandlerFunc:  s.bodyErrorHandler(provLinkMoney),
		ResponseErrorHandlerFunc: s.responseErrorHandler(provLinkMoney),
	})
	linkmoney.HandlerWithOptions(lmStrict, linkmoney.StdHTTPServerOptions{
		BaseURL:          lmBase,
		BaseRouter:       mux,
		Middlewares:      []linkmoney.MiddlewareFunc{s.opMiddleware},
		ErrorHandlerFunc: s.paramErrorHandler(provLinkMoney),
	})
	s.registerControl(mux)
	s.registerPages(mux)
	mux.HandleFunc(mkBase+"/", s.unrouted(provMoneyKit))
	mux.HandleFunc(lmBase+"/", s.unrouted(provLinkMoney))
	mux.HandleFunc("/", s.unrouted(""))
	var routed http.Handler = mux
	if wrapRouted != nil {
		routed = wrapRouted(mux)
	}

	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rs := &reqState{arrived: s.Now()}
		if r.Body != nil && r.Body != http.NoBody {
			body, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
			_ = r.Body.Close()
			if err != nil {
				http.Error(w, "reading the request body failed", http.StatusBadRequest)
				return
			}
			if len(body) > maxBody {
				http.Error(w, "request body too large", http.StatusRequestEntityTooLarge)
				return
			}
			rs.body = body
			r.Body = io.NopCloser(bytes.NewReader(body))
			r.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
			r.ContentLength = int64(len(body))
		}
		sw := &statusWriter{ResponseWriter: w}
		s.logStart(rs, r)
		defer s.logFinish(rs, sw)
		r = r.WithContext(context.WithValue(r.Context(), stateKey{}, rs))
		rs.req = r
		routed.ServeHTTP(sw, r)
	})
}

// opMiddleware runs around every spec operation: faults, then the
// provider's checks (version, authentication, validation, rate limits), then
// the operation's handler.
func (s *Sandbox) opMiddleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rs := stateOf(r.Context())
		op := s.spec.byPattern[r.Pattern]
		if op == nil {
			next.ServeHTTP(w, r)
			return
		}
		rs.op, rs.provider, rs.opID = op, op.provider, op.id
		rs.requestKey = requestKeyOf(op, rs.body)

		d := s.decide(op)
		if d.latency > 0 {
			rs.inject("latency=" + d.latency.String())
			t := time.NewTimer(d.latency)
			select {
			case <-t.C:
			case <-r.Context().Done():
				t.Stop()
				return
			}
		}
		if d.mode != modeNone {
			s.logf("%s %s: injecting %s", op.provider, op.id, d)
		}
		switch {
		case d.mode == modeNone:
			s.serveAPI(w, r, op, rs, next)
		case d.mode == modeStatus && !d.after:
			rs.inject(fmt.Sprintf("status=%d", d.status))
			s.writeInjected(w, op, d)
		case d.mode == modeDrop && !d.after:
			rs.inject("drop")
			s.drop(w, rs)
		default:
			bw := newBufferWriter()
			s.serveAPI(bw, r, op, rs, next)
			rs.handlerStatus = bw.status
			switch d.mode {
			case modeStatus:
				rs.inject(fmt.Sprintf("status=%d", d.status), "after-handling")
				s.writeInjected(w, op, d)
			case modeDrop:
				rs.inject("drop", "after-handling")
				s.drop(w, rs)
			case modeTruncate:
				rs.inject("truncate")
				s.truncate(w, bw, rs)
			}
		}
	})
}

// serveAPI applies the provider's own checks and then the operation.
func (s *Sandbox) serveAPI(w http.ResponseWriter, r *http.Request, op *opInfo, rs *reqState, next http.Handler) {
	rs.ran = true
	if op.provider == provMoneyKit {
		if v := r.Header.Values("MoneyKit-Version"); len(v) > 0 && (len(v) != 1 || v[0] != "2023-02-18") {
			s.writeValidation(w, op.provider, []violation{{
				loc: []any{"header", "MoneyKit-Version"}, msg: "Input should be '2023-02-18'", typ: "enum",
			}})
			return
		}
	}
	if !s.authenticate(w, r, op, rs) {
		return
	}
	if v := s.validate(r, op, rs); len(v) > 0 {
		s.writeValidation(w, op.provider, v)
		return
	}
	if !s.cfg.NoRateLimits && len(op.limits) > 0 {
		if wait, ok := s.lim.allow(s.Now(), s.limitChecks(r, op, rs)); !ok {
			secs := retryAfterSeconds(wait)
			s.logf("%s %s: rate limited, retry after %ds", op.provider, op.id, secs)
			w.Header().Set("Retry-After", fmt.Sprint(secs))
			s.writeRateLimited(w, op.provider)
			return
		}
	}
	next.ServeHTTP(w, r)
}

// limitChecks resolves the keys of an operation's rate limits.
func (s *Sandbox) limitChecks(r *http.Request, op *opInfo, rs *reqState) []limitCheck {
	checks := make([]limitCheck, 0, len(op.limits))
	for i, l := range op.limits {
		var v string
		switch l.key {
		case "client":
			v = clientIDOf(r, rs)
		case "app":
			if rs.mkApp != nil {
				v = rs.mkApp.id
			}
		case "user":
			if m, ok := rs.json.(map[string]any); ok {
				if cu, ok := m["customer_user"].(map[string]any); ok {
					v, _ = cu["id"].(string)
				}
			} else if strings.Contains(op.path, "/users/") {
				v = r.PathValue("id")
			}
		case "link":
			v = r.PathValue("id")
		}
		checks = append(checks, limitCheck{key: fmt.Sprintf("%s|%d|%s", op.id, i, v), lim: l})
	}
	return checks
}

// clientIDOf returns the client id a token request names, in its form or as Basic.
func clientIDOf(r *http.Request, rs *reqState) string {
	if len(rs.body) > 0 {
		if q, err := url.ParseQuery(string(rs.body)); err == nil && q.Get("client_id") != "" {
			return q.Get("client_id")
		}
	}
	if u, _, ok := r.BasicAuth(); ok {
		return u
	}
	return ""
}

func retryAfterSeconds(d time.Duration) int {
	secs := int((d + time.Second - 1) / time.Second)
	if secs < 1 {
		secs = 1
	}
	return secs
}

// authenticate enforces the operation's security requirement and records who
// the caller is. It writes the provider's 401 and returns false on failure.
func (s *Sandbox) authenticate(w http.ResponseWriter, r *http.Request, op *opInfo, rs *reqState) bool {
	for _, scheme := range op.security {
		switch scheme {
		case "moneykitBearer":
			app, code, msg := s.mkBearer(r)
			if app == nil {
				s.logf("%s %s: 401 %s", op.provider, op.id, code)
				s.writeMK(w, http.StatusUnauthorized, code, msg)
				return false
			}
			rs.mkApp = app
		case "moneykitClientId":
			if app := s.mkAppByClientID(r.Header.Get("X-Client-Id")); app != nil {
				rs.mkApp = app
				continue
			}
			if r.Header.Get("Authorization") != "" {
				if app, _, _ := s.mkBearer(r); app != nil {
					rs.mkApp = app
					continue
				}
			}
			s.logf("%s %s: 401 unknown X-Client-Id", op.provider, op.id)
			s.writeMK(w, http.StatusUnauthorized, "api_error.auth.unauthorized", "Missing or unknown X-Client-Id.")
			return false
		case "linkmoneyBasic":
			u, p, ok := r.BasicAuth()
			if !ok || !s.lmCredsMatch(u, p) {
				s.logf("%s %s: 401 bad Basic credentials", op.provider, op.id)
				s.writeLM(w, http.StatusUnauthorized, "UNAUTHORIZED", "Invalid client credentials.")
				return false
			}
		case "linkmoneyBearer":
			scope, code, msg := s.lmBearer(r)
			if code == "" && len(op.scopes) > 0 && !slices.Contains(op.scopes, scope) {
				code, msg = "INVALID_SCOPE", fmt.Sprintf("This operation needs a %s token.", strings.Join(op.scopes, " or "))
			}
			if code != "" {
				s.logf("%s %s: 401 %s", op.provider, op.id, code)
				s.writeLM(w, http.StatusUnauthorized, code, msg)
				return false
			}
			rs.lmScope = scope
		}
	}
	return true
}

func bearerToken(r *http.Request) string {
	scheme, tok, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return ""
	}
	return strings.TrimSpace(tok)
}

func (s *Sandbox) mkBearer(r *http.Request) (app *mkApp, code, msg string) {
	tok := bearerToken(r)
	if tok == "" {
		return nil, "api_error.auth.unauthorized", "Missing bearer token."
	}
	s.mu.RLock()
	t := s.mk.tokens[tok]
	s.mu.RUnlock()
	switch {
	case t == nil:
		return nil, "api_error.auth.unauthorized", "Invalid access token."
	case !s.Now().Before(t.expires):
		return nil, "api_error.auth.expired_access_token", "Access token expired"
	}
	return t.app, "", ""
}

func (s *Sandbox) lmBearer(r *http.Request) (scope, code, msg string) {
	tok := bearerToken(r)
	if tok == "" {
		return "", "UNAUTHORIZED", "Missing bearer token."
	}
	s.mu.RLock()
	t := s.lm.tokens[tok]
	s.mu.RUnlock()
	switch {
	case t == nil:
		return "", "UNAUTHORIZED", "Invalid access token."
	case !s.Now().Before(t.expires):
		return "", "TOKEN_EXPIRED", "Access token expired."
	}
	return t.scope, "", ""
}

func (s *Sandbox) mkAppByClientID(id string) *mkApp {
	for _, a := range s.mkApps {
		if id != "" && subtle.ConstantTimeCompare([]byte(id), []byte(a.clientID)) == 1 {
			return a
		}
	}
	return nil
}

func (s *Sandbox) mkAppByCreds(id, secret string) *mkApp {
	a := s.mkAppByClientID(id)
	if a == nil || subtle.ConstantTimeCompare([]byte(secret), []byte(a.clientSecret)) != 1 {
		return nil
	}
	return a
}

func (s *Sandbox) lmCredsMatch(id, secret string) bool {
	return subtle.ConstantTimeCompare([]byte(id), []byte(s.lmCreds[0])) == 1 &&
		subtle.ConstantTimeCompare([]byte(secret), []byte(s.lmCreds[1])) == 1
}

// paramErrorHandler answers parameter-binding failures of the generated
// router in the provider's validation shape.
func (s *Sandbox) paramErrorHandler(provider string) func(http.ResponseWriter, *http.Request, error) {
	return func(w http.ResponseWriter, r *http.Request, err error) {
		rs := stateOf(r.Context())
		rs.provider = provider
		if op := s.spec.byPattern[r.Pattern]; op != nil {
			rs.op, rs.opID = op, op.id
		}
		name, where := "", "path"
		var pe *moneykit.InvalidParamFormatError
		var te *moneykit.TooManyValuesForParamError
		var lpe *linkmoney.InvalidParamFormatError
		switch {
		case errors.As(err, &pe):
			name = pe.ParamName
		case errors.As(err, &te):
			name = te.ParamName
		case errors.As(err, &lpe):
			name = lpe.ParamName
		}
		if name == "MoneyKit-Version" {
			where = "header"
		}
		s.writeValidation(w, provider, []violation{{loc: []any{where, name}, msg: "Invalid parameter value", typ: "value_error"}})
	}
}

// bodyErrorHandler answers bodies the strict handler could not bind.
func (s *Sandbox) bodyErrorHandler(provider string) func(http.ResponseWriter, *http.Request, error) {
	return func(w http.ResponseWriter, r *http.Request, err error) {
		s.writeValidation(w, provider, []violation{{loc: []any{"body"}, msg: "Invalid request body", typ: "value_error"}})
	}
}

// responseErrorHandler answers handler errors as the provider's 500.
func (s *Sandbox) responseErrorHandler(provider string) func(http.ResponseWriter, *http.Request, error) {
	return func(w http.ResponseWriter, r *http.Request, err error) {
		s.logf("%s: internal error: %v", provider, err)
		if provider == provMoneyKit {
			s.writeMK(w, http.StatusInternalServerError, "api_error.internal_server_error", "Internal server error")
			return
		}
		s.writeLM(w, http.StatusInternalServerError, "INTERNAL_SERVER_ERROR", "Please reach out to Support")
	}
}

// unrouted answers paths and methods the spec does not define.
func (s *Sandbox) unrouted(provider string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		rs := stateOf(r.Context())
		rs.provider = provider
		allowed := s.spec.allowedMethods(r.URL.Path)
		status := http.StatusNotFound
		if len(allowed) > 0 {
			status = http.StatusMethodNotAllowed
			w.Header().Set("Allow", strings.Join(allowed, ", "))
		}
		switch provider {
		case provMoneyKit:
			code := "api_error.not_found"
			if status == http.StatusMethodNotAllowed {
				code = "api_error.method_not_allowed"
			}
			s.writeMK(w, status, code, http.StatusText(status))
		case provLinkMoney:
			code := "NOT_FOUND"
			if status == http.StatusMethodNotAllowed {
				code = "METHOD_NOT_ALLOWED"
			}
			s.writeLM(w, status, code, http.StatusText(status))
		default:
			writeJSON(w, status, map[string]string{"error": http.StatusText(status)})
		}
	}
}

// logStart records the request's arrival in the request log.
func (s *Sandbox) logStart(rs *reqState, r *http.Request) {
	if s.cfg.RequestLogLimit < 0 {
		return
	}
	h := r.Header.Clone()
	if a := h.Get("Authorization"); a != "" {
		scheme, _, _ := strings.Cut(a, " ")
		h.Set("Authorization", scheme+" [redacted]")
	}
	rs.entry = &Request{Method: r.Method, Path: r.URL.Path, Time: rs.arrived, Body: rs.body, Header: h}
	s.logMu.Lock()
	s.log = append(s.log, rs.entry)
	if limit := s.cfg.RequestLogLimit; limit > 0 && len(s.log) > limit {
		if len(s.log) >= 2*limit {
			s.log = append([]*Request(nil), s.log[len(s.log)-limit:]...)
		} else {
			s.log[len(s.log)-limit-1] = nil
		}
	}
	s.logMu.Unlock()
}

// logFinish completes the request's log entry (once).
func (s *Sandbox) logFinish(rs *reqState, sw *statusWriter) {
	status := sw.status
	if rs.statusSet {
		status = rs.status
	}
	s.finish(rs, status)
}

func (s *Sandbox) finish(rs *reqState, status int) {
	if rs.finished {
		return
	}
	rs.finished = true
	if rs.ran && rs.handlerStatus == 0 {
		rs.handlerStatus = status
	}
	if rs.entry == nil {
		return
	}
	s.logMu.Lock()
	e := rs.entry
	e.Provider, e.Operation = rs.provider, rs.opID
	e.Status, e.HandlerStatus = status, rs.handlerStatus
	e.RequestKey = rs.requestKey
	e.Injected = strings.Join(rs.injected, " ")
	s.logMu.Unlock()
}

// Requests returns a copy of the request log: every request seen, in arrival
// order. A request still in flight shows Status 0. Bodies may hold personal
// data and secrets: never print or persist them.
func (s *Sandbox) Requests() []Request {
	s.logMu.Lock()
	defer s.logMu.Unlock()
	out := make([]Request, 0, len(s.log))
	for _, e := range s.log {
		if e != nil {
			out = append(out, *e)
		}
	}
	return out
}

// Request is one entry of the request log.
type Request struct {
	// Provider is "moneykit" or "linkmoney" for the providers' paths,
	// "sandbox" for the control endpoints, and "" for paths outside them.
	Provider string
	// Operation is the spec's operationId (such as "getLink"), or the
	// control endpoint's name; "" when no operation matched.
	Operation string
	Method    string
	Path      string
	// Status is the status the client received: 0 when the connection was
	// dropped before a response (or the request is still in flight).
	Status int
	// HandlerStatus is the status the sandbox's own logic produced, 0 if a
	// fault pre-empted it. It differs from Status when a fault replaced or
	// lost the response after handling.
	HandlerStatus int
	// Body is the request body as received. It may hold personal data and
	// client secrets: never print or persist it.
	Body []byte
	// Header is the request header with the Authorization credentials
	// replaced by "[redacted]".
	Header http.Header
	// RequestKey is the Link Money requestKey the request carried, if any.
	RequestKey string
	// Time is the sandbox clock's time when the request arrived.
	Time time.Time
	// Injected lists the injected faults, space-separated: "latency=<d>",
	// "status=<code>", "drop", "truncate", and "after-handling" when the
	// handler ran before the fault.
	Injected string
}
