package facade

import (
	"context"
	"errors"
	"io"
	"net/http"

	"github.com/google/uuid"

	"github.com/banklink/banklink/gen/moneykit"
)

// MoneyKit is a client for MoneyKit's hosted bank-linking API. It is safe for
// concurrent use; build one per application and share it.
type MoneyKit struct {
	LinkSessions *LinkSessionsService
	Links        *LinksService
	Users        *UsersService
	Auth         *MoneyKitAuthService
	Webhooks     *WebhooksService
	Accounts     *AccountsService
	Identity     *IdentityService
	Transactions *TransactionsService
	Investments  *InvestmentsService
	Institutions *InstitutionsService

	c *client
}

// NewMoneyKit builds a MoneyKit client. Credentials come from WithCredentials
// or MONEYKIT_CLIENT_ID/MONEYKIT_CLIENT_SECRET, the host from WithBaseURL,
// MONEYKIT_BASE_URL or https://api.moneykit.com.
func NewMoneyKit(opts ...Option) (*MoneyKit, error) {
	c, err := newClient(ProviderMoneyKit, opts)
	if err != nil {
		return nil, err
	}
	c.posts[int(moneykit.OpCreateLinkSession)] = newPostTemplate(func(body io.Reader) (*http.Request, error) {
		return moneykit.NewCreateLinkSessionRequestWithBody(c.baseURL, nil, contentJSON, body)
	})
	c.posts[int(moneykit.OpExchangeToken)] = newPostTemplate(func(body io.Reader) (*http.Request, error) {
		return moneykit.NewExchangeTokenRequestWithBody(c.baseURL, nil, contentJSON, body)
	})
	return &MoneyKit{
		LinkSessions: &LinkSessionsService{c},
		Links:        &LinksService{c},
		Users:        &UsersService{c},
		Auth:         &MoneyKitAuthService{c},
		Webhooks:     &WebhooksService{c},
		Accounts:     &AccountsService{c},
		Identity:     &IdentityService{c},
		Transactions: &TransactionsService{c},
		Investments:  &InvestmentsService{c},
		Institutions: &InstitutionsService{c},
		c:            c,
	}, nil
}

// LinkSessionsService creates link sessions and exchanges Connect tokens.
type LinkSessionsService struct{ c *client }

// Create starts a link session (POST /link-session) and returns the
// link_session_token for MoneyKit Connect. MoneyKit documents no idempotency
// key here, so a failed call is retried only after a 429 or when the request
// never reached MoneyKit.
func (s *LinkSessionsService) Create(ctx context.Context, req *LinkSessionRequest, opts ...CallOption) (*LinkSession, error) {
	var user string
	if req != nil {
		user = req.CustomerUser.Id // MoneyKit's 20 sessions a minute are counted per user
	}
	return postJSONAs[LinkSession](ctx, s.c, int(moneykit.OpCreateLinkSession), req, call{scopeID: user}, opts)
}

// Exchange trades the exchangeable token Connect gave the front end for the
// new link (POST /link-session/exchange-token). The token is single-use: the
// call is retried only when the request provably never reached MoneyKit.
func (s *LinkSessionsService) Exchange(ctx context.Context, exchangeableToken string, opts ...CallOption) (*ExchangeResult, error) {
	return postJSON[ExchangeResult](ctx, s.c, int(moneykit.OpExchangeToken), &moneykit.ExchangeTokenRequest{ExchangeableToken: exchangeableToken}, "", opts)
}

// LinksService reads, updates and deletes links.
type LinksService struct{ c *client }

// Get fetches a link (GET /links/{id}). A recently deleted link comes back
// with state "deleted" or as ErrLinkDeleted; LinkDeleted tests for both.
func (s *LinksService) Get(ctx context.Context, linkID string, opts ...CallOption) (*Link, error) {
	c := s.c
	op := c.op(int(moneykit.OpGetLink))
	cl, err := c.newCall(op, opts)
	if err != nil {
		return nil, err
	}
	if err := c.checkParam(op, "id", linkID); err != nil {
		return nil, err
	}
	hreq, err := moneykit.NewGetLinkRequest(c.baseURL, linkID, nil)
	return send[Link](ctx, c, op, hreq, err, cl)
}

// LinkDeleted reports whether the answer of Links.Get says the link was
// deleted. MoneyKit answers a recently deleted link with 200 and state
// "deleted" (its Get Link Details reference says so), and also declares 410
// link_error.deleted (ErrLinkDeleted) for the call; Links.Update and
// Links.Delete of a deleted link answer 410. MoneyKit removes deleted links
// 90 days after deletion, after which they answer 404 (ErrLinkNotFound),
// which LinkDeleted does not count as deleted.
//
//	link, err := mk.Links.Get(ctx, linkID)
//	if facade.LinkDeleted(link, err) {
//		// ask the user to link the bank again
//	} else if err != nil {
//		return err
//	}
func LinkDeleted(link *Link, err error) bool {
	if err != nil {
		return errors.Is(err, ErrLinkDeleted)
	}
	return link != nil && link.State == moneykit.PublicLinkStateDeleted
}

// Update changes a link's webhook or tags (PATCH /links/{id}); build req
// with NewLinkUpdate. At least one change is required.
func (s *LinksService) Update(ctx context.Context, linkID string, req *LinkUpdateRequest, opts ...CallOption) (*Link, error) {
	c := s.c
	op := c.op(int(moneykit.OpUpdateLink))
	cl, err := c.newCall(op, opts)
	if err != nil {
		return nil, err
	}
	if err := c.checkParam(op, "id", linkID); err != nil {
		return nil, err
	}
	if req == nil || (req.LinkTags == nil && req.Tags == nil && !req.Webhook.IsSpecified()) {
		return nil, invalid(op, Violation{Rule: "required", Message: "at least one change (SetWebhook, RemoveWebhook, SetLinkTags) is required"})
	}
	if err := c.checkBody(op, req); err != nil {
		return nil, err
	}
	rbody, err := marshalBody(op, req)
	if err != nil {
		return nil, err
	}
	hreq, err := moneykit.NewUpdateLinkRequestWithBody(c.baseURL, linkID, nil, contentJSON, rbody)
	return send[Link](ctx, c, op, hreq, err, cl)
}

// Delete disconnects a link (DELETE /links/{id}).
func (s *LinksService) Delete(ctx context.Context, linkID string, opts ...CallOption) error {
	c := s.c
	op := c.op(int(moneykit.OpDeleteLink))
	cl, err := c.newCall(op, opts)
	if err != nil {
		return err
	}
	if err := c.checkParam(op, "id", linkID); err != nil {
		return err
	}
	hreq, err := moneykit.NewDeleteLinkRequest(c.baseURL, linkID, nil)
	if err != nil {
		return c.buildErr(op, err)
	}
	return c.do(ctx, op, hreq, nil, cl)
}

// UsersService reads per-user data.
type UsersService struct{ c *client }

// Links returns every link of your user customerUserID, keyed by link id
// (GET /users/{id}/links).
func (s *UsersService) Links(ctx context.Context, customerUserID string, opts ...CallOption) (map[string]Link, error) {
	c := s.c
	op := c.op(int(moneykit.OpGetUserLinks))
	cl, err := c.newCall(op, opts)
	if err != nil {
		return nil, err
	}
	if err := c.checkParam(op, "id", customerUserID); err != nil {
		return nil, err
	}
	hreq, err := moneykit.NewGetUserLinksRequest(c.baseURL, customerUserID, nil)
	out, err := send[moneykit.GetUserLinksResponse](ctx, c, op, hreq, err, cl)
	if err != nil {
		return nil, err
	}
	if out.Links == nil {
		out.Links = map[string]Link{}
	}
	return out.Links, nil
}

// WebhooksService fetches what webhook verification needs.
type WebhooksService struct{ c *client }

// JWKS fetches the keys that sign MoneyKit webhooks (GET /.well-known/jwks.json,
// sent with X-Client-Id, no token). Cache the result; refetch on an unknown kid.
func (s *WebhooksService) JWKS(ctx context.Context, opts ...CallOption) (*JWKSet, error) {
	c := s.c
	op := c.op(int(moneykit.OpGetJWKS))
	cl, err := c.newCall(op, opts)
	if err != nil {
		return nil, err
	}
	hreq, err := moneykit.NewGetJWKSRequest(c.baseURL, nil)
	return send[JWKSet](ctx, c, op, hreq, err, cl)
}

// TestLink asks MoneyKit to deliver a test webhook of type event to a sandbox
// link's webhook URL (POST /webhooks/test/link/{id}) and returns the
// delivery token, which the delivery carries as MoneyKit-Delivery-Token.
// idempotencyKey becomes the delivery's webhook_idempotency_key; when it is
// empty a UUID v4 is generated. Every retry sends the same key, so a receiver
// that deduplicates handles the event once. A live link, or one without a
// webhook URL, answers 400 link_error.bad_config. The key sent is reported
// by WithResponse and on every error (IdempotencyKeyOf).
func (s *WebhooksService) TestLink(ctx context.Context, linkID string, event moneykit.WebhookLinkTestEvent, idempotencyKey string, opts ...CallOption) (*WebhookTestResult, error) {
	c := s.c
	op := c.op(int(moneykit.OpWebhookTestLink))
	cl, err := c.newCall(op, opts)
	if err != nil {
		return nil, err
	}
	if err := c.checkParam(op, "id", linkID); err != nil {
		return nil, err
	}
	if idempotencyKey == "" && op.safety == SafetyIdempotencyKey {
		idempotencyKey = uuid.NewString()
	}
	body := &moneykit.WebhookTestLinkRequest{WebhookEvent: event, WebhookIdempotencyKey: idempotencyKey}
	if err := c.checkBody(op, body); err != nil {
		return nil, err
	}
	rbody, err := marshalBody(op, body)
	if err != nil {
		return nil, err
	}
	cl.key = idempotencyKey
	hreq, err := moneykit.NewWebhookTestLinkRequestWithBody(c.baseURL, linkID, nil, contentJSON, rbody)
	return send[WebhookTestResult](ctx, c, op, hreq, err, cl)
}

// CloseIdleConnections closes the client's idle keep-alive connections.
func (m *MoneyKit) CloseIdleConnections() { m.c.http.CloseIdleConnections() }
