package mirror_test

import (
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// TestClientsDoNotLinkSQLDrivers keeps SQLite and pgx out of a program that
// imports only the clients: the drivers live in facade/mirror.
func TestClientsDoNotLinkSQLDrivers(t *testing.T) {
	goBin := filepath.Join(runtime.GOROOT(), "bin", "go")
	pkgs := []string{"github.com/banklink/banklink/facade", "github.com/banklink/banklink/facade/moneykit",
		"github.com/banklink/banklink/facade/linkmoney", "github.com/banklink/banklink/facade/webhook"}
	out, err := exec.Command(goBin, append([]string{"list", "-deps"}, pkgs...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	deps := string(out)
	if !strings.Contains(deps, "github.com/banklink/banklink/facade/moneykit\n") {
		t.Fatalf("go list did not list the clients:\n%s", deps)
	}
	for _, mod := range []string{"modernc.org/sqlite", "modernc.org/libc", "github.com/jackc/pgx"} {
		if strings.Contains(deps, mod) {
			t.Errorf("the clients link %s", mod)
		}
	}
	// And the mirror does link both, which is its purpose.
	out, err = exec.Command(goBin, "list", "-deps", "github.com/banklink/banklink/facade/mirror").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	for _, mod := range []string{"modernc.org/sqlite", "github.com/jackc/pgx/v5/stdlib"} {
		if !strings.Contains(string(out), mod) {
			t.Errorf("facade/mirror does not link %s", mod)
		}
	}
}
