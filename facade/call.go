package facade

import (
	"context"
	"net/http"
)

// The service methods share two shapes of call; these helpers hold them so
// each method states only what is particular to its operation.

// postJSON validates req, marshals it once and sends it through the
// operation's prebuilt POST template, decoding a 2xx answer into a new Resp.
// Nothing is sent when req is nil or invalid.
func postJSON[Resp, Req any](ctx context.Context, c *client, idx opIndex, req *Req) (*Resp, error) {
	op := c.op(idx)
	if req == nil {
		return nil, invalid(op, Violation{Rule: "required", Message: "request body is required"})
	}
	if err := c.checkBody(op, req); err != nil {
		return nil, err
	}
	body, err := marshalBody(op, req)
	if err != nil {
		return nil, err
	}
	hreq, err := c.posts[op.idx].request(ctx, body)
	return send[Resp](ctx, c, op, hreq, err)
}

// send sends a request made by a generated builder (buildErr is the
// builder's error, reported without sending), decoding a 2xx answer into a
// new Resp.
func send[Resp any](ctx context.Context, c *client, op *operation, hreq *http.Request, buildErr error) (*Resp, error) {
	if buildErr != nil {
		return nil, c.buildErr(op, buildErr)
	}
	out := new(Resp)
	if err := c.do(ctx, op, hreq, out); err != nil {
		return nil, err
	}
	return out, nil
}
