package api_test

import (
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"
)

// loadSpec reads api/openapi.yaml as plain YAML, without any OpenAPI
// interpretation, so that the facts below are checked against the text itself.
func loadSpec(t *testing.T) any {
	t.Helper()
	raw, err := os.ReadFile("openapi.yaml")
	require.NoError(t, err)
	var doc any
	require.NoError(t, yaml.Unmarshal(raw, &doc))
	return doc
}

// lookup resolves an RFC 6901 JSON pointer in a decoded YAML document.
func lookup(t *testing.T, doc any, ptr string) any {
	t.Helper()
	cur := doc
	for _, tok := range strings.Split(strings.TrimPrefix(ptr, "/"), "/") {
		tok = strings.ReplaceAll(strings.ReplaceAll(tok, "~1", "/"), "~0", "~")
		switch node := cur.(type) {
		case map[string]any:
			v, ok := node[tok]
			require.Truef(t, ok, "%s: no %q", ptr, tok)
			cur = v
		case []any:
			i, err := strconv.Atoi(tok)
			require.NoErrorf(t, err, "%s: %q is not an index", ptr, tok)
			require.Lessf(t, i, len(node), "%s: index %d out of range", ptr, i)
			cur = node[i]
		default:
			t.Fatalf("%s: cannot descend into %T at %q", ptr, cur, tok)
		}
	}
	return cur
}

type fact struct {
	seed string // which provider document states it
	ptr  string // where api/openapi.yaml records it
	op   string // eq, contains, has (list holds), lacks (list lacks)
	want any
}

const (
	mkReq  = "000 MoneyKit CreateLinkSessionRequest"
	lmSess = "001 Link Money Get a Session"
	mkLink = "002 MoneyKit Get Link Details"
)

// seedFacts maps each fact stated in ../shared/seeds to its place in the spec.
var seedFacts = []fact{
	// 000: MoneyKit::CreateLinkSessionRequest
	{mkReq, "/components/schemas/CreateLinkSessionRequest/properties/settings/$ref", "eq", "#/components/schemas/LinkSessionSettingOverrides"},
	{mkReq, "/components/schemas/CreateLinkSessionRequest/required", "lacks", "settings"},
	{mkReq, "/components/schemas/CreateLinkSessionRequest/properties/customer_user/$ref", "eq", "#/components/schemas/LinkSessionCustomerUser"},
	{mkReq, "/components/schemas/CreateLinkSessionRequest/required", "has", "customer_user"},
	{mkReq, "/components/schemas/CreateLinkSessionRequest/properties/existing_link_id/type", "eq", "string"},
	{mkReq, "/components/schemas/CreateLinkSessionRequest/properties/existing_link_id/description", "contains", "Supply the existing `link_id` if you are asking the user to reconnect this link."},
	{mkReq, "/components/schemas/CreateLinkSessionRequest/properties/existing_link_id/description", "contains", "Access to previously\npermitted accounts is not revokable at this point."},
	{mkReq, "/components/schemas/CreateLinkSessionRequest/properties/existing_link_id/description", "contains", "MoneyKit may attempt to reconnect the account using a different\nprovider"},
	{mkReq, "/components/schemas/CreateLinkSessionRequest/properties/existing_link_id/description", "contains", "A reconnection cannot change the institution, the customer_user.id, the products, or\nthe country for an existing link."},
	{mkReq, "/components/schemas/CreateLinkSessionRequest/properties/existing_link_id/description", "contains", "be **removed** if the `webhook` parameter is omitted"},
	{mkReq, "/components/schemas/CreateLinkSessionRequest/properties/existing_link_id/description", "contains", "existing tags will be removed if `link_tags` is omitted"},
	{mkReq, "/components/schemas/CreateLinkSessionRequest/required", "lacks", "existing_link_id"},
	{mkReq, "/components/schemas/CreateLinkSessionRequest/properties/existing_link_id/example", "eq", "mk_eqkWN34UEoa2NxyALG8pcV"},
	{mkReq, "/components/schemas/CreateLinkSessionRequest/properties/institution_id/description", "contains", "Providing this will skip the\ninstitution selection step. This field is ignored if `existing_link_id` is provided."},
	{mkReq, "/components/schemas/CreateLinkSessionRequest/required", "lacks", "institution_id"},
	{mkReq, "/components/schemas/CreateLinkSessionRequest/properties/institution_id/example", "eq", "c7318ff7-257c-490e-8242-03a815b223b7"},
	{mkReq, "/components/schemas/CreateLinkSessionRequest/properties/redirect_uri/type", "eq", "string"},
	{mkReq, "/components/schemas/CreateLinkSessionRequest/required", "has", "redirect_uri"},
	{mkReq, "/components/schemas/CreateLinkSessionRequest/properties/redirect_uri/description", "contains", "should not contain any query parameters"},
	{mkReq, "/components/schemas/CreateLinkSessionRequest/properties/redirect_uri/description", "contains", "must be pre-approved by MoneyKit"},
	{mkReq, "/components/schemas/CreateLinkSessionRequest/properties/redirect_uri/x-banklink-no-query", "eq", true},
	{mkReq, "/components/schemas/CreateLinkSessionRequest/properties/redirect_uri/example", "eq", "https://yourdomain.com/oauth.html"},
	{mkReq, "/components/schemas/CreateLinkSessionRequest/properties/webhook/description", "eq", "The destination URL to which any webhooks should be sent."},
	{mkReq, "/components/schemas/CreateLinkSessionRequest/required", "lacks", "webhook"},
	{mkReq, "/components/schemas/CreateLinkSessionRequest/properties/webhook/example", "eq", "https://yourdomain.com/moneykit_webhook"},
	{mkReq, "/components/schemas/CreateLinkSessionRequest/properties/link_tags/$ref", "eq", "#/components/schemas/LinkTags"},
	{mkReq, "/components/schemas/LinkTags/type", "eq", "array"},
	{mkReq, "/components/schemas/LinkTag/type", "eq", "string"},
	{mkReq, "/components/schemas/CreateLinkSessionRequest/required", "lacks", "link_tags"},
	{mkReq, "/components/schemas/CreateLinkSessionRequest/properties/connect_features/$ref", "eq", "#/components/schemas/MoneyKitConnectFeatures"},
	{mkReq, "/components/schemas/CreateLinkSessionRequest/required", "lacks", "connect_features"},
	{mkReq, "/components/schemas/CreateLinkSessionRequest/example/existing_link_id", "eq", "mk_eqkWN34UEoa2NxyALG8pcV"},
	{mkReq, "/components/schemas/CreateLinkSessionRequest/example/institution_id", "eq", "c7318ff7-257c-490e-8242-03a815b223b7"},
	{mkReq, "/components/schemas/CreateLinkSessionRequest/example/redirect_uri", "eq", "https://yourdomain.com/oauth.html"},
	{mkReq, "/components/schemas/CreateLinkSessionRequest/example/webhook", "eq", "https://yourdomain.com/moneykit_webhook"},

	// 001: Link Money "Get a Session"
	{lmSess, "/paths/~1v2~1sessions/post/summary", "eq", "Get a Session"},
	{lmSess, "/paths/~1v2~1sessions/post/description", "contains", "This endpoint returns a session key and a URL to be used for SDK requests."},
	{lmSess, "/paths/~1v2~1sessions/post/description", "contains", "/v1/sessions"},
	{lmSess, "/paths/~1v2~1sessions/post/security/0/linkmoneyBasic", "eq", []any{}},
	{lmSess, "/components/securitySchemes/linkmoneyBasic/scheme", "eq", "basic"},
	{lmSess, "/paths/~1v2~1sessions/post/requestBody/content/application~1json/schema/$ref", "eq", "#/components/schemas/SessionRequest"},
	{lmSess, "/components/schemas/SessionRequest/required", "has", "firstName"},
	{lmSess, "/components/schemas/SessionRequest/properties/firstName/description", "contains", "Customer First Name"},
	{lmSess, "/components/schemas/SessionRequest/required", "has", "lastName"},
	{lmSess, "/components/schemas/SessionRequest/properties/lastName/description", "contains", "Customer Last Name"},
	{lmSess, "/components/schemas/SessionRequest/required", "has", "email"},
	{lmSess, "/components/schemas/SessionRequest/properties/email/description", "contains", "Customer Email"},
	{lmSess, "/components/schemas/SessionRequest/required", "lacks", "phoneNumber"},
	{lmSess, "/components/schemas/SessionRequest/properties/phoneNumber/description", "contains", "Customer Phone Number"},
	{lmSess, "/components/schemas/SessionRequest/required", "lacks", "billingAddress"},
	{lmSess, "/components/schemas/SessionRequest/properties/billingAddress/description", "contains", "Customer Billing Address"},
	{lmSess, "/components/schemas/SessionRequest/properties/orderDetails/$ref", "eq", "#/components/schemas/OrderDetails"},
	{lmSess, "/components/schemas/SessionRequest/required", "lacks", "orderDetails"},
	{lmSess, "/components/schemas/CustomerProfile/description", "contains", "Customer information collected to increase authorization rate and prevent fraud"},
	{lmSess, "/components/schemas/PaymentDetails/description", "contains", "Details of the payment (Conditional)"},
	{lmSess, "/components/schemas/SessionProduct/enum", "eq", []any{"PAY", "VERIFY"}},
	{lmSess, "/components/schemas/SessionProduct/default", "eq", "PAY"},
	{lmSess, "/components/schemas/SessionRequest/required", "has", "redirectUrl"},
	{lmSess, "/components/schemas/SessionRequest/properties/redirectUrl/description", "contains", "must be\npre-approved by Link Money"},
	{lmSess, "/components/schemas/ExperienceID/enum", "has", "LINK_MANAGED_PAYMENT"},
	{lmSess, "/components/schemas/SessionRequest/x-banklink-requires/0", "eq", map[string]any{"if": "paymentDetails", "then": "experienceId", "equals": "LINK_MANAGED_PAYMENT"}},
	{lmSess, "/components/schemas/OrderDetails/properties/items/items/$ref", "eq", "#/components/schemas/Item"},
	{lmSess, "/components/schemas/OrderDetails/properties/subtotalAmount/description", "contains", "Base total not including customary charges or discounts. Required\nif any of discountAmount, shippingAmount, or taxAmount are populated."},
	{lmSess, "/components/schemas/OrderDetails/x-banklink-requires", "eq", []any{
		map[string]any{"if": "discountAmount", "then": "subtotalAmount"},
		map[string]any{"if": "shippingAmount", "then": "subtotalAmount"},
		map[string]any{"if": "taxAmount", "then": "subtotalAmount"},
	}},
	{lmSess, "/components/schemas/OrderDetails/properties/discountAmount/description", "contains", "Only accepted if subtotalAmount is populated"},
	{lmSess, "/components/schemas/OrderDetails/properties/shippingAmount/description", "contains", "Only accepted if subtotalAmount is populated"},
	{lmSess, "/components/schemas/OrderDetails/properties/taxAmount/description", "contains", "Only accepted if subtotalAmount is populated"},
	{lmSess, "/components/schemas/OrderDetails/required", "eq", []any{"totalAmount"}},
	{lmSess, "/components/schemas/OrderDetails/properties/totalAmount/description", "contains", "Total amount for the order"},
	{lmSess, "/components/schemas/OrderDetails/properties/shippingAddress/description", "contains", "Customer Shipping Address"},
	{lmSess, "/components/schemas/CustomerProfile/properties/id/maxLength", "eq", 128},
	{lmSess, "/components/schemas/CustomerProfile/properties/id/description", "contains", "Unique Merchant-defined customer identifier. 128 character limit."},
	{lmSess, "/components/schemas/CustomerProfile/properties/guestCheckout/type", "eq", "boolean"},
	{lmSess, "/components/schemas/CustomerProfile/properties/guestCheckout/description", "contains", "not\nrequired for Account Verification requests"},
	{lmSess, "/components/schemas/CustomerProfile/properties/accountCreationDate/format", "eq", "date-time"},
	{lmSess, "/components/schemas/CustomerProfile/properties/accountCreationDate/description", "contains", "'2023-12-30T07:00:00-04:00' and '2023-12-30T07:00:00.1234-04:00'"},
	{lmSess, "/components/schemas/CustomerProfile/properties/transactionCount/type", "eq", "integer"},
	{lmSess, "/components/schemas/CustomerProfile/properties/firstTransactionDate/format", "eq", "date-time"},
	{lmSess, "/components/schemas/CustomerProfile/properties/verifiedEmail/type", "eq", "boolean"},
	{lmSess, "/components/schemas/CustomerProfile/properties/verifiedPhone/type", "eq", "boolean"},
	{lmSess, "/components/schemas/PaymentDetails/required", "eq", []any{"amount", "requestKey"}},
	{lmSess, "/components/schemas/Amount/properties/value/type", "eq", "number"},
	{lmSess, "/components/schemas/Amount/properties/currency/enum", "eq", []any{"USD"}},
	{lmSess, "/components/schemas/PaymentDetails/properties/requestKey/description", "contains", "The payment call is rejected if a\npayment record already exists in the system with the same request key."},
	{lmSess, "/components/schemas/SoftDescriptor/maxLength", "eq", 80},
	{lmSess, "/components/schemas/SoftDescriptor/description", "contains", "80 Alphanumeric Character Limit"},
	{lmSess, "/components/schemas/PaymentDetails/properties/clientReferenceId/description", "contains", "Unique merchant-generated ID that identifies this payment."},
	{lmSess, "/components/schemas/SessionResponse/properties/sessionKey/description", "eq", "A session key which establishes a trust between customer and Link."},
	{lmSess, "/components/schemas/SessionResponse/properties/sessionUrl/description", "eq", "URL required for customer to be directed to for linking and payment."},
	{lmSess, "/components/schemas/SessionResponse/example/sessionKey", "eq", "a5292de413e-2626d8244239-879a9-ffbdfa2"},
	{lmSess, "/components/schemas/SessionResponse/example/sessionUrl", "eq", "https://client.link.money?redirect={REDIRECT_URL}&version=web-v1.0.0&sessionKey={SESSION_KEY}"},
	{lmSess, "/components/schemas/Address/properties/streetAddress/type", "eq", "string"},
	{lmSess, "/components/schemas/Address/properties/stateOrProvince/type", "eq", "string"},
	{lmSess, "/components/schemas/Address/properties/postalCode/type", "eq", "string"},

	// 002: MoneyKit "Get Link Details"
	{mkLink, "/paths/~1links~1{id}/get/summary", "eq", "Get Link Details"},
	{mkLink, "/paths/~1links~1{id}/get/description", "contains", "Fetches details about a link."},
	{mkLink, "/components/parameters/LinkID/required", "eq", true},
	{mkLink, "/components/parameters/LinkID/description", "eq", "The unique ID for this link."},
	{mkLink, "/components/parameters/LinkID/example", "eq", "mk_eqkWN34UEoa2NxyALG8pcV"},
	{mkLink, "/paths/~1links~1{id}/get/responses/200/description", "eq", "Link details."},
	{mkLink, "/components/schemas/LinkCommon/properties/link_id/example", "eq", "mk_eqkWN34UEoa2NxyALG8pcV"},
	{mkLink, "/components/schemas/LinkCommon/properties/institution_id/description", "eq", "The unique ID for the institution this link is connected to."},
	{mkLink, "/components/schemas/LinkCommon/properties/institution_id/example", "eq", "chase"},
	{mkLink, "/components/schemas/LinkCommon/properties/institution_name/example", "eq", "Chase"},
	{mkLink, "/components/schemas/LinkCommon/properties/institution_avatar/description", "eq", "An avatar image for the link's institution."},
	{mkLink, "/components/schemas/LinkCommon/properties/institution_avatar/example", "eq", "https://example.com/avatar.png"},
	{mkLink, "/components/schemas/PublicLinkState/enum", "eq", []any{"connecting", "awaiting_token_exchange", "connected", "deleted", "error"}},
	{mkLink, "/components/schemas/PublicLinkState/example", "eq", "connected"},
	{mkLink, "/components/schemas/PublicLinkState/description", "contains", "MoneyKit completely removes deleted links 90 days after deletion"},
	{mkLink, "/components/schemas/PublicLinkError/enum", "eq", []any{"system_error", "provider_error", "institution_error", "user_error", "auth_expired", "no_accounts", "user_setup_required", "invalid_credentials", "user_oauth_denied", "user_input_incorrect", "incomplete"}},
	{mkLink, "/components/schemas/PublicLinkError/description", "contains", "The type of error, if the link is in the `error` state."},
	{mkLink, "/components/schemas/LinkCommon/properties/last_synced_at/deprecated", "eq", true},
	{mkLink, "/components/schemas/LinkCommon/properties/last_synced_at/format", "eq", "date-time"},
	{mkLink, "/components/schemas/LinkCommon/properties/last_synced_at/example", "eq", "2023-02-16T09:14:11"},
	{mkLink, "/components/schemas/Provider/enum", "eq", []any{"moneykit", "finicity", "plaid", "yodlee", "mx", "akoya"}},
	{mkLink, "/components/schemas/Provider/example", "eq", "akoya"},
	{mkLink, "/components/schemas/Provider/description", "contains", "MoneyKit may switch providers if necessary"},
	{mkLink, "/components/schemas/LinkCommon/properties/link_tags/description", "eq", "Arbitrary strings used to describe this link."},
	{mkLink, "/components/schemas/LinkCommon/properties/tags/deprecated", "eq", true},
	{mkLink, "/components/schemas/LinkCommon/properties/tags/description", "contains", "use `link_tags` instead"},
	{mkLink, "/components/schemas/LinkCommon/properties/webhook/description", "eq", "The webhook url assigned to this link."},
	{mkLink, "/components/schemas/LinkCommon/properties/webhook/example", "eq", "https://example.com/webhook"},
	{mkLink, "/components/schemas/LinkProducts/description", "eq", "The granted products available for this link."},
	{mkLink, "/components/schemas/LinkCommon/properties/available_products/description", "contains", "Products can be added to (and\nremoved from) an existing link by creating a new link-session"},
	{mkLink, "/components/schemas/Product/enum", "eq", []any{"accounts", "account_numbers", "identity", "transactions", "investments", "enrichment"}},
	{mkLink, "/components/responses/MoneyKitLinkForbidden/description", "contains", "Forbidden by link owner. The user did not give permission to access this data when linking."},
	{mkLink, "/components/schemas/LinkErrorForbiddenActionResponse/allOf/1/properties/error_code/default", "eq", "link_error.forbidden_action"},
	{mkLink, "/components/schemas/LinkErrorForbiddenActionResponse/allOf/1/properties/error_code/enum", "eq", []any{"link_error.forbidden_action"}},
	{mkLink, "/components/schemas/LinkErrorForbiddenActionResponse/allOf/1/properties/error_message/example", "eq", "Accounts access not permitted"},
	{mkLink, "/components/schemas/MoneyKitError/properties/documentation_url/type", "eq", "string"},
	{mkLink, "/components/responses/MoneyKitLinkNotFound/description", "eq", "Link not found."},
	{mkLink, "/components/schemas/LinkErrorNotFoundResponse/allOf/1/properties/error_code/default", "eq", "link_error.not_found"},
	{mkLink, "/components/schemas/LinkErrorNotFoundResponse/allOf/1/properties/error_code/enum", "eq", []any{"link_error.not_found"}},
	{mkLink, "/components/schemas/LinkErrorNotFoundResponse/allOf/1/properties/error_message/default", "eq", "Link not found."},
	{mkLink, "/components/responses/MoneyKitLinkDeleted/description", "eq", "Link deleted."},
	{mkLink, "/components/schemas/LinkErrorDeletedResponse/allOf/1/properties/error_code/default", "eq", "link_error.deleted"},
	{mkLink, "/components/schemas/LinkErrorDeletedResponse/allOf/1/properties/error_code/enum", "eq", []any{"link_error.deleted"}},
	{mkLink, "/components/schemas/LinkErrorDeletedResponse/allOf/1/properties/error_message/default", "eq", "This link was deleted at some earlier time."},
	{mkLink, "/components/responses/MoneyKitLinkBadState/description", "contains", "Link error."},
	{mkLink, "/components/schemas/LinkErrorBadStateResponse/allOf/1/properties/error_code/default", "eq", "link_error.bad_state"},
	{mkLink, "/components/schemas/LinkErrorBadStateResponse/allOf/1/properties/error_code/enum", "eq", []any{"link_error.bad_state"}},
	{mkLink, "/components/schemas/LinkErrorBadStateResponse/allOf/1/properties/link_error_code/type", "eq", "string"},
	{mkLink, "/components/responses/MoneyKitRateLimited/description", "contains", "Rate limit exceeded."},
	{mkLink, "/components/schemas/APIErrorRateLimitExceededResponse/allOf/1/properties/error_code/default", "eq", "api_error.rate_limit_exceeded"},
	{mkLink, "/components/schemas/APIErrorRateLimitExceededResponse/allOf/1/properties/error_code/enum", "eq", []any{"api_error.rate_limit_exceeded"}},
	{mkLink, "/components/schemas/APIErrorRateLimitExceededResponse/allOf/1/properties/error_message/default", "eq", "Rate limit exceeded"},
	{mkLink, "/paths/~1links~1{id}/get/responses/403/$ref", "eq", "#/components/responses/MoneyKitLinkForbidden"},
	{mkLink, "/paths/~1links~1{id}/get/responses/404/$ref", "eq", "#/components/responses/MoneyKitLinkNotFound"},
	{mkLink, "/paths/~1links~1{id}/get/responses/410/$ref", "eq", "#/components/responses/MoneyKitLinkDeleted"},
	{mkLink, "/paths/~1links~1{id}/get/responses/422/$ref", "eq", "#/components/responses/MoneyKitLinkBadState"},
	{mkLink, "/paths/~1links~1{id}/get/responses/429/$ref", "eq", "#/components/responses/MoneyKitRateLimited"},
}

// TestSeedFactsAreInTheSpec checks that every fact the provider documents state
// is recorded where this table says. The table is the index from each seed fact
// to its place in api/openapi.yaml.
func TestSeedFactsAreInTheSpec(t *testing.T) {
	doc := loadSpec(t)
	for _, f := range seedFacts {
		t.Run(f.seed+" "+f.ptr, func(t *testing.T) {
			got := lookup(t, doc, f.ptr)
			switch f.op {
			case "eq":
				require.Equal(t, f.want, got)
			case "contains":
				s, ok := got.(string)
				require.Truef(t, ok, "%s is %T, not a string", f.ptr, got)
				require.Contains(t, s, f.want)
			case "has", "lacks":
				list, ok := got.([]any)
				require.Truef(t, ok, "%s is %T, not a list", f.ptr, got)
				if f.op == "has" {
					require.Contains(t, list, f.want)
				} else {
					require.NotContains(t, list, f.want)
				}
			default:
				t.Fatalf("unknown op %q", f.op)
			}
		})
	}
}
