package moneykit

import (
	"github.com/oapi-codegen/nullable"

	gen "github.com/banklink/banklink/gen/moneykit"
)

// Request builders: each returns a generated request type with the fields
// MoneyKit requires set, and options for the rest. Validate on the result
// checks it against the spec without sending it; every service method
// checks it again before sending.

// LinkSessionOption sets an optional field of a link session request.
type LinkSessionOption func(*LinkSessionRequest)

// NewLinkSession starts a link session request for your user customerUserID
// (4–150 characters; the same id addresses the user in Users.Links) that
// returns to redirectURI after OAuth.
func NewLinkSession(customerUserID, redirectURI string, opts ...LinkSessionOption) *LinkSessionRequest {
	r := &LinkSessionRequest{
		CustomerUser: gen.LinkSessionCustomerUser{Id: customerUserID},
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
func WithProducts(products ...Product) LinkSessionOption {
	return productOption(true, products)
}

// WithOptionalProducts requests products the user may decline; institutions
// without them are still shown.
func WithOptionalProducts(products ...Product) LinkSessionOption {
	return productOption(false, products)
}

func productOption(required bool, products []Product) LinkSessionOption {
	products = append([]gen.Product{}, products...)
	return func(r *LinkSessionRequest) {
		ps := &r.Settings.Products
		for _, p := range products {
			s := &gen.ProductSettings{Required: &required}
			switch p {
			case gen.ProductAccountNumbers:
				ps.AccountNumbers = s
			case gen.ProductIdentity:
				ps.Identity = s
			case gen.ProductInvestments:
				ps.Investments = s
			case gen.ProductTransactions:
				ps.Transactions = s
			}
		}
	}
}

// WithCustomerEmail passes the user's email address (improves conversion with Money ID).
func WithCustomerEmail(address string) LinkSessionOption {
	return func(r *LinkSessionRequest) {
		r.CustomerUser.Email = gen.CustomerUserEmail{Address: address}
	}
}

// WithCustomerPhone passes the user's phone number, E.164 preferred.
func WithCustomerPhone(number string) LinkSessionOption {
	return func(r *LinkSessionRequest) {
		r.CustomerUser.Phone = gen.CustomerUserPhone{Number: number}
	}
}

// LinkUpdate changes one field of a LinkUpdateRequest.
type LinkUpdate func(*LinkUpdateRequest)

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
	return func(r *LinkUpdateRequest) { r.Webhook = nullable.NewNullableWithValue(url) }
}

// RemoveWebhook removes the link's webhook (sends "webhook": null).
func RemoveWebhook() LinkUpdate {
	return func(r *LinkUpdateRequest) { r.Webhook = nullable.NewNullNullable[string]() }
}

// SetLinkTags replaces the link's tags; no tags clears them.
func SetLinkTags(tags ...string) LinkUpdate {
	tags = append([]string{}, tags...)
	return func(r *LinkUpdateRequest) { r.LinkTags = &tags }
}
