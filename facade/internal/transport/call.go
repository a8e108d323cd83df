package transport

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/oapi-codegen/runtime"

	"github.com/banklink/banklink/facade"
	"github.com/banklink/banklink/facade/internal/config"
)

// Call is what a service method states about one call: everything else
// comes from the operation's row in the generated table.
type Call struct {
	// Path holds the path parameters, in the order of the template.
	Path []string
	// Query holds the query parameters to send, in order; a name may repeat
	// (an exploded array). Each is checked with the operation's generated
	// checker before anything is sent.
	Query Query
	// Body is a generated request type, validated and sent as JSON; nil
	// when the operation takes none.
	Body any
	// Form is a generated request type sent form-encoded (the token
	// operations) instead of Body; it is validated like Body.
	Form any
	// Key is the idempotency key Body carries, and Ref the
	// clientReferenceId sent with it; ScopeID is the user a rate limit is
	// counted by when the path does not name it.
	Key, Ref, ScopeID string
}

// Param is one query parameter.
type Param struct{ Name, Value string }

// Do makes one call of op: it applies the call options, checks the path
// and query parameters and the body against the spec, sends the request
// through the retry loop and decodes a 2xx answer into a new Resp. Nothing
// is sent when an option, a parameter or the body is invalid. With Resp
// struct{}, a 2xx body is read and discarded.
func Do[Resp any, O ~int](ctx context.Context, t *Client[O], op O, r Call, opts []facade.CallOption) (*Resp, error) {
	c := t.c
	o := c.op(int(op))
	if ctx == nil {
		return nil, errNilContext(o)
	}
	cl, err := c.newCall(o, opts)
	if err != nil {
		return nil, err
	}
	cl.key, cl.ref, cl.scopeID, cl.path = r.Key, r.Ref, r.ScopeID, r.Path
	req, err := c.newRequest(ctx, o, &r)
	if err != nil {
		return nil, withKey(err, r.Key)
	}
	out := new(Resp)
	var into any = out
	if _, discard := into.(*struct{}); discard {
		into = nil
	}
	if err := c.do(ctx, o, req, into, cl); err != nil {
		return nil, err
	}
	return out, nil
}

// newRequest checks r against op and builds the first attempt's request.
func (c *client) newRequest(ctx context.Context, op *operation, r *Call) (*http.Request, error) {
	if len(r.Path) != len(op.params) {
		return nil, &facade.TransportError{Provider: op.provider, Operation: op.id,
			Err: fmt.Errorf("%d path parameters given, %s has %d", len(r.Path), op.path, len(op.params))}
	}
	for i, v := range r.Path {
		if err := c.checkParam(op, op.params[i], v); err != nil {
			return nil, err
		}
	}
	for _, p := range r.Query {
		if err := c.checkQuery(op, p.Name, p.Value); err != nil {
			return nil, err
		}
	}
	var (
		body        *bytes.Reader
		contentType []string
	)
	in := r.Body
	if r.Form != nil {
		in = r.Form
	}
	if in != nil {
		if v := reflect.ValueOf(in); v.Kind() == reflect.Pointer && v.IsNil() {
			return nil, invalid(op, facade.Violation{Rule: "required", Message: "request body is required"})
		}
		if err := c.checkBody(op, in); err != nil {
			return nil, err
		}
		b, ct, err := encodeBody(r)
		if err != nil {
			return nil, &facade.TransportError{Provider: op.provider, Operation: op.id, Err: err}
		}
		body, contentType = bytes.NewReader(b), ct
	}
	u := c.url(op, r)
	var req *http.Request
	var err error
	if body == nil {
		req, err = http.NewRequestWithContext(ctx, op.method, u, nil)
	} else {
		req, err = http.NewRequestWithContext(ctx, op.method, u, body)
	}
	if err != nil {
		return nil, &facade.TransportError{Provider: op.provider, Operation: op.id, Err: urlErrCause(err)}
	}
	if contentType != nil {
		req.Header["Content-Type"] = contentType
	}
	return req, nil
}

// encodeBody encodes r's body: Form with the generated types' form
// encoding (the same as their request builders use), Body as JSON.
func encodeBody(r *Call) ([]byte, []string, error) {
	if r.Form != nil {
		vs, err := runtime.MarshalForm(r.Form, nil)
		return []byte(vs.Encode()), hdrForm, err
	}
	b, err := json.Marshal(r.Body)
	return b, hdrJSON, err
}

// url is the request URL: the base URL, the path template with r's
// parameters escaped into it, and r's query.
func (c *client) url(op *operation, r *Call) string {
	var b strings.Builder
	n := len(c.root) + len(op.path) + 1
	for _, v := range r.Path {
		n += len(v)
	}
	for _, p := range r.Query {
		n += len(p.Name) + len(p.Value) + 2
	}
	b.Grow(n)
	b.WriteString(c.root)
	for i, lit := range op.lits {
		b.WriteString(lit)
		if i < len(r.Path) {
			b.WriteString(url.PathEscape(r.Path[i]))
		}
	}
	for i, p := range r.Query {
		if i == 0 {
			b.WriteByte('?')
		} else {
			b.WriteByte('&')
		}
		b.WriteString(url.QueryEscape(p.Name))
		b.WriteByte('=')
		b.WriteString(url.QueryEscape(p.Value))
	}
	return b.String()
}

// withKey records the idempotency key on a *TransportError made before sending.
func withKey(err error, key string) error {
	var te *facade.TransportError
	if key != "" && errors.As(err, &te) {
		te.IdempotencyKey = key
	}
	return err
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

// call is what a service method hands the retry loop: the settings in
// force, where to report what happened, and what the call's body says.
type call struct {
	set     *config.Call
	resp    *facade.Response
	key     string
	ref     string   // clientReferenceId sent with key
	scopeID string   // the user a limit is counted by, when the path does not name it
	path    []string // the path parameters
}

// newCall applies a call's options. Without options it costs nothing: the
// call uses the client's settings as they are.
func (c *client) newCall(op *operation, opts []facade.CallOption) (call, error) {
	if len(opts) == 0 {
		return call{set: &c.call}, nil
	}
	return c.newCallWith(op, opts)
}

func (c *client) newCallWith(op *operation, opts []facade.CallOption) (call, error) {
	cc := &config.CallConfig{Settings: c.call}
	for _, o := range opts {
		if o != nil {
			o.ApplyCall(cc)
		}
	}
	resp, _ := cc.Response.(*facade.Response)
	if len(cc.Errs) > 0 {
		return call{}, &callOptionError{provider: op.provider, operation: op.id, err: errors.Join(cc.Errs...)}
	}
	if !cc.Changed {
		return call{set: &c.call, resp: resp}, nil
	}
	finish(&cc.Settings, c.http)
	return call{set: &cc.Settings, resp: resp}, nil
}

// finish builds the middleware chain for hc: the first middleware given is
// the outermost, the HTTP client the innermost.
func finish(s *config.Call, hc *http.Client) {
	s.Send = nil
	if len(s.Middleware) == 0 {
		return
	}
	next := config.Next(hc.Do)
	for i := len(s.Middleware) - 1; i >= 0; i-- {
		m, inner := s.Middleware[i], next
		next = func(r *http.Request) (*http.Response, error) { return m(r, inner) }
	}
	s.Send = next
}

// callOptionError reports invalid CallOptions; nothing was sent. It matches
// facade.ErrInvalidRequest.
type callOptionError struct {
	provider  facade.Provider
	operation string
	err       error
}

func (e *callOptionError) Error() string {
	return "banklink: " + string(e.provider) + " " + e.operation + ": invalid call option, nothing was sent: " +
		strings.ReplaceAll(e.err.Error(), "\n", "; ")
}
func (e *callOptionError) Unwrap() error        { return e.err }
func (e *callOptionError) Is(target error) bool { return target == facade.ErrInvalidRequest }

// Query builds a call's query parameters; zero values are left out, as
// the providers read an absent parameter as its default.
type Query []Param

// Str adds name=v unless v is "".
func (q Query) Str(name, v string) Query {
	if v == "" {
		return q
	}
	return append(q, Param{name, v})
}

// Int adds name=n unless n is 0.
func (q Query) Int(name string, n int) Query {
	if n == 0 {
		return q
	}
	return append(q, Param{name, strconv.Itoa(n)})
}

// Bool adds name=true when b is set.
func (q Query) Bool(name string, b bool) Query {
	if !b {
		return q
	}
	return append(q, Param{name, "true"})
}

// Date adds name=YYYY-MM-DD unless t is zero.
func (q Query) Date(name string, t time.Time) Query {
	if t.IsZero() {
		return q
	}
	return append(q, Param{name, t.Format(time.DateOnly)})
}

// Each adds name=v for every v (an exploded array).
func (q Query) Each(name string, vs []string) Query {
	for _, v := range vs {
		q = append(q, Param{name, v})
	}
	return q
}
