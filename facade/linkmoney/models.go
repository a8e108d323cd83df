package linkmoney

// The generated types (models.gen.go) are Link Money's data model, under
// the names api/openapi.yaml gives them; these name the ones callers use
// most. Transaction is a payment's lifecycle record (Payments.Status).
type (
	// Session holds the sessionKey and sessionUrl for Link Money's hosted UI.
	Session = SessionResponse
	// Payment is a payment as Link Money recorded it.
	Payment = PaymentResponse
	// Refund is a refund as Link Money recorded it.
	Refund = RefundResponse
)
