package facade_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/banklink/banklink/facade"
	"github.com/banklink/banklink/facade/linkmoney"
)

const timestampLink = `{"link_id":"mk_1","institution_id":"chase","institution_name":"Chase","institution_avatar":"a",
"state":"connected","provider":"plaid","available_products":[],"last_synced_at":"2023-02-16T09:14:11",
"products":{"accounts":{"refreshed_at":"2023-02-16T09:14:11.5-05:00"},"transactions":{"refreshed_at":"2023-02-16T09:14:11Z","has_history":true}}}`

func TestLinkTimestampsAreTimes(t *testing.T) {
	f := newFakeAPI(t)
	f.handle("GET /links/mk_1", jsonReply(200, timestampLink))
	l, err := f.moneyKit(facade.WithMaxRetries(0)).Links.Get(context.Background(), "mk_1")
	require.NoError(t, err)

	var synced facade.Timestamp = l.LastSyncedAt
	assert.Equal(t, time.Date(2023, 2, 16, 9, 14, 11, 0, time.UTC), synced.Time(), "no offset reads as UTC")
	assert.Equal(t, time.UTC, synced.Time().Location())
	assert.Equal(t, time.Date(2023, 2, 16, 14, 14, 11, 500e6, time.UTC), l.Products.Accounts.RefreshedAt.Time().UTC())
	assert.True(t, l.Products.Transactions.HasHistory)
	assert.True(t, l.Products.Identity.RefreshedAt.IsZero(), "an absent product has no timestamps")

	// Re-encoding the link keeps every timestamp's text.
	out, err := json.Marshal(l)
	require.NoError(t, err)
	assert.Contains(t, string(out), `"last_synced_at":"2023-02-16T09:14:11"`)
	assert.Contains(t, string(out), `"refreshed_at":"2023-02-16T09:14:11.5-05:00"`)
	assert.Contains(t, string(out), `"refreshed_at":"2023-02-16T09:14:11Z"`)
	assert.NotContains(t, string(out), `"identity"`, "absent products stay absent")
}

func TestHostileTimestampIsATypedError(t *testing.T) {
	for _, bad := range []string{`"yesterday"`, `"2023-02-30T09:14:11"`, `1676538851`, `{"$date":1}`} {
		f := newFakeAPI(t)
		body := `{"link_id":"mk_1","institution_id":"i","institution_name":"n","institution_avatar":"a","state":"connected",
"provider":"plaid","available_products":[],"products":{},"last_synced_at":` + bad + `}`
		f.handle("GET /links/mk_1", jsonReply(200, body))
		_, err := f.moneyKit(facade.WithMaxRetries(0)).Links.Get(context.Background(), "mk_1")
		var apiErr *facade.Error
		require.ErrorAs(t, err, &apiErr, bad)
		assert.Equal(t, 200, apiErr.StatusCode)
		var tsErr *facade.TimestampError
		assert.True(t, errors.As(err, &tsErr), "%s: %v", bad, err)
	}
}

func TestNewTimestampOnTheWire(t *testing.T) {
	at := time.Date(2023, 12, 30, 7, 0, 0, 0, time.FixedZone("", -4*3600))
	p := linkmoney.CustomerProfile{AccountCreationDate: facade.NewTimestamp(at)}
	out, err := json.Marshal(p)
	require.NoError(t, err)
	assert.JSONEq(t, `{"accountCreationDate":"2023-12-30T07:00:00-04:00"}`, string(out), "unset timestamps are left out; set ones are RFC 3339")

	parsed, err := facade.ParseTimestamp("2023-12-30T11:00:00")
	require.NoError(t, err)
	assert.True(t, parsed.Equal(facade.NewTimestamp(at)), "same instant, different text")
	assert.Equal(t, "2023-12-30T11:00:00", parsed.String())

	_, err = facade.ParseTimestamp("30/12/2023")
	var tsErr *facade.TimestampError
	assert.ErrorAs(t, err, &tsErr)
}
