package transport

import (
	"bytes"
	"cmp"
	"encoding/json"
	"io"
	"mime"
	"net/http"
	"strings"
	"time"

	"github.com/banklink/banklink/facade"
)

// Bounds on what banklink reads of a response.
const (
	maxErrorBody   = 1 << 20  // bytes of an error body kept in facade.Error.Body
	maxSuccessBody = 64 << 20 // larger 2xx bodies are refused
	maxDrain       = 256 << 10
	maxShownCode   = 128 // of a request id in a log record, as facade.Error shows it
)

// decodeErrorBody reads both providers' error fields from a JSON object one
// field at a time, so that a field of an unexpected type (an errorId that is
// a string, a validation_errors that is an object) loses only that field,
// never the code and message that errors.Is depends on. ok is false when
// body is not a JSON object.
func decodeErrorBody(e *facade.Error, body []byte) (ok bool) {
	var fields map[string]json.RawMessage
	if json.Unmarshal(body, &fields) != nil || fields == nil {
		return false
	}
	str := func(key string) string {
		var v string
		if raw, ok := fields[key]; ok {
			_ = json.Unmarshal(raw, &v)
		}
		return v
	}
	// MoneyKit, then Link Money.
	e.Code = cmp.Or(str("error_code"), str("errorCode"))
	e.Message = cmp.Or(str("error_message"), str("errorMessage"), str("error"))
	e.DocumentationURL = str("documentation_url")
	e.LinkErrorCode = str("link_error_code")
	e.Severity = str("errorSeverity")
	if raw, ok := fields["validation_errors"]; ok {
		var ves []facade.FieldError
		if json.Unmarshal(raw, &ves) == nil {
			e.ValidationErrors = ves
		}
	}
	if raw, ok := fields["errorId"]; ok {
		var n json.Number
		if json.Unmarshal(raw, &n) == nil {
			e.ErrorID, _ = n.Int64()
		}
	}
	return true
}

var requestIDHeaders = []string{"X-Request-Id", "Request-Id", "X-Correlation-Id", "X-Amzn-Requestid"}

func requestID(h http.Header) string {
	for _, k := range requestIDHeaders {
		if v := h.Get(k); v != "" {
			return v
		}
	}
	return ""
}

// newAPIError reads (at most 1 MiB of) resp's body, closes it, and decodes
// whatever error fields it carries. It never fails: a body that is not the
// documented JSON leaves the fields empty and the bytes in Body.
func newAPIError(op *operation, resp *http.Response, now time.Time) (e *facade.Error, hinted bool) {
	var bb bytes.Buffer
	eof, readErr := readCapped(&bb, resp.Body, maxErrorBody+1)
	body := bb.Bytes()
	truncated := len(body) > maxErrorBody
	if truncated {
		body = body[:maxErrorBody]
	}
	if eof {
		_ = resp.Body.Close()
	} else {
		drainAndClose(resp.Body)
	}
	e = &facade.Error{
		Provider:   op.provider,
		Operation:  op.id,
		StatusCode: resp.StatusCode,
		RequestID:  requestID(resp.Header),
		Body:       body,
		Response:   resp,
	}
	if d, ok := retryAfter(resp.Header, now); ok {
		e.RetryAfter, hinted = d, true
	}
	if op.tokenEndpoint {
		// A token endpoint's error answer has no reason to carry a token;
		// if it does, it is not kept.
		body = redactTokenBody(body)
		e.Body = body
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	if resp.Request != nil {
		resp.Request = redactedRequest(resp.Request)
	}
	decoded := false
	if readErr == nil && !truncated && looksJSON(resp.Header.Get("Content-Type"), body) {
		decoded = decodeErrorBody(e, body)
	}
	if !decoded {
		switch {
		case truncated:
			e.Message = "error body larger than 1 MiB (truncated)"
		case readErr != nil:
			e.Message = "reading error body: " + readErr.Error()
		case len(body) > 0:
			e.Message = "unexpected " + contentTypeOf(resp.Header) + " error body"
		}
	}
	return e, hinted
}

func contentTypeOf(h http.Header) string {
	ct := h.Get("Content-Type")
	if ct == "" {
		return "untyped"
	}
	if mt, _, err := mime.ParseMediaType(ct); err == nil {
		return mt
	}
	return "malformed-type"
}

func looksJSON(contentType string, body []byte) bool {
	if strings.Contains(contentType, "json") {
		return true
	}
	// Bodies that look like a JSON object are decoded whatever the declared type.
	b := bytes.TrimSpace(body)
	return len(b) > 0 && b[0] == '{'
}

// redactedRequest is a copy of r without credentials or body, safe to keep in an error.
func redactedRequest(r *http.Request) *http.Request {
	c := new(http.Request)
	*c = *r
	c.Header = r.Header.Clone()
	for _, k := range []string{"Authorization", "X-Client-Id", "X-Client-Secret", "Cookie", "Proxy-Authorization"} {
		if c.Header.Get(k) != "" {
			c.Header.Set(k, "REDACTED")
		}
	}
	c.Body, c.GetBody = nil, nil
	return c
}

// drainAndClose reads what is left of a body, up to a bound, so the
// connection can be reused, then closes it.
func drainAndClose(rc io.ReadCloser) {
	_, _ = io.CopyN(io.Discard, rc, maxDrain)
	_ = rc.Close()
}

// redactTokenBody returns body with the value of every "access_token" member
// replaced by "REDACTED", for a token endpoint's 2xx answer that banklink
// could not decode and keeps in an *Error. A body it cannot rewrite that way
// (not a JSON object, or one whose token is not a string) is dropped whole
// when it mentions access_token at all: losing the bytes is better than
// keeping a live token in an error value that may be logged.
func redactTokenBody(body []byte) []byte {
	// Go's JSON decoding matches member names without regard to case, so
	// "Access_Token" is a token too.
	if !containsFold(body, "access_token") {
		return body
	}
	var fields map[string]json.RawMessage
	if json.Unmarshal(body, &fields) != nil {
		return nil
	}
	changed := false
	for k, v := range fields {
		if strings.EqualFold(k, "access_token") {
			fields[k] = json.RawMessage(`"REDACTED"`)
			changed = true
		} else if containsFold(v, "access_token") {
			// A nested copy ({"data":{"access_token":…}}): drop rather than walk.
			return nil
		}
	}
	if !changed {
		return nil
	}
	out, err := json.Marshal(fields)
	if err != nil {
		return nil
	}
	return out
}

// containsFold reports whether b contains the ASCII string sub, ignoring case.
func containsFold(b []byte, sub string) bool {
	for i := 0; i+len(sub) <= len(b); i++ {
		if bytes.EqualFold(b[i:i+len(sub)], []byte(sub)) {
			return true
		}
	}
	return false
}
