package sandbox

import (
	"context"
	"encoding/json"
	"math/big"
	"testing"
	"time"

	openapi_types "github.com/oapi-codegen/runtime/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestABACheckDigit(t *testing.T) {
	for _, rn := range []string{"011000015", "021000021", "122105155", "026009593"} {
		assert.Equal(t, rn[8], abaCheckDigit(rn[:8]), rn)
		assert.True(t, validABA(rn), rn)
	}
	assert.False(t, validABA("021000022"))
	assert.False(t, validABA("02100002"))
	assert.False(t, validABA("02100002a"))
}

// snapshot renders everything a link's data answers, as JSON.
func snapshot(t *testing.T, l *link) string {
	t.Helper()
	d := l.data
	var txns []any
	for _, x := range d.current(nil, openapi_types.Date{}, openapi_types.Date{}) {
		txns = append(txns, x.view())
	}
	var changes []any
	for _, c := range d.changes {
		changes = append(changes, []any{c.kind, c.t.view()})
	}
	b, err := json.Marshal(map[string]any{
		"accounts": d.accountViews(nil), "owners": d.owners, "transactions": txns, "changes": changes,
		"holdings": d.holdings, "securities": d.securities, "investment_transactions": d.invTxns,
	})
	require.NoError(t, err)
	return string(b)
}

func TestLinkDataIsDeterministic(t *testing.T) {
	start := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	build := func(id string) (*Sandbox, *link) {
		s := New(Config{Clock: NewFakeClock(start)})
		l := &link{id: id, app: s.mkApps[0], institutionID: "credentials_bank", state: "connected",
			products: []string{"accounts", "transactions", "investments"}, created: s.Now(), syncedAt: s.Now()}
		s.mu.Lock()
		s.mk.links[id] = l
		s.ensureData(l)
		s.mu.Unlock()
		return s, l
	}
	s1, l1 := build("mk_DeterministicLink00001")
	s2, l2 := build("mk_DeterministicLink00001")
	_, other := build("mk_DeterministicLink00002")
	a, b := snapshot(t, l1), snapshot(t, l2)
	assert.Equal(t, a, b, "two sandboxes, one link id: the same data")
	assert.NotEqual(t, a, snapshot(t, other), "another link id: other data")
	assert.Greater(t, len(l1.data.order), 365, "at least a year of transactions")

	// Refreshing both at the same fake time moves them the same way.
	for _, s := range []*Sandbox{s1, s2} {
		s.Advance(5 * 24 * time.Hour)
	}
	s1.mu.Lock()
	s1.productsRefreshed(l1, []string{"transactions"})
	s1.mu.Unlock()
	s2.mu.Lock()
	s2.productsRefreshed(l2, []string{"transactions"})
	s2.mu.Unlock()
	assert.Equal(t, snapshot(t, l1), snapshot(t, l2))
	assert.NotEqual(t, a, snapshot(t, l1), "the refresh changed the data")
}

func TestPaymentLifecycle(t *testing.T) {
	t0 := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	statuses := func(p *lmPayment, at time.Time) []string {
		var out []string
		for _, tr := range paymentTransitions(p, at) {
			out = append(out, tr.Status)
		}
		return out
	}
	ok := &lmPayment{debit: true, amount: big.NewRat(2500, 100), status: statusAuthorized, created: t0, authorized: t0}
	assert.Equal(t, []string{"CREATED", "PENDING", "AUTHORIZED"}, statuses(ok, t0))
	assert.Equal(t, []string{"CREATED", "PENDING", "AUTHORIZED", "SCHEDULED"}, statuses(ok, t0.Add(time.Hour)))
	assert.Equal(t, []string{"CREATED", "PENDING", "AUTHORIZED", "SCHEDULED", "INITIATED"}, statuses(ok, t0.Add(25*time.Hour)))
	assert.Equal(t, []string{"CREATED", "PENDING", "AUTHORIZED", "SCHEDULED", "INITIATED", "SUCCEEDED"}, statuses(ok, t0.Add(73*time.Hour)))

	ret := &lmPayment{debit: true, amount: big.NewRat(2513, 100), status: statusAuthorized, created: t0, authorized: t0}
	trs := paymentTransitions(ret, t0.Add(100*time.Hour))
	last := trs[len(trs)-1]
	assert.Equal(t, "TERMINAL_FAILED", last.Status)
	assert.Equal(t, "R01", last.ACHReturnCode)
	assert.Equal(t, t0.Add(73*time.Hour), last.At)

	held := &lmPayment{debit: true, amount: big.NewRat(5000, 1), status: statusPending, created: t0}
	assert.Equal(t, []string{"CREATED", "PENDING"}, statuses(held, t0.Add(1000*time.Hour)), "held until released")

	refund := &lmPayment{refund: true, amount: big.NewRat(5, 1), status: statusPending, created: t0}
	assert.Equal(t, []string{"CREATED", "PENDING"}, statuses(refund, t0.Add(1000*time.Hour)), "refunds keep their status")
}

func BenchmarkNewLinkData(b *testing.B) {
	start := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	inst := institutions["credentials_bank"]
	var n int
	for b.Loop() {
		d := newLinkData("mk_BenchmarkLink000000001", inst, start, nil)
		n = len(d.order)
	}
	b.ReportMetric(float64(n), "txns/link")
}

// A products refresh raises the webhook events the webhooks code delivers.
func TestProductsRefreshedRaisesWebhooks(t *testing.T) {
	s := New(Config{Clock: NewFakeClock(time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC))})
	sink, url := newHookSink(t)
	l := &link{id: "mk_RefreshHook", app: s.mkApps[0], webhook: &url, institutionID: "instant_bank", state: "connected",
		products: []string{"accounts", "transactions"}, created: s.Now(), syncedAt: s.Now()}
	s.mu.Lock()
	s.mk.links[l.id] = l
	s.Advance(72 * time.Hour)
	before := len(func() []change { s.ensureData(l); return l.data.changes }())
	s.productsRefreshed(l, []string{"accounts", "transactions"})
	after := len(l.data.changes)
	s.mu.Unlock()
	require.NoError(t, s.WaitWebhooks(context.Background()))
	require.Len(t, sink.bodies, 3)
	assert.Equal(t, "link.product_refresh", sink.bodies[0]["webhook_event"])
	assert.Equal(t, "accounts", sink.bodies[0]["product"])
	assert.Equal(t, "transactions", sink.bodies[1]["product"])
	assert.Equal(t, "transactions.updates_available", sink.bodies[2]["webhook_event"])
	assert.Greater(t, after, before, "the refresh logged changes for sync")
}
