package transport_test

import (
	"errors"
	"testing"

	"github.com/banklink/banklink/facade"
	"github.com/banklink/banklink/facade/fleet"
	"github.com/banklink/banklink/facade/moneykit"
	"github.com/stretchr/testify/require"
)

type errFleet struct{ err error }

func (e errFleet) FleetStores() (fleet.Limiter, fleet.CoolDownStore, fleet.TokenStore, error) {
	return nil, nil, nil, e.err
}

func TestFleetOptions(t *testing.T) {
	creds := facade.WithCredentials(testClientID, testClientSecret)
	for _, tc := range []struct {
		opt  facade.Option
		want string
	}{
		{facade.WithLimiter(nil), "WithLimiter(nil)"},
		{facade.WithCoolDownStore(nil), "WithCoolDownStore(nil)"},
		{facade.WithTokenStore(nil), "WithTokenStore(nil)"},
		{facade.WithFleet(nil), "WithFleet(nil)"},
		{facade.WithFleet(errFleet{errors.New("redis prefix must not be empty")}), "fleet stores: redis prefix must not be empty"},
	} {
		_, err := moneykit.New(creds, tc.opt)
		require.ErrorContains(t, err, tc.want)
	}
}
