package moneykit

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// The generated Validate method, on a body the builders make (BENCHMARKS.md).
func BenchmarkBodyValid(b *testing.B) {
	b.Run("CreateLinkSessionRequest", func(b *testing.B) {
		body := NewLinkSession("user-42", "https://app.example/oauth", WithLinkTags("a", "b"))
		require.NoError(b, body.Validate())
		b.ReportAllocs()
		for b.Loop() {
			if body.Validate() != nil {
				b.Fatal("invalid")
			}
		}
	})
}
