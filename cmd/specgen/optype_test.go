package main

import (
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/banklink/banklink/gen/linkmoney"
	"github.com/banklink/banklink/gen/moneykit"
)

// TestOpStringAndIndexRoundTrip checks the generated Op types against the
// operation tables they index: String names the operationId, and
// OperationIndex maps it back.
func TestOpStringAndIndexRoundTrip(t *testing.T) {
	assert.Equal(t, "getLink", moneykit.OpGetLink.String())
	assert.Equal(t, "createPayment", linkmoney.OpCreatePayment.String())
	assert.Equal(t, "Op(-1)", moneykit.Op(-1).String())
	n := len(linkmoney.Operations)
	assert.Equal(t, "Op("+strconv.Itoa(n)+")", linkmoney.Op(n).String())

	for i, op := range moneykit.Operations {
		got, ok := moneykit.OperationIndex(op.ID)
		assert.True(t, ok, op.ID)
		assert.Equal(t, moneykit.Op(i), got, op.ID)
		assert.Equal(t, op.ID, got.String())
	}
	for i, op := range linkmoney.Operations {
		got, ok := linkmoney.OperationIndex(op.ID)
		assert.True(t, ok, op.ID)
		assert.Equal(t, linkmoney.Op(i), got, op.ID)
		assert.Equal(t, op.ID, got.String())
	}
	_, ok := moneykit.OperationIndex("createPayment")
	assert.False(t, ok, "a Link Money operationId is not a MoneyKit operation")
}

// TestOpTypesAreDistinct compiles a program that hands a Link Money
// operation to a function taking a MoneyKit Op: the compiler must refuse it.
func TestOpTypesAreDistinct(t *testing.T) {
	src := `package opcheck

import (
	"github.com/banklink/banklink/gen/linkmoney"
	"github.com/banklink/banklink/gen/moneykit"
)

func call(op moneykit.Op) string { return op.String() }

var _ = call(moneykit.OpGetLink)

var _ = linkmoney.OpGetTransaction.String()
`
	out, err := goBuild(t, map[string]string{"testdata/opcheck/ok.go": src}, "./testdata/opcheck")
	require.NoError(t, err, "a MoneyKit Op must be accepted:\n%s", out)

	bad := src + "\nvar _ = call(linkmoney.OpGetTransaction)\n"
	out, err = goBuild(t, map[string]string{"testdata/opcheck/ok.go": bad}, "./testdata/opcheck")
	require.Error(t, err, "a Link Money Op handed to a MoneyKit parameter compiled")
	assert.Contains(t, out, "cannot use linkmoney.OpGetTransaction (constant 6 of int type linkmoney.Op) as moneykit.Op value")
}
