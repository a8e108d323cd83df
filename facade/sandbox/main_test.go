package sandbox_test

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the run if any test leaves a goroutine behind: a server
// that was not closed, a handler still sleeping on injected latency, or a
// client connection that was not drained and closed.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
