package validate

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the run if compiling or checking rules leaves a goroutine
// behind (validation is synchronous and must stay so).
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
