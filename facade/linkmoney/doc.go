// Package linkmoney is banklink's client for Link Money's pay by bank:
// the company creates a session for a customer (optionally with the order
// and the payment), the customer links a bank (and pays) in Link Money's
// hosted UI at the session's URL, and the company then reads customers
// and makes payments, credits and refunds. Webhooks report each payment's
// fate (package facade/webhook verifies them).
//
//	lm, err := linkmoney.New(facade.WithEnvironment(facade.Sandbox))
//	session, err := lm.Sessions.Create(ctx, linkmoney.NewSession(
//		linkmoney.SessionCustomer{FirstName: "Jane", LastName: "Doe", Email: "jane@example.com"},
//		"https://merchant.example/return",
//		linkmoney.WithOrder(linkmoney.USD(2500)),
//		linkmoney.WithPayment(linkmoney.USD(2500))))
//	pay, err := lm.Payments.Create(ctx, linkmoney.NewPayment(customerID, merchantID, linkmoney.USD(1234)))
//	if err != nil {
//		key := facade.IdempotencyKeyOf(err) // resend with WithRequestKey(key): paid at most once
//	}
//
// Amounts are exact decimals (Amount's Value is the text Link Money sent,
// never a float); USD, ParseUSD and Cents convert. Every payment and
// refund carries a requestKey, banklink's or yours (WithRequestKey), sent
// unchanged on every retry. The services (Client's fields) have one method
// per operation, each taking trailing facade.CallOptions; requests and
// responses are Link Money's data model as api/openapi.yaml describes it,
// under its names (SessionRequest, PaymentResponse, Transaction, …), with
// Go-style enum constants (GoodTypePhysical, PaymentStatusTerminalFailed).
// The policies every call follows (retries and safety classes, rate
// limits, tokens per OAuth2 scope, validation before sending, errors,
// logging) are written in package facade's documentation.
package linkmoney
