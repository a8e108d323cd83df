package transport

// What the external tests (package transport_test) read of the transport's
// internals: the parser and bounds they hold the client's behaviour to.
var (
	RetryAfter = retryAfter
	WaitTimer  = waitTimer
)

const (
	MaxErrorBody   = maxErrorBody
	MaxSuccessBody = maxSuccessBody
	MaxDrain       = maxDrain
	MaxGateWindow  = maxGateWindow
)
