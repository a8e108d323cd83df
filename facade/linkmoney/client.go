package linkmoney

import (
	"context"

	"github.com/banklink/banklink/facade"
	"github.com/banklink/banklink/facade/internal/transport"
	gen "github.com/banklink/banklink/gen/linkmoney"
)

// Where a client finds what no option gives.
const (
	// BaseURL is Link Money's production host; SandboxBaseURL its sandbox,
	// chosen with facade.WithEnvironment(facade.Sandbox).
	BaseURL        = "https://api.link.money"
	SandboxBaseURL = "https://api.link-sandbox.money"
	// EnvClientID, EnvClientSecret and EnvBaseURL are read when
	// facade.WithCredentials or facade.WithBaseURL is not given.
	EnvClientID     = "LINKMONEY_CLIENT_ID"
	EnvClientSecret = "LINKMONEY_CLIENT_SECRET"
	EnvBaseURL      = "LINKMONEY_BASE_URL"
)

// Client is a client for Link Money's pay-by-bank API. It is safe for
// concurrent use; build one per application and share it.
type Client struct {
	Sessions  *SessionsService
	Customers *CustomersService
	Payments  *PaymentsService
	Refunds   *RefundsService
	Auth      *AuthService
	Webhooks  *WebhooksService

	t *transport.Client[gen.Op]
}

var provider = transport.Provider{
	Name:       facade.ProviderLinkMoney,
	Table:      gen.Operations[:],
	TokenOp:    int(gen.OpCreateToken),
	EnvID:      EnvClientID,
	EnvSecret:  EnvClientSecret,
	EnvBaseURL: EnvBaseURL,
	BaseURL: func(sandbox bool) string {
		if sandbox {
			return SandboxBaseURL
		}
		return BaseURL
	},
}

// New builds a Link Money client. Credentials come from
// facade.WithCredentials or LINKMONEY_CLIENT_ID and LINKMONEY_CLIENT_SECRET,
// the host from facade.WithBaseURL, LINKMONEY_BASE_URL or
// facade.WithEnvironment (production by default). Every facade.Option
// applies; see package facade for the policies they set.
func New(opts ...facade.Option) (*Client, error) {
	var auth AuthService
	t, err := transport.New[gen.Op](&provider, opts, func(ctx context.Context, scope string) (string, int, error) {
		tok, err := auth.Token(ctx, TokenScope(scope))
		if err != nil {
			return "", 0, err
		}
		return tok.AccessToken, tok.ExpiresIn, nil
	})
	if err != nil {
		return nil, err
	}
	auth.t = t
	return &Client{
		Sessions:  &SessionsService{t},
		Customers: &CustomersService{t},
		Payments:  &PaymentsService{t},
		Refunds:   &RefundsService{t},
		Auth:      &auth,
		Webhooks:  &WebhooksService{t},
		t:         t,
	}, nil
}

// CloseIdleConnections closes the client's idle keep-alive connections.
func (c *Client) CloseIdleConnections() { c.t.CloseIdleConnections() }

// AuthService reaches Link Money's token endpoint. The other services
// fetch and cache tokens themselves (one per OAuth2 scope); this is for
// callers that need a token of their own.
type AuthService struct{ t *transport.Client[gen.Op] }

// Token requests a fresh access token for scope (TokenScopeLinkCore or
// TokenScopeLinkPayment) from POST /v1/tokens. It does not touch the
// client's token caches.
func (s *AuthService) Token(ctx context.Context, scope TokenScope, opts ...facade.CallOption) (*TokenResponse, error) {
	id, secret := s.t.Credentials()
	form := &gen.TokenRequest{ClientId: &id, ClientSecret: secret, GrantType: gen.TokenRequestGrantTypeClientCredentials, Scope: &scope}
	out, err := transport.Do[TokenResponse](ctx, s.t, gen.OpCreateToken, transport.Call{Form: form}, opts)
	if err == nil && out.AccessToken == "" {
		return nil, transport.EmptyToken(s.t, gen.OpCreateToken)
	}
	return out, err
}
