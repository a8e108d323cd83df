package facade

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"math"
	"math/rand/v2"
	"net/http"
	"time"
)

// Attempt describes one finished HTTP attempt, for a RetryPolicy to judge.
type Attempt struct {
	Provider  Provider
	Operation string // operationId as the spec spells it, e.g. "getLink"
	Method    string
	Safety    Safety
	Number    int // 1 for the first attempt
	// Response is the HTTP response, nil after a transport error. Its body has
	// already been read; the bytes are in the *Error held by Err.
	Response *http.Response
	// Err is the attempt's failure: an *Error for an HTTP error status, or the
	// transport error.
	Err error
	// ReachedServer is false only when the request provably never left the
	// client (the connection could not be dialled).
	ReachedServer bool
}

// StatusCode returns the response status, or 0 after a transport error.
func (a *Attempt) StatusCode() int {
	if a.Response == nil {
		return 0
	}
	return a.Response.StatusCode
}

// RetryPolicy decides whether a failed attempt is tried again. The retry budget
// (WithMaxRetries), Retry-After cap and context are enforced around it.
type RetryPolicy interface {
	ShouldRetry(a *Attempt) bool
}

// RetryPolicyFunc adapts a function to RetryPolicy.
type RetryPolicyFunc func(a *Attempt) bool

// ShouldRetry calls f(a).
func (f RetryPolicyFunc) ShouldRetry(a *Attempt) bool { return f(a) }

// Backoff gives the delay before retry number retry (1 for the first retry)
// when the server sent no Retry-After hint.
type Backoff interface {
	Delay(retry int) time.Duration
}

// ExponentialBackoff doubles the delay from Initial on each retry, caps it at
// Max, and with Jitter in (0,1] subtracts a random fraction of up to Jitter of
// the delay, so concurrent clients spread out.
type ExponentialBackoff struct {
	Initial time.Duration
	Max     time.Duration
	Jitter  float64
}

// DefaultBackoff is 500ms, 1s, 2s, … capped at 8s, each reduced by up to 25% at random.
func DefaultBackoff() ExponentialBackoff {
	return ExponentialBackoff{Initial: 500 * time.Millisecond, Max: 8 * time.Second, Jitter: 0.25}
}

// Delay implements Backoff.
func (b ExponentialBackoff) Delay(retry int) time.Duration {
	if retry < 1 {
		retry = 1
	}
	d := float64(b.Initial) * math.Pow(2, float64(retry-1))
	if b.Max > 0 && d > float64(b.Max) {
		d = float64(b.Max)
	}
	if j := min(max(b.Jitter, 0), 1); j > 0 {
		d -= d * j * rand.Float64()
	}
	return time.Duration(d)
}

// DefaultRetryPolicy retries, by the operation's safety class:
//   - safe and idempotency-key operations: connection errors and statuses 408,
//     429, 500, 502, 503, 504;
//   - unsafe operations: 429, and connection errors where the request never
//     reached the server;
//   - single-use operations: only connection errors where the request never
//     reached the server.
//
// Certificate errors and context cancellation are never retried.
func DefaultRetryPolicy() RetryPolicy { return defaultPolicy{} }

type defaultPolicy struct{}

func (defaultPolicy) ShouldRetry(a *Attempt) bool {
	if a.Response != nil {
		code := a.Response.StatusCode
		switch a.Safety {
		case SafetySafe, SafetyIdempotencyKey:
			return RetryableStatus(code)
		case SafetyUnsafe:
			return code == http.StatusTooManyRequests
		}
		return false
	}
	if a.Err == nil || !retryableTransportError(a.Err) {
		return false
	}
	switch a.Safety {
	case SafetySafe, SafetyIdempotencyKey:
		return true
	case SafetyUnsafe, SafetySingleUse:
		return !a.ReachedServer
	}
	return false
}

// RetryableStatus reports whether DefaultRetryPolicy retries an answer with
// this status on a safe operation: 408, 429, 500, 502, 503 and 504. A
// RetryPolicy of one's own can start from it.
func RetryableStatus(code int) bool {
	switch code {
	case http.StatusRequestTimeout, http.StatusTooManyRequests,
		http.StatusInternalServerError, http.StatusBadGateway,
		http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return true
	}
	return false
}

// retryableTransportError rejects errors that a retry cannot fix.
func retryableTransportError(err error) bool {
	if errors.Is(err, context.Canceled) {
		return false
	}
	var (
		unknownAuthority x509.UnknownAuthorityError
		hostname         x509.HostnameError
		invalidCert      x509.CertificateInvalidError
		verify           *tls.CertificateVerificationError
	)
	if errors.As(err, &unknownAuthority) || errors.As(err, &hostname) ||
		errors.As(err, &invalidCert) || errors.As(err, &verify) {
		return false
	}
	return true
}
