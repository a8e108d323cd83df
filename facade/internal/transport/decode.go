package transport

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"reflect"
	"sync"

	"github.com/banklink/banklink/facade"
)

var bufPool = sync.Pool{New: func() any { return new(bytes.Buffer) }}

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
		tokenEndpoint := op.tokenEndpoint
		if tokenEndpoint {
			body = redactTokenBody(body)
		}
		resp.Body = io.NopCloser(bytes.NewReader(body))
		if resp.Request != nil {
			resp.Request = redactedRequest(resp.Request)
		}
		return &facade.Error{
			Provider: op.provider, Operation: op.id, StatusCode: resp.StatusCode,
			Message: msg, RequestID: requestID(resp.Header), Body: body, Response: resp, Err: cause,
		}
	}
	if buf.Len() > maxSuccessBody {
		return fail("response body larger than 64 MiB", nil)
	}
	if buf.Len() == 0 && (resp.StatusCode == http.StatusAccepted || resp.StatusCode == http.StatusNoContent) {
		if op.safety == facade.SafetyIdempotencyKey {
			// Money may have moved, and there is nothing to record: the
			// caller gets the key, as after a lost answer.
			return fail("accepted without a body: the outcome is unknown", nil)
		}
		// An accepted request may carry no body (MoneyKit's 2023 SDKs read
		// POST /links/{id}/products that way); out keeps its zero value.
		return nil
	}
	if err := json.Unmarshal(buf.Bytes(), out); err != nil {
		return fail("decoding "+contentTypeOf(resp.Header)+" response", err)
	}
	if op.required != nil && present(reflect.ValueOf(out), op.required) {
		// Every required field decoded to a value: the body had it, and
		// a body with every required field is not the error shape.
		return nil
	}
	errShape, err := checkResponse(buf.Bytes(), op.required)
	if errShape {
		// The provider's error answer with a 2xx status: an error, with
		// the code errors.Is matches on.
		e := fail("", nil).(*facade.Error)
		decodeErrorBody(e, e.Body)
		if e.Message == "" {
			e.Message = "error answer with a 2xx status"
		}
		return e
	}
	if err != nil {
		return fail(err.Error(), nil)
	}
	return nil
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
