package api_test

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the run if a spec test leaves a goroutine behind. The
// tests here are synchronous (decode, re-encode, compare); a leak would mean
// a generated type started work of its own.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
