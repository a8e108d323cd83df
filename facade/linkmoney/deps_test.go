package linkmoney_test

import (
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// heavyDeps are parts of import paths that a program using only a
// provider client must not link: the spec parser, YAML, the Redis and SQL
// drivers, JWT, the CLI framework, OpenTelemetry and the browser driver.
var heavyDeps = []string{"kin-openapi", "yaml", "redis", "jwt", "jwkset", "keyfunc", "cobra", "opentelemetry", "otel", "chromedp", "sqlite", "pgx"}

// TestImportLinksNoHeavyDependencies lists what a program that imports only
// facade/linkmoney links (go list -deps of the package: the program's own
// imports add only the standard library).
func TestImportLinksNoHeavyDependencies(t *testing.T) {
	const pkg = "github.com/banklink/banklink/facade/linkmoney"
	goBin := filepath.Join(runtime.GOROOT(), "bin", "go")
	out, err := exec.Command(goBin, "list", "-deps", pkg).CombinedOutput()
	require.NoError(t, err, string(out))
	deps := strings.Fields(string(out))
	require.Contains(t, deps, pkg)
	require.Contains(t, deps, "github.com/banklink/banklink/facade", "the list is the package's, not an error's")
	for _, d := range deps {
		for _, heavy := range heavyDeps {
			assert.NotContains(t, d, heavy, "facade/linkmoney links %s", d)
		}
	}
}
