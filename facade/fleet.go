package facade

import (
	"github.com/banklink/banklink/facade/fleet"
	"github.com/banklink/banklink/facade/internal/config"
)

// Fleet-scale state: the options below put a client's rate-limit budgets,
// 429 cool-downs and tokens in stores that many instances share. Package
// fleet defines the stores (and keeps them in memory by default);
// facade/redisfleet shares them through Redis.

// WithLimiter paces calls on each scope's documented rate limits through l
// instead of an in-process limiter. nil is an error.
func WithLimiter(l fleet.Limiter) Option {
	return clientOption(func(c *config.Client) {
		if l == nil {
			fail(c, "banklink: WithLimiter(nil)")
			return
		}
		c.Fleet.Limiter = l
	})
}

// WithCoolDownStore records 429 windows in s instead of in-process. nil is an error.
func WithCoolDownStore(s fleet.CoolDownStore) Option {
	return clientOption(func(c *config.Client) {
		if s == nil {
			fail(c, "banklink: WithCoolDownStore(nil)")
			return
		}
		c.Fleet.CoolDowns = s
	})
}

// WithTokenStore caches bearer tokens in s instead of in-process. nil is an error.
func WithTokenStore(s fleet.TokenStore) Option {
	return clientOption(func(c *config.Client) {
		if s == nil {
			fail(c, "banklink: WithTokenStore(nil)")
			return
		}
		c.Fleet.Tokens = s
	})
}

// WithFleet takes the limiter, cool-down store and token store from f, for
// example redisfleet.With(rdb, "myapp"). nil, or a Fleet whose stores could
// not be set up, is an error.
func WithFleet(f fleet.Fleet) Option {
	return clientOption(func(c *config.Client) {
		if f == nil {
			fail(c, "banklink: WithFleet(nil)")
			return
		}
		l, cd, t, err := f.FleetStores()
		if err != nil {
			fail(c, "banklink: fleet stores: %w", err)
			return
		}
		if l == nil || cd == nil || t == nil {
			fail(c, "banklink: fleet stores: a store is nil")
			return
		}
		c.Fleet = config.Fleet{Limiter: l, CoolDowns: cd, Tokens: t}
	})
}
