package webhook

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/banklink/banklink/facade/fleet"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var _ SeenStore = fleet.DedupeStore(nil)

// TestFleetStoreSharedAcrossHandlers: two receivers (two instances of a
// fleet) on one fleet.DedupeStore handle a delivery once between them; a
// failed handling releases the key so the redelivery is handled.
func TestFleetStoreSharedAcrossHandlers(t *testing.T) {
	for _, pc := range providerCases(t) {
		t.Run(pc.name, func(t *testing.T) {
			shared := fleet.NewMemoryDedupeStore()
			calls := 0
			fail := true
			fn := func() error {
				calls++
				if fail {
					return errors.New("database down")
				}
				return nil
			}
			a := pc.handler(t, fn, WithStore(FleetStore(shared)))
			b := pc.handler(t, fn, WithStore(FleetStore(shared)))
			assert.Equal(t, http.StatusInternalServerError, serve(a, pc.signed(t, pc.body)).Code)
			fail = false
			assert.Equal(t, http.StatusOK, serve(b, pc.signed(t, pc.body)).Code, "the failed delivery was released")
			assert.Equal(t, http.StatusOK, serve(a, pc.signed(t, pc.body)).Code)
			assert.Equal(t, 2, calls, "handled by b; the repeat at a was a duplicate")
		})
	}
}

type failingSeen struct{}

func (failingSeen) Seen(context.Context, string, time.Duration) (bool, error) {
	return false, errors.New("redis down")
}
func (failingSeen) Forget(context.Context, string) error { return nil }

func TestFleetStoreErrorIsNotAClaim(t *testing.T) {
	first, err := FleetStore(failingSeen{}).Claim(context.Background(), "k", time.Minute)
	require.Error(t, err)
	assert.False(t, first)
}

// TestDedupeTTL: a delivery is a duplicate within WithDedupeTTL of its
// handling and is handled again after it, on the store's clock.
func TestDedupeTTL(t *testing.T) {
	for _, pc := range providerCases(t) {
		t.Run(pc.name, func(t *testing.T) {
			now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
			store := NewMemoryStore(func() time.Time { return now })
			calls := 0
			h := pc.handler(t, func() error { calls++; return nil }, WithStore(store), WithDedupeTTL(time.Hour))
			require.Equal(t, http.StatusOK, serve(h, pc.signed(t, pc.body)).Code)
			now = now.Add(time.Hour - time.Second)
			require.Equal(t, http.StatusOK, serve(h, pc.signed(t, pc.body)).Code)
			assert.Equal(t, 1, calls, "a duplicate inside the hour")
			now = now.Add(time.Second)
			require.Equal(t, http.StatusOK, serve(h, pc.signed(t, pc.body)).Code)
			assert.Equal(t, 2, calls, "handled again once the hour is over")
		})
	}
}
