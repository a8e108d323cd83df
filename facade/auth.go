package facade

import (
	"context"
	"encoding/base64"
	"fmt"
	"math"
	"sync/atomic"
	"time"

	"github.com/banklink/banklink/gen/linkmoney"
	"github.com/banklink/banklink/gen/moneykit"
)

// tokenFetchTimeout bounds a token request made on behalf of waiting
// callers; each caller still stops waiting when its own context ends, and
// the request stops when the last of them has gone.
const tokenFetchTimeout = 60 * time.Second

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
	tok    Token
	header []string // {"Bearer <token>"}, ready to set
}

// tokenSlot is one OAuth2 scope's token: its key in the TokenStore, how to
// fetch it, and the header of the token last seen.
type tokenSlot struct {
	key   string
	fetch TokenFetch
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

// MoneyKitAuthService reaches MoneyKit's token endpoint. Other services fetch
// and cache tokens themselves; this is for callers that need a token of their own.
type MoneyKitAuthService struct{ c *client }

// Token requests a fresh access token (POST /auth/token, client credentials in
// the form body). It does not touch the client's token cache.
func (s *MoneyKitAuthService) Token(ctx context.Context, opts ...CallOption) (*moneykit.CreateAccessTokenResponse, error) {
	c := s.c
	op := c.op(int(moneykit.OpCreateAccessToken))
	cl, err := c.newCall(op, opts)
	if err != nil {
		return nil, err
	}
	grant := moneykit.CreateAccessTokenRequestGrantTypeClientCredentials
	form := moneykit.CreateAccessTokenRequest{GrantType: &grant, ClientId: &c.clientID, ClientSecret: &c.clientSecret}
	req, err := moneykit.NewCreateAccessTokenRequestWithFormdataBody(c.baseURL, nil, form)
	if err != nil {
		return nil, c.buildErr(op, err)
	}
	var out moneykit.CreateAccessTokenResponse
	if err := c.do(ctx, op, req, &out, cl); err != nil {
		return nil, err
	}
	if out.AccessToken == "" {
		return nil, c.emptyToken(op)
	}
	return &out, nil
}

// LinkMoneyAuthService reaches Link Money's token endpoint.
type LinkMoneyAuthService struct{ c *client }

// Token requests a fresh access token for scope (linkmoney.TokenScopeLinkCore or
// linkmoney.TokenScopeLinkPayment) from POST /v1/tokens. It does not touch the
// client's token caches.
func (s *LinkMoneyAuthService) Token(ctx context.Context, scope linkmoney.TokenScope, opts ...CallOption) (*linkmoney.TokenResponse, error) {
	c := s.c
	op := c.op(int(linkmoney.OpCreateToken))
	cl, err := c.newCall(op, opts)
	if err != nil {
		return nil, err
	}
	form := linkmoney.TokenRequest{
		ClientId:     &c.clientID,
		ClientSecret: c.clientSecret,
		GrantType:    linkmoney.TokenRequestGrantTypeClientCredentials,
		Scope:        &scope,
	}
	if err := c.checkBody(op, &form); err != nil {
		return nil, err
	}
	req, err := linkmoney.NewCreateTokenRequestWithFormdataBody(c.baseURL, form)
	if err != nil {
		return nil, c.buildErr(op, err)
	}
	var out linkmoney.TokenResponse
	if err := c.do(ctx, op, req, &out, cl); err != nil {
		return nil, err
	}
	if out.AccessToken == "" {
		return nil, c.emptyToken(op)
	}
	return &out, nil
}

func (c *client) emptyToken(op *operation) error {
	return &Error{Provider: op.provider, Operation: op.id, StatusCode: 200, Message: "token response has no access_token", tokenEndpoint: true}
}

// newTokenSlots builds one token slot per OAuth2 scope the spec uses.
func (c *client) newTokenSlots() {
	c.tokenSlots = make([]*tokenSlot, len(c.spec.scopes))
	for i, scope := range c.spec.scopes {
		var fetch func(ctx context.Context) (string, int, error)
		switch c.provider {
		case ProviderMoneyKit:
			auth := &MoneyKitAuthService{c}
			fetch = func(ctx context.Context) (string, int, error) {
				t, err := auth.Token(ctx)
				if err != nil {
					return "", 0, err
				}
				return t.AccessToken, t.ExpiresIn, nil
			}
		case ProviderLinkMoney:
			auth := &LinkMoneyAuthService{c}
			s := linkmoney.TokenScope(scope)
			fetch = func(ctx context.Context) (string, int, error) {
				t, err := auth.Token(ctx, s)
				if err != nil {
					return "", 0, err
				}
				return t.AccessToken, t.ExpiresIn, nil
			}
		default:
			panic(fmt.Sprintf("banklink: unknown provider %q", c.provider))
		}
		c.tokenSlots[i] = &tokenSlot{
			key: TokenKey(c.provider, c.baseURL, c.clientID, scope),
			fetch: func(ctx context.Context) (Token, error) {
				start := c.now()
				tok, secs, err := fetch(ctx)
				if err != nil {
					return Token{}, err
				}
				lifetime := tokenLifetime(secs)
				return Token{Value: tok, RefreshAt: start.Add(lifetime - refreshMargin(lifetime))}, nil
			},
		}
	}
}
