package otelbanklink_test

import (
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestOnlyThisPackageLinksOpenTelemetry keeps OpenTelemetry out of a
// program that does not import this package: the facade's tracing hooks are
// stdlib-only.
func TestOnlyThisPackageLinksOpenTelemetry(t *testing.T) {
	goBin := filepath.Join(runtime.GOROOT(), "bin", "go")
	for _, pkg := range []string{
		"github.com/banklink/banklink/facade",
		"github.com/banklink/banklink/facade/moneykit",
		"github.com/banklink/banklink/facade/linkmoney",
		"github.com/banklink/banklink/facade/webhook",
		"github.com/banklink/banklink/internal/sizecheck/facadeget", // a program using facade/moneykit only
	} {
		out, err := exec.Command(goBin, "list", "-deps", pkg).CombinedOutput()
		require.NoError(t, err, string(out))
		deps := string(out)
		require.Contains(t, deps, pkg+"\n")
		assert.NotContains(t, deps, "go.opentelemetry.io", "%s links OpenTelemetry", pkg)
	}
	out, err := exec.Command(goBin, "list", "-deps", "github.com/banklink/banklink/facade/otelbanklink").CombinedOutput()
	require.NoError(t, err, string(out))
	assert.Contains(t, string(out), "go.opentelemetry.io/otel/trace\n", "the check would see OpenTelemetry if it were linked")
	assert.NotContains(t, string(out), "go.opentelemetry.io/otel/sdk", "the instrumentation needs the API only; the program picks its SDK")
}
