package mirror_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/banklink/banklink/facade/mirror"
	gen "github.com/banklink/banklink/gen/moneykit"
	openapi_types "github.com/oapi-codegen/runtime/types"
)

// fakeMK is a MoneyKit that follows the documented sync rules exactly:
// the feed is a change log read from a position cursor; pending
// transactions arrive only in created, and a refresh replaces them all
// (the feed no longer carries the pending of earlier refreshes); posted
// transactions are created, updated and removed.
type fakeMK struct {
	mu    sync.Mutex
	links map[string]*fakeLink

	syncCalls atomic.Int64
	getCalls  atomic.Int64

	// hold, when set, is called by SyncTransactions before it answers
	// (outside the lock), to keep a sync in flight.
	hold func(linkID string)
}

type fakeLink struct {
	id         string
	state      gen.PublicLinkState
	gone       bool // answers 410
	denyTxns   bool // transactions answer 403
	denyAccts  bool // link and accounts answer 403
	accounts   []gen.AccountResponse
	log        []entry
	refresh    int
	current    map[string]gen.TransactionResponse
	rnd        *rand.Rand
	nextPosted int
	day        time.Time
}

type entry struct {
	kind    string // created, updated, removed
	txn     gen.TransactionResponse
	refresh int // for pending created: the refresh it belongs to
}

func newFakeMK() *fakeMK { return &fakeMK{links: map[string]*fakeLink{}} }

// addLink makes a link with posted transactions and pending ones.
func (f *fakeMK) addLink(id string, seed uint64, posted, pending int) *fakeLink {
	f.mu.Lock()
	defer f.mu.Unlock()
	cur, avail, limit := 1234.56, 1200.5, 5000.0
	owed := 310.07
	l := &fakeLink{
		id: id, state: gen.PublicLinkStateConnected, current: map[string]gen.TransactionResponse{},
		rnd: rand.New(rand.NewPCG(seed, 7)), day: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC),
		accounts: []gen.AccountResponse{
			{AccountId: id + "_chk", Name: "Checking", AccountType: "depository.checking", AccountMask: "1234",
				Balances: gen.AccountBalances{Currency: "USD", Current: &cur, Available: &avail}},
			{AccountId: id + "_cc", Name: "Card", AccountType: "liability.credit_card", AccountMask: "9876",
				Balances: gen.AccountBalances{Currency: "USD", Current: &owed, Limit: &limit}},
		},
	}
	f.links[id] = l
	for range posted {
		l.created(l.postedTxn())
	}
	l.newPending(pending)
	return l
}

func (l *fakeLink) amount() string {
	// Exact decimals, including ones a float would not keep (0.10, 1e15+0.01).
	switch l.rnd.IntN(20) {
	case 0:
		return "1000000000000000.01"
	case 1:
		return "0.10"
	}
	return fmt.Sprintf("%d.%02d", l.rnd.IntN(5000), l.rnd.IntN(100))
}

func (l *fakeLink) postedTxn() gen.TransactionResponse {
	l.nextPosted++
	d := l.day.AddDate(0, 0, l.nextPosted/5)
	t := gen.TransactionResponse{
		TransactionId: fmt.Sprintf("%s_t%05d", l.id, l.nextPosted), AccountId: l.accounts[l.rnd.IntN(2)].AccountId,
		Amount: l.amount(), Currency: "USD", Date: openapi_types.Date{Time: d},
		Description: "Merchant " + strconv.Itoa(l.rnd.IntN(50)), RawDescription: "POS MERCHANT",
		Type: gen.TransactionType([]string{"debit", "credit"}[l.rnd.IntN(2)]),
	}
	t.Enrichment.Category.Value = []string{"food_and_drink", "shopping", "income"}[l.rnd.IntN(3)]
	if l.nextPosted%3 == 0 {
		_ = t.Datetime.UnmarshalJSON([]byte(`"` + d.Add(13*time.Hour+7*time.Minute).Format(time.RFC3339) + `"`))
	}
	return t
}

func (l *fakeLink) created(t gen.TransactionResponse) {
	l.log = append(l.log, entry{kind: "created", txn: t, refresh: l.refresh})
	l.current[t.TransactionId] = t
}

func (l *fakeLink) newPending(n int) {
	for i := range n {
		t := l.postedTxn()
		t.TransactionId = fmt.Sprintf("%s_p%d_%d", l.id, l.refresh, i)
		t.Pending = true
		l.created(t)
	}
}

// refreshLink is a MoneyKit refresh: the old pending set goes (some of it
// posts, as new transactions), new posted ones arrive, a few are corrected
// and one is reversed, and a new pending set replaces the old.
func (f *fakeMK) refreshLink(id string, posted, pending int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	l := f.links[id]
	for tid, t := range l.current {
		if t.Pending {
			delete(l.current, tid)
		}
	}
	l.refresh++
	for range posted {
		l.created(l.postedTxn())
	}
	var ids []string
	for tid, t := range l.current {
		if !t.Pending {
			ids = append(ids, tid)
		}
	}
	sort.Strings(ids)
	for i := 0; i < 3 && len(ids) > 0; i++ {
		t := l.current[ids[l.rnd.IntN(len(ids))]]
		t.Description += " (corrected)"
		l.current[t.TransactionId] = t
		l.log = append(l.log, entry{kind: "updated", txn: t})
	}
	if len(ids) > 0 {
		gone := ids[l.rnd.IntN(len(ids))]
		delete(l.current, gone)
		l.log = append(l.log, entry{kind: "removed", txn: gen.TransactionResponse{TransactionId: gone}})
	}
	l.newPending(pending)
}

func (f *fakeMK) link(id string) (*fakeLink, error) {
	l := f.links[id]
	if l == nil {
		return nil, fmt.Errorf("link_error.not_found: %s", id)
	}
	if l.gone {
		return nil, fmt.Errorf("410: %w", mirror.ErrLinkDeleted)
	}
	return l, nil
}

func (l *fakeLink) common() gen.LinkCommon {
	return gen.LinkCommon{LinkId: l.id, InstitutionId: "instant_bank", InstitutionName: "Instant Bank", State: l.state}
}

func (f *fakeMK) GetLink(_ context.Context, id string) (*gen.LinkCommon, error) {
	f.getCalls.Add(1)
	f.mu.Lock()
	defer f.mu.Unlock()
	l, err := f.link(id)
	if err != nil {
		return nil, err
	}
	if l.denyAccts {
		return nil, fmt.Errorf("403: %w", mirror.ErrNotGranted)
	}
	c := l.common()
	return &c, nil
}

func (f *fakeMK) ListLinks(_ context.Context, cursor string, limit int) (*gen.GetLinksResponse, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var ids []string
	for id, l := range f.links {
		if l.state != gen.PublicLinkStateDeleted && !l.gone {
			ids = append(ids, id)
		}
	}
	sort.Strings(ids)
	start := 0
	if cursor != "" {
		start, _ = strconv.Atoi(cursor)
	}
	out := &gen.GetLinksResponse{}
	limit = min(limit, 100) // the fake pages by 100, to exercise paging
	for i := start; i < len(ids) && i < start+limit; i++ {
		out.Links = append(out.Links, gen.GetLinksLink{LinkId: ids[i]})
	}
	if start+limit < len(ids) {
		out.NextCursor = strconv.Itoa(start + limit)
	}
	return out, nil
}

func (f *fakeMK) ListAccounts(_ context.Context, id string) (*gen.GetAccountsResponse, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	l, err := f.link(id)
	if err != nil {
		return nil, err
	}
	if l.denyAccts {
		return nil, fmt.Errorf("403: %w", mirror.ErrNotGranted)
	}
	return &gen.GetAccountsResponse{Accounts: append([]gen.AccountResponse(nil), l.accounts...), Link: l.common()}, nil
}

func (f *fakeMK) SyncTransactions(_ context.Context, id, cursor string, size int) (*gen.TransactionSyncResponse, error) {
	f.syncCalls.Add(1)
	if f.hold != nil {
		f.hold(id)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	l, err := f.link(id)
	if err != nil {
		return nil, err
	}
	if l.denyTxns || l.denyAccts {
		return nil, fmt.Errorf("403: %w", mirror.ErrNotGranted)
	}
	pos := 0
	if cursor != "" {
		n, ok := strings.CutPrefix(cursor, "c")
		if p, err := strconv.Atoi(n); !ok || err != nil || p > len(l.log) {
			return nil, fmt.Errorf("422: unknown cursor %q", cursor)
		} else {
			pos = p
		}
	}
	out := &gen.TransactionSyncResponse{Accounts: l.accounts, Link: l.common(),
		Transactions: gen.TransactionSync{Created: []gen.TransactionResponse{}, Updated: []gen.TransactionResponse{}, Removed: []string{}}}
	n := 0
	for ; pos < len(l.log) && n < size; pos++ {
		e := l.log[pos]
		switch {
		case e.kind == "created" && e.txn.Pending && e.refresh != l.refresh:
			continue // replaced by a later refresh: the feed no longer carries it
		case e.kind == "created":
			out.Transactions.Created = append(out.Transactions.Created, e.txn)
		case e.kind == "updated":
			out.Transactions.Updated = append(out.Transactions.Updated, e.txn)
		case e.kind == "removed":
			out.Transactions.Removed = append(out.Transactions.Removed, e.txn.TransactionId)
		}
		n++
	}
	out.Cursor.Next = "c" + strconv.Itoa(pos)
	out.HasMore = pos < len(l.log)
	return out, nil
}

// view is the provider's current transactions of a link, as rows.
func (f *fakeMK) view(id string) map[string]txnRow {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := map[string]txnRow{}
	for tid, t := range f.links[id].current {
		out[tid] = rowOf(id, t)
	}
	return out
}

func rowOf(linkID string, t gen.TransactionResponse) txnRow {
	r := txnRow{LinkID: linkID, AccountID: t.AccountId, Amount: t.Amount, Type: string(t.Type), Currency: t.Currency,
		Date: t.Date.Format("2006-01-02"), Description: t.Description, RawDescription: t.RawDescription,
		Category: t.Enrichment.Category.Value, Pending: t.Pending}
	if !t.Datetime.IsZero() {
		r.Datetime = t.Datetime.Time().UTC().Format(time.RFC3339)
	}
	return r
}

type txnRow struct {
	LinkID, AccountID, Amount, Type, Currency, Date, Datetime, Description, RawDescription, Category string
	Pending                                                                                          bool
}

// correctLink logs a correction (updated) and a reversal (removed) of
// posted transactions, without a refresh: the pending set stays.
func (f *fakeMK) correctLink(id string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	l := f.links[id]
	var ids []string
	for tid, t := range l.current {
		if !t.Pending {
			ids = append(ids, tid)
		}
	}
	sort.Strings(ids)
	t := l.current[ids[0]]
	t.Description = "Corrected merchant"
	l.current[t.TransactionId] = t
	l.log = append(l.log, entry{kind: "updated", txn: t})
	delete(l.current, ids[1])
	l.log = append(l.log, entry{kind: "removed", txn: gen.TransactionResponse{TransactionId: ids[1]}})
}
