package moneykit_test

import (
	"testing"

	gen "github.com/banklink/banklink/gen/moneykit"
	"github.com/banklink/banklink/internal/testkit"
)

// TestEveryOperationHasAMethod fails when an operation of the generated
// table has no method here: every Op constant of gen/moneykit must be named
// by the package's code (a service method's transport.Do, or the token
// fetch), and nothing but those constants.
func TestEveryOperationHasAMethod(t *testing.T) {
	testkit.CheckOperationsCovered[gen.Op](t, ".", gen.Operations[:])
}
