package webhook

import (
	"testing"

	"github.com/banklink/banklink/internal/testkit"
)

// TestFacadeDoesNotLinkJWT keeps the JWT and JWKS libraries out of a program
// that imports only the facade.
func TestFacadeDoesNotLinkJWT(t *testing.T) {
	testkit.CheckDeps(t, testkit.Module+"/facade", nil, "github.com/golang-jwt/jwt", "github.com/MicahParks/keyfunc", "github.com/MicahParks/jwkset")
}
