package mirror_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/banklink/banklink/facade/mirror"
	lmgen "github.com/banklink/banklink/gen/linkmoney"
)

// Reconcile skips a link another sync holds (it is being brought up to
// date) and syncs the others.
func TestReconcileSkipsALinkBeingSynced(t *testing.T) {
	bothDBs(t, func(t *testing.T, db testDB) {
		ctx := context.Background()
		mk := newFakeMK()
		mk.addLink("mk_r1", 11, 10, 1)
		mk.addLink("mk_r2", 12, 10, 1)
		held, release := make(chan struct{}), make(chan struct{})
		var once sync.Once
		mk.hold = func(id string) {
			if id == "mk_r1" {
				once.Do(func() { close(held); <-release })
			}
		}
		a, b := db.open(t), db.open(t)
		done := make(chan error, 1)
		go func() { _, err := a.SyncLink(ctx, mk, "mk_r1"); done <- err }()
		<-held
		var inst *mirror.Mirror = b
		if db.dialect == "sqlite" {
			inst = a // SQLite's lock is per process: the same Mirror
		}
		res, err := inst.Reconcile(ctx, mk, nil)
		close(release)
		if err != nil {
			t.Fatal(err)
		}
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		got := map[string]bool{}
		for _, r := range res {
			got[r.LinkID] = r.Busy
		}
		if len(got) != 2 || !got["mk_r1"] || got["mk_r2"] {
			t.Fatalf("reconcile results %v; want mk_r1 busy (skipped) and mk_r2 synced", got)
		}
		if n := countM(t, a, `SELECT count(*) FROM transactions WHERE link_id = 'mk_r2'`); n != 11 {
			t.Fatalf("mk_r2 has %d transactions after reconcile; want 11", n)
		}
	})
}

type statusLM struct {
	calls  atomic.Int64
	status map[string]string
}

func (s *statusLM) PaymentStatus(_ context.Context, id string) (*lmgen.Transaction, error) {
	s.calls.Add(1)
	st, ok := s.status[id]
	if !ok {
		return nil, fmt.Errorf("404 %s", id)
	}
	return &lmgen.Transaction{TransactionId: id, TransactionStatus: lmgen.TransactionStatus(st), CustomerId: "cus_9",
		Amount: lmgen.Amount{Value: "40.00", Currency: "USD"}}, nil
}

// Reconcile reads the payments that are not final, and never moves one
// back.
func TestReconcileReadsPaymentsNotFinal(t *testing.T) {
	ctx := context.Background()
	m := newSQLite(t).open(t)
	lm := &statusLM{status: map[string]string{"p_open": "SUCCEEDED", "p_lagging": "AUTHORIZED", "p_final": "PENDING"}}
	for id, st := range map[string]string{"p_open": "AUTHORIZED", "p_lagging": "INITIATED", "p_final": "TERMINAL_FAILED"} {
		if err := m.RecordPayment(ctx, mirror.Payment{PaymentID: id, Status: st}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := m.Reconcile(ctx, nil, lm); err != nil {
		t.Fatal(err)
	}
	if lm.calls.Load() != 2 {
		t.Fatalf("%d status reads; want 2 (the final payment is not read)", lm.calls.Load())
	}
	for id, want := range map[string]string{"p_open": "SUCCEEDED", "p_lagging": "INITIATED", "p_final": "TERMINAL_FAILED"} {
		if got, _, _, _ := paymentRow(t, m, id); got != want {
			t.Fatalf("%s = %s; want %s", id, got, want)
		}
	}
	if _, amount, _, customer := paymentRow(t, m, "p_open"); amount != "40.00" || customer != "cus_9" {
		t.Fatalf("p_open amount %q customer %q; want the details Link Money gave", amount, customer)
	}
}

// RunReconcile reconciles on its interval, on a fake clock.
func TestRunReconcileEveryInterval(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		mk := newFakeMK()
		mk.addLink("mk_t", 13, 5, 1)
		m := newSQLite(t).open(t)
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- m.RunReconcile(ctx, mk, nil, 10*time.Minute) }()
		time.Sleep(35 * time.Minute)
		synctest.Wait()
		if got := mk.getCalls.Load(); got != 3 {
			t.Fatalf("%d reconciles in 35 minutes at a 10-minute interval; want 3", got)
		}
		cancel()
		if err := <-done; err != context.Canceled {
			t.Fatalf("RunReconcile returned %v; want context.Canceled", err)
		}
		if err := m.RunReconcile(context.Background(), mk, nil, 0); err == nil {
			t.Fatal("an interval of 0 was accepted")
		}
	})
}
