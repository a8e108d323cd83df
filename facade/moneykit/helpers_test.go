package moneykit

import (
	"testing"

	"github.com/banklink/banklink/internal/testkit"
)

// newFakeAPI starts a loopback MoneyKit: it answers POST /auth/token itself
// and routes everything else to per-route handlers, counting hits, bodies
// and token requests. Its Client's retry waits return at once.
func newFakeAPI(t *testing.T) *testkit.ProviderAPI[*Client] { return testkit.NewProviderAPI(t, New) }
