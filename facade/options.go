package facade

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/banklink/banklink/facade/internal/config"
	"golang.org/x/time/rate"
)

// Version is the banklink release; it appears in the User-Agent header.
const Version = "0.2.0"

// Default policy values. doc.go explains each.
const (
	DefaultMaxRetries    = 2
	DefaultMaxRetryAfter = 30 * time.Second
	// DefaultAttemptTimeout bounds one HTTP attempt when the default HTTP client is used.
	DefaultAttemptTimeout = 30 * time.Second
)

// Option configures a MoneyKit or Link Money client (moneykit.New,
// linkmoney.New). Every option works on both. A SharedOption is an Option
// too, and also a CallOption.
//
// Options are made by the With functions of this package and of banklink's
// other packages; ApplyClient is how a client reads them.
type Option interface{ ApplyClient(*config.Client) }

// clientOption is an Option that only a client takes.
func clientOption(f func(*config.Client)) Option { return config.ClientFunc(f) }

// fail records an option's error; the client's constructor returns it.
func fail(c *config.Client, format string, args ...any) {
	c.Errs = append(c.Errs, fmt.Errorf(format, args...))
}

// Environment selects a provider environment.
type Environment int

const (
	// Production is the live environment (the default).
	Production Environment = iota
	// Sandbox is the provider's test environment. Link Money serves it from
	// api.link-sandbox.money; MoneyKit serves both from one host and selects the
	// environment by key pair, so MoneyKit ignores this setting.
	Sandbox
)

func (e Environment) String() string {
	switch e {
	case Production:
		return "production"
	case Sandbox:
		return "sandbox"
	}
	return fmt.Sprintf("Environment(%d)", int(e))
}

// WithCredentials sets the client id and secret. Without it the client reads
// MONEYKIT_CLIENT_ID/MONEYKIT_CLIENT_SECRET or LINKMONEY_CLIENT_ID/LINKMONEY_CLIENT_SECRET.
func WithCredentials(clientID, clientSecret string) Option {
	return clientOption(func(c *config.Client) {
		c.ClientID, c.ClientSecret, c.CredentialsSet = clientID, clientSecret, true
	})
}

// WithBaseURL overrides the API host, for example to point at a sandbox or a proxy.
// Plain http is accepted only for loopback hosts.
func WithBaseURL(u string) Option {
	return clientOption(func(c *config.Client) { c.BaseURL = u })
}

// WithEnvironment selects production (default) or sandbox. Link Money uses
// api.link.money or api.link-sandbox.money; MoneyKit ignores it (its key pair
// selects the environment). WithBaseURL and *_BASE_URL take precedence.
func WithEnvironment(e Environment) Option {
	return clientOption(func(c *config.Client) {
		if e != Production && e != Sandbox {
			fail(c, "banklink: unknown environment %d", int(e))
			return
		}
		c.Sandbox = e == Sandbox
	})
}

// WithHTTPClient sends requests through c instead of banklink's tuned default
// client. c should carry a timeout; nil is an error.
func WithHTTPClient(hc *http.Client) Option {
	return clientOption(func(c *config.Client) {
		if hc == nil {
			fail(c, "banklink: WithHTTPClient(nil)")
			return
		}
		c.HTTPClient = hc
	})
}

// WithBackoff replaces the delay between retries when the server gives no hint.
func WithBackoff(b Backoff) Option {
	return clientOption(func(c *config.Client) {
		if b == nil {
			fail(c, "banklink: WithBackoff(nil)")
			return
		}
		c.Backoff = b
	})
}

// WithMaxRetryAfter caps how long banklink waits when a server asks it to
// (Retry-After-Ms, Retry-After). A longer request yields *RateLimitError at once.
// Default 30s.
func WithMaxRetryAfter(d time.Duration) Option {
	return clientOption(func(c *config.Client) {
		if d < 0 {
			fail(c, "banklink: negative max Retry-After %v", d)
			return
		}
		c.MaxRetryAfter = d
	})
}

// WithRateLimiter makes every attempt wait on l first (client-side throttling).
func WithRateLimiter(l *rate.Limiter) Option {
	return clientOption(func(c *config.Client) { c.Limiter = l })
}

// WithDocumentedLimits makes the client pace calls on the provider's
// documented rate limits (the spec's x-banklink-rate-limits, such as
// MoneyKit's 15 requests a minute per link), so that it never sends what the
// provider would refuse: a call waits for its slot within its context, or
// fails fast with *RateLimitError. It is on by default only when the
// budgets are shared (WithFleet, WithLimiter); a single client without it
// behaves as a plain client does, sending at once and honouring the 429s it
// draws.
func WithDocumentedLimits() Option {
	return clientOption(func(c *config.Client) { c.DocumentedLimits = 1 })
}

// WithoutDocumentedLimits turns the pacing of WithDocumentedLimits off, also
// with a fleet: for servers that do not enforce the limits, such as the
// sandbox with NoRateLimits, and for benchmarks. 429 cool-downs and
// WithRateLimiter still apply.
func WithoutDocumentedLimits() Option {
	return clientOption(func(c *config.Client) { c.DocumentedLimits = -1 })
}

// WithLogger logs each attempt at debug level to l. Without it (or with nil)
// banklink does not log.
func WithLogger(l *slog.Logger) Option {
	return clientOption(func(c *config.Client) { c.Logger = l })
}

// WithUserAgent prefixes the User-Agent header ("<ua> banklink-go/<version>").
func WithUserAgent(ua string) Option {
	return clientOption(func(c *config.Client) { c.UserAgent = ua })
}

// WithWait replaces the function that performs every wait (backoff, Retry-After,
// 429 cool-downs, the documented limits' slots). It must return when ctx
// ends, and should really wait d: the documented limits ask again after
// it (a call that finds no slot after 64 waits returns *RateLimitError).
// Tests pass a function that returns at once, with WithoutDocumentedLimits.
func WithWait(wait func(ctx context.Context, d time.Duration) error) Option {
	return clientOption(func(c *config.Client) {
		if wait == nil {
			fail(c, "banklink: WithWait(nil)")
			return
		}
		c.Wait = wait
	})
}
