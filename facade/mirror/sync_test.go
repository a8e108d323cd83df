package mirror_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/banklink/banklink/facade/mirror"
	gen "github.com/banklink/banklink/gen/moneykit"
)

func TestSyncLinkMatchesTheProviderAndKeepsExactDecimals(t *testing.T) {
	bothDBs(t, func(t *testing.T, db testDB) {
		ctx := context.Background()
		mk := newFakeMK()
		mk.addLink("mk_a", 1, 120, 4)
		m := db.open(t)
		m.SetPageSize(25)

		res, err := m.SyncLink(ctx, mk, "mk_a")
		if err != nil {
			t.Fatal(err)
		}
		if res.Created != 124 || res.Pages != 5 || !res.PendingReplaced || res.Pending != 4 {
			t.Fatalf("result %+v: want 124 created over 5 pages, pending set of 4", res)
		}
		if d := diffTxns(mk.view("mk_a"), storedTxns(t, m, "mk_a")); d != "" {
			t.Fatalf("stored transactions differ from the provider's:\n%s", d)
		}
		// Amounts a float64 would change are stored as sent.
		if n := countM(t, m, `SELECT count(*) FROM transactions WHERE CAST(amount AS TEXT) = '1000000000000000.01'`); n == 0 {
			t.Fatal("no amount 1000000000000000.01 stored exactly")
		}
		var cur, limit string
		q := `SELECT balance_current FROM accounts WHERE account_id = ?`
		if m.Dialect() == "postgres" {
			q = `SELECT balance_current::text FROM accounts WHERE account_id = $1`
		}
		if err := m.DB().QueryRow(q, "mk_a_chk").Scan(&cur); err != nil || cur != "1234.56" {
			t.Fatalf("balance_current = %q, %v; want 1234.56", cur, err)
		}
		q = `SELECT balance_limit FROM accounts WHERE account_id = ?`
		if m.Dialect() == "postgres" {
			q = `SELECT balance_limit::text FROM accounts WHERE account_id = $1`
		}
		if err := m.DB().QueryRow(q, "mk_a_cc").Scan(&limit); err != nil || limit != "5000" {
			t.Fatalf("balance_limit = %q, %v; want 5000", limit, err)
		}
		if n := countM(t, m, `SELECT count(*) FROM links WHERE link_id = ? AND state = 'connected' AND institution_name = 'Instant Bank' AND sync_cursor = 'c124' AND synced_at IS NOT NULL`, "mk_a"); n != 1 {
			t.Fatal("links row does not hold the state, institution, cursor c124 and synced_at")
		}

		// A second sync with nothing new asks for one page and changes nothing.
		before := mk.syncCalls.Load()
		res, err = m.SyncLink(ctx, mk, "mk_a")
		if err != nil {
			t.Fatal(err)
		}
		if got := mk.syncCalls.Load() - before; got != 1 || res.Created+res.Updated+res.Removed != 0 || res.PendingReplaced {
			t.Fatalf("idle sync: %d sync calls, result %+v; want 1 call and no change", got, res)
		}
		if n := countM(t, m, `SELECT count(*) FROM transactions WHERE pending`); n != 4 {
			t.Fatalf("idle sync left %d pending; want the 4 it had", n)
		}
	})
}

func TestPendingSetIsReplacedNeverAccumulated(t *testing.T) {
	bothDBs(t, func(t *testing.T, db testDB) {
		ctx := context.Background()
		mk := newFakeMK()
		mk.addLink("mk_p", 2, 40, 5)
		m := db.open(t)
		m.SetPageSize(7)
		if _, err := m.SyncLink(ctx, mk, "mk_p"); err != nil {
			t.Fatal(err)
		}
		for r := 1; r <= 4; r++ {
			mk.refreshLink("mk_p", 9, 3+r)
			res, err := m.SyncLink(ctx, mk, "mk_p")
			if err != nil {
				t.Fatal(err)
			}
			if !res.PendingReplaced || res.Pending != 3+r {
				t.Fatalf("refresh %d: result %+v; want the pending set replaced by %d", r, res, 3+r)
			}
			if n := countM(t, m, `SELECT count(*) FROM transactions WHERE link_id = ? AND pending`, "mk_p"); n != 3+r {
				t.Fatalf("refresh %d: %d pending stored; want %d (replaced, not accumulated)", r, n, 3+r)
			}
			if d := diffTxns(mk.view("mk_p"), storedTxns(t, m, "mk_p")); d != "" {
				t.Fatalf("refresh %d: stored transactions differ:\n%s", r, d)
			}
		}
		if n := countM(t, m, `SELECT count(*) FROM pending_staged`); n != 0 {
			t.Fatalf("%d staged pending rows left after complete runs", n)
		}
	})
}

// steps are the points where a sync can stop: after reading the link or
// the accounts, after a page is read, after it is applied, before and
// after its commit.
var steps = []string{"link-read", "accounts-read", "page-read", "page-applied", "before-commit", "after-commit"}

// countingFailpoint fails the n-th time step is reached (n from 1).
func countingFailpoint(step string, n int) (func(string) error, *int) {
	hits := 0
	return func(s string) error {
		if s != step {
			return nil
		}
		if hits++; hits == n {
			return fmt.Errorf("%w at %s #%d", mirror.ErrFailpoint, s, n)
		}
		return nil
	}, &hits
}

// TestCrashBetweenEveryPairOfStepsConverges stops a sync at every step of
// every page, in a first full sync and in a sync after a refresh, then
// restarts it: the result is exactly the provider's view.
func TestCrashBetweenEveryPairOfStepsConverges(t *testing.T) {
	bothDBs(t, func(t *testing.T, db testDB) {
		ctx := context.Background()
		for _, phase := range []string{"initial", "after-refresh"} {
			for _, step := range steps {
				for n := 1; ; n++ {
					// An emptied database and a fresh provider per crash point.
					d := db
					mk := newFakeMK()
					mk.addLink("mk_c", 3, 30, 4)
					m := d.open(t)
					emptyTables(t, m)
					m.SetPageSize(8)
					if phase == "after-refresh" {
						if _, err := m.SyncLink(ctx, mk, "mk_c"); err != nil {
							t.Fatal(err)
						}
						mk.refreshLink("mk_c", 12, 6)
					}
					fp, hits := countingFailpoint(step, n)
					m.SetFailpoint(fp)
					_, err := m.SyncLink(ctx, mk, "mk_c")
					if *hits < n {
						if err != nil {
							t.Fatalf("%s %s: sync without reaching the crash point failed: %v", phase, step, err)
						}
						if n == 1 {
							t.Fatalf("%s: step %s never reached", phase, step)
						}
						m.Close()
						break // every occurrence of this step was tried
					}
					if !errors.Is(err, mirror.ErrFailpoint) {
						t.Fatalf("%s %s #%d: err = %v; want the failpoint", phase, step, n, err)
					}
					m.Close()

					// The restart: a new Mirror on the same database.
					m2 := d.open(t)
					m2.SetPageSize(8)
					if _, err := m2.SyncLink(ctx, mk, "mk_c"); err != nil {
						t.Fatalf("%s %s #%d: restart: %v", phase, step, n, err)
					}
					if diff := diffTxns(mk.view("mk_c"), storedTxns(t, m2, "mk_c")); diff != "" {
						t.Fatalf("%s, crash at %s #%d, then restart: stored transactions differ:\n%s", phase, step, n, diff)
					}
					if k := countM(t, m2, `SELECT count(*) FROM pending_staged`); k != 0 {
						t.Fatalf("%s %s #%d: %d staged rows left", phase, step, n, k)
					}
				}
			}
		}
	})
}

// A crash in the middle of a run never shows readers an accumulated
// pending set: the old set stays until the run's last page commits.
func TestPendingStagedUntilTheRunEnds(t *testing.T) {
	ctx := context.Background()
	db := newSQLite(t)
	mk := newFakeMK()
	mk.addLink("mk_s", 4, 10, 3)
	m := db.open(t)
	m.SetPageSize(5)
	if _, err := m.SyncLink(ctx, mk, "mk_s"); err != nil {
		t.Fatal(err)
	}
	mk.refreshLink("mk_s", 10, 6)
	fp, _ := countingFailpoint("after-commit", 2)
	m.SetFailpoint(fp)
	if _, err := m.SyncLink(ctx, mk, "mk_s"); !errors.Is(err, mirror.ErrFailpoint) {
		t.Fatalf("err = %v; want the failpoint", err)
	}
	if n := countM(t, m, `SELECT count(*) FROM transactions WHERE pending`); n != 3 {
		t.Fatalf("mid-run: %d pending visible; want the previous 3", n)
	}
	m.SetFailpoint(nil)
	if _, err := m.SyncLink(ctx, mk, "mk_s"); err != nil {
		t.Fatal(err)
	}
	if n := countM(t, m, `SELECT count(*) FROM transactions WHERE pending`); n != 6 {
		t.Fatalf("after the run: %d pending; want the new 6", n)
	}
}

func TestTwoMirrorsSyncingOneLinkGiveTheResultOfOne(t *testing.T) {
	bothDBs(t, func(t *testing.T, db testDB) {
		ctx := context.Background()
		mk := newFakeMK()
		mk.addLink("mk_2", 5, 200, 6)
		a, b := db.open(t), db.open(t)
		a.SetPageSize(10)
		b.SetPageSize(10)
		var wg sync.WaitGroup
		errs := make([]error, 4)
		for i := range 4 {
			m := a
			if i%2 == 1 {
				m = b
			}
			wg.Go(func() { _, errs[i] = m.SyncLink(ctx, mk, "mk_2") })
		}
		wg.Wait()
		for _, err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		if d := diffTxns(mk.view("mk_2"), storedTxns(t, a, "mk_2")); d != "" {
			t.Fatalf("concurrent syncs: stored transactions differ:\n%s", d)
		}
		if db.dialect == "postgres" {
			// The advisory lock lets one sync read the feed; the other
			// three find the cursor at the end and read one page each.
			if got := mk.syncCalls.Load(); got != 21+3 {
				t.Fatalf("%d sync pages read; want 21 for one sync and 1 for each of 3 waiting ones", got)
			}
		}
	})
}

func TestDeletedLinkKeepsItsHistory(t *testing.T) {
	bothDBs(t, func(t *testing.T, db testDB) {
		ctx := context.Background()
		for _, how := range []string{"state deleted", "410"} {
			mk := newFakeMK()
			l := mk.addLink("mk_d", 6, 20, 2)
			m := db.open(t)
			if _, err := m.SyncLink(ctx, mk, "mk_d"); err != nil {
				t.Fatal(err)
			}
			if how == "410" {
				l.gone = true
			} else {
				l.state = gen.PublicLinkStateDeleted
			}
			res, err := m.SyncLink(ctx, mk, "mk_d")
			if err != nil || !res.Deleted {
				t.Fatalf("%s: result %+v, %v; want Deleted", how, res, err)
			}
			if n := countM(t, m, `SELECT count(*) FROM links WHERE link_id = ? AND state = 'deleted' AND deleted_at IS NOT NULL`, "mk_d"); n != 1 {
				t.Fatalf("%s: link not marked deleted", how)
			}
			if n := countM(t, m, `SELECT count(*) FROM transactions WHERE link_id = ?`, "mk_d"); n != 22 {
				t.Fatalf("%s: %d transactions kept; want all 22", how, n)
			}
			if n := countM(t, m, `SELECT count(*) FROM accounts WHERE link_id = ?`, "mk_d"); n != 2 {
				t.Fatalf("%s: %d accounts kept; want 2", how, n)
			}
			// SyncAll no longer visits it.
			calls := mk.getCalls.Load()
			if _, err := m.SyncAll(ctx, mk); err != nil {
				t.Fatal(err)
			}
			if mk.getCalls.Load() != calls {
				t.Fatalf("%s: SyncAll read a deleted link", how)
			}
			m.Close()
			if db.dialect == "sqlite" {
				db = newSQLite(t)
			} else {
				db = newPostgres(t)
			}
		}
	})
}

func TestProductNotGrantedIsSkippedAndSaid(t *testing.T) {
	ctx := context.Background()
	mk := newFakeMK()
	l := mk.addLink("mk_g", 7, 10, 0)
	l.denyTxns = true
	m := newSQLite(t).open(t)
	res, err := m.SyncLink(ctx, mk, "mk_g")
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Skipped) != 1 || res.Skipped[0] != "transactions" {
		t.Fatalf("Skipped = %v; want [transactions]", res.Skipped)
	}
	if n := countM(t, m, `SELECT count(*) FROM accounts`); n != 2 {
		t.Fatalf("%d accounts; the accounts product is granted and should be kept", n)
	}
	if n := countM(t, m, `SELECT count(*) FROM transactions`); n != 0 {
		t.Fatalf("%d transactions stored for a link without the product", n)
	}
	st, err := m.Status(ctx)
	if err != nil || len(st) != 1 || len(st[0].Skipped) != 1 || st[0].Skipped[0] != "transactions" || st[0].LastError != "" {
		t.Fatalf("Status = %+v, %v; want the link with transactions skipped and no error", st, err)
	}
}

func TestSyncAllVisitsEveryListedLink(t *testing.T) {
	ctx := context.Background()
	mk := newFakeMK()
	for i := range 250 {
		mk.addLink(fmt.Sprintf("mk_%03d", i), uint64(i), 3, 1)
	}
	m := newSQLite(t).open(t)
	res, err := m.SyncAll(ctx, mk)
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != 250 {
		t.Fatalf("%d links synced; want 250 (GET /links has 3 pages)", len(res))
	}
	if n := countM(t, m, `SELECT count(*) FROM transactions`); n != 1000 {
		t.Fatalf("%d transactions; want 1000", n)
	}
}

// Corrections and reversals alone keep the pending set; a refresh whose
// pending all posted empties it (no pending that never goes away).
func TestPendingSetKeptByCorrectionsEmptiedByARefreshWithoutPending(t *testing.T) {
	ctx := context.Background()
	mk := newFakeMK()
	mk.addLink("mk_k", 9, 20, 4)
	m := newSQLite(t).open(t)
	if _, err := m.SyncLink(ctx, mk, "mk_k"); err != nil {
		t.Fatal(err)
	}
	mk.correctLink("mk_k")
	res, err := m.SyncLink(ctx, mk, "mk_k")
	if err != nil {
		t.Fatal(err)
	}
	if res.PendingReplaced || countM(t, m, `SELECT count(*) FROM transactions WHERE pending`) != 4 {
		t.Fatalf("a run of corrections touched the pending set: %+v", res)
	}
	if d := diffTxns(mk.view("mk_k"), storedTxns(t, m, "mk_k")); d != "" {
		t.Fatal(d)
	}
	mk.refreshLink("mk_k", 5, 0)
	if _, err := m.SyncLink(ctx, mk, "mk_k"); err != nil {
		t.Fatal(err)
	}
	if n := countM(t, m, `SELECT count(*) FROM transactions WHERE pending`); n != 0 {
		t.Fatalf("%d stale pending transactions stayed after a refresh reported none", n)
	}
	if d := diffTxns(mk.view("mk_k"), storedTxns(t, m, "mk_k")); d != "" {
		t.Fatal(d)
	}
}
