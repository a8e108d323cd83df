package testkit_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/banklink/banklink/internal/testkit"
)

// TestOnlyTestsImportTestkit: no program built from banklink's packages
// links the test support.
func TestOnlyTestsImportTestkit(t *testing.T) {
	for _, pkg := range []string{"facade/moneykit", "facade/linkmoney", "cmd/banklink"} {
		deps := testkit.Deps(t, testkit.Module+"/"+pkg)
		assert.Greater(t, len(deps), 1, pkg)
		for _, kit := range []string{testkit.Module + "/internal/testkit", testkit.Module + "/internal/testkit/opcalls"} {
			assert.NotContains(t, deps, kit, "%s links %s", pkg, kit)
		}
	}
}

// TestTestkitLinksNoDriver keeps the browser driver, the SQL drivers and
// OpenTelemetry out of every test binary that uses the test support.
func TestTestkitLinksNoDriver(t *testing.T) {
	for _, pkg := range []string{"internal/testkit", "internal/testkit/opcalls"} {
		testkit.CheckDeps(t, testkit.Module+"/"+pkg, []string{testkit.Module + "/facade"}, "chromedp", "sqlite", "pgx", "otel", "opentelemetry")
	}
}

func TestUnderCI(t *testing.T) {
	for v, want := range map[string]bool{
		"true": true, "1": true, "TRUE": true, "True": true, "t": true,
		"false": false, "0": false, "": false, "no": false, "anything": false,
	} {
		t.Setenv("CI", v)
		assert.Equal(t, want, testkit.UnderCI(), "CI=%q", v)
	}
}
