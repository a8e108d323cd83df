package linkmoney_test

import (
	"testing"

	"github.com/banklink/banklink/internal/testkit"
)

// TestImportLinksNoHeavyDependencies lists what a program that imports only
// facade/linkmoney links (go list -deps of the package: the program's own
// imports add only the standard library).
func TestImportLinksNoHeavyDependencies(t *testing.T) {
	testkit.CheckDeps(t, testkit.Module+"/facade/linkmoney", []string{testkit.Module + "/facade"}, testkit.HeavyDeps...)
}
