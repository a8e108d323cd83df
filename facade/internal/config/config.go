// Package config holds what banklink's options set: package facade's
// Option, SharedOption and CallOption values write into these structs, and
// the transport (facade/internal/transport) reads them. It sits below both
// so that neither imports the other for it.
package config

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"golang.org/x/time/rate"

	"github.com/banklink/banklink/facade/fleet"
)

// Next sends a request on (facade.Next).
type Next = func(*http.Request) (*http.Response, error)

// Middleware wraps one HTTP attempt (facade.Middleware).
type Middleware = func(req *http.Request, next Next) (*http.Response, error)

// Backoff is facade.Backoff's method set.
type Backoff interface {
	Delay(retry int) time.Duration
}

// Client is a client's configuration, as its options leave it.
type Client struct {
	ClientID, ClientSecret string
	CredentialsSet         bool
	BaseURL                string
	Sandbox                bool // WithEnvironment(facade.Sandbox)
	HTTPClient             *http.Client
	Call                   Call // defaults a call's SharedOptions override
	Backoff                Backoff
	MaxRetryAfter          time.Duration
	Limiter                *rate.Limiter
	Logger                 *slog.Logger
	UserAgent              string
	Wait                   func(ctx context.Context, d time.Duration) error
	Now                    func() time.Time
	Getenv                 func(string) string
	Fleet                  Fleet
	DocumentedLimits       int8 // 0: on with a Limiter or fleet; 1 on; -1 off
	Jitter                 func(time.Duration) time.Duration
	// Trace is the *facade.Trace of WithTrace, or nil.
	Trace any
	Errs  []error
}

// Fleet holds the stores chosen by options; nil means the in-memory default.
type Fleet struct {
	Limiter   fleet.Limiter
	CoolDowns fleet.CoolDownStore
	Tokens    fleet.TokenStore
}

// Call holds the settings a call may override: the client holds the
// defaults, and a call with SharedOptions works on its own copy.
type Call struct {
	MaxRetries     int
	AttemptTimeout time.Duration
	// Policy is the facade.RetryPolicy in force.
	Policy     any
	Headers    []Header
	Middleware []Middleware
	// Send is the middleware chain around the HTTP client, built by the
	// transport; nil when there is no middleware.
	Send Next
}

// Header is one WithHeader value, ready to set (never mutated).
type Header struct {
	Name  string // canonical
	Value []string
}

// CallConfig collects one call's options.
type CallConfig struct {
	Settings Call
	Changed  bool // a SharedOption was given: Settings differ from the client's
	// Response is the *facade.Response of WithResponse, or nil.
	Response any
	Errs     []error
}

// ClientFunc is an option that sets c directly; package facade's client
// options and the transport's test seams are ClientFuncs.
type ClientFunc func(c *Client)

// ApplyClient calls f(c).
func (f ClientFunc) ApplyClient(c *Client) {
	if f != nil {
		f(c)
	}
}

// AttemptInfoKey is the context key of the *facade.AttemptInfo of an
// attempt that passes through middleware.
type AttemptInfoKey struct{}
