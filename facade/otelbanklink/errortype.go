package otelbanklink

import (
	"context"
	"errors"
	"net"
	"strconv"

	"github.com/banklink/banklink/facade"
)

// sentinelNames are the error.type values of a call that failed: the name
// of the facade sentinel its error matches, first match wins. Order
// matters where one error matches two: ErrAcceptedEarlier before the rest,
// the specific MoneyKit codes before ErrNotFound and ErrUnauthorized.
var sentinelNames = []struct {
	err  error
	name string
}{
	{facade.ErrAcceptedEarlier, "accepted_earlier"},
	{facade.ErrOutcomeUnknown, "outcome_unknown"},
	{facade.ErrInvalidRequest, "invalid_request"},
	{facade.ErrRateLimited, "rate_limited"},
	{facade.ErrLinkNotFound, "link_not_found"},
	{facade.ErrLinkDeleted, "link_deleted"},
	{facade.ErrForbiddenAction, "forbidden_action"},
	{facade.ErrBadState, "bad_state"},
	{facade.ErrBadConfig, "bad_config"},
	{facade.ErrAuthExpired, "auth_expired"},
	{facade.ErrUnauthorizedLinkAccess, "unauthorized_link_access"},
	{facade.ErrUnauthorized, "unauthorized"},
	{facade.ErrInvalidTokenExchange, "invalid_token_exchange"},
	{facade.ErrForbiddenConfig, "forbidden_config"},
	{facade.ErrValidationFailed, "validation_failed"},
	{facade.ErrDuplicateRequestKey, "duplicate_request_key"},
	{facade.ErrNotFound, "not_found"},
	{facade.ErrServer, "server_error"},
}

// callErrorType is the error.type of a call's span: the sentinel's name,
// "timeout" or "canceled" when the context or an attempt's timeout ended
// it, "transport_error" for another failure to get an answer, the status
// code of an answer that matches no sentinel, else "_OTHER". It never
// carries the error's text, which may quote the provider's message.
func callErrorType(err error) string {
	for _, s := range sentinelNames {
		if errors.Is(err, s.err) {
			return s.name
		}
	}
	if t := contextErrorType(err); t != "" {
		return t
	}
	var apiErr *facade.Error
	if errors.As(err, &apiErr) && apiErr.StatusCode != 0 {
		return strconv.Itoa(apiErr.StatusCode)
	}
	var te *facade.TransportError
	if errors.As(err, &te) {
		return "transport_error"
	}
	return "_OTHER"
}

// attemptErrorType is the error.type of an attempt's span and of
// http.client.request.duration, as the HTTP semantic conventions have it:
// the status code for an answer of 400 or more, else the kind of transport
// failure.
func attemptErrorType(status int, err error) string {
	if status >= 400 {
		return strconv.Itoa(status)
	}
	if err == nil {
		return ""
	}
	if t := contextErrorType(err); t != "" {
		return t
	}
	return "transport_error"
}

func contextErrorType(err error) string {
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return "timeout"
	case errors.Is(err, context.Canceled):
		return "canceled"
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return "timeout"
	}
	return ""
}
