package main

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the run if spec generation or linting leaves a goroutine
// behind.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
