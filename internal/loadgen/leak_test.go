package main

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the run if a test leaves a goroutine behind: a worker, a
// connection that was not closed, a stub server.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
