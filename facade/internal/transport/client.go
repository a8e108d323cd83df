// Package transport is the machinery every banklink client shares: options
// resolved into a client, the operation table in the shape the retry loop
// uses, the one call path every service method goes through (Do), the
// retry loop and its stages, rate-limit scopes, bearer tokens, decoding and
// the required-field check of success bodies. The provider packages
// (facade/moneykit, facade/linkmoney) hold their services and call Do; what
// users see of the policies is written in package facade's godoc.
package transport

import (
	"context"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"time"

	"golang.org/x/time/rate"

	"github.com/banklink/banklink/facade"
	"github.com/banklink/banklink/facade/fleet"
	"github.com/banklink/banklink/facade/internal/config"
	"github.com/banklink/banklink/internal/opmeta"
)

// Provider describes one provider to the transport.
type Provider struct {
	Name    facade.Provider
	Table   []opmeta.Operation // the generated operation table
	TokenOp int                // index of the client-credentials token operation
	// Version is the API version header value (MoneyKit-Version), "" for none.
	Version string
	// Env names the environment variables of credentials and base URL.
	EnvID, EnvSecret, EnvBaseURL string
	// BaseURL picks the default host when neither an option nor the
	// environment names one; sandbox reports WithEnvironment(facade.Sandbox).
	BaseURL func(sandbox bool) string
}

// FetchToken fetches a fresh token for an OAuth2 scope through the
// provider's token operation: the token and its lifetime in seconds (0 for
// none given).
type FetchToken func(ctx context.Context, scope string) (token string, expiresIn int, err error)

// Client is one provider's client. O is the provider's generated operation
// index type (gen/moneykit.Op, gen/linkmoney.Op): Do takes only operations
// of the client's own provider.
type Client[O ~int] struct{ c *client }

// New builds a client for p from opts. fetch gets the bearer tokens; it is
// called only once New has returned.
func New[O ~int](p *Provider, opts []facade.Option, fetch FetchToken) (*Client[O], error) {
	c, err := newClient(p, opts, fetch)
	if err != nil {
		return nil, err
	}
	return &Client[O]{c}, nil
}

// Credentials returns the client id and secret, for the token operation's body.
func (t *Client[O]) Credentials() (id, secret string) { return t.c.clientID, t.c.clientSecret }

// CloseIdleConnections closes the client's idle keep-alive connections.
func (t *Client[O]) CloseIdleConnections() { t.c.http.CloseIdleConnections() }

// Operation returns op's operationId.
func (t *Client[O]) Operation(op O) string { return t.c.spec.ops[op].id }

// client is the machinery behind Client: one provider, its operation table,
// credentials, and the retrying sender (retryloop.go).
type client struct {
	provider     facade.Provider
	spec         *providerSpec
	baseURL      string // as configured, ending in "/"
	root         string // baseURL without its final "/": paths are appended
	clientID     string
	clientSecret string

	http          *http.Client
	call          config.Call // what a call without SharedOptions uses
	backoff       config.Backoff
	maxRetryAfter time.Duration
	limiter       *rate.Limiter
	logger        *slog.Logger
	trace         *facade.Trace
	wait          func(context.Context, time.Duration) error
	now           func() time.Time

	// Fleet state (scopes.go): the documented limits, the 429 cool-downs
	// and the tokens, in memory or shared.
	limits           fleet.Limiter
	coolDowns        fleet.CoolDownStore
	memCoolDowns     *fleet.MemoryCoolDownStore // coolDowns when in memory
	tokenStore       fleet.TokenStore
	documentedLimits bool
	jitter           func(time.Duration) time.Duration
	fingerprint      string
	scopes           []opScopes
	causes           causes

	tokenSlots []*tokenSlot // indexed by operation.scopeIdx
	fetch      FetchToken

	// Header values built once and shared by every request (never mutated).
	hdrUserAgent []string
	hdrAccept    []string
	hdrVersion   []string // MoneyKit-Version; nil for Link Money
	hdrBasic     []string
	hdrClientID  []string
}

var (
	hdrJSON = []string{"application/json"}
	hdrForm = []string{"application/x-www-form-urlencoded"}
)

func newClient(p *Provider, opts []facade.Option, fetch FetchToken) (*client, error) {
	spec, err := specFor(p)
	if err != nil {
		return nil, err
	}
	cfg, err := newConfig(p, opts)
	if err != nil {
		return nil, err
	}
	ua := "banklink-go/" + facade.Version
	if cfg.UserAgent != "" {
		ua = cfg.UserAgent + " " + ua
	}
	c := &client{
		provider:      p.Name,
		spec:          spec,
		baseURL:       cfg.BaseURL,
		root:          strings.TrimSuffix(cfg.BaseURL, "/"),
		clientID:      cfg.ClientID,
		clientSecret:  cfg.ClientSecret,
		http:          cfg.HTTPClient,
		call:          cfg.Call,
		backoff:       cfg.Backoff,
		maxRetryAfter: cfg.MaxRetryAfter,
		limiter:       cfg.Limiter,
		logger:        cfg.Logger,
		wait:          cfg.Wait,
		now:           cfg.Now,
		fetch:         fetch,
		hdrUserAgent:  []string{ua},
		hdrAccept:     hdrJSON,
		hdrBasic:      basicAuth(cfg.ClientID, cfg.ClientSecret),
		hdrClientID:   []string{cfg.ClientID},

		documentedLimits: cfg.DocumentedLimits > 0 || (cfg.DocumentedLimits == 0 && cfg.Fleet.Limiter != nil),
		jitter:           cfg.Jitter,
	}
	if t, ok := cfg.Trace.(*facade.Trace); ok {
		c.trace = t
		if t.LogHandler != nil && c.logger != nil {
			c.logger = slog.New(t.LogHandler(c.logger.Handler()))
		}
	}
	c.limits, c.coolDowns, c.tokenStore = cfg.Fleet.Limiter, cfg.Fleet.CoolDowns, cfg.Fleet.Tokens
	ml, mc, mt := fleet.MemoryStores(c.now)
	if c.limits == nil {
		c.limits = ml
	}
	if c.coolDowns == nil {
		c.coolDowns, c.memCoolDowns = mc, mc
	}
	if c.tokenStore == nil {
		c.tokenStore = mt
	}
	// A call's SharedOptions append to copies of these, never to the client's.
	c.call.Headers = slices.Clip(c.call.Headers)
	c.call.Middleware = slices.Clip(c.call.Middleware)
	finish(&c.call, c.http)
	if p.Version != "" {
		c.hdrVersion = []string{p.Version}
	}
	c.newTokenSlots()
	c.buildScopes()
	return c, nil
}

// op returns the table row for i. The table was loaded when the client was built.
func (c *client) op(i int) *operation { return c.spec.ops[i] }
