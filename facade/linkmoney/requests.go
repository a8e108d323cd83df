package linkmoney

import (
	"github.com/google/uuid"

	gen "github.com/banklink/banklink/gen/linkmoney"
)

// Request builders: each returns a generated request type with the fields
// Link Money requires set, and options for the rest. Validate on the
// result checks it against the spec without sending it; every service
// method checks it again before sending.

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
type OrderOption func(*OrderDetails)

// WithOrder describes the order the customer pays for; total is required.
// Link Money needs a subtotal whenever tax, shipping or discount is given.
func WithOrder(total Amount, opts ...OrderOption) SessionOption {
	return func(r *SessionRequest) {
		od := gen.OrderDetails{TotalAmount: total}
		for _, o := range opts {
			if o != nil {
				o(&od)
			}
		}
		r.OrderDetails = od
	}
}

// WithItem adds an order line.
func WithItem(description string, goodType GoodType, amount Amount) OrderOption {
	return func(od *OrderDetails) {
		od.Items = append(od.Items, gen.Item{Description: description, GoodType: goodType, Amount: amount})
	}
}

// WithSubtotal sets the amount before tax, shipping and discount.
func WithSubtotal(a Amount) OrderOption {
	return func(od *OrderDetails) { od.SubtotalAmount = a }
}

// WithTax sets the tax amount (needs WithSubtotal).
func WithTax(a Amount) OrderOption {
	return func(od *OrderDetails) { od.TaxAmount = a }
}

// WithShipping sets the shipping amount (needs WithSubtotal).
func WithShipping(a Amount) OrderOption {
	return func(od *OrderDetails) { od.ShippingAmount = a }
}

// WithDiscount sets the discount amount (needs WithSubtotal).
func WithDiscount(a Amount) OrderOption {
	return func(od *OrderDetails) { od.DiscountAmount = a }
}

// WithShippingAddress sets where the order ships.
func WithShippingAddress(a Address) OrderOption {
	return func(od *OrderDetails) { od.ShippingAddress = a }
}

// WithPayment makes the session take the payment inside Link Money's UI: it
// sets paymentDetails and experienceId LINK_MANAGED_PAYMENT. Without
// WithRequestKey a random requestKey (UUID v4) is generated now and can be
// read from the request's PaymentDetails.
func WithPayment(amount Amount, opts ...PaymentOption) SessionOption {
	return func(r *SessionRequest) {
		pd := gen.PaymentDetails{Amount: amount}
		applyPayment(opts, &pd.RequestKey, &pd.SoftDescriptor, &pd.ClientReferenceId)
		if pd.RequestKey == "" {
			pd.RequestKey = uuid.NewString()
		}
		r.PaymentDetails = pd
		r.ExperienceId = gen.ExperienceIDLINKMANAGEDPAYMENT
	}
}

// WithProduct selects PAY (the default) or VERIFY.
func WithProduct(p SessionProduct) SessionOption {
	return func(r *SessionRequest) { r.Product = p }
}

// WithBillingAddress sets the customer's billing address.
func WithBillingAddress(a Address) SessionOption {
	return func(r *SessionRequest) { r.BillingAddress = a }
}

// WithCustomerProfile passes what you know about the customer, which improves
// Link Money's payment decisioning.
func WithCustomerProfile(p CustomerProfile) SessionOption {
	return func(r *SessionRequest) { r.CustomerProfile = p }
}

// WithExperience overrides the merchant's default linking experience.
func WithExperience(e ExperienceID) SessionOption {
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
// UUID v4 for each call, reported by facade.WithResponse and on every error
// (facade.IdempotencyKeyOf); the request value is left as it is. Pass the reported
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
		Source:      gen.PaymentParty{Id: customerID, Type: gen.PartyTypeCUSTOMER},
		Destination: gen.PaymentParty{Id: merchantID, Type: gen.PartyTypeMERCHANT},
		Amount:      amount,
	}
	applyPayment(opts, &r.RequestKey, &r.SoftDescriptor, &r.ClientReferenceId)
	return r
}

// NewCredit pays merchantID's money out to customerID.
func NewCredit(merchantID, customerID string, amount Amount, opts ...PaymentOption) *PaymentRequest {
	r := &PaymentRequest{
		Source:      gen.PaymentParty{Id: merchantID, Type: gen.PartyTypeMERCHANT},
		Destination: gen.PaymentParty{Id: customerID, Type: gen.PartyTypeCUSTOMER},
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
