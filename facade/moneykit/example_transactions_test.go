package moneykit_test

import (
	"context"
	"fmt"
	"log"
	"net/http/httptest"
	"time"

	"github.com/banklink/banklink/facade"
	"github.com/banklink/banklink/facade/moneykit"
	"github.com/banklink/banklink/facade/sandbox"
)

// store is the application's copy of a link's transactions, with the sync
// cursor kept next to them.
type store struct {
	txns   map[string]moneykit.Transaction
	cursor string
}

// dropPending forgets the stored pending transactions. MoneyKit replaces
// them wholesale whenever new transactions come: a pending transaction is
// never updated or removed, and one that posts comes back as a new posted
// transaction with its own id.
func (s *store) dropPending() {
	for id, t := range s.txns {
		if t.Pending {
			delete(s.txns, id)
		}
	}
}

// apply applies one batch and its cursor together, as one database
// transaction would.
func (s *store) apply(b moneykit.SyncBatch) {
	for _, t := range b.Created {
		s.txns[t.TransactionId] = t
	}
	for _, t := range b.Updated {
		s.txns[t.TransactionId] = t
	}
	for _, id := range b.Removed {
		delete(s.txns, id)
	}
	s.cursor = b.Cursor
}

// Keeping a copy of a link's transactions: sync from the stored cursor,
// apply each batch with its cursor, and resume later from where the last
// applied batch left off. Pagers (Transactions.Pager, Institutions.Pager,
// Links.Pager) are read the same way, with All.
func ExampleTransactionsService_Sync() {
	clock := sandbox.NewFakeClock(time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC))
	sb := sandbox.New(sandbox.Config{Clock: clock})
	srv := httptest.NewServer(sb.Handler())
	defer srv.Close()
	sb.SetURL(srv.URL)
	ctx := context.Background()
	creds := sb.MoneyKit()
	mk, err := moneykit.New(facade.WithCredentials(creds.ClientID, creds.ClientSecret), facade.WithBaseURL(creds.BaseURL))
	if err != nil {
		log.Fatal(err)
	}
	defer mk.CloseIdleConnections()
	sess, err := mk.LinkSessions.Create(ctx, moneykit.NewLinkSession("user-42", "https://app.example/oauth", moneykit.WithProducts(moneykit.ProductTransactions)))
	if err != nil {
		log.Fatal(err)
	}
	exch, err := sb.CompleteLinkSession(sess.LinkSessionToken, sandbox.ConnectOptions{})
	if err != nil {
		log.Fatal(err)
	}
	res, err := mk.LinkSessions.Exchange(ctx, exch)
	if err != nil {
		log.Fatal(err)
	}
	linkID := res.Link.LinkId

	db := &store{txns: map[string]moneykit.Transaction{}}
	var created, updated, removed int
	sync := func() error {
		created, updated, removed = 0, 0, 0
		for batch, err := range mk.Transactions.Sync(linkID, db.cursor).All(ctx) {
			if err != nil {
				return err // db.cursor still names the last applied batch
			}
			if len(batch.Created) > 0 && created == 0 {
				db.dropPending() // new transactions: the pending ones are replaced
			}
			db.apply(batch)
			created, updated, removed = created+len(batch.Created), updated+len(batch.Updated), removed+len(batch.Removed)
		}
		return nil
	}
	if err := sync(); err != nil {
		log.Fatal(err)
	}
	fmt.Println("a year of history:", len(db.txns) > 365)

	// Two days later the link is refreshed (a webhook would say so).
	clock.Advance(48 * time.Hour)
	if _, err := mk.Links.Refresh(ctx, linkID, []moneykit.Product{moneykit.ProductTransactions}); err != nil {
		log.Fatal(err)
	}
	if err := sync(); err != nil {
		log.Fatal(err)
	}
	fmt.Println("new:", created > 0, "corrected:", updated > 0, "removed:", removed)

	// The copy now equals the link's transaction list.
	n := 0
	for t, err := range mk.Transactions.Pager(linkID, moneykit.TransactionsParams{Size: 500}).All(ctx) {
		if err != nil {
			log.Fatal(err)
		}
		if db.txns[t.TransactionId].Pending != t.Pending {
			log.Fatalf("%s differs", t.TransactionId)
		}
		n++
	}
	fmt.Println("copy matches:", n == len(db.txns))
	// Output:
	// a year of history: true
	// new: true corrected: true removed: 1
	// copy matches: true
}
