package transport

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/banklink/banklink/facade"
	"github.com/banklink/banklink/facade/internal/config"
)

// Test seams: options that reach what package facade keeps to itself.

// WithClock replaces the clock used for token expiry, Retry-After dates
// and the in-memory stores.
func WithClock(now func() time.Time) facade.Option {
	return config.ClientFunc(func(c *config.Client) { c.Now = now })
}

// WithGetenv replaces os.Getenv.
func WithGetenv(getenv func(string) string) facade.Option {
	return config.ClientFunc(func(c *config.Client) { c.Getenv = getenv })
}

// WithJitter replaces the random extra wait after a cool-down.
func WithJitter(j func(time.Duration) time.Duration) facade.Option {
	return config.ClientFunc(func(c *config.Client) { c.Jitter = j })
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

// newConfig applies options, then the environment, then defaults.
func newConfig(p *Provider, opts []facade.Option) (*config.Client, error) {
	c := &config.Client{
		Call:          config.Call{MaxRetries: facade.DefaultMaxRetries, Policy: facade.DefaultRetryPolicy()},
		MaxRetryAfter: facade.DefaultMaxRetryAfter,
		Backoff:       facade.DefaultBackoff(),
		Wait:          waitTimer,
		Now:           time.Now,
		Jitter:        jitter,
		Getenv:        os.Getenv,
	}
	for _, o := range opts {
		if o != nil {
			o.ApplyClient(c)
		}
	}
	if len(c.Errs) > 0 {
		return nil, errors.Join(c.Errs...)
	}
	if !c.CredentialsSet {
		c.ClientID, c.ClientSecret = c.Getenv(p.EnvID), c.Getenv(p.EnvSecret)
	}
	if c.ClientID == "" || c.ClientSecret == "" {
		return nil, fmt.Errorf("banklink: %s client id and secret are required (WithCredentials or %s/%s)", p.Name, p.EnvID, p.EnvSecret)
	}
	if c.BaseURL == "" {
		c.BaseURL = c.Getenv(p.EnvBaseURL)
	}
	if c.BaseURL == "" {
		c.BaseURL = p.BaseURL(c.Sandbox)
	}
	base, err := checkBaseURL(c.BaseURL)
	if err != nil {
		return nil, err
	}
	c.BaseURL = base
	if c.HTTPClient == nil {
		c.HTTPClient = facade.DefaultHTTPClient()
	} else {
		c.HTTPClient = noRedirects(c.HTTPClient)
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
// request paths are appended to, keeping a path prefix.
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
