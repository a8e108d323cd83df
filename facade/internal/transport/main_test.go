package transport_test

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the run if any test leaves a goroutine behind (a token
// flight, a wait, a connection that was not drained and closed).
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
