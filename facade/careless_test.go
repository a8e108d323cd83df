package facade

import (
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestCarelessContextEveryOperation(t *testing.T) {
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	for _, op := range tableOps(t) {
		oc := opCalls[op.id]
		for name, ctx := range map[string]context.Context{"cancelled": cancelled, "nil": nil} {
			t.Run(op.id+"/"+name, func(t *testing.T) {
				f := newFakeAPI(t)
				var err error
				require.NotPanics(t, func() { err = oc.call(ctx, f.moneyKit(), f.linkMoney()) })
				require.Error(t, err)
				var te *TransportError
				var ve *ValidationError
				assert.True(t, errors.As(err, &te) || errors.As(err, &ve), "%T %v", err, err)
				assert.Zero(t, f.requestsSeen(), "nothing is sent")
				if ctx == nil {
					require.ErrorAs(t, err, &ve)
					assert.Equal(t, []Violation{{Path: "ctx", Rule: "required", Message: "context must not be nil (use context.Background())"}}, ve.Violations)
				} else {
					require.ErrorAs(t, err, &te)
					assert.ErrorIs(t, err, context.Canceled)
				}
			})
		}
	}
}
