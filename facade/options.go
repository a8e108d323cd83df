package facade

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"golang.org/x/time/rate"
)

// Version is the banklink release; it appears in the User-Agent header.
const Version = "0.1.0"

// Default policy values. doc.go explains each.
const (
	DefaultMaxRetries    = 2
	DefaultMaxRetryAfter = 30 * time.Second
	// DefaultAttemptTimeout bounds one HTTP attempt when the default HTTP client is used.
	DefaultAttemptTimeout = 30 * time.Second
)

// Base URLs used when neither an option nor the environment names one.
const (
	MoneyKitBaseURL         = "https://api.moneykit.com"
	LinkMoneyBaseURL        = "https://api.link.money"
	LinkMoneySandboxBaseURL = "https://api.link-sandbox.money"
)

// Environment variables read for settings that no option gives.
const (
	EnvMoneyKitClientID      = "MONEYKIT_CLIENT_ID"
	EnvMoneyKitClientSecret  = "MONEYKIT_CLIENT_SECRET"
	EnvMoneyKitBaseURL       = "MONEYKIT_BASE_URL"
	EnvLinkMoneyClientID     = "LINKMONEY_CLIENT_ID"
	EnvLinkMoneyClientSecret = "LINKMONEY_CLIENT_SECRET"
	EnvLinkMoneyBaseURL      = "LINKMONEY_BASE_URL"
)

// Option configures a MoneyKit or Link Money client (NewMoneyKit,
// NewLinkMoney). Every option works on both. A SharedOption is an Option
// too, and also a CallOption.
type Option interface{ applyClient(*config) }

// clientOption is an Option that only a client takes.
type clientOption func(*config)

func (o clientOption) applyClient(c *config) {
	if o != nil {
		o(c)
	}
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

type config struct {
	clientID, clientSecret string
	credentialsSet         bool
	baseURL                string
	env                    Environment
	httpClient             *http.Client
	call                   callSettings // defaults a call's SharedOptions override
	backoff                Backoff
	maxRetryAfter          time.Duration
	limiter                *rate.Limiter
	logger                 *slog.Logger
	userAgent              string
	wait                   func(ctx context.Context, d time.Duration) error
	now                    func() time.Time
	getenv                 func(string) string
	fleet                  fleetConfig // fleet.go
	documentedLimits       int8        // 0: on with a Limiter or fleet; 1 on; -1 off
	jitter                 func(time.Duration) time.Duration
	trace                  *Trace // WithTrace; nil when off
	errs                   []error
}

func (c *config) fail(format string, args ...any) {
	c.errs = append(c.errs, fmt.Errorf(format, args...))
}

// WithCredentials sets the client id and secret. Without it the client reads
// MONEYKIT_CLIENT_ID/MONEYKIT_CLIENT_SECRET or LINKMONEY_CLIENT_ID/LINKMONEY_CLIENT_SECRET.
func WithCredentials(clientID, clientSecret string) Option {
	return clientOption(func(c *config) {
		c.clientID, c.clientSecret, c.credentialsSet = clientID, clientSecret, true
	})
}

// WithBaseURL overrides the API host, for example to point at a sandbox or a proxy.
// Plain http is accepted only for loopback hosts.
func WithBaseURL(u string) Option {
	return clientOption(func(c *config) { c.baseURL = u })
}

// WithEnvironment selects production (default) or sandbox. Link Money uses
// api.link.money or api.link-sandbox.money; MoneyKit ignores it (its key pair
// selects the environment). WithBaseURL and *_BASE_URL take precedence.
func WithEnvironment(e Environment) Option {
	return clientOption(func(c *config) {
		if e != Production && e != Sandbox {
			c.fail("banklink: unknown environment %d", int(e))
			return
		}
		c.env = e
	})
}

// WithHTTPClient sends requests through c instead of banklink's tuned default
// client. c should carry a timeout; nil is an error.
func WithHTTPClient(hc *http.Client) Option {
	return clientOption(func(c *config) {
		if hc == nil {
			c.fail("banklink: WithHTTPClient(nil)")
			return
		}
		c.httpClient = hc
	})
}

// WithBackoff replaces the delay between retries when the server gives no hint.
func WithBackoff(b Backoff) Option {
	return clientOption(func(c *config) {
		if b == nil {
			c.fail("banklink: WithBackoff(nil)")
			return
		}
		c.backoff = b
	})
}

// WithMaxRetryAfter caps how long banklink waits when a server asks it to
// (Retry-After-Ms, Retry-After). A longer request yields *RateLimitError at once.
// Default 30s.
func WithMaxRetryAfter(d time.Duration) Option {
	return clientOption(func(c *config) {
		if d < 0 {
			c.fail("banklink: negative max Retry-After %v", d)
			return
		}
		c.maxRetryAfter = d
	})
}

// WithRateLimiter makes every attempt wait on l first (client-side throttling).
func WithRateLimiter(l *rate.Limiter) Option {
	return clientOption(func(c *config) { c.limiter = l })
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
	return clientOption(func(c *config) { c.documentedLimits = 1 })
}

// WithoutDocumentedLimits turns the pacing of WithDocumentedLimits off, also
// with a fleet: for servers that do not enforce the limits, such as the
// sandbox with NoRateLimits, and for benchmarks. 429 cool-downs and
// WithRateLimiter still apply.
func WithoutDocumentedLimits() Option {
	return clientOption(func(c *config) { c.documentedLimits = -1 })
}

// withDocumentedLimits is WithDocumentedLimits (tests).
func withDocumentedLimits() Option { return WithDocumentedLimits() }

// withJitter replaces the random extra wait after a cool-down (tests).
func withJitter(j func(time.Duration) time.Duration) Option {
	return clientOption(func(c *config) { c.jitter = j })
}

// WithLogger logs each attempt at debug level to l. Without it (or with nil)
// banklink does not log.
func WithLogger(l *slog.Logger) Option {
	return clientOption(func(c *config) { c.logger = l })
}

// WithUserAgent prefixes the User-Agent header ("<ua> banklink-go/<version>").
func WithUserAgent(ua string) Option {
	return clientOption(func(c *config) { c.userAgent = ua })
}

// WithWait replaces the function that performs every wait (backoff, Retry-After,
// 429 cool-downs, the documented limits' slots). It must return when ctx
// ends, and should really wait d: the documented limits ask again after
// it (a call that finds no slot after 64 waits returns *RateLimitError).
// Tests pass a function that returns at once, with WithoutDocumentedLimits.
func WithWait(wait func(ctx context.Context, d time.Duration) error) Option {
	return clientOption(func(c *config) {
		if wait == nil {
			c.fail("banklink: WithWait(nil)")
			return
		}
		c.wait = wait
	})
}

// withClock replaces the clock used for token expiry and Retry-After dates (tests).
func withClock(now func() time.Time) Option {
	return clientOption(func(c *config) { c.now = now })
}

// withGetenv replaces os.Getenv (tests).
func withGetenv(getenv func(string) string) Option {
	return clientOption(func(c *config) { c.getenv = getenv })
}

// waitTimer is the default wait: a timer that stops early when ctx ends.
func waitTimer(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

type envNames struct{ id, secret, base string }

var (
	moneyKitEnv  = envNames{EnvMoneyKitClientID, EnvMoneyKitClientSecret, EnvMoneyKitBaseURL}
	linkMoneyEnv = envNames{EnvLinkMoneyClientID, EnvLinkMoneyClientSecret, EnvLinkMoneyBaseURL}
)

// newConfig applies options, then the environment, then defaults.
func newConfig(p Provider, opts []Option) (*config, error) {
	c := &config{
		call:          callSettings{maxRetries: DefaultMaxRetries, policy: DefaultRetryPolicy()},
		maxRetryAfter: DefaultMaxRetryAfter,
		backoff:       DefaultBackoff(),
		wait:          waitTimer,
		now:           time.Now,
		jitter:        jitter,
		getenv:        os.Getenv,
	}
	for _, o := range opts {
		if o != nil {
			o.applyClient(c)
		}
	}
	if len(c.errs) > 0 {
		return nil, errors.Join(c.errs...)
	}
	names := moneyKitEnv
	if p == ProviderLinkMoney {
		names = linkMoneyEnv
	}
	if !c.credentialsSet {
		c.clientID, c.clientSecret = c.getenv(names.id), c.getenv(names.secret)
	}
	if c.clientID == "" || c.clientSecret == "" {
		return nil, fmt.Errorf("banklink: %s client id and secret are required (WithCredentials or %s/%s)", p, names.id, names.secret)
	}
	if c.baseURL == "" {
		c.baseURL = c.getenv(names.base)
	}
	if c.baseURL == "" {
		switch {
		case p == ProviderMoneyKit:
			c.baseURL = MoneyKitBaseURL
		case c.env == Sandbox:
			c.baseURL = LinkMoneySandboxBaseURL
		default:
			c.baseURL = LinkMoneyBaseURL
		}
	}
	base, err := checkBaseURL(c.baseURL)
	if err != nil {
		return nil, err
	}
	c.baseURL = base
	if c.httpClient == nil {
		c.httpClient = defaultHTTPClient()
	} else {
		c.httpClient = noRedirects(c.httpClient)
	}
	return c, nil
}

// noRedirects returns a shallow copy of a caller's client that never follows
// a redirect: the first response, 3xx included, is the answer. Following one
// would re-send the Authorization header, the client secret or customer data
// to wherever the Location points. The copy shares the caller's Transport
// (and so its connection pool), Jar and Timeout; the caller's client is not
// modified.
func noRedirects(hc *http.Client) *http.Client {
	cp := *hc
	cp.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &cp
}

// checkBaseURL refuses URLs that would send credentials in clear text to a
// host other than loopback, and normalises the path to end in "/", which the
// generated request builders need to keep a path prefix.
func checkBaseURL(raw string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil {
		// url.Parse's message quotes the input, password included, and
		// its cause may quote a part of the user info ("invalid port").
		if strings.Contains(raw, "@") {
			return "", errors.New("banklink: invalid base URL (not shown: it carries user info, which may be a credential)")
		}
		return "", fmt.Errorf("banklink: invalid base URL %q: %w", raw, urlErrCause(err))
	}
	if u.Host == "" {
		return "", errors.New("banklink: base URL has no host (want https://host or http://127.0.0.1:port)")
	}
	if u.User != nil {
		return "", errors.New("banklink: base URL must not carry user info; use WithCredentials")
	}
	switch u.Scheme {
	case "https":
	case "http":
		if !isLoopback(u.Hostname()) {
			return "", fmt.Errorf("banklink: refusing plain-http base URL %q: credentials would be sent in clear text (https is required except for loopback hosts)", u.Redacted())
		}
	default:
		return "", fmt.Errorf("banklink: base URL scheme %q is not http or https", u.Scheme)
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return "", fmt.Errorf("banklink: base URL %q must not carry a query or fragment", u.Redacted())
	}
	if !strings.HasSuffix(u.Path, "/") {
		u.Path += "/"
		if u.RawPath != "" {
			u.RawPath += "/"
		}
	}
	return u.String(), nil
}

// isLoopback accepts only hosts that are loopback without asking anyone: an
// IP literal in 127.0.0.0/8 or ::1, or the exact name "localhost". Other
// names, "*.localhost" included, may be resolved by a proxy (HTTP_PROXY) or a
// resolver that does not treat them as loopback, which would carry the
// credentials in clear text off the machine.
func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
