package mirror_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/banklink/banklink/facade"
	"github.com/banklink/banklink/facade/mirror"
	"github.com/banklink/banklink/facade/moneykit"
	"github.com/banklink/banklink/facade/sandbox"
)

// sandboxLink connects a link with transactions in the sandbox and
// returns its id, with a client of the sandbox.
func sandboxLink(t testing.TB, sb *sandbox.Sandbox, opt sandbox.ConnectOptions) (*moneykit.Client, string) {
	return sandboxLinkWith(t, sb, opt, moneykit.WithProducts(moneykit.ProductTransactions))
}

func sandboxLinkWith(t testing.TB, sb *sandbox.Sandbox, opt sandbox.ConnectOptions, products moneykit.LinkSessionOption) (*moneykit.Client, string) {
	t.Helper()
	ctx := context.Background()
	c := sb.MoneyKit()
	mk, err := moneykit.New(facade.WithCredentials(c.ClientID, c.ClientSecret), facade.WithBaseURL(c.BaseURL))
	if err != nil {
		t.Fatal(err)
	}
	sess, err := mk.LinkSessions.Create(ctx, moneykit.NewLinkSession("user-mirror", "https://app.example/oauth", products))
	if err != nil {
		t.Fatal(err)
	}
	tok, err := sb.CompleteLinkSession(sess.LinkSessionToken, opt)
	if err != nil {
		t.Fatal(err)
	}
	res, err := mk.LinkSessions.Exchange(ctx, tok)
	if err != nil {
		t.Fatal(err)
	}
	return mk, res.Link.LinkId
}

// listing is the sandbox's current view of a link's transactions, read
// fresh with the page-numbered listing (not the sync feed).
func listing(t testing.TB, mk *moneykit.Client, linkID string) map[string]txnRow {
	t.Helper()
	out := map[string]txnRow{}
	p := mk.Transactions.Pager(linkID, moneykit.TransactionsParams{Size: 1000})
	for txn, err := range p.All(context.Background()) {
		if err != nil {
			t.Fatal(err)
		}
		out[txn.TransactionId] = rowOf(linkID, txn)
	}
	return out
}

func TestSandboxLinkMirrorsEveryRow(t *testing.T) {
	bothDBs(t, func(t *testing.T, db testDB) {
		ctx := context.Background()
		sb := sandbox.Start(t, sandbox.Config{NoRateLimits: true})
		mk, linkID := sandboxLink(t, sb, sandbox.ConnectOptions{})
		m := db.open(t, mirror.WithPageSize(100))
		res, err := m.SyncLink(ctx, mirror.MoneyKitClient(mk), linkID)
		if err != nil {
			t.Fatal(err)
		}
		want := listing(t, mk, linkID)
		if len(want) < 500 || res.Created != len(want) {
			t.Fatalf("sandbox link has %d transactions, sync created %d; want the same, several hundred", len(want), res.Created)
		}
		if d := diffTxns(want, storedTxns(t, m, linkID)); d != "" {
			t.Fatalf("mirror differs from the sandbox's listing:\n%s", d)
		}
		// A refresh a few days later: new, posted and removed transactions.
		sb.Advance(72 * time.Hour)
		if _, err := mk.Links.Refresh(ctx, linkID, []moneykit.Product{moneykit.ProductTransactions}); err != nil {
			t.Fatal(err)
		}
		if _, err := m.SyncLink(ctx, mirror.MoneyKitClient(mk), linkID); err != nil {
			t.Fatal(err)
		}
		if d := diffTxns(listing(t, mk, linkID), storedTxns(t, m, linkID)); d != "" {
			t.Fatalf("after a refresh, the mirror differs from the sandbox's listing:\n%s", d)
		}
		// Deleted at MoneyKit: marked, history kept.
		if err := mk.Links.Delete(ctx, linkID); err != nil {
			t.Fatal(err)
		}
		res, err = m.SyncLink(ctx, mirror.MoneyKitClient(mk), linkID)
		if err != nil || !res.Deleted {
			t.Fatalf("sync of a deleted link: %+v, %v", res, err)
		}
		if n := countM(t, m, `SELECT count(*) FROM transactions WHERE link_id = ?`, linkID); n < 500 {
			t.Fatalf("%d transactions kept for the deleted link", n)
		}
	})
}

func TestSandboxProductDeniedIsSkipped(t *testing.T) {
	ctx := context.Background()
	sb := sandbox.Start(t, sandbox.Config{NoRateLimits: true})
	mk, linkID := sandboxLinkWith(t, sb, sandbox.ConnectOptions{DenyProducts: []string{"transactions"}},
		moneykit.WithOptionalProducts(moneykit.ProductTransactions))
	m := newSQLite(t).open(t)
	res, err := m.SyncLink(ctx, mirror.MoneyKitClient(mk), linkID)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Skipped) != 1 || res.Skipped[0] != "transactions" {
		t.Fatalf("Skipped = %v; want [transactions]", res.Skipped)
	}
	if n := countM(t, m, `SELECT count(*) FROM accounts WHERE link_id = ?`, linkID); n == 0 {
		t.Fatal("no accounts stored")
	}
}

// A link in state error (422 link_error.bad_state) is recorded as such,
// with its error code and the sync's error, and its rows stay.
func TestSandboxLinkInErrorIsRecorded(t *testing.T) {
	ctx := context.Background()
	sb := sandbox.Start(t, sandbox.Config{NoRateLimits: true})
	mk, linkID := sandboxLink(t, sb, sandbox.ConnectOptions{})
	m := newSQLite(t).open(t)
	if _, err := m.SyncLink(ctx, mirror.MoneyKitClient(mk), linkID); err != nil {
		t.Fatal(err)
	}
	if err := sb.SetLinkState(linkID, "error", "auth_expired"); err != nil {
		t.Fatal(err)
	}
	_, err := m.SyncLink(ctx, mirror.MoneyKitClient(mk), linkID)
	var lse *mirror.LinkStateError
	if !errors.As(err, &lse) || lse.ErrorCode != "auth_expired" {
		t.Fatalf("err = %v; want a *LinkStateError with auth_expired", err)
	}
	st, err := m.Status(ctx)
	if err != nil || len(st) != 1 {
		t.Fatal(st, err)
	}
	if st[0].State != "error" || st[0].LastError == "" || st[0].Transactions < 500 {
		t.Fatalf("status = %+v; want state error, the last error, the transactions kept", st[0])
	}
	if n := countM(t, m, `SELECT count(*) FROM links WHERE error_code = 'auth_expired'`); n != 1 {
		t.Fatal("error_code not recorded")
	}
}
