package facade

import "github.com/banklink/banklink/internal/opmeta"

// Provider names an upstream API.
type Provider string

const (
	ProviderMoneyKit  Provider = "moneykit"
	ProviderLinkMoney Provider = "linkmoney"
)

// Safety is an operation's retry class, the spec's x-banklink-retry.
type Safety = opmeta.Retry

const (
	// SafetyUnknown is the zero value; no operation in the spec has it.
	SafetyUnknown = opmeta.RetryUnknown
	// SafetySafe operations may be repeated with no further effect.
	SafetySafe = opmeta.RetrySafe
	// SafetyIdempotencyKey operations carry a key in the body that the server
	// deduplicates on; banklink reuses the same key on every attempt.
	SafetyIdempotencyKey = opmeta.RetryIdempotencyKey
	// SafetySingleUse operations are never replayed once the server may have seen them.
	SafetySingleUse = opmeta.RetrySingleUse
	// SafetyUnsafe operations are replayed only after a 429 or when the request
	// never reached the server.
	SafetyUnsafe = opmeta.RetryUnsafe
)
