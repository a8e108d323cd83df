package facade

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"slices"
)

// The service methods share two shapes of call; these helpers hold them so
// each method states only what is particular to its operation.

// postJSON validates req, marshals it once and sends it through the
// operation's prebuilt POST template, decoding a 2xx answer into a new Resp.
// Nothing is sent when an option or req is nil or invalid. key is the
// idempotency key req carries, for idempotency-key operations.
func postJSON[Resp, Req any](ctx context.Context, c *client, idx opIndex, req *Req, key string, opts []CallOption) (*Resp, error) {
	return postJSONAs[Resp](ctx, c, idx, req, call{key: key}, opts)
}

// postJSONAs is postJSON with what the call's body tells the retry loop:
// the idempotency key and clientReferenceId (id.key, id.ref) and the user
// a rate limit is counted by (id.scopeID).
func postJSONAs[Resp, Req any](ctx context.Context, c *client, idx opIndex, req *Req, id call, opts []CallOption) (*Resp, error) {
	op := c.op(idx)
	cl, err := c.newCall(op, opts)
	if err != nil {
		return nil, err
	}
	key := id.key
	cl.key, cl.ref, cl.scopeID = key, id.ref, id.scopeID
	if req == nil {
		return nil, invalid(op, Violation{Rule: "required", Message: "request body is required"})
	}
	if err := c.checkBody(op, req); err != nil {
		return nil, err
	}
	body, err := marshalBody(op, req)
	if err != nil {
		return nil, withKey(err, key)
	}
	hreq, err := c.posts[op.idx].request(ctx, body)
	return send[Resp](ctx, c, op, hreq, err, cl)
}

// send sends a request made by a generated builder (buildErr is the
// builder's error, reported without sending), decoding a 2xx answer into a
// new Resp.
func send[Resp any](ctx context.Context, c *client, op *operation, hreq *http.Request, buildErr error, cl call) (*Resp, error) {
	if ctx == nil {
		return nil, errNilContext(op)
	}
	if buildErr != nil {
		return nil, withKey(c.buildErr(op, buildErr), cl.key)
	}
	out := new(Resp)
	if err := c.do(ctx, op, hreq, out, cl); err != nil {
		return nil, err
	}
	return out, nil
}

// withKey records the idempotency key on a *TransportError made before sending.
func withKey(err error, key string) error {
	var te *TransportError
	if key != "" && errors.As(err, &te) {
		te.IdempotencyKey = key
	}
	return err
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
