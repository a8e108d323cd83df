package moneykit

import (
	"context"

	"github.com/banklink/banklink/facade"
	"github.com/banklink/banklink/facade/internal/transport"
	gen "github.com/banklink/banklink/gen/moneykit"
)

// Where a client finds what no option gives.
const (
	// BaseURL is MoneyKit's API host, for sandbox and live keys alike (the
	// key pair selects the environment).
	BaseURL = "https://api.moneykit.com"
	// EnvClientID, EnvClientSecret and EnvBaseURL are read when
	// facade.WithCredentials or facade.WithBaseURL is not given.
	EnvClientID     = "MONEYKIT_CLIENT_ID"
	EnvClientSecret = "MONEYKIT_CLIENT_SECRET"
	EnvBaseURL      = "MONEYKIT_BASE_URL"
)

// Client is a client for MoneyKit's bank-linking API. It is safe for
// concurrent use; build one per application and share it.
type Client struct {
	LinkSessions *LinkSessionsService
	Links        *LinksService
	Users        *UsersService
	Auth         *AuthService
	Webhooks     *WebhooksService
	Accounts     *AccountsService
	Identity     *IdentityService
	Transactions *TransactionsService
	Investments  *InvestmentsService
	Institutions *InstitutionsService

	t *transport.Client[gen.Op]
}

var provider = transport.Provider{
	Name:       facade.ProviderMoneyKit,
	Table:      gen.Operations[:],
	TokenOp:    int(gen.OpCreateAccessToken),
	Version:    string(gen.SupportedVersionN20230218),
	EnvID:      EnvClientID,
	EnvSecret:  EnvClientSecret,
	EnvBaseURL: EnvBaseURL,
	BaseURL:    func(bool) string { return BaseURL },
}

// New builds a MoneyKit client. Credentials come from
// facade.WithCredentials or MONEYKIT_CLIENT_ID and MONEYKIT_CLIENT_SECRET,
// the host from facade.WithBaseURL, MONEYKIT_BASE_URL or BaseURL. Every
// facade.Option applies; see package facade for the policies they set.
func New(opts ...facade.Option) (*Client, error) {
	var auth AuthService
	t, err := transport.New[gen.Op](&provider, opts, func(ctx context.Context, _ string) (string, int, error) {
		tok, err := auth.Token(ctx)
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
		LinkSessions: &LinkSessionsService{t},
		Links:        &LinksService{t},
		Users:        &UsersService{t},
		Auth:         &auth,
		Webhooks:     &WebhooksService{t},
		Accounts:     &AccountsService{t},
		Identity:     &IdentityService{t},
		Transactions: &TransactionsService{t},
		Investments:  &InvestmentsService{t},
		Institutions: &InstitutionsService{t},
		t:            t,
	}, nil
}

// CloseIdleConnections closes the client's idle keep-alive connections.
func (c *Client) CloseIdleConnections() { c.t.CloseIdleConnections() }

// AuthService reaches MoneyKit's token endpoint. The other services fetch
// and cache tokens themselves; this is for callers that need a token of
// their own.
type AuthService struct{ t *transport.Client[gen.Op] }

// Token requests a fresh access token (POST /auth/token, client
// credentials in the form body). It does not touch the client's token cache.
func (s *AuthService) Token(ctx context.Context, opts ...facade.CallOption) (*AccessToken, error) {
	id, secret := s.t.Credentials()
	grant := gen.CreateAccessTokenRequestGrantTypeClientCredentials
	form := &gen.CreateAccessTokenRequest{GrantType: &grant, ClientId: &id, ClientSecret: &secret}
	out, err := transport.Do[AccessToken](ctx, s.t, gen.OpCreateAccessToken, transport.Call{Form: form}, opts)
	if err == nil && out.AccessToken == "" {
		return nil, transport.EmptyToken(s.t, gen.OpCreateAccessToken)
	}
	return out, err
}

// Introspect describes the application and client behind the client's
// access token (GET /auth/introspect).
func (s *AuthService) Introspect(ctx context.Context, opts ...facade.CallOption) (*IntrospectClientResponse, error) {
	return transport.Do[IntrospectClientResponse](ctx, s.t, gen.OpIntrospectClient, transport.Call{}, opts)
}
