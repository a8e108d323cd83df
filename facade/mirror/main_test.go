package mirror_test

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the run if a test leaves a goroutine behind: a sync, a
// handler or a closed Mirror must not keep one running.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
