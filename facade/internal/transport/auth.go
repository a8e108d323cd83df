package transport

import (
	"context"
	"encoding/base64"
	"math"
	"sync/atomic"
	"time"

	"github.com/banklink/banklink/facade"
	"github.com/banklink/banklink/facade/fleet"
)

// maxRefreshMargin is the most banklink refreshes a token ahead of its expiry.
const maxRefreshMargin = 60 * time.Second

// defaultTokenLifetime is how long a token whose response names no
// lifetime (no expires_in, or 0) is kept: MoneyKit documents its access
// tokens as valid for 60 minutes.
const defaultTokenLifetime = 60 * time.Minute

// tokenLifetime turns a token response's expires_in into a duration: zero
// (or absent) means MoneyKit's documented 60 minutes, less than zero that
// the token is already expired, and values too large for a Duration
// saturate instead of wrapping round to a past or negative lifetime.
func tokenLifetime(secs int) time.Duration {
	if secs == 0 {
		return defaultTokenLifetime
	}
	if secs < 0 {
		return 0
	}
	if int64(secs) > int64(math.MaxInt64/time.Second) {
		return math.MaxInt64
	}
	return time.Duration(secs) * time.Second
}

// bearerToken is a token from the client's TokenStore, with its
// Authorization header built once.
type bearerToken struct {
	tok    fleet.Token
	header []string // {"Bearer <token>"}, ready to set
}

// tokenSlot is one OAuth2 scope's token: its key in the TokenStore, how to
// fetch it, and the header of the token last seen.
type tokenSlot struct {
	key   string
	fetch fleet.TokenFetch
	last  atomic.Pointer[bearerToken]
}

// refreshMargin is min(60s, lifetime/10).
func refreshMargin(lifetime time.Duration) time.Duration {
	return min(maxRefreshMargin, lifetime/10)
}

// token returns a valid token for the scope, from the TokenStore (which
// fetches one, once for everyone sharing the store, when it holds none).
func (c *client) token(ctx context.Context, idx int) (*bearerToken, error) {
	s := c.tokenSlots[idx]
	t, err := c.tokenStore.Get(ctx, s.key, s.fetch)
	if err != nil {
		return nil, err
	}
	if b := s.last.Load(); b != nil && b.tok.Value == t.Value {
		return b, nil
	}
	b := &bearerToken{tok: t, header: []string{"Bearer " + t.Value}}
	s.last.Store(b)
	return b, nil
}

// invalidateToken drops used from the store if it is still the cached
// token, so that one rejected token causes one refresh, not one per caller
// (or per instance, with a shared store).
func (c *client) invalidateToken(ctx context.Context, idx int, used *bearerToken) {
	if used == nil {
		return
	}
	s := c.tokenSlots[idx]
	s.last.CompareAndSwap(used, nil)
	_ = c.tokenStore.Invalidate(context.WithoutCancel(ctx), s.key, used.tok)
}

func basicAuth(id, secret string) []string {
	return []string{"Basic " + base64.StdEncoding.EncodeToString([]byte(id+":"+secret))}
}

// newTokenSlots builds one token slot per OAuth2 scope the spec uses.
func (c *client) newTokenSlots() {
	c.tokenSlots = make([]*tokenSlot, len(c.spec.scopes))
	for i, scope := range c.spec.scopes {
		scope := scope
		c.tokenSlots[i] = &tokenSlot{
			key: fleet.TokenKey(string(c.provider), c.baseURL, c.clientID, scope),
			fetch: func(ctx context.Context) (fleet.Token, error) {
				start := c.now()
				tok, secs, err := c.fetchToken(ctx, scope)
				if err != nil {
					return fleet.Token{}, err
				}
				lifetime := tokenLifetime(secs)
				return fleet.Token{Value: tok, RefreshAt: start.Add(lifetime - refreshMargin(lifetime))}, nil
			},
		}
	}
}

// fetchToken fetches one token through the provider's token operation,
// reporting the fetch to the client's Trace.
func (c *client) fetchToken(ctx context.Context, scope string) (string, int, error) {
	tr := c.trace
	if tr == nil || tr.TokenStart == nil && tr.TokenDone == nil {
		return c.fetch(ctx, scope)
	}
	t := facade.TraceToken{Provider: c.provider, Scope: scope}
	if tr.TokenStart != nil {
		ctx = tr.TokenStart(ctx, t)
	}
	tok, secs, err := c.fetch(ctx, scope)
	if tr.TokenDone != nil {
		tr.TokenDone(ctx, t, err)
	}
	return tok, secs, err
}

// EmptyToken is the error of a token answer without a token.
func EmptyToken[O ~int](t *Client[O], op O) error {
	o := t.c.op(int(op))
	return &facade.Error{Provider: o.provider, Operation: o.id, StatusCode: 200, Message: "token response has no access_token"}
}
