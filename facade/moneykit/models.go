package moneykit

// The generated types (models.gen.go) are MoneyKit's data model, under the
// names api/openapi.yaml gives them; these name the ones callers use most.
type (
	// LinkSessionRequest is the body of POST /link-session (NewLinkSession).
	LinkSessionRequest = CreateLinkSessionRequest
	// LinkSession holds the link_session_token for MoneyKit Connect.
	LinkSession = CreateLinkSessionResponse
	// ExchangeResult is the link created by exchanging a Connect token.
	ExchangeResult = ExchangeTokenResponse
	// LinkUpdateRequest is the body of PATCH /links/{id} (NewLinkUpdate).
	LinkUpdateRequest = UpdateLinkRequest
	// Link is a MoneyKit link.
	Link = LinkCommon
	// LinkSummary is one entry of the application's link list (Links.List).
	LinkSummary = GetLinksLink
	// WebhookTestResult holds the delivery token of a test webhook.
	WebhookTestResult = WebhookTestLinkResponse
	// Account is one account of a link.
	Account = AccountResponse
	// Transaction is one transaction of an account.
	Transaction = TransactionResponse
	// InvestmentTransaction is one transaction of an investment account.
	InvestmentTransaction = InvestmentTransactionResponse
	// AccessToken is a token from POST /auth/token (Auth.Token).
	AccessToken = CreateAccessTokenResponse
)
