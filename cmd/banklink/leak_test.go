package main

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the run if a command leaves a goroutine behind: the demo's
// and the sandbox command's servers must shut down when their context ends,
// and the clients they build must not keep connections open.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
