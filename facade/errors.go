package facade

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/banklink/banklink/gen/moneykit"
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
	ErrInvalidRequest = errors.New("banklink: invalid request")
)

// Error codes that banklink maps to sentinels: MoneyKit error_code values,
// then Link Money errorCode values.
const (
	CodeLinkNotFound         = "link_error.not_found"
	CodeLinkDeleted          = "link_error.deleted"
	CodeForbiddenAction      = "link_error.forbidden_action"
	CodeBadState             = "link_error.bad_state"
	CodeUnauthorizedAccess   = "link_error.unauthorized_access"
	CodeRateLimitExceeded    = "api_error.rate_limit_exceeded"
	CodeExpiredAccessToken   = "api_error.auth.expired_access_token"
	CodeUnauthorized         = "api_error.auth.unauthorized"
	CodeInvalidTokenExchange = "link_session_error.invalid_token_exchange"
	CodeForbiddenConfig      = "link_session_error.forbidden_config"
	CodeValidationFailed     = "api_error.request.validation_failed"
	CodeInstitutionNotFound  = "institution_error.not_found"

	CodeDuplicateRequestKey = "DUPLICATE_REQUEST_KEY"
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
	if e.Code != "" {
		b.WriteString(": ")
		b.WriteString(e.Code)
	}
	if e.LinkErrorCode != "" {
		b.WriteString(" (")
		b.WriteString(e.LinkErrorCode)
		b.WriteByte(')')
	}
	if e.Message != "" {
		b.WriteString(": ")
		b.WriteString(e.Message)
	}
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	if e.RequestID != "" {
		b.WriteString(" [request id ")
		b.WriteString(e.RequestID)
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
}

func (e *TransportError) Error() string {
	msg := fmt.Sprintf("banklink: %s %s: %v", e.Provider, e.Operation, urlErrCause(e.Err))
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

// errorBody is the union of both providers' error fields.
type errorBody struct {
	// MoneyKit
	ErrorCode        string                     `json:"error_code"`
	ErrorMessage     string                     `json:"error_message"`
	DocumentationURL string                     `json:"documentation_url"`
	LinkErrorCode    string                     `json:"link_error_code"`
	ValidationErrors []moneykit.ValidationError `json:"validation_errors"`
	// Link Money
	ErrorID        json.Number `json:"errorId"`
	ErrorCodeLM    string      `json:"errorCode"`
	ErrorMessageLM string      `json:"errorMessage"`
	ErrorSeverity  string      `json:"errorSeverity"`
	BareError      string      `json:"error"`
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

		tokenEndpoint: op.idx == opCreateAccessToken || op.idx == opCreateToken,
	}
	if d, ok := retryAfter(resp.Header, now); ok {
		e.RetryAfter, e.retryAfterSet = d, true
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	if resp.Request != nil {
		resp.Request = redactedRequest(resp.Request)
	}
	decoded := false
	if readErr == nil && !truncated && looksJSON(resp.Header.Get("Content-Type"), body) {
		var eb errorBody
		if json.Unmarshal(body, &eb) == nil {
			decoded = true
			e.Code, e.Message = eb.ErrorCode, eb.ErrorMessage
			if e.Code == "" {
				e.Code = eb.ErrorCodeLM
			}
			if e.Message == "" {
				e.Message = eb.ErrorMessageLM
			}
			if e.Message == "" {
				e.Message = eb.BareError
			}
			e.DocumentationURL, e.LinkErrorCode, e.ValidationErrors = eb.DocumentationURL, eb.LinkErrorCode, eb.ValidationErrors
			e.ErrorID, _ = eb.ErrorID.Int64()
			e.Severity = eb.ErrorSeverity
		}
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
