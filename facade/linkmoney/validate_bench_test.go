package linkmoney

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// The generated Validate methods, on bodies the builders make (BENCHMARKS.md).

// validator is a generated request type.
type validator interface{ Validate() error }

func validBenchBodies() []struct {
	name string
	body validator
} {
	return []struct {
		name string
		body validator
	}{
		{"SessionRequest", NewSession(SessionCustomer{FirstName: "A", LastName: "B", Email: "a@example.com"}, "https://m.example/r", WithOrder(USD(1100)))},
		{"PaymentRequest", keyedPayment(NewPayment("c1", "m1", USD(1234)))},
	}
}

func BenchmarkBodyValid(b *testing.B) {
	for _, bb := range validBenchBodies() {
		b.Run(bb.name, func(b *testing.B) {
			require.NoError(b, bb.body.Validate())
			b.ReportAllocs()
			for b.Loop() {
				if bb.body.Validate() != nil {
					b.Fatal("invalid")
				}
			}
		})
	}
}

func BenchmarkBodyInvalid(b *testing.B) {
	s := NewSession(SessionCustomer{FirstName: "A", LastName: "B", Email: "a@example.com"}, "https://m.example/r", WithOrder(USD(1100), WithTax(USD(100))))
	s.OrderDetails.SubtotalAmount = Amount{}
	require.Error(b, s.Validate())
	b.ReportAllocs()
	for b.Loop() {
		if s.Validate() == nil {
			b.Fatal("valid")
		}
	}
}

// keyedPayment sets the requestKey Payments.Create would generate.
func keyedPayment(p *PaymentRequest) *PaymentRequest { p.RequestKey = "k-1"; return p }
