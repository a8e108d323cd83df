package main

import (
	"os"
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the run if a command leaves a goroutine behind: the demo's
// and the sandbox command's servers must shut down when their context ends,
// and the clients they build must not keep connections open.
func TestMain(m *testing.M) {
	if os.Getenv(childEnv) == "1" {
		// The test binary runs as the banklink command (separate
		// processes in TestSeparateProcessesShareOneToken).
		main()
	}
	goleak.VerifyTestMain(m)
}

// childEnv makes the test binary run as the command.
const childEnv = "BANKLINK_TEST_RUN_AS_CLI"
