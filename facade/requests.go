package facade

import (
	"github.com/google/uuid"
	"github.com/oapi-codegen/nullable"

	"github.com/banklink/banklink/gen/linkmoney"
	"github.com/banklink/banklink/gen/moneykit"
)

// The generated types are the data model; these aliases name the ones callers use most.
type (
	// LinkSessionRequest is the body of MoneyKit's POST /link-session.
	LinkSessionRequest = moneykit.CreateLinkSessionRequest
	// LinkSession holds the link_session_token for MoneyKit Connect.
	LinkSession = moneykit.CreateLinkSessionResponse
	// ExchangeResult is the link created by exchanging a Connect token.
	ExchangeResult = moneykit.ExchangeTokenResponse
	// LinkUpdateRequest is the body of MoneyKit's PATCH /links/{id} (NewLinkUpdate).
	LinkUpdateRequest = moneykit.UpdateLinkRequest
	// Link is a MoneyKit link.
	Link = moneykit.LinkCommon
	// JWKSet is MoneyKit's webhook signing key set.
	JWKSet = moneykit.JWKSet
	// WebhookTestResult holds the delivery token of a test webhook.
	WebhookTestResult = moneykit.WebhookTestLinkResponse

	// SessionRequest is the body of Link Money's POST /v2/sessions.
	SessionRequest = linkmoney.SessionRequest
	// Session holds the sessionKey and sessionUrl for Link Money's hosted UI.
	Session = linkmoney.SessionResponse
	// Customer is a Link Money customer.
	Customer = linkmoney.Customer
	// CustomerAccounts lists a Link Money customer's linked accounts.
	CustomerAccounts = linkmoney.CustomerAccounts
	// PaymentRequest is a Link Money debit or credit.
	PaymentRequest = linkmoney.PaymentRequest
	// Payment is a payment as Link Money recorded it.
	Payment = linkmoney.PaymentResponse
	// RefundRequest is a Link Money refund.
	RefundRequest = linkmoney.RefundRequest
	// Refund is a refund as Link Money recorded it.
	Refund = linkmoney.RefundResponse
	// WebhookSubscription is a Link Money webhook subscription.
	WebhookSubscription = linkmoney.WebhookSubscription
)

// ---------------------------------------------------------------- MoneyKit

// LinkSessionOption sets an optional field of a link session request.
type LinkSessionOption func(*LinkSessionRequest)

// NewLinkSession starts a link session request for your user customerUserID
// (4–150 characters; the same id addresses the user in Users.Links) that
// returns to redirectURI after OAuth.
func NewLinkSession(customerUserID, redirectURI string, opts ...LinkSessionOption) *LinkSessionRequest {
	r := &LinkSessionRequest{
		CustomerUser: moneykit.LinkSessionCustomerUser{Id: customerUserID},
		RedirectUri:  redirectURI,
	}
	for _, o := range opts {
		if o != nil {
			o(r)
		}
	}
	return r
}

// WithInstitution skips Connect's institution picker.
func WithInstitution(institutionID string) LinkSessionOption {
	return func(r *LinkSessionRequest) { r.InstitutionId = institutionID }
}

// WithExistingLink reconnects an existing link. MoneyKit then replaces the
// link's webhook and tags with the ones in this request (dropping them when
// absent), so pass WithWebhook and WithLinkTags again if the link has them.
func WithExistingLink(linkID string) LinkSessionOption {
	return func(r *LinkSessionRequest) { r.ExistingLinkId = linkID }
}

// WithWebhook sets the URL MoneyKit sends this link's webhooks to.
func WithWebhook(url string) LinkSessionOption {
	return func(r *LinkSessionRequest) { r.Webhook = url }
}

// WithLinkTags tags the link (each tag under 100 characters, starting with a letter or digit).
func WithLinkTags(tags ...string) LinkSessionOption {
	tags = append([]string{}, tags...)
	return func(r *LinkSessionRequest) { r.LinkTags = tags }
}

// WithProducts requests products as required: Connect shows only institutions
// that support all of them and the user must grant them. Accounts are always
// included and need no request; products MoneyKit cannot request at link time
// (enrichment, unknown values) are not representable in the request and are skipped.
func WithProducts(products ...moneykit.Product) LinkSessionOption {
	return productOption(true, products)
}

// WithOptionalProducts requests products the user may decline; institutions
// without them are still shown.
func WithOptionalProducts(products ...moneykit.Product) LinkSessionOption {
	return productOption(false, products)
}

func productOption(required bool, products []moneykit.Product) LinkSessionOption {
	products = append([]moneykit.Product{}, products...)
	return func(r *LinkSessionRequest) {
		ps := &r.Settings.Products
		for _, p := range products {
			s := &moneykit.ProductSettings{Required: &required}
			switch p {
			case moneykit.ProductAccountNumbers:
				ps.AccountNumbers = s
			case moneykit.ProductIdentity:
				ps.Identity = s
			case moneykit.ProductInvestments:
				ps.Investments = s
			case moneykit.ProductTransactions:
				ps.Transactions = s
			}
		}
	}
}

// WithCustomerEmail passes the user's email address (improves conversion with Money ID).
func WithCustomerEmail(address string) LinkSessionOption {
	return func(r *LinkSessionRequest) {
		r.CustomerUser.Email = moneykit.CustomerUserEmail{Address: address}
	}
}

// WithCustomerPhone passes the user's phone number, E.164 preferred.
func WithCustomerPhone(number string) LinkSessionOption {
	return func(r *LinkSessionRequest) {
		r.CustomerUser.Phone = moneykit.CustomerUserPhone{Number: number}
	}
}

// LinkUpdate changes one field of a LinkUpdateRequest.
type LinkUpdate func(*moneykit.UpdateLinkRequest)

// NewLinkUpdate builds the body of Links.Update from one or more changes
// (SetWebhook, RemoveWebhook, SetLinkTags).
func NewLinkUpdate(updates ...LinkUpdate) *LinkUpdateRequest {
	r := &LinkUpdateRequest{}
	for _, u := range updates {
		if u != nil {
			u(r)
		}
	}
	return r
}

// SetWebhook points the link's webhooks at url.
func SetWebhook(url string) LinkUpdate {
	return func(r *moneykit.UpdateLinkRequest) { r.Webhook = nullable.NewNullableWithValue(url) }
}

// RemoveWebhook removes the link's webhook (sends "webhook": null).
func RemoveWebhook() LinkUpdate {
	return func(r *moneykit.UpdateLinkRequest) { r.Webhook = nullable.NewNullNullable[string]() }
}

// SetLinkTags replaces the link's tags; no tags clears them.
func SetLinkTags(tags ...string) LinkUpdate {
	tags = append([]string{}, tags...)
	return func(r *moneykit.UpdateLinkRequest) { r.LinkTags = &tags }
}

// -------------------------------------------------------------- Link Money

// SessionCustomer is who a Link Money session is for. Email, first and last
// name are required; Phone is optional.
type SessionCustomer struct {
	FirstName, LastName, Email, Phone string
}

// SessionOption sets an optional part of a session request.
type SessionOption func(*SessionRequest)

// NewSession starts a session request for customer c that returns to
// redirectURL (pre-approved by Link Money).
func NewSession(c SessionCustomer, redirectURL string, opts ...SessionOption) *SessionRequest {
	r := &SessionRequest{
		FirstName:   c.FirstName,
		LastName:    c.LastName,
		Email:       c.Email,
		RedirectUrl: redirectURL,
	}
	r.PhoneNumber = c.Phone
	for _, o := range opts {
		if o != nil {
			o(r)
		}
	}
	return r
}

// OrderOption sets part of a session's order details.
type OrderOption func(*linkmoney.OrderDetails)

// WithOrder describes the order the customer pays for; total is required.
// Link Money needs a subtotal whenever tax, shipping or discount is given.
func WithOrder(total Amount, opts ...OrderOption) SessionOption {
	return func(r *SessionRequest) {
		od := linkmoney.OrderDetails{TotalAmount: total}
		for _, o := range opts {
			if o != nil {
				o(&od)
			}
		}
		r.OrderDetails = od
	}
}

// WithItem adds an order line.
func WithItem(description string, goodType linkmoney.GoodType, amount Amount) OrderOption {
	return func(od *linkmoney.OrderDetails) {
		od.Items = append(od.Items, linkmoney.Item{Description: description, GoodType: goodType, Amount: amount})
	}
}

// WithSubtotal sets the amount before tax, shipping and discount.
func WithSubtotal(a Amount) OrderOption {
	return func(od *linkmoney.OrderDetails) { od.SubtotalAmount = a }
}

// WithTax sets the tax amount (needs WithSubtotal).
func WithTax(a Amount) OrderOption {
	return func(od *linkmoney.OrderDetails) { od.TaxAmount = a }
}

// WithShipping sets the shipping amount (needs WithSubtotal).
func WithShipping(a Amount) OrderOption {
	return func(od *linkmoney.OrderDetails) { od.ShippingAmount = a }
}

// WithDiscount sets the discount amount (needs WithSubtotal).
func WithDiscount(a Amount) OrderOption {
	return func(od *linkmoney.OrderDetails) { od.DiscountAmount = a }
}

// WithShippingAddress sets where the order ships.
func WithShippingAddress(a linkmoney.Address) OrderOption {
	return func(od *linkmoney.OrderDetails) { od.ShippingAddress = a }
}

// WithPayment makes the session take the payment inside Link Money's UI: it
// sets paymentDetails and experienceId LINK_MANAGED_PAYMENT. Without
// WithRequestKey a random requestKey (UUID v4) is generated now and can be
// read from the request's PaymentDetails.
func WithPayment(amount Amount, opts ...PaymentOption) SessionOption {
	return func(r *SessionRequest) {
		pd := linkmoney.PaymentDetails{Amount: amount}
		applyPayment(opts, &pd.RequestKey, &pd.SoftDescriptor, &pd.ClientReferenceId)
		if pd.RequestKey == "" {
			pd.RequestKey = uuid.NewString()
		}
		r.PaymentDetails = pd
		r.ExperienceId = linkmoney.ExperienceIDLINKMANAGEDPAYMENT
	}
}

// WithProduct selects PAY (the default) or VERIFY.
func WithProduct(p linkmoney.SessionProduct) SessionOption {
	return func(r *SessionRequest) { r.Product = p }
}

// WithBillingAddress sets the customer's billing address.
func WithBillingAddress(a linkmoney.Address) SessionOption {
	return func(r *SessionRequest) { r.BillingAddress = a }
}

// WithCustomerProfile passes what you know about the customer, which improves
// Link Money's payment decisioning.
func WithCustomerProfile(p linkmoney.CustomerProfile) SessionOption {
	return func(r *SessionRequest) { r.CustomerProfile = p }
}

// WithExperience overrides the merchant's default linking experience.
func WithExperience(e linkmoney.ExperienceID) SessionOption {
	return func(r *SessionRequest) { r.ExperienceId = e }
}

// PaymentOption sets an optional field of a payment, credit, refund or a
// session's payment details.
type PaymentOption func(*paymentFields)

type paymentFields struct {
	requestKey     *string
	softDescriptor *string
	clientRef      *string
}

func applyPayment(opts []PaymentOption, key, soft, ref *string) {
	f := paymentFields{requestKey: key, softDescriptor: soft, clientRef: ref}
	for _, o := range opts {
		if o != nil {
			o(&f)
		}
	}
}

// WithRequestKey sets the idempotency key. Without it banklink generates a
// UUID v4 for each call, reported by WithResponse and on every error
// (IdempotencyKeyOf); the request value is left as it is. Pass the reported
// key here to retry a payment whose outcome is unknown.
func WithRequestKey(key string) PaymentOption {
	return func(f *paymentFields) { *f.requestKey = key }
}

// WithSoftDescriptor sets the text sent to the customer's bank (up to 80 letters, digits and spaces).
func WithSoftDescriptor(s string) PaymentOption {
	return func(f *paymentFields) { *f.softDescriptor = s }
}

// WithClientReferenceID sets your own reference, echoed in responses and webhooks.
func WithClientReferenceID(id string) PaymentOption {
	return func(f *paymentFields) { *f.clientRef = id }
}

// NewPayment debits customerID's account to merchantID.
func NewPayment(customerID, merchantID string, amount Amount, opts ...PaymentOption) *PaymentRequest {
	r := &PaymentRequest{
		Source:      linkmoney.PaymentParty{Id: customerID, Type: linkmoney.PartyTypeCUSTOMER},
		Destination: linkmoney.PaymentParty{Id: merchantID, Type: linkmoney.PartyTypeMERCHANT},
		Amount:      amount,
	}
	applyPayment(opts, &r.RequestKey, &r.SoftDescriptor, &r.ClientReferenceId)
	return r
}

// NewCredit pays merchantID's money out to customerID.
func NewCredit(merchantID, customerID string, amount Amount, opts ...PaymentOption) *PaymentRequest {
	r := &PaymentRequest{
		Source:      linkmoney.PaymentParty{Id: merchantID, Type: linkmoney.PartyTypeMERCHANT},
		Destination: linkmoney.PaymentParty{Id: customerID, Type: linkmoney.PartyTypeCUSTOMER},
		Amount:      amount,
	}
	applyPayment(opts, &r.RequestKey, &r.SoftDescriptor, &r.ClientReferenceId)
	return r
}

// NewRefund refunds amount of paymentID.
func NewRefund(paymentID string, amount Amount, opts ...PaymentOption) *RefundRequest {
	r := &RefundRequest{PaymentId: paymentID, Amount: amount}
	applyPayment(opts, &r.RequestKey, &r.SoftDescriptor, &r.ClientReferenceId)
	return r
}
