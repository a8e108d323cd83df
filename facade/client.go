package facade

import (
	"context"
	"log/slog"
	"net/http"
	"slices"
	"time"

	"golang.org/x/time/rate"

	"github.com/banklink/banklink/gen/moneykit"
)

// client is the machinery shared by MoneyKit and LinkMoney: one provider, its
// operation table, credentials, and the retrying sender (retryloop.go).
type client struct {
	provider     Provider
	spec         *providerSpec
	baseURL      string
	clientID     string
	clientSecret string

	http          *http.Client
	call          callSettings // what a call without SharedOptions uses
	backoff       Backoff
	maxRetryAfter time.Duration
	limiter       *rate.Limiter
	logger        *slog.Logger
	wait          func(context.Context, time.Duration) error
	now           func() time.Time

	// Fleet state (fleet.go, scopes.go): the documented limits, the 429
	// cool-downs and the tokens, in memory or shared.
	limits           Limiter
	coolDowns        CoolDownStore
	tokenStore       TokenStore
	documentedLimits bool
	jitter           func(time.Duration) time.Duration
	fingerprint      string
	scopes           [numOps]opScopes
	causes           causes

	tokenSlots []*tokenSlot          // indexed by operation.scopeIdx
	posts      [numOps]*postTemplate // JSON POSTs without parameters, by operation

	// Header values built once and shared by every request (never mutated).
	hdrUserAgent []string
	hdrAccept    []string
	hdrVersion   []string // MoneyKit-Version; nil for Link Money
	hdrBasic     []string
	hdrClientID  []string
}

var hdrJSON = []string{"application/json"}

func newClient(p Provider, opts []Option) (*client, error) {
	spec, err := specFor(p)
	if err != nil {
		return nil, err
	}
	cfg, err := newConfig(p, opts)
	if err != nil {
		return nil, err
	}
	ua := "banklink-go/" + Version
	if cfg.userAgent != "" {
		ua = cfg.userAgent + " " + ua
	}
	c := &client{
		provider:      p,
		spec:          spec,
		baseURL:       cfg.baseURL,
		clientID:      cfg.clientID,
		clientSecret:  cfg.clientSecret,
		http:          cfg.httpClient,
		call:          cfg.call,
		backoff:       cfg.backoff,
		maxRetryAfter: cfg.maxRetryAfter,
		limiter:       cfg.limiter,
		logger:        cfg.logger,
		wait:          cfg.wait,
		now:           cfg.now,
		hdrUserAgent:  []string{ua},
		hdrAccept:     hdrJSON,
		hdrBasic:      basicAuth(cfg.clientID, cfg.clientSecret),
		hdrClientID:   []string{cfg.clientID},

		documentedLimits: cfg.documentedLimits > 0 || (cfg.documentedLimits == 0 && cfg.fleet.limiter != nil),
		jitter:           cfg.jitter,
	}
	c.limits, c.coolDowns, c.tokenStore = cfg.fleet.stores(c.now)
	// A call's SharedOptions append to copies of these, never to the client's.
	c.call.headers = slices.Clip(c.call.headers)
	c.call.middleware = slices.Clip(c.call.middleware)
	c.call.finish(c.http)
	if p == ProviderMoneyKit {
		c.hdrVersion = []string{string(moneykit.SupportedVersionN20230218)}
	}
	c.newTokenSlots()
	c.buildScopes()
	return c, nil
}

func specFor(p Provider) (*providerSpec, error) {
	if p == ProviderMoneyKit {
		return moneyKitSpec()
	}
	return linkMoneySpec()
}

// op returns the table row for i. The table was loaded when the client was built.
func (c *client) op(i opIndex) *operation { return c.spec.ops[i] }

// buildErr reports a failure of a generated request builder (a malformed base
// URL or parameter), before anything was sent.
func (c *client) buildErr(op *operation, err error) error {
	return &TransportError{Provider: op.provider, Operation: op.id, Err: err}
}
