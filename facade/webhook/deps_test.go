package webhook

import (
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestFacadeDoesNotLinkJWT keeps the JWT and JWKS libraries out of a program
// that imports only the facade.
func TestFacadeDoesNotLinkJWT(t *testing.T) {
	goBin := filepath.Join(runtime.GOROOT(), "bin", "go")
	out, err := exec.Command(goBin, "list", "-deps", "github.com/banklink/banklink/facade").CombinedOutput()
	require.NoError(t, err, string(out))
	deps := string(out)
	require.Contains(t, deps, "github.com/banklink/banklink/facade\n")
	for _, mod := range []string{"github.com/golang-jwt/jwt", "github.com/MicahParks/keyfunc", "github.com/MicahParks/jwkset"} {
		assert.False(t, strings.Contains(deps, mod), "facade links %s", mod)
	}
}
