package facade

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"time"

	"github.com/banklink/banklink/facade/fleet"
	"github.com/banklink/banklink/facade/internal/redact"
	"github.com/banklink/banklink/internal/reqcheck"

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
	// ErrAcceptedEarlier: banklink's own retry of a payment or refund drew
	// DUPLICATE_REQUEST_KEY, so an earlier attempt with the same requestKey
	// was accepted. The error is an *AcceptedEarlierError carrying the key
	// and the clientReferenceId: look the payment up instead of sending it
	// again. It does not match ErrDuplicateRequestKey, which stays the
	// answer to a first attempt (a key the caller reused).
	ErrAcceptedEarlier = errors.New("banklink: an earlier attempt with this requestKey was accepted")
	// ErrOutcomeUnknown: a payment, credit or refund was answered 202 or 204
	// with no body. Link Money may have accepted it, and there is no
	// payment to record: the *Error carries the requestKey
	// (IdempotencyKeyOf); send the same request again with that key to
	// learn its fate, or wait for its webhook.
	ErrOutcomeUnknown = errors.New("banklink: accepted without an answer; the outcome is unknown")
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
	ValidationErrors []FieldError
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
	case ErrOutcomeUnknown:
		return e.IdempotencyKey != "" && len(e.Body) == 0 &&
			(e.StatusCode == http.StatusAccepted || e.StatusCode == http.StatusNoContent)
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
			(e.StatusCode == http.StatusBadRequest && isTokenOperation(e.Operation))
	}
	return false
}

// FieldError is one of MoneyKit's validation_errors: where the server
// found a request field invalid, and why.
type FieldError struct {
	// Location is where the violation is, as path segments (names or array indexes).
	Location []any `json:"location"`
	// Message says what is wrong.
	Message string `json:"message"`
	// Type is the kind of violation.
	Type string `json:"type"`
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
	// and refunds). Err may be a copy of another call's answer, seen through
	// the cool-down of a scope the two share.
	IdempotencyKey string
	// Scope and Limit name the documented limit whose next slot comes after
	// the context's deadline, when that is why the call did not go (Scope
	// is fleet.ScopeLink, ScopeUser, ScopeApp or ScopeClient); empty otherwise.
	Scope string
	Limit fleet.Limit
}

func (e *RateLimitError) Error() string {
	if e.Scope != "" {
		return fmt.Sprintf("banklink: %s: rate limited by banklink: the documented limit of %v per %s has its next slot in %v, after the context's deadline",
			e.Operation, e.Limit, e.Scope, e.RetryAfter.Round(time.Millisecond))
	}
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

// AcceptedEarlierError is the outcome of a payment or refund whose first
// attempt got no clear answer and whose retry, with the same requestKey,
// drew DUPLICATE_REQUEST_KEY: Link Money had accepted the earlier attempt.
// It matches ErrAcceptedEarlier (not ErrDuplicateRequestKey). The payment
// exists; find it by ClientReferenceID (or wait for its webhook) rather
// than sending it again.
type AcceptedEarlierError struct {
	Provider          Provider
	Operation         string
	IdempotencyKey    string // the requestKey every attempt sent
	ClientReferenceID string // the clientReferenceId sent, if any
	Attempts          int
	// Answer is the retry's DUPLICATE_REQUEST_KEY answer, kept as a field:
	// it is not this error's cause.
	Answer *Error
}

func (e *AcceptedEarlierError) Error() string {
	msg := "banklink: " + string(e.Provider) + " " + e.Operation + ": an earlier attempt was accepted (the retry drew " + CodeDuplicateRequestKey + ")"
	if e.Attempts > 1 {
		msg += fmt.Sprintf(" after %d attempts", e.Attempts)
	}
	return msg
}

// Is matches ErrAcceptedEarlier.
func (e *AcceptedEarlierError) Is(target error) bool { return target == ErrAcceptedEarlier }

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
	msg := fmt.Sprintf("banklink: %s %s: %s", e.Provider, e.Operation, redact.Credentials(redact.URLErrCause(e.Err).Error()))
	if e.Attempts > 1 {
		msg += fmt.Sprintf(" after %d attempts", e.Attempts)
	}
	if e.Last != nil {
		msg += " (last answer: " + e.Last.Error() + ")"
	}
	return msg
}

// Unwrap returns the cause and, if any, the last API error. When the cause
// is the caller's context ending (a cancel or a deadline while waiting to
// retry), the last answer stays in Last but is not unwrapped: a call
// cancelled after a 503 does not match ErrServer.
func (e *TransportError) Unwrap() []error {
	if e.Last != nil && !errors.Is(e.Err, context.Canceled) && !errors.Is(e.Err, context.DeadlineExceeded) {
		return []error{e.Err, e.Last}
	}
	return []error{e.Err}
}

// Token operations: the providers' client-credentials token endpoints
// (MoneyKit's createAccessToken, Link Money's createToken), whose 400
// answers mean the credentials were refused. The transport's tests hold
// these names to the generated tables.
const (
	opMoneyKitToken  = "createAccessToken"
	opLinkMoneyToken = "createToken"
)

func isTokenOperation(id string) bool {
	return id == opMoneyKitToken || id == opLinkMoneyToken
}

// ErrRepeatedCursor is returned by a pager or a transactions sync when the
// provider hands back a cursor it already returned: following it would loop
// forever, so iteration stops there and the list may be incomplete.
var ErrRepeatedCursor = errors.New("banklink: the provider repeated a pagination cursor")
