package mirror_test

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/banklink/banklink/facade/mirror"
	"github.com/banklink/banklink/facade/webhook"
	lmgen "github.com/banklink/banklink/gen/linkmoney"
)

const lmSecret = "whsec_test_only"

func lmBody(id, typ, paymentID, ach string) []byte {
	return fmt.Appendf(nil, `{"id":%q,"eventType":%q,"creationTime":"2026-01-02T03:04:05.000Z","resourceId":%q,"resourceType":"Payment","paymentType":"Debit","clientReferenceId":"order-1","achReturnCode":%q}`,
		id, typ, paymentID, ach)
}

func postLM(t *testing.T, h http.Handler, uniqueID string, body []byte) int {
	t.Helper()
	r := httptest.NewRequest(http.MethodPost, "/webhooks/linkmoney", bytes.NewReader(body))
	for k, v := range webhook.LinkMoneySignatureHeaders(lmSecret, uniqueID, time.Now(), body) {
		r.Header[k] = v
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w.Code
}

type fakeLM struct{}

func (fakeLM) PaymentStatus(_ context.Context, id string) (*lmgen.Transaction, error) {
	return &lmgen.Transaction{TransactionId: id, CustomerId: "cus_1", TransactionStatus: "AUTHORIZED",
		Amount: lmgen.Amount{Value: "12.10", Currency: "USD"}}, nil
}

func paymentRow(t *testing.T, m *mirror.Mirror, id string) (status, amount, ach, customer string) {
	t.Helper()
	q := `SELECT status, COALESCE(amount, ''), ach_return_code, customer_id FROM payments WHERE payment_id = ?`
	if m.Dialect() == "postgres" {
		q = `SELECT status, COALESCE(amount::text, ''), ach_return_code, customer_id FROM payments WHERE payment_id = $1`
	}
	if err := m.DB().QueryRow(q, id).Scan(&status, &amount, &ach, &customer); err != nil {
		t.Fatalf("payment %s: %v", id, err)
	}
	return
}

func TestLinkMoneyEventsNeverMoveAPaymentBack(t *testing.T) {
	bothDBs(t, func(t *testing.T, db testDB) {
		m := db.open(t)
		hv, err := webhook.NewHMACVerifier(lmSecret)
		if err != nil {
			t.Fatal(err)
		}
		h := m.Handler(mirror.HandlerConfig{LinkMoneyVerifier: hv, LinkMoney: fakeLM{}})

		// Delivered out of order: succeeded arrives before authorized and
		// initiated; created last of all.
		for i, typ := range []string{"payment.succeeded", "payment.authorized", "payment.initiated", "payment.created"} {
			if code := postLM(t, h, fmt.Sprintf("u%d", i), lmBody(fmt.Sprintf("e%d", i), typ, "pay_1", "")); code != http.StatusOK {
				t.Fatalf("%s answered %d", typ, code)
			}
		}
		status, amount, _, customer := paymentRow(t, m, "pay_1")
		if status != "SUCCEEDED" || amount != "12.10" || customer != "cus_1" {
			t.Fatalf("payment = %s %s %s; want SUCCEEDED 12.10 cus_1", status, amount, customer)
		}

		// In order, a failure with its return code.
		for i, typ := range []string{"payment.created", "payment.authorized", "payment.scheduled", "payment.initiated", "payment.failed"} {
			postLM(t, h, fmt.Sprintf("v%d", i), lmBody(fmt.Sprintf("f%d", i), typ, "pay_2", map[bool]string{true: "R01"}[typ == "payment.failed"]))
		}
		status, _, ach, _ := paymentRow(t, m, "pay_2")
		if status != "TERMINAL_FAILED" || ach != "R01" {
			t.Fatalf("payment = %s %s; want TERMINAL_FAILED R01", status, ach)
		}

		// A repeat is acknowledged and applied once; a bad signature is refused.
		body := lmBody("e9", "payment.pending", "pay_3", "")
		for range 3 {
			if code := postLM(t, h, "u9", body); code != http.StatusOK {
				t.Fatalf("repeat answered %d", code)
			}
		}
		if n := countM(t, m, `SELECT count(*) FROM webhook_events WHERE provider = 'linkmoney'`); n != 10 {
			t.Fatalf("%d Link Money events recorded; want 10 (the repeat once)", n)
		}
		r := httptest.NewRequest(http.MethodPost, "/webhooks/linkmoney", bytes.NewReader(lmBody("e10", "payment.succeeded", "pay_3", "")))
		r.Header.Set("x-signature", "AAAA")
		r.Header.Set("x-signature-timestamp", fmt.Sprint(time.Now().Unix()))
		r.Header.Set("x-signature-uniqueid", "u10")
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != http.StatusBadRequest {
			t.Fatalf("bad signature answered %d; want 400", w.Code)
		}
		if s, _, _, _ := paymentRow(t, m, "pay_3"); s != "PENDING" {
			t.Fatalf("pay_3 = %s after a forged event; want PENDING", s)
		}
	})
}

func TestPaymentOrderIsTotalAndFinalStatesStay(t *testing.T) {
	ctx := context.Background()
	m := newSQLite(t).open(t)
	order := []string{"CREATED", "PENDING", "AUTHORIZED", "SCHEDULED", "INITIATED", "SUCCEEDED"}
	// Every pair applied in both orders ends on the later status.
	for i, a := range order {
		for j, b := range order {
			id := fmt.Sprintf("p_%d_%d", i, j)
			if err := m.RecordPayment(ctx, mirror.Payment{PaymentID: id, Status: a, Amount: "1.00"}); err != nil {
				t.Fatal(err)
			}
			if err := m.RecordPayment(ctx, mirror.Payment{PaymentID: id, Status: b}); err != nil {
				t.Fatal(err)
			}
			want := order[max(i, j)]
			if got, amount, _, _ := paymentRow(t, m, id); got != want || amount != "1.00" {
				t.Fatalf("%s then %s: %s (amount %q); want %s, amount kept", a, b, got, amount, want)
			}
		}
	}
	// Final statuses never change, even to another final one.
	m.RecordPayment(ctx, mirror.Payment{PaymentID: "fin", Status: "TERMINAL_FAILED", ACHReturnCode: "R02"})
	m.RecordPayment(ctx, mirror.Payment{PaymentID: "fin", Status: "SUCCEEDED"})
	m.RecordPayment(ctx, mirror.Payment{PaymentID: "fin", Status: "SOMETHING_NEW"})
	if s, _, ach, _ := paymentRow(t, m, "fin"); s != "TERMINAL_FAILED" || ach != "R02" {
		t.Fatalf("final payment became %s %s", s, ach)
	}
	// Retries alternate between INITIATED and RETRYABLE_FAILED.
	m.RecordPayment(ctx, mirror.Payment{PaymentID: "re", Status: "INITIATED"})
	m.RecordPayment(ctx, mirror.Payment{PaymentID: "re", Status: "RETRYABLE_FAILED"})
	if s, _, _, _ := paymentRow(t, m, "re"); s != "RETRYABLE_FAILED" {
		t.Fatalf("retry: %s; want RETRYABLE_FAILED", s)
	}
}

func mkEvent(t testing.TB, typ, key, linkID, extra string) *webhook.MoneyKitEvent {
	t.Helper()
	body := fmt.Sprintf(`{"webhook_event":%q,"webhook_major_version":1,"webhook_minor_version":0,"webhook_idempotency_key":%q,"webhook_timestamp":"2026-01-02T03:04:05Z","link_id":%q,"link_tags":[]%s}`,
		typ, key, linkID, extra)
	ev, err := webhook.ParseMoneyKitEvent([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	return ev
}

func TestMoneyKitEvents(t *testing.T) {
	bothDBs(t, func(t *testing.T, db testDB) {
		ctx := context.Background()
		mk := newFakeMK()
		mk.addLink("mk_w", 8, 30, 2)
		m := db.open(t)
		ev := mkEvent(t, webhook.TransactionsUpdatesAvailable, "k1", "mk_w", `,"has_history":true`)
		for range 3 {
			if err := m.ApplyMoneyKitEvent(ctx, mk, ev); err != nil {
				t.Fatal(err)
			}
		}
		if got := mk.syncCalls.Load(); got != 1 {
			t.Fatalf("%d sync pages read for one event delivered 3 times; want 1", got)
		}
		if d := diffTxns(mk.view("mk_w"), storedTxns(t, m, "mk_w")); d != "" {
			t.Fatal(d)
		}
		// A later state change, then an earlier one delivered late.
		late := mkEvent(t, webhook.LinkStateChanged, "k2", "mk_w", `,"state":"error","error":"auth_expired"`)
		late.Timestamp = "2026-01-03T00:00:00Z"
		early := mkEvent(t, webhook.LinkStateChanged, "k3", "mk_w", `,"state":"connected"`)
		early.Timestamp = "2026-01-02T00:00:00Z"
		for _, e := range []*webhook.MoneyKitEvent{late, early, late} {
			if err := m.ApplyMoneyKitEvent(ctx, mk, e); err != nil {
				t.Fatal(err)
			}
		}
		if n := countM(t, m, `SELECT count(*) FROM links WHERE link_id = 'mk_w' AND state = 'error' AND error_code = 'auth_expired'`); n != 1 {
			t.Fatal("an earlier state change delivered late overwrote a later one")
		}
		if n := countM(t, m, `SELECT count(*) FROM webhook_events WHERE provider = 'moneykit'`); n != 3 {
			t.Fatalf("%d MoneyKit events recorded; want 3", n)
		}
	})
}

// TestFleetAppliesEachWebhookOnce: four instances on one Postgres receive
// every event, some twice; each link is synced once per event and each
// payment event applied once.
func TestFleetAppliesEachWebhookOnce(t *testing.T) {
	db := newPostgres(t)
	ctx := context.Background()
	mk := newFakeMK()
	const links = 12
	for i := range links {
		mk.addLink(fmt.Sprintf("mk_f%02d", i), uint64(100+i), 40, 3)
	}
	fleet := make([]*mirror.Mirror, 4)
	for i := range fleet {
		fleet[i] = db.open(t)
		fleet[i].SetPageSize(1000)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 1000)
	for i := range links {
		ev := mkEvent(t, webhook.TransactionsUpdatesAvailable, fmt.Sprintf("sync-%d", i), fmt.Sprintf("mk_f%02d", i), "")
		for _, inst := range fleet {
			for range 2 { // each instance gets it twice
				wg.Go(func() { errs <- inst.ApplyMoneyKitEvent(ctx, mk, ev) })
			}
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	// One sync per link reads its one page; an instance that waited for
	// the lock finds the event recorded and reads nothing.
	if got := mk.syncCalls.Load(); got != links {
		t.Fatalf("%d sync pages read; want %d (one per link)", got, links)
	}
	for i := range links {
		id := fmt.Sprintf("mk_f%02d", i)
		if d := diffTxns(mk.view(id), storedTxns(t, fleet[0], id)); d != "" {
			t.Fatalf("%s: %s", id, d)
		}
	}
	if n := countM(t, fleet[0], `SELECT count(*) FROM webhook_events`); n != links {
		t.Fatalf("%d events recorded; want %d", n, links)
	}
}

// countingLM answers every read with its transaction and counts the reads.
type countingLM struct {
	mu    sync.Mutex
	txn   map[string]lmgen.Transaction
	reads map[string]int
}

func (c *countingLM) PaymentStatus(_ context.Context, id string) (*lmgen.Transaction, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.reads[id]++
	t := c.txn[id]
	t.TransactionId = id
	return &t, nil
}

func TestLinkMoneyEventRedeliveredUnderANewDeliveryIDIsAppliedOnce(t *testing.T) {
	bothDBs(t, func(t *testing.T, db testDB) {
		m := db.open(t)
		hv, err := webhook.NewHMACVerifier(lmSecret)
		if err != nil {
			t.Fatal(err)
		}
		lm := &countingLM{reads: map[string]int{}, txn: map[string]lmgen.Transaction{
			"pay_re": {CustomerId: "cus_re", Amount: lmgen.Amount{Value: "3.00", Currency: "USD"}},
		}}
		h := m.Handler(mirror.HandlerConfig{LinkMoneyVerifier: hv, LinkMoney: lm})
		body := lmBody("evt_re", "payment.authorized", "pay_re", "")
		// The same event, delivered three times, each under its own
		// x-signature-uniqueid.
		for _, uid := range []string{"uid-1", "uid-2", "uid-3"} {
			if code := postLM(t, h, uid, body); code != http.StatusOK {
				t.Fatalf("delivery %s answered %d", uid, code)
			}
		}
		if n := countM(t, m, `SELECT count(*) FROM webhook_events WHERE provider = 'linkmoney'`); n != 1 {
			t.Fatalf("%d Link Money events recorded; want 1", n)
		}
		if n := countM(t, m, `SELECT count(*) FROM webhook_events WHERE provider = 'linkmoney' AND event_key = ?`, "evt_re"); n != 1 {
			t.Fatalf("the event is not recorded under its own id")
		}
		if lm.reads["pay_re"] != 1 {
			t.Fatalf("the payment was read %d times; want once", lm.reads["pay_re"])
		}
		if s, amount, _, customer := paymentRow(t, m, "pay_re"); s != "AUTHORIZED" || amount != "3.00" || customer != "cus_re" {
			t.Fatalf("payment = %s %s %s; want AUTHORIZED 3.00 cus_re", s, amount, customer)
		}
		// An event without an id is keyed on its delivery id.
		noID := fmt.Appendf(nil, `{"eventType":"payment.succeeded","resourceId":"pay_re","resourceType":"Payment"}`)
		for range 2 {
			if code := postLM(t, h, "uid-noid", noID); code != http.StatusOK {
				t.Fatalf("event without an id answered %d", code)
			}
		}
		if n := countM(t, m, `SELECT count(*) FROM webhook_events WHERE provider = 'linkmoney' AND event_key = ?`, "uid-noid"); n != 1 {
			t.Fatalf("the event without an id is not recorded once under its delivery id")
		}
	})
}

func TestLinkMoneyRefundEventsReadAmountAndCurrency(t *testing.T) {
	bothDBs(t, func(t *testing.T, db testDB) {
		m := db.open(t)
		hv, err := webhook.NewHMACVerifier(lmSecret)
		if err != nil {
			t.Fatal(err)
		}
		lm := &countingLM{reads: map[string]int{}, txn: map[string]lmgen.Transaction{
			"ref_1": {TransactionStatus: "PENDING", ClientReferenceId: "refund-ref", Amount: lmgen.Amount{Value: "4.25", Currency: "USD"}},
		}}
		h := m.Handler(mirror.HandlerConfig{LinkMoneyVerifier: hv, LinkMoney: lm})
		body := fmt.Appendf(nil, `{"id":"evt_ref","eventType":"refund.pending","creationTime":"2026-01-02T03:04:05.000Z","resourceId":"ref_1","resourceType":"Refund"}`)
		if code := postLM(t, h, "uid-ref", body); code != http.StatusOK {
			t.Fatalf("refund event answered %d", code)
		}
		q := `SELECT COALESCE(amount, ''), currency, status, client_reference_id FROM refunds WHERE refund_id = ?`
		if m.Dialect() == "postgres" {
			q = `SELECT COALESCE(amount::text, ''), currency, status, client_reference_id FROM refunds WHERE refund_id = $1`
		}
		var amount, currency, status, ref string
		if err := m.DB().QueryRow(q, "ref_1").Scan(&amount, &currency, &status, &ref); err != nil {
			t.Fatal(err)
		}
		if amount != "4.25" || currency != "USD" || status != "PENDING" || ref != "refund-ref" {
			t.Fatalf("refund = %q %q %q %q; want 4.25 USD PENDING refund-ref", amount, currency, status, ref)
		}
		if lm.reads["ref_1"] != 1 {
			t.Fatalf("the refund was read %d times; want once", lm.reads["ref_1"])
		}
		if n := countM(t, m, `SELECT count(*) FROM payments`); n != 0 {
			t.Fatalf("a refund event made %d payment rows", n)
		}
	})
}
