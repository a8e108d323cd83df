package facade

import (
	"context"
	"encoding/base64"
	"fmt"
	"math"
	"sync/atomic"
	"time"

	"golang.org/x/sync/singleflight"

	"github.com/banklink/banklink/gen/linkmoney"
	"github.com/banklink/banklink/gen/moneykit"
)

// tokenFetchTimeout bounds a token request made on behalf of waiting callers;
// each caller still stops waiting when its own context ends.
const tokenFetchTimeout = 60 * time.Second

// maxRefreshMargin is the most banklink refreshes a token ahead of its expiry.
const maxRefreshMargin = 60 * time.Second

// tokenLifetime turns a token response's expires_in into a duration: zero or
// less means already expired, and values too large for a Duration saturate
// instead of wrapping round to a past or negative lifetime.
func tokenLifetime(secs int) time.Duration {
	if secs <= 0 {
		return 0
	}
	if int64(secs) > int64(math.MaxInt64/time.Second) {
		return math.MaxInt64
	}
	return time.Duration(secs) * time.Second
}

// bearerToken is one cached access token.
type bearerToken struct {
	header    []string  // {"Bearer <token>"}, ready to set
	refreshAt time.Time // refresh from this moment on
}

// tokenFetcher gets a fresh token: the bearer value and its lifetime.
type tokenFetcher func(ctx context.Context) (token string, expiresIn time.Duration, err error)

// tokenCache holds one bearer token, refreshed shortly before it expires and
// fetched once however many callers ask at the same time.
type tokenCache struct {
	cur   atomic.Pointer[bearerToken]
	group singleflight.Group
	fetch tokenFetcher
	now   func() time.Time
}

// refreshMargin is min(60s, lifetime/10).
func refreshMargin(lifetime time.Duration) time.Duration {
	return min(maxRefreshMargin, lifetime/10)
}

// get returns a valid token, fetching one if none is cached or it is due for refresh.
func (tc *tokenCache) get(ctx context.Context) (*bearerToken, error) {
	if t := tc.cur.Load(); t != nil && tc.now().Before(t.refreshAt) {
		return t, nil
	}
	ch := tc.group.DoChan("token", func() (any, error) {
		// A caller that raced with the previous flight finds the fresh token here.
		if t := tc.cur.Load(); t != nil && tc.now().Before(t.refreshAt) {
			return t, nil
		}
		fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), tokenFetchTimeout)
		defer cancel()
		start := tc.now()
		tok, lifetime, err := tc.fetch(fctx)
		if err != nil {
			return nil, err
		}
		t := &bearerToken{
			header:    []string{"Bearer " + tok},
			refreshAt: start.Add(lifetime - refreshMargin(lifetime)),
		}
		tc.cur.Store(t)
		return t, nil
	})
	select {
	case r := <-ch:
		if r.Err != nil {
			return nil, r.Err
		}
		return r.Val.(*bearerToken), nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// invalidate drops used if it is still the cached token, so that one rejected
// token causes one refresh, not one per caller.
func (tc *tokenCache) invalidate(used *bearerToken) {
	if used != nil {
		tc.cur.CompareAndSwap(used, nil)
	}
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
	op := c.op(moneykit.OpCreateAccessToken)
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
	op := c.op(linkmoney.OpCreateToken)
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

// newTokenCaches builds one cache per OAuth2 scope the spec uses.
func (c *client) newTokenCaches() {
	c.tokens = make([]*tokenCache, len(c.spec.scopes))
	for i, scope := range c.spec.scopes {
		var fetch tokenFetcher
		switch c.provider {
		case ProviderMoneyKit:
			auth := &MoneyKitAuthService{c}
			fetch = func(ctx context.Context) (string, time.Duration, error) {
				t, err := auth.Token(ctx)
				if err != nil {
					return "", 0, err
				}
				return t.AccessToken, tokenLifetime(t.ExpiresIn), nil
			}
		case ProviderLinkMoney:
			auth := &LinkMoneyAuthService{c}
			s := linkmoney.TokenScope(scope)
			fetch = func(ctx context.Context) (string, time.Duration, error) {
				t, err := auth.Token(ctx, s)
				if err != nil {
					return "", 0, err
				}
				return t.AccessToken, tokenLifetime(t.ExpiresIn), nil
			}
		default:
			panic(fmt.Sprintf("banklink: unknown provider %q", c.provider))
		}
		c.tokens[i] = &tokenCache{fetch: fetch, now: c.now}
	}
}
