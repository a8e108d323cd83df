package facade

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"regexp"
	"strconv"
	"strings"

	"github.com/banklink/banklink/internal/reqcheck"
	"time"

	"github.com/banklink/banklink/gen/moneykit"
	"github.com/banklink/banklink/internal/termsafe"
)

// Sentinel errors, matched with errors.Is against any error banklink returns.
var (
	// ErrLinkNotFound: MoneyKit link_error.not_found.
	ErrLinkNotFound = errors.New("banklink: link not found")
	// ErrLinkDeleted: MoneyKit link_error.deleted (410).
	ErrLinkDeleted = errors.New("banklink: link deleted")
	// ErrForbiddenAction: MoneyKit link_error.forbidden_action; the user did not grant access.
	ErrForbiddenAction = errors.New("banklink: action forbidden by the link's owner")
	// ErrBadState: MoneyKit link_error.bad_state; see Error.LinkErrorCode.
	ErrBadState = errors.New("banklink: link is not usable in its current state")
	// ErrBadConfig: MoneyKit link_error.bad_config; the link cannot receive
	// test webhooks (not a sandbox link, or no webhook URL).
	ErrBadConfig = errors.New("banklink: the link's configuration does not allow this call")
	// ErrRateLimited: any 429, MoneyKit api_error.rate_limit_exceeded, and *RateLimitError.
	ErrRateLimited = errors.New("banklink: rate limited")
	// ErrAuthExpired: MoneyKit api_error.auth.expired_access_token (after banklink's one refresh).
	ErrAuthExpired = errors.New("banklink: access token expired")
	// ErrUnauthorized: the provider rejected the client's credentials or token
	// (MoneyKit api_error.auth.*, any Link Money 401, token endpoint 400/401).
	ErrUnauthorized = errors.New("banklink: unauthorized")
	// ErrUnauthorizedLinkAccess: MoneyKit link_error.unauthorized_access.
	ErrUnauthorizedLinkAccess = errors.New("banklink: this application may not access the link")
	// ErrInvalidTokenExchange: MoneyKit link_session_error.invalid_token_exchange.
	ErrInvalidTokenExchange = errors.New("banklink: exchangeable token is invalid, expired or already used")
	// ErrForbiddenConfig: MoneyKit link_session_error.forbidden_config.
	ErrForbiddenConfig = errors.New("banklink: link session configuration not permitted")
	// ErrValidationFailed: MoneyKit api_error.request.validation_failed (server-side validation).
	ErrValidationFailed = errors.New("banklink: request failed provider validation")
	// ErrDuplicateRequestKey: Link Money 400 DUPLICATE_REQUEST_KEY, the reading the
	// spec records for a reused requestKey (unconfirmed by Link Money).
	ErrDuplicateRequestKey = errors.New("banklink: requestKey already used")
	// ErrNotFound: any 404 (Link Money customers, payments; MoneyKit links).
	ErrNotFound = errors.New("banklink: not found")
	// ErrServer: any 5xx.
	ErrServer = errors.New("banklink: provider server error")
	// ErrInvalidRequest: banklink refused to send the request (*ValidationError).
	ErrInvalidRequest = reqcheck.ErrInvalid
)

// Error codes that banklink maps to sentinels: MoneyKit error_code values,
// then Link Money errorCode values.
const (
	CodeLinkNotFound         = "link_error.not_found"
	CodeLinkDeleted          = "link_error.deleted"
	CodeForbiddenAction      = "link_error.forbidden_action"
	CodeBadState             = "link_error.bad_state"
	CodeUnauthorizedAccess   = "link_error.unauthorized_access"
	CodeBadConfig            = "link_error.bad_config"
	CodeRateLimitExceeded    = "api_error.rate_limit_exceeded"
	CodeExpiredAccessToken   = "api_error.auth.expired_access_token"
	CodeUnauthorized         = "api_error.auth.unauthorized"
	CodeInvalidTokenExchange = "link_session_error.invalid_token_exchange"
	CodeForbiddenConfig      = "link_session_error.forbidden_config"
	CodeValidationFailed     = "api_error.request.validation_failed"
	CodeInstitutionNotFound  = "institution_error.not_found"

	CodeDuplicateRequestKey = "DUPLICATE_REQUEST_KEY"
)

// Bounds on the provider's text shown in Error() strings (Error's fields keep it whole).
const (
	maxShownCode    = 128
	maxShownMessage = 512
)

const (
	maxErrorBody   = 1 << 20  // bytes of an error body kept in Error.Body
	maxSuccessBody = 64 << 20 // larger 2xx bodies are refused
	maxDrain       = 256 << 10
)

var codeSentinels = map[string]error{
	CodeLinkNotFound:         ErrLinkNotFound,
	CodeLinkDeleted:          ErrLinkDeleted,
	CodeForbiddenAction:      ErrForbiddenAction,
	CodeBadState:             ErrBadState,
	CodeUnauthorizedAccess:   ErrUnauthorizedLinkAccess,
	CodeBadConfig:            ErrBadConfig,
	CodeRateLimitExceeded:    ErrRateLimited,
	CodeExpiredAccessToken:   ErrAuthExpired,
	CodeUnauthorized:         ErrUnauthorized,
	CodeInvalidTokenExchange: ErrInvalidTokenExchange,
	CodeForbiddenConfig:      ErrForbiddenConfig,
	CodeValidationFailed:     ErrValidationFailed,
	CodeInstitutionNotFound:  ErrNotFound,
	CodeDuplicateRequestKey:  ErrDuplicateRequestKey,
}

// Error is an HTTP error answer from MoneyKit or Link Money.
type Error struct {
	Provider  Provider
	Operation string // operationId as the spec spells it, e.g. "getLink"
	// StatusCode is the HTTP status of the last failed attempt.
	StatusCode int
	// Code is MoneyKit's error_code or Link Money's errorCode. Decide on Code,
	// not on StatusCode: MoneyKit's 422 is either link_error.bad_state or
	// api_error.request.validation_failed.
	Code             string
	Message          string // error_message / errorMessage (or Link Money's bare "error")
	DocumentationURL string // MoneyKit documentation_url
	LinkErrorCode    string // MoneyKit link_error_code, with link_error.bad_state
	// ValidationErrors are MoneyKit's validation_errors, with api_error.request.validation_failed.
	ValidationErrors []moneykit.ValidationError
	ErrorID          int64  // Link Money errorId
	Severity         string // Link Money errorSeverity
	RequestID        string // from X-Request-Id or a similar response header
	// RetryAfter is the server's wait hint (Retry-After-Ms or Retry-After), if any.
	RetryAfter time.Duration
	// Body is the response body, at most 1 MiB of it.
	Body []byte
	// Response is the last failed response. Its body has been read and is
	// readable again from Body's bytes; its Request has no Authorization header.
	Response *http.Response
	// Attempts is how many HTTP requests the call made.
	Attempts int
	// Err is a decoding failure of a 2xx body, if that is what went wrong.
	Err error
	// IdempotencyKey is the requestKey the call sent (Link Money payments
	// and refunds); see IdempotencyKeyOf.
	IdempotencyKey string

	tokenEndpoint bool
	retryAfterSet bool
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("banklink: ")
	b.WriteString(string(e.Provider))
	b.WriteByte(' ')
	b.WriteString(e.Operation)
	b.WriteString(": ")
	b.WriteString(strconv.Itoa(e.StatusCode))
	if t := http.StatusText(e.StatusCode); t != "" {
		b.WriteByte(' ')
		b.WriteString(t)
	}
	// Code, Message and RequestID are the provider's text: the string shows
	// them without control characters and bounded; the fields keep them raw.
	if e.Code != "" {
		b.WriteString(": ")
		b.WriteString(termsafe.String(e.Code, maxShownCode))
	}
	if e.LinkErrorCode != "" {
		b.WriteString(" (")
		b.WriteString(termsafe.String(e.LinkErrorCode, maxShownCode))
		b.WriteByte(')')
	}
	if e.Message != "" {
		b.WriteString(": ")
		b.WriteString(termsafe.String(e.Message, maxShownMessage))
	}
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	if e.RequestID != "" {
		b.WriteString(" [request id ")
		b.WriteString(termsafe.String(e.RequestID, maxShownCode))
		b.WriteByte(']')
	}
	if e.Attempts > 1 {
		fmt.Fprintf(&b, " after %d attempts", e.Attempts)
	}
	return b.String()
}

// Unwrap returns the decoding failure, if any.
func (e *Error) Unwrap() error { return e.Err }

// Is matches the sentinels by error code, then by status.
func (e *Error) Is(target error) bool {
	if s, ok := codeSentinels[e.Code]; ok && s == target {
		return true
	}
	switch target {
	case ErrRateLimited:
		return e.StatusCode == http.StatusTooManyRequests
	case ErrLinkDeleted:
		return e.Provider == ProviderMoneyKit && e.StatusCode == http.StatusGone
	case ErrNotFound:
		return e.StatusCode == http.StatusNotFound
	case ErrServer:
		return e.StatusCode >= 500 && e.StatusCode <= 599
	case ErrUnauthorized:
		switch e.Code {
		case CodeExpiredAccessToken:
			return true
		case CodeUnauthorizedAccess:
			return false
		}
		return e.StatusCode == http.StatusUnauthorized ||
			(e.tokenEndpoint && e.StatusCode == http.StatusBadRequest)
	}
	return false
}

// RateLimitError is returned, without waiting, when the server asks banklink
// to wait longer than WithMaxRetryAfter allows or than the context has left,
// or when the client is still inside a 429 window another call opened and that
// window outlasts the context.
type RateLimitError struct {
	Operation  string
	RetryAfter time.Duration // how long the server asked to wait
	Err        *Error        // the response that asked; nil if none is known
	// IdempotencyKey is the requestKey the call sent (Link Money payments
	// and refunds). Err may be another call's answer, seen through the
	// client-wide 429 gate, and then carries no key.
	IdempotencyKey string
}

func (e *RateLimitError) Error() string {
	msg := fmt.Sprintf("banklink: %s: rate limited; server asked to retry after %v", e.Operation, e.RetryAfter.Round(time.Millisecond))
	if e.Err != nil {
		msg += " (" + e.Err.Error() + ")"
	}
	return msg
}

// Unwrap returns the underlying *Error.
func (e *RateLimitError) Unwrap() error {
	if e.Err == nil {
		return nil
	}
	return e.Err
}

// Is matches ErrRateLimited.
func (e *RateLimitError) Is(target error) bool { return target == ErrRateLimited }

// TransportError is a failure to get any HTTP answer (connection, TLS, timeout,
// context), naming the operation and how many attempts were made.
type TransportError struct {
	Provider  Provider
	Operation string
	Attempts  int
	Err       error // the cause
	// Last is the previous attempt's API error, when the context ended while
	// waiting to retry it.
	Last *Error
	// IdempotencyKey is the requestKey the call sent (Link Money payments
	// and refunds): the outcome of such a call is unknown when an attempt
	// may have reached the server, and a retry with the same key is safe.
	IdempotencyKey string
}

func (e *TransportError) Error() string {
	msg := fmt.Sprintf("banklink: %s %s: %s", e.Provider, e.Operation, redactCredentials(urlErrCause(e.Err).Error()))
	if e.Attempts > 1 {
		msg += fmt.Sprintf(" after %d attempts", e.Attempts)
	}
	if e.Last != nil {
		msg += " (last answer: " + e.Last.Error() + ")"
	}
	return msg
}

// Unwrap returns the cause and, if any, the last API error.
func (e *TransportError) Unwrap() []error {
	if e.Last != nil {
		return []error{e.Err, e.Last}
	}
	return []error{e.Err}
}

// decodeErrorBody reads both providers' error fields from a JSON object one
// field at a time, so that a field of an unexpected type (an errorId that is
// a string, a validation_errors that is an object) loses only that field,
// never the code and message that errors.Is depends on. ok is false when
// body is not a JSON object.
func decodeErrorBody(e *Error, body []byte) (ok bool) {
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
		var ves []moneykit.ValidationError
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
func newAPIError(op *operation, resp *http.Response, now time.Time) *Error {
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
	e := &Error{
		Provider:   op.provider,
		Operation:  op.id,
		StatusCode: resp.StatusCode,
		RequestID:  requestID(resp.Header),
		Body:       body,
		Response:   resp,

		tokenEndpoint: op.tokenEndpoint,
	}
	if d, ok := retryAfter(resp.Header, now); ok {
		e.RetryAfter, e.retryAfterSet = d, true
	}
	if e.tokenEndpoint {
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
	return e
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

// urlUserinfo matches the user-info part of a URL inside a message, up to the
// last "@" of a run without spaces or quotes.
var urlUserinfo = regexp.MustCompile(`([A-Za-z][A-Za-z0-9+.\-]*://)[^\s"'<>]*@`)

// redactCredentials replaces the user info of any URL in msg with REDACTED.
// Proxy errors from net/http quote the proxy URL as configured, password
// included (`invalid proxy address "http://user:pass@…"`).
func redactCredentials(msg string) string {
	if !strings.Contains(msg, "@") {
		return msg
	}
	return urlUserinfo.ReplaceAllString(msg, "${1}REDACTED@")
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
