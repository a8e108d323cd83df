package transport

import (
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/banklink/banklink/facade"
	"github.com/banklink/banklink/facade/fleet"
	lmgen "github.com/banklink/banklink/gen/linkmoney"
	mkgen "github.com/banklink/banklink/gen/moneykit"
)

func TestRefreshMargin(t *testing.T) {
	assert.Equal(t, 60*time.Second, refreshMargin(time.Hour))
	assert.Equal(t, 12*time.Second, refreshMargin(2*time.Minute))
	assert.Equal(t, time.Duration(0), refreshMargin(0))
}

func TestRetryAfterParsing(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	h := func(kv ...string) http.Header {
		out := http.Header{}
		for i := 0; i < len(kv); i += 2 {
			out.Set(kv[i], kv[i+1])
		}
		return out
	}
	tests := []struct {
		h  http.Header
		d  time.Duration
		ok bool
	}{
		{h(), 0, false},
		{h("Retry-After", "7"), 7 * time.Second, true},
		{h("Retry-After", "-1"), 0, false},
		{h("Retry-After", "soon"), 0, false},
		{h("Retry-After", now.Add(90*time.Second).Format(http.TimeFormat)), 90 * time.Second, true},
		{h("Retry-After", now.Add(-time.Hour).Format(http.TimeFormat)), 0, true},
		{h("Retry-After-Ms", "12.5"), 12500 * time.Microsecond, true},
		{h("Retry-After-Ms", "x", "Retry-After", "2"), 2 * time.Second, true},
	}
	for _, tc := range tests {
		d, ok := retryAfter(tc.h, now)
		assert.Equal(t, tc.ok, ok, tc.h)
		assert.Equal(t, tc.d, d, tc.h)
	}
}

// TestOperationAuth spot-checks how the transport reads each operation's
// security requirement from the generated tables (what the spec says today).
func TestOperationAuth(t *testing.T) {
	want := map[string]struct {
		safety facade.Safety
		auth   authKind
		scope  string
	}{
		"createAccessToken":   {facade.SafetySafe, authNone, ""},
		"createLinkSession":   {facade.SafetyUnsafe, authBearer, ""},
		"exchangeToken":       {facade.SafetySingleUse, authBearer, ""},
		"getLink":             {facade.SafetySafe, authBearer, ""},
		"updateLink":          {facade.SafetySafe, authBearer, ""},
		"deleteLink":          {facade.SafetySafe, authBearer, ""},
		"getUserLinks":        {facade.SafetySafe, authBearer, ""},
		"getJWKS":             {facade.SafetySafe, authClientID, ""},
		"createToken":         {facade.SafetySafe, authNone, ""},
		"createSession":       {facade.SafetyUnsafe, authBasic, ""},
		"getCustomer":         {facade.SafetySafe, authBearer, "Link-Core"},
		"getCustomerAccounts": {facade.SafetySafe, authBearer, "Link-Core"},
		"createPayment":       {facade.SafetyIdempotencyKey, authBearer, "Link-Payment"},
		"createRefund":        {facade.SafetyIdempotencyKey, authBearer, "Link-Payment"},
	}
	mk, err := specFor(&testMoneyKit)
	require.NoError(t, err)
	lm, err := specFor(&testLinkMoney)
	require.NoError(t, err)
	byID := map[string]*operation{}
	for _, o := range append(append([]*operation{}, mk.ops...), lm.ops...) {
		byID[o.id] = o
	}
	require.Len(t, byID, len(mkgen.Operations)+len(lmgen.Operations))
	for id, w := range want {
		o := byID[id]
		require.NotNil(t, o, id)
		assert.Equal(t, w.safety, o.safety, o.id)
		assert.Equal(t, w.auth, o.auth, o.id)
		assert.Equal(t, w.scope, o.scope, o.id)
	}
	assert.Equal(t, "X-Client-Id", mk.ops[mkgen.OpGetJWKS].authHeader)
	assert.True(t, mk.ops[mkgen.OpCreateAccessToken].tokenEndpoint)
	assert.True(t, lm.ops[lmgen.OpCreateToken].tokenEndpoint)
}

// The providers as facade/moneykit and facade/linkmoney describe them; an
// in-package test cannot import those packages (they import this one).
var (
	testMoneyKit = Provider{
		Name: facade.ProviderMoneyKit, Table: mkgen.Operations[:], TokenOp: int(mkgen.OpCreateAccessToken),
		Version: string(mkgen.SupportedVersionN20230218), EnvID: "MONEYKIT_CLIENT_ID", EnvSecret: "MONEYKIT_CLIENT_SECRET",
		EnvBaseURL: "MONEYKIT_BASE_URL", BaseURL: func(bool) string { return "https://api.moneykit.com" },
	}
	testLinkMoney = Provider{
		Name: facade.ProviderLinkMoney, Table: lmgen.Operations[:], TokenOp: int(lmgen.OpCreateToken),
		EnvID: "LINKMONEY_CLIENT_ID", EnvSecret: "LINKMONEY_CLIENT_SECRET", EnvBaseURL: "LINKMONEY_BASE_URL",
		BaseURL: func(bool) string { return "https://api.link.money" },
	}
)

type memFleet struct{}

func (memFleet) FleetStores() (fleet.Limiter, fleet.CoolDownStore, fleet.TokenStore, error) {
	return fleet.NewMemoryLimiter(), fleet.NewMemoryCoolDownStore(), fleet.NewMemoryTokenStore(), nil
}

// TestFleetStoresChosen: a client uses the stores its options give, and
// in-memory ones for those they leave out; a fleet turns on the documented limits.
func TestFleetStoresChosen(t *testing.T) {
	creds := facade.WithCredentials("client_id_TESTID", "s3cr3t-SECRETVALUE")
	lim, cds, toks := fleet.NewMemoryLimiter(), fleet.NewMemoryCoolDownStore(), fleet.NewMemoryTokenStore()
	c, err := newClient(&testMoneyKit, []facade.Option{creds, facade.WithLimiter(lim), facade.WithCoolDownStore(cds), facade.WithTokenStore(toks)}, nil)
	require.NoError(t, err)
	require.Same(t, lim, c.limits)
	require.Same(t, cds, c.coolDowns)
	require.Same(t, toks, c.tokenStore)

	c, err = newClient(&testMoneyKit, []facade.Option{creds}, nil)
	require.NoError(t, err)
	require.IsType(t, &fleet.MemoryLimiter{}, c.limits)
	require.IsType(t, &fleet.MemoryCoolDownStore{}, c.coolDowns)
	require.IsType(t, &fleet.MemoryTokenStore{}, c.tokenStore)
	require.False(t, c.documentedLimits)

	cfg, err := newConfig(&testMoneyKit, []facade.Option{creds, facade.WithFleet(memFleet{})})
	require.NoError(t, err)
	require.NotNil(t, cfg.Fleet.Limiter)
	c, err = newClient(&testMoneyKit, []facade.Option{creds, facade.WithFleet(memFleet{})}, nil)
	require.NoError(t, err)
	require.True(t, c.documentedLimits)
}
