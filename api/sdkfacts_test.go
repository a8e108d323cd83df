package api_test

import (
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// sdkField is what MoneyKit's official SDK models (moneykit-ruby and
// moneykit-python, May 2025) say about one field. typ is the JSON type, or
// "ref:Name" for another schema; format, def and enum are checked when set.
type sdkField struct {
	typ      string
	required bool
	// sdkRequired: the older SDK models require the field, the spec (with
	// MoneyKit's newer models and the reference) leaves it optional, and the
	// sandbox always sends it; facade/sandbox's response check lists it too.
	sdkRequired bool
	format      string
	def         any
	enum        []any
}

func opt(typ string) sdkField { return sdkField{typ: typ} }
func req(typ string) sdkField { return sdkField{typ: typ, required: true} }
func ts() sdkField            { return sdkField{typ: "string", format: "date-time"} }
func sdkOnly(typ string) sdkField {
	return sdkField{typ: typ, sdkRequired: true}
}
func date(required bool) sdkField { return sdkField{typ: "string", required: required, format: "date"} }

// errCode is an error schema's error_code: optional, one enum value, that
// value as its default.
func errCode(code string) sdkField {
	return sdkField{typ: "string", def: code, enum: []any{code}}
}

// errMessage is an error_message with MoneyKit's default, or required where
// MoneyKit documents none.
func errMessage(def string) sdkField {
	if def == "" {
		return req("string")
	}
	return sdkField{typ: "string", def: def}
}

func errorSchema(code, message string, extra map[string]sdkField) map[string]sdkField {
	m := map[string]sdkField{"error_code": errCode(code), "error_message": errMessage(message), "documentation_url": opt("string")}
	for k, v := range extra {
		m[k] = v
	}
	return m
}

// sdkSchemas lists, for every MoneyKit schema the spec shares with the SDKs,
// every field the SDK models declare. Where a seed document differs the seed
// wins, and the entry says so.
var sdkSchemas = map[string]map[string]sdkField{
	"CreateLinkSessionRequest": {
		"settings": opt("ref:LinkSessionSettingOverrides"), "customer_user": req("ref:LinkSessionCustomerUser"),
		"existing_link_id": opt("string"), "institution_id": opt("string"), "redirect_uri": req("string"),
		"webhook": opt("string"), "link_tags": opt("ref:LinkTags"), "connect_features": opt("ref:MoneyKitConnectFeatures"),
		"custom_sandbox_data": opt("ref:CustomSandboxData"),
	},
	"CustomSandboxData":    {"accounts": req("array"), "owners": opt("array")},
	"CustomSandboxAccount": {"account_type": req("string"), "name": req("string"), "account_number": req("string"), "routing_number": opt("string")},
	"LinkSessionCustomerUser": {
		"id": req("string"), "email": opt("ref:CustomerUserEmail"), "phone": opt("ref:CustomerUserPhone"),
	},
	"CustomerUserEmail": {"address": req("string"), "customer_verified_at": ts()},
	"CustomerUserPhone": {"number": req("string"), "country": opt("ref:Country"), "customer_verified_at": ts()},
	"LinkSessionSettingOverrides": {
		"providers": opt("array"), "products": opt("ref:ProductsSettings"), "countries": opt("array"),
	},
	"ProductsSettings": {
		"account_numbers": opt("ref:ProductSettings"), "identity": opt("ref:ProductSettings"),
		"investments": opt("ref:ProductSettings"), "transactions": opt("ref:ProductSettings"),
	},
	"ProductSettings": {
		"required": {typ: "boolean", def: false}, "require_permission": {typ: "boolean", def: false},
		"prefetch": {typ: "boolean", def: false}, "reason": opt("string"),
	},
	"MoneyKitConnectFeatures": {
		"issue_reporter": {typ: "boolean", def: false}, "enable_money_id": {typ: "boolean", def: false},
		"duplicate_institution_warning": {typ: "boolean", def: false}, "duplicate_institution_rejected": {typ: "boolean", def: false},
		"connect_manually": {typ: "boolean", def: false}, "permit_only_one_account": {typ: "boolean", def: false},
		"permit_only_depository_accounts": {typ: "boolean", def: false},
	},
	"CreateLinkSessionResponse": {"link_session_token": req("string")},
	"ExchangeTokenRequest":      {"exchangeable_token": req("string")},
	"ExchangeTokenResponse":     {"link_id": req("string"), "link": req("ref:LinkCommon")},
	"UpdateLinkRequest":         {"webhook": opt("string"), "link_tags": opt("ref:LinkTags"), "tags": opt("array")},
	"LinkCommon": {
		"link_id": req("string"), "institution_id": req("string"), "institution_name": req("string"),
		"institution_avatar": req("string"), "state": req("ref:PublicLinkState"), "error_code": opt("ref:PublicLinkError"),
		"last_synced_at": ts(), "provider": req("ref:Provider"), "link_tags": opt("array"), "tags": opt("array"),
		"webhook": opt("string"), "products": req("ref:LinkProducts"), "available_products": req("array"),
	},
	"LinkProducts": {
		"accounts": opt("ref:LinkProductResponse"), "account_numbers": opt("ref:LinkProductResponse"),
		"identity": opt("ref:LinkProductResponse"), "investments": opt("ref:LinkProductResponse"),
		"enrichment": opt("ref:LinkProductResponse"), "transactions": opt("ref:TransactionsLinkProduct"),
	},
	"LinkProductResponse": {
		"refreshed_at": ts(), "last_attempted_at": ts(), "error_code": opt("ref:LinkProductError"),
		"error_message": opt("string"), "unavailable": opt("string"), "settings": opt("ref:ProductSettings"),
	},
	"TransactionsLinkProduct": {
		"refreshed_at": ts(), "last_attempted_at": ts(), "error_code": opt("ref:LinkProductError"),
		"error_message": opt("string"), "unavailable": opt("string"), "settings": opt("ref:ProductSettings"),
		"has_history": req("boolean"),
	},
	"CreateAccessTokenRequest": {
		"grant_type": {typ: "string", def: "client_credentials", enum: []any{"client_credentials", "refresh_token"}},
		"scope":      {typ: "string", def: ""}, "client_id": opt("string"), "client_secret": opt("string"),
	},
	"GetUserLinksResponse":      {"links": req("object")},
	"CreateAccessTokenResponse": {"access_token": req("string"), "token_type": req("string"), "expires_in": req("integer")},
	"JWKSet":                    {"keys": req("array")},
	"ValidationError":           {"location": req("array"), "message": req("string"), "type": req("string")},

	"APIErrorAuthExpiredAccessTokenResponse": errorSchema("api_error.auth.expired_access_token", "Access token expired", nil),
	"APIErrorAuthUnauthorizedResponse":       errorSchema("api_error.auth.unauthorized", "", nil),
	"LinkErrorUnauthorizedAccessResponse":    errorSchema("link_error.unauthorized_access", "Unauthorized link access.", nil),
	"APIErrorRateLimitExceededResponse":      errorSchema("api_error.rate_limit_exceeded", "Rate limit exceeded", nil),
	"LinkErrorForbiddenActionResponse":       errorSchema("link_error.forbidden_action", "", nil),
	"LinkErrorNotFoundResponse":              errorSchema("link_error.not_found", "Link not found.", nil),
	// The SDKs' default message is "Link deleted."; MoneyKit's "Get Link
	// Details" document says "This link was deleted at some earlier time.",
	// and the document wins.
	"LinkErrorDeletedResponse":                     errorSchema("link_error.deleted", "This link was deleted at some earlier time.", nil),
	"LinkErrorBadStateResponse":                    errorSchema("link_error.bad_state", "", map[string]sdkField{"link_error_code": req("string")}),
	"LinkSessionErrorForbiddenConfigResponse":      errorSchema("link_session_error.forbidden_config", "", nil),
	"LinkSessionErrorInvalidTokenExchangeResponse": errorSchema("link_session_error.invalid_token_exchange", "", nil),
	"APIErrorValidationFailedResponse": errorSchema("api_error.request.validation_failed", "Request validation error",
		map[string]sdkField{"validation_errors": req("array")}),

	// The data API (moneykit-ruby lib/moneykit/models/*.rb, moneykit-python
	// moneykit/models/*.py and the Stainless moneykit-python types). The
	// sync response's accounts are not in the older models; banklink
	// requires them and the sandbox sends them.
	"GetAccountsResponse": {"accounts": req("array"), "link": req("ref:LinkCommon")},
	"GetAccountResponse":  {"account": req("ref:AccountResponse"), "link": req("ref:LinkCommon")},
	"AccountResponse": {
		"account_id": req("string"), "account_type": req("string"), "name": req("string"), "account_mask": opt("string"),
		"balances": req("ref:AccountBalances"), "raw_provider_data": opt("object"), "original_id": opt("string"), "closed": opt("boolean"),
	},
	"AccountBalances": {
		"currency": sdkOnly("string"), "available": opt("number"), "current": opt("number"), "limit": opt("number"), "balance_date": ts(),
	},
	"GetAccountNumbersResponse": {"accounts": req("array"), "link": req("ref:LinkCommon")},
	"AccountWithAccountNumbers": {
		"account_id": req("string"), "account_type": req("string"), "name": req("string"), "account_mask": opt("string"),
		"balances": req("ref:AccountBalances"), "raw_provider_data": opt("object"), "original_id": opt("string"), "closed": opt("boolean"),
		"numbers": req("ref:AccountNumbers"),
	},
	"AccountNumbers":      {"ach": req("array"), "eft": req("array"), "bacs": req("array"), "international": req("array")},
	"AchNumber":           {"account_number": req("string"), "routing_number": req("string"), "wire_routing_number": opt("string")},
	"BacsNumber":          {"account_number": req("string"), "sort_code": req("string")},
	"EftNumber":           {"account_number": req("string"), "institution_number": req("string"), "branch_number": req("string")},
	"InternationalNumber": {"iban": req("string"), "bic": req("string")},
	"IdentityResponse":    {"accounts": req("array"), "link": req("ref:LinkCommon")},
	"AccountIdentity": {
		"account_id": req("string"), "account_type": req("string"), "name": req("string"), "account_mask": opt("string"),
		"balances": req("ref:AccountBalances"), "raw_provider_data": opt("object"), "original_id": opt("string"), "closed": opt("boolean"),
		"owners": req("array"),
	},
	"Owner": {"names": req("array"), "addresses": req("array"), "phone_numbers": req("array"), "emails": req("array")},
	"OwnerAddress": {
		"city": opt("string"), "country": opt("string"), "postal_code": opt("string"), "region": opt("string"), "street": opt("string"), "primary": opt("boolean"),
	},
	"OwnerEmail":  {"address": req("string"), "primary": opt("boolean")},
	"PhoneNumber": {"number": req("string"), "primary": opt("boolean"), "type": req("ref:PhoneNumberType")},
	"GetTransactionsResponse": {
		"total": req("integer"), "page": req("integer"), "size": req("integer"), "transactions": req("array"), "accounts": req("array"), "link": req("ref:LinkCommon"),
	},
	"TransactionResponse": {
		"transaction_id": req("string"), "account_id": req("string"), "amount": req("string"), "type": req("ref:TransactionType"),
		"currency": req("string"), "date": date(true), "datetime": ts(), "description": opt("string"), "raw_description": opt("string"),
		"pending": req("boolean"), "category": opt("string"), "enrichment": opt("ref:TransactionEnrichmentResponse"), "original_id": opt("string"),
	},
	"TransactionSyncResponse": {
		"transactions": req("ref:TransactionSync"), "accounts": req("array"), "cursor": req("ref:CursorPagination"), "has_more": req("boolean"), "link": req("ref:LinkCommon"),
	},
	"TransactionSync":  {"created": req("array"), "updated": req("array"), "removed": req("array")},
	"Cursors":          {"next": opt("string")},
	"CursorPagination": {"next": opt("string")},
	"CustomerApp":      {"app_id": req("string"), "name": req("string"), "id": req("string"), "app_name": req("string")}, // the 2025 SDK's AppResponse
	"GetHoldingsResponse": {
		"holdings": req("array"), "securities": req("array"), "accounts": req("array"), "link": req("ref:LinkCommon"),
	},
	"HoldingResponse": {
		"account_id": req("string"), "security_id": req("string"), "quantity": req("string"), "price": opt("string"),
		"price_datetime": ts(), "value": opt("string"), "cost_basis": opt("string"),
	},
	"SecurityResponse": {
		"security_id": req("string"), "name": req("string"), "type": req("string"), "currency": req("string"), "ticker": opt("string"),
		"isin": opt("string"), "sedol": opt("string"), "close_price": opt("string"), "close_date": date(false),
	},
	"GetInvestmentTransactionsResponse": {
		"total": req("integer"), "page": req("integer"), "size": req("integer"), "investment_transactions": req("array"),
		"securities": req("array"), "accounts": req("array"), "link": req("ref:LinkCommon"),
	},
	"InvestmentTransactionResponse": {
		"investment_transaction_id": req("string"), "account_id": req("string"), "amount": req("string"), "date": date(true), "datetime": ts(),
		"description": req("string"), "type": req("string"), "fees": opt("string"), "forex_rate": opt("string"), "price": opt("string"),
		"quantity": opt("string"), "security_id": opt("string"),
	},
	"GetInstitutionsResponse": {"institutions": req("array"), "cursors": req("ref:Cursors")},
	"Institution": {
		"institution_id": req("string"), "institution_id_aliases": req("array"), "name": req("string"), "country": req("ref:Country"),
		"domain": opt("string"), "color": sdkOnly("string"), "color_dark": opt("string"), "is_featured": req("boolean"),
	},
	"IntrospectClientResponse": {
		"client_id": req("string"), "client_name": req("string"), "scope": req("string"), "app": req("ref:CustomerApp"), "disabled_at": ts(),
	},
}

// flatten merges a schema's own properties and required list with those of
// its allOf members, later members overriding earlier ones, as a decoder
// sees them.
func flatten(t *testing.T, doc any, s map[string]any) (map[string]map[string]any, map[string]bool) {
	t.Helper()
	props, required := map[string]map[string]any{}, map[string]bool{}
	var walk func(s map[string]any)
	walk = func(s map[string]any) {
		if ref, ok := s["$ref"].(string); ok {
			walk(lookup(t, doc, strings.TrimPrefix(ref, "#")).(map[string]any))
			return
		}
		for _, m := range asList(s["allOf"]) {
			walk(m.(map[string]any))
		}
		for name, p := range asMap(s["properties"]) {
			props[name] = p.(map[string]any)
		}
		for _, r := range asList(s["required"]) {
			required[r.(string)] = true
		}
	}
	walk(s)
	return props, required
}

func asList(v any) []any {
	l, _ := v.([]any)
	return l
}

func asMap(v any) map[string]any {
	m, _ := v.(map[string]any)
	return m
}

// fieldType names a property's type the way sdkField does: a $ref, or an
// allOf of a single $ref (which lets a property carry its own description),
// is "ref:Name".
func fieldType(p map[string]any) string {
	if ref, ok := p["$ref"].(string); ok {
		return "ref:" + strings.TrimPrefix(ref, "#/components/schemas/")
	}
	if all := asList(p["allOf"]); len(all) == 1 {
		if ref, ok := asMap(all[0])["$ref"].(string); ok {
			return "ref:" + strings.TrimPrefix(ref, "#/components/schemas/")
		}
	}
	typ, _ := p["type"].(string)
	return typ
}

// TestSpecMatchesSDKModels pins the spec's MoneyKit schemas to the official
// SDK models: the same fields, no more and no fewer, with the same
// required-ness, types, formats, enums and defaults.
func TestSpecMatchesSDKModels(t *testing.T) {
	doc := loadSpec(t)
	names := make([]string, 0, len(sdkSchemas))
	for n := range sdkSchemas {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, name := range names {
		want := sdkSchemas[name]
		t.Run(name, func(t *testing.T) {
			props, required := flatten(t, doc, lookup(t, doc, "/components/schemas/"+name).(map[string]any))
			var gotNames, wantNames []string
			for n := range props {
				gotNames = append(gotNames, n)
			}
			for n := range want {
				wantNames = append(wantNames, n)
			}
			sort.Strings(gotNames)
			sort.Strings(wantNames)
			require.Equal(t, wantNames, gotNames, "field names")
			for _, f := range wantNames {
				w, p := want[f], props[f]
				assert.Equal(t, w.typ, fieldType(p), "%s type", f)
				assert.Equal(t, w.required, required[f], "%s required", f)
				if w.sdkRequired {
					assert.False(t, required[f], "%s: optional in the spec, required only by older SDK models", f)
				}
				if w.format != "" {
					assert.Equal(t, w.format, p["format"], "%s format", f)
				}
				if w.def != nil {
					assert.Equal(t, w.def, p["default"], "%s default", f)
				}
				if w.enum != nil {
					assert.Equal(t, w.enum, p["enum"], "%s enum", f)
				}
			}
		})
	}
}

// TestEveryErrorSchemaHasOneCode checks that no MoneyKit error schema merges
// several codes into one enum: a body that can carry several codes is a
// oneOf of single-code schemas.
func TestEveryErrorSchemaHasOneCode(t *testing.T) {
	doc := loadSpec(t)
	schemas := lookup(t, doc, "/components/schemas").(map[string]any)
	seen := 0
	for name, s := range schemas {
		sm := s.(map[string]any)
		if !refersTo(sm, "#/components/schemas/MoneyKitError") {
			continue
		}
		seen++
		props, required := flatten(t, doc, sm)
		code := props["error_code"]
		require.NotNil(t, code, name)
		assert.Len(t, asList(code["enum"]), 1, "%s: error_code enum", name)
		assert.Equal(t, asList(code["enum"])[0], code["default"], "%s: error_code default", name)
		assert.False(t, required["error_code"], "%s: error_code is optional", name)
	}
	assert.GreaterOrEqual(t, seen, 11, "error schemas found")
	for _, union := range []string{"APIErrorAuthResponse", "LinkAuthErrorResponse", "LinkUnprocessableResponse"} {
		s := lookup(t, doc, "/components/schemas/"+union).(map[string]any)
		assert.NotEmpty(t, asList(s["oneOf"]), "%s is a oneOf", union)
		assert.Nil(t, s["properties"], "%s declares no merged fields", union)
	}
}

func refersTo(s map[string]any, ref string) bool {
	for _, m := range asList(s["allOf"]) {
		if asMap(m)["$ref"] == ref {
			return true
		}
	}
	return false
}

// sdkEnums are the SDK models' enums that no seed document states.
var sdkEnums = map[string][]any{
	"Product":          {"accounts", "account_numbers", "identity", "transactions", "investments", "enrichment"},
	"Country":          {"US", "GB", "CA"},
	"LinkProductError": {"rate_limit", "auth_expired", "not_supported", "timeout", "unknown", "no_accounts", "institution_error", "no_permission"},
	"SupportedVersion": {"2023-02-18"},
}

func TestSpecEnumsMatchSDKModels(t *testing.T) {
	doc := loadSpec(t)
	for name, want := range sdkEnums {
		assert.Equal(t, want, lookup(t, doc, "/components/schemas/"+name+"/enum"), name)
	}
}
