package mirror_test

import (
	"context"
	"encoding/json"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"sort"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/banklink/banklink/facade"
	"github.com/banklink/banklink/facade/mirror"
	"github.com/banklink/banklink/facade/moneykit"
	"github.com/banklink/banklink/facade/sandbox"
	"github.com/banklink/banklink/facade/webhook"
)

// benchDB opens a mirror on dialect for a benchmark.
func benchDB(b *testing.B, dialect string) (testDB, *mirror.Mirror) {
	var db testDB
	if dialect == "sqlite" {
		db = newSQLite(b)
	} else {
		db = newPostgres(b)
	}
	return db, db.open(b)
}

// BenchmarkOneLinkHistory syncs one sandbox link's whole history (about
// 800 transactions, two pages of 500) from an empty cursor: to /dev/null
// (the same calls — the link, its accounts, the sync pages — with every
// change encoded as JSON to io.Discard: the baseline), into SQLite and into
// Postgres. Each iteration runs the three one after another, so a burst of
// load on a shared machine hits all three; the reported ratios are the
// medians of the iterations' ratios.
func BenchmarkOneLinkHistory(b *testing.B) {
	ctx := context.Background()
	sb := sandbox.Start(b, sandbox.Config{NoRateLimits: true, RequestLogLimit: -1})
	mk, linkID := sandboxLink(b, sb, sandbox.ConnectOptions{})
	src := mirror.MoneyKitClient(mk)
	_, lite := benchDB(b, "sqlite")
	_, pg := benchDB(b, "postgres")
	enc := json.NewEncoder(io.Discard)

	devnull := func() int {
		link, err := src.GetLink(ctx, linkID)
		if err != nil {
			b.Fatal(err)
		}
		accts, err := src.ListAccounts(ctx, linkID)
		if err != nil {
			b.Fatal(err)
		}
		if err := enc.Encode(link); err != nil {
			b.Fatal(err)
		}
		if err := enc.Encode(accts.Accounts); err != nil {
			b.Fatal(err)
		}
		n, cursor := 0, ""
		for {
			page, err := src.SyncTransactions(ctx, linkID, cursor, mirror.PageSize)
			if err != nil {
				b.Fatal(err)
			}
			for _, t := range page.Transactions.Created {
				if err := enc.Encode(t); err != nil {
					b.Fatal(err)
				}
				n++
			}
			cursor = page.Cursor.Next
			if !page.HasMore {
				return n
			}
		}
	}
	into := func(m *mirror.Mirror) int {
		res, err := m.SyncLink(ctx, src, linkID)
		if err != nil {
			b.Fatal(err)
		}
		return res.Created
	}
	var tNull, tLite, tPG []time.Duration
	var rLite, rPG []float64
	txns := 0
	for b.Loop() {
		b.StopTimer()
		emptyTables(b, lite)
		emptyTables(b, pg)
		b.StartTimer()
		t0 := time.Now()
		txns = devnull()
		t1 := time.Now()
		if into(lite) != txns {
			b.Fatal("SQLite got another number of transactions")
		}
		t2 := time.Now()
		if into(pg) != txns {
			b.Fatal("Postgres got another number of transactions")
		}
		t3 := time.Now()
		tNull, tLite, tPG = append(tNull, t1.Sub(t0)), append(tLite, t2.Sub(t1)), append(tPG, t3.Sub(t2))
		rLite = append(rLite, float64(t2.Sub(t1))/float64(t1.Sub(t0)))
		rPG = append(rPG, float64(t3.Sub(t2))/float64(t1.Sub(t0)))
	}
	b.ReportMetric(float64(txns), "txns")
	b.ReportMetric(median(durations(tNull)), "devnull-ms")
	b.ReportMetric(median(durations(tLite)), "sqlite-ms")
	b.ReportMetric(median(durations(tPG)), "postgres-ms")
	b.ReportMetric(median(rLite), "sqlite-x")
	b.ReportMetric(median(rPG), "postgres-x")
}

func durations(ds []time.Duration) []float64 {
	out := make([]float64, len(ds))
	for i, d := range ds {
		out[i] = float64(d) / 1e6
	}
	return out
}

func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	return s[len(s)/2]
}

// BenchmarkHundredLinks syncs 100 sandbox links (SyncAll) into each
// database and reports the transactions applied per second.
func BenchmarkHundredLinks(b *testing.B) {
	ctx := context.Background()
	sb := sandbox.Start(b, sandbox.Config{NoRateLimits: true, RequestLogLimit: -1})
	var mk *moneykit.Client
	for range 100 {
		mk, _ = sandboxLink(b, sb, sandbox.ConnectOptions{})
	}
	src := mirror.MoneyKitClient(mk)
	for _, dialect := range []string{"sqlite", "postgres"} {
		b.Run(dialect, func(b *testing.B) {
			_, m := benchDB(b, dialect)
			var n int
			var took time.Duration
			for b.Loop() {
				b.StopTimer()
				emptyTables(b, m)
				b.StartTimer()
				start := time.Now()
				res, err := m.SyncAll(ctx, src)
				if err != nil {
					b.Fatal(err)
				}
				took += time.Since(start)
				if len(res) != 100 {
					b.Fatalf("%d links synced", len(res))
				}
				for _, r := range res {
					n += r.Created
				}
			}
			b.ReportMetric(float64(n)/took.Seconds(), "txns/s")
		})
	}
}

// BenchmarkFleetWebhookStorm: four mirror serve instances (HTTP servers
// with Mirror.Handler) on one Postgres behind a balancer that sends each
// delivery to the next instance. Every link is refreshed at once, and the
// refresh's transactions.updates_available and link.product_refresh are
// each delivered twice (the sandbox's duplicate fault), so the two copies
// reach two instances. Each event must be applied
// once: one sync per link, one webhook_events row per event, and every row
// equal to the sandbox's listing. The time is storm to convergence.
func BenchmarkFleetWebhookStorm(b *testing.B) {
	const links = 40
	ctx := context.Background()
	for b.Loop() {
		b.StopTimer()
		sb := sandbox.Start(b, sandbox.Config{NoRateLimits: true})
		db := newPostgres(b)
		c := sb.MoneyKit()
		mk, err := moneykit.New(facade.WithCredentials(c.ClientID, c.ClientSecret), facade.WithBaseURL(c.BaseURL))
		if err != nil {
			b.Fatal(err)
		}
		var instances []http.Handler
		var fleet []*mirror.Mirror
		for range 4 {
			m := db.open(b)
			v, err := webhook.NewMoneyKitVerifier(webhook.MoneyKitOptions{BaseURL: c.BaseURL, ClientID: c.ClientID})
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { v.Close() })
			fleet = append(fleet, m)
			instances = append(instances, m.Handler(mirror.HandlerConfig{MoneyKitVerifier: v, MoneyKit: mirror.MoneyKitClient(mk)}))
		}
		var next atomic.Int64
		var syncs atomic.Int64
		balancer := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			instances[next.Add(1)%int64(len(instances))].ServeHTTP(w, r)
		}))
		b.Cleanup(balancer.Close)
		hook := balancer.URL + "/webhooks/moneykit"

		var ids []string
		for range links {
			_, id := sandboxLinkWith(b, sb, sandbox.ConnectOptions{}, moneykit.WithProducts(moneykit.ProductTransactions))
			if _, err := mk.Links.Update(ctx, id, moneykit.NewLinkUpdate(moneykit.SetWebhook(hook))); err != nil {
				b.Fatal(err)
			}
			ids = append(ids, id)
		}
		// The initial copy, before the storm.
		if _, err := fleet[0].SyncAll(ctx, mirror.MoneyKitClient(mk)); err != nil {
			b.Fatal(err)
		}
		if err := sb.WaitWebhooks(ctx); err != nil {
			b.Fatal(err)
		}
		before := countSyncs(sb)
		eventsBefore := countM(b, fleet[0], `SELECT count(*) FROM webhook_events`)
		// (The sandbox clock stays: deliveries are signed on it, and the
		// verifiers check their age on the real one.)
		sb.SetWebhookFaults(sandbox.WebhookFaults{Duplicate: true})
		rnd := rand.New(rand.NewPCG(4, 40))
		rnd.Shuffle(len(ids), func(i, j int) { ids[i], ids[j] = ids[j], ids[i] })

		b.StartTimer()
		start := time.Now()
		var wg sync.WaitGroup
		for _, id := range ids {
			wg.Go(func() {
				// The refresh sends link.product_refresh and
				// transactions.updates_available.
				if _, err := mk.Links.Refresh(ctx, id, []moneykit.Product{moneykit.ProductTransactions}); err != nil {
					b.Error(err)
				}
			})
		}
		wg.Wait()
		if err := sb.WaitWebhooks(ctx); err != nil {
			b.Fatal(err)
		}
		converge := time.Since(start)
		b.StopTimer()

		syncs.Store(int64(countSyncs(sb) - before))
		// Each link: link.product_refresh and transactions.updates_available,
		// each delivered twice.
		if got := countM(b, fleet[0], `SELECT count(*) FROM webhook_events`) - eventsBefore; got != 2*links {
			b.Fatalf("%d storm events recorded; want %d, each once", got, 2*links)
		}
		if syncs.Load() != links {
			b.Fatalf("%d sync pages read in the storm; want %d (one sync of one page per link)", syncs.Load(), links)
		}
		for _, d := range sb.WebhookDeliveries() {
			if d.State != "delivered" {
				b.Fatalf("delivery %+v not delivered", d)
			}
		}
		for _, id := range ids {
			if d := diffTxns(listing(b, mk, id), storedTxns(b, fleet[0], id)); d != "" {
				b.Fatalf("%s differs after the storm:\n%s", id, d)
			}
		}
		b.ReportMetric(float64(converge.Milliseconds()), "ms-to-converge")
		b.ReportMetric(float64(4*links), "deliveries")
		b.StartTimer()
	}
}

func countSyncs(sb *sandbox.Sandbox) int {
	n := 0
	for _, r := range sb.Requests() {
		if r.Operation == "getTransactionsSync" {
			n++
		}
	}
	return n
}
