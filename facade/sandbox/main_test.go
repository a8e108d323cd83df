package sandbox_test

import (
	"fmt"
	"os"
	"testing"

	"go.uber.org/goleak"

	"github.com/banklink/banklink/facade/sandbox"
)

// TestMain fails the run if any test leaves a goroutine behind (a server
// that was not closed, a handler still sleeping on injected latency, or a
// client connection that was not drained and closed), or if any response
// the tests received does not conform to the spec.
func TestMain(m *testing.M) {
	code := m.Run()
	if code == 0 {
		if err := sandbox.ConformanceReport(); err != nil {
			fmt.Fprintf(os.Stderr, "responses against api/openapi.yaml:\n%v\n", err)
			code = 1
		}
	}
	if code == 0 {
		if err := goleak.Find(); err != nil {
			fmt.Fprintf(os.Stderr, "goleak: Errors on successful test run: %v\n", err)
			code = 1
		}
	}
	os.Exit(code)
}
