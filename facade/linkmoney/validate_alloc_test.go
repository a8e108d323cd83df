//go:build !race

package linkmoney

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Allocation counts mean nothing under -race, so this runs in the non-race
// pass (make test-alloc).
func TestValidateAllocatesNothingForAValidRequest(t *testing.T) {
	for name, v := range map[string]validator{
		"session": NewSession(SessionCustomer{FirstName: "A", LastName: "B", Email: "a@example.com"}, "https://m.example/r", WithOrder(USD(1100))),
		"payment": keyedPayment(NewPayment("c1", "m1", USD(1234))),
		"refund":  withRefundKey(NewRefund("p1", USD(100))),
	} {
		require.NoError(t, v.Validate(), name)
		assert.Zero(t, testing.AllocsPerRun(100, func() { _ = v.Validate() }), name)
	}
}

// withRefundKey sets the requestKey Refunds.Create would generate.
func withRefundKey(r *RefundRequest) *RefundRequest { r.RequestKey = "k-1"; return r }
