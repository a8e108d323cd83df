package facade

import (
	"context"
	"io"
	"net/http"

	"github.com/google/uuid"

	"github.com/banklink/banklink/gen/linkmoney"
)

// LinkMoney is a client for Link Money's pay-by-bank API. It is safe for
// concurrent use; build one per application and share it.
type LinkMoney struct {
	Sessions  *SessionsService
	Customers *CustomersService
	Payments  *PaymentsService
	Refunds   *RefundsService
	Auth      *LinkMoneyAuthService
	Webhooks  *LinkMoneyWebhooksService

	c *client
}

// NewLinkMoney builds a Link Money client. Credentials come from
// WithCredentials or LINKMONEY_CLIENT_ID/LINKMONEY_CLIENT_SECRET, the host from
// WithBaseURL, LINKMONEY_BASE_URL or WithEnvironment (production by default).
func NewLinkMoney(opts ...Option) (*LinkMoney, error) {
	c, err := newClient(ProviderLinkMoney, opts)
	if err != nil {
		return nil, err
	}
	c.posts[int(linkmoney.OpCreateSession)] = newPostTemplate(func(body io.Reader) (*http.Request, error) {
		return linkmoney.NewCreateSessionRequestWithBody(c.baseURL, contentJSON, body)
	})
	c.posts[int(linkmoney.OpCreatePayment)] = newPostTemplate(func(body io.Reader) (*http.Request, error) {
		return linkmoney.NewCreatePaymentRequestWithBody(c.baseURL, contentJSON, body)
	})
	c.posts[int(linkmoney.OpCreateRefund)] = newPostTemplate(func(body io.Reader) (*http.Request, error) {
		return linkmoney.NewCreateRefundRequestWithBody(c.baseURL, contentJSON, body)
	})
	c.posts[int(linkmoney.OpSubscribeWebhook)] = newPostTemplate(func(body io.Reader) (*http.Request, error) {
		return linkmoney.NewSubscribeWebhookRequestWithBody(c.baseURL, contentJSON, body)
	})
	return &LinkMoney{
		Sessions:  &SessionsService{c},
		Customers: &CustomersService{c},
		Payments:  &PaymentsService{c},
		Refunds:   &RefundsService{c},
		Auth:      &LinkMoneyAuthService{c},
		Webhooks:  &LinkMoneyWebhooksService{c},
		c:         c,
	}, nil
}

// SessionsService creates sessions for Link Money's hosted UI.
type SessionsService struct{ c *client }

// Create gets a session key and URL (POST /v2/sessions, HTTP Basic auth). It is
// retried only after a 429 or when the request never reached Link Money.
func (s *SessionsService) Create(ctx context.Context, req *SessionRequest, opts ...CallOption) (*Session, error) {
	return postJSON[Session](ctx, s.c, int(linkmoney.OpCreateSession), req, "", opts)
}

// CustomersService reads customers created by the hosted UI.
type CustomersService struct{ c *client }

// Get fetches a customer (GET /v1/customers/{customerId}).
func (s *CustomersService) Get(ctx context.Context, customerID string, opts ...CallOption) (*Customer, error) {
	c := s.c
	op := c.op(int(linkmoney.OpGetCustomer))
	cl, err := c.newCall(op, opts)
	if err != nil {
		return nil, err
	}
	if err := c.checkParam(op, "customerId", customerID); err != nil {
		return nil, err
	}
	hreq, err := linkmoney.NewGetCustomerRequest(c.baseURL, customerID)
	return send[Customer](ctx, c, op, hreq, err, cl)
}

// Accounts lists a customer's linked accounts (GET /v1/customers/{customerId}/accounts).
func (s *CustomersService) Accounts(ctx context.Context, customerID string, opts ...CallOption) (*CustomerAccounts, error) {
	c := s.c
	op := c.op(int(linkmoney.OpGetCustomerAccounts))
	cl, err := c.newCall(op, opts)
	if err != nil {
		return nil, err
	}
	if err := c.checkParam(op, "customerId", customerID); err != nil {
		return nil, err
	}
	hreq, err := linkmoney.NewGetCustomerAccountsRequest(c.baseURL, customerID)
	return send[CustomerAccounts](ctx, c, op, hreq, err, cl)
}

// PaymentsService moves money.
type PaymentsService struct{ c *client }

// Create makes a debit (NewPayment) or credit (NewCredit) (POST /v1/payments).
// If req has no RequestKey, banklink generates a UUID v4 for this call and
// sends it on every retry, so Link Money executes the payment at most once;
// req itself is never modified. The key sent is reported by
// WithResponse (Response.IdempotencyKey) and on every error
// (IdempotencyKeyOf): to retry a call whose outcome is unknown, send the
// payment again with WithRequestKey(key). A business decline is a normal
// result with PaymentStatus TERMINAL_FAILED and ErrorDetails, not an error.
func (s *PaymentsService) Create(ctx context.Context, req *PaymentRequest, opts ...CallOption) (*Payment, error) {
	req, key := withRequestKey(s.c.op(int(linkmoney.OpCreatePayment)), req, func(r *PaymentRequest) *string { return &r.RequestKey })
	var ref string
	if req != nil {
		ref = req.ClientReferenceId
	}
	return postJSONAs[Payment](ctx, s.c, int(linkmoney.OpCreatePayment), req, call{key: key, ref: ref}, opts)
}

// RefundsService refunds payments.
type RefundsService struct{ c *client }

// Create refunds part or all of a payment (POST /v1/refunds). The RequestKey
// is handled as in PaymentsService.Create.
func (s *RefundsService) Create(ctx context.Context, req *RefundRequest, opts ...CallOption) (*Refund, error) {
	req, key := withRequestKey(s.c.op(int(linkmoney.OpCreateRefund)), req, func(r *RefundRequest) *string { return &r.RequestKey })
	var ref string
	if req != nil {
		ref = req.ClientReferenceId
	}
	return postJSONAs[Refund](ctx, s.c, int(linkmoney.OpCreateRefund), req, call{key: key, ref: ref}, opts)
}

// withRequestKey returns the request to send for an idempotency-key
// operation, and its key: req itself when it has a key, otherwise a copy
// of req with a new UUID v4, so the caller's value is never written to.
func withRequestKey[Req any](op *operation, req *Req, field func(*Req) *string) (*Req, string) {
	if req == nil || op.safety != SafetyIdempotencyKey {
		return req, ""
	}
	if key := *field(req); key != "" {
		return req, key
	}
	cp := *req
	key := uuid.NewString()
	*field(&cp) = key
	return &cp, key
}

// allEvents is the only documented subscription selection, ALL.
func allEvents() linkmoney.WebhookSubscriptionDetails {
	return linkmoney.WebhookSubscriptionDetails{Type: linkmoney.WebhookSubscriptionDetailsTypeALL}
}

// LinkMoneyWebhooksService manages webhook subscriptions.
type LinkMoneyWebhooksService struct{ c *client }

// Subscribe registers url for every Link Money event (POST
// /v1/webhook/subscribe, subscriptionDetails type ALL); deliveries are signed
// with secretKey. Keep the returned SubscriptionKey to unsubscribe. A repeated
// call may create a second subscription, so it is retried only after a 429 or
// when the request never reached Link Money.
func (s *LinkMoneyWebhooksService) Subscribe(ctx context.Context, url, secretKey string, opts ...CallOption) (*WebhookSubscription, error) {
	return postJSON[WebhookSubscription](ctx, s.c, int(linkmoney.OpSubscribeWebhook), &linkmoney.WebhookSubscribeRequest{
		Url: url, SecretKey: secretKey,
		SubscriptionDetails: allEvents(),
	}, "", opts)
}

// Unsubscribe cancels the subscription that Subscribe returned (PUT
// /v1/webhook/unsubscribe). Cancelling twice has no further effect, so it is
// retried like a read.
func (s *LinkMoneyWebhooksService) Unsubscribe(ctx context.Context, subscriptionKey string, opts ...CallOption) error {
	c := s.c
	op := c.op(int(linkmoney.OpUnsubscribeWebhook))
	cl, err := c.newCall(op, opts)
	if err != nil {
		return err
	}
	body := &linkmoney.WebhookUnsubscribeRequest{
		SubscriptionId:      subscriptionKey,
		SubscriptionDetails: allEvents(),
	}
	if err := c.checkBody(op, body); err != nil {
		return err
	}
	rbody, err := marshalBody(op, body)
	if err != nil {
		return err
	}
	hreq, err := linkmoney.NewUnsubscribeWebhookRequestWithBody(c.baseURL, contentJSON, rbody)
	if err != nil {
		return c.buildErr(op, err)
	}
	return c.do(ctx, op, hreq, nil, cl)
}

// CloseIdleConnections closes the client's idle keep-alive connections.
func (l *LinkMoney) CloseIdleConnections() { l.c.http.CloseIdleConnections() }
