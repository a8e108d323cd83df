package sandbox

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	openapi_types "github.com/oapi-codegen/runtime/types"

	"github.com/banklink/banklink/gen/moneykit"
	"github.com/banklink/banklink/internal/timestamp"
)

// historyDays is how far back a new link's transaction history reaches.
const historyDays = 400

// pendingDays is how recent a transaction is when the institution first
// reports it pending rather than posted.
const pendingDays = 2

// linkData is what a link's institution holds for it: accounts, owners,
// transactions and investments. Generated data is a pure function of the link
// id, the day the link was made and the times of its refreshes, so two
// sandboxes give the same link id the same data. Every change to the
// transactions is appended to changes, which is what transactions/sync reads.
//
// Pending transactions follow MoneyKit's documented rule: they are reported
// only as created, never updated or removed, and each refresh replaces the
// whole pending set. A pending transaction that posts becomes a new posted
// transaction with its own id; the pending one is marked superseded and is
// no longer listed or reported.
type linkData struct {
	accounts   []*account
	owners     []moneykit.Owner
	txns       map[string]*txn
	order      []string // transaction ids in creation order
	changes    []change
	pending    []string  // ids of the current pending set
	generated  time.Time // generation has covered days before this instant
	refreshes  int
	securities []moneykit.SecurityResponse
	holdings   []moneykit.HoldingResponse
	invTxns    []moneykit.InvestmentTransactionResponse
	seed       uint64
	imported   bool
}

// account balances are kept in cents, so that every amount the sandbox hands
// out is exact to the cent; view turns them into the API's numbers.
type account struct {
	id, typ, name, mask string
	number, routing     string // ACH numbers; empty for accounts without them
	current, available  int64  // cents
	limit               *int64 // cents
	originalID          string
	investment, credit  bool
}

type txn struct {
	id, accountID string
	cents         int64 // always positive
	credit        bool
	date          time.Time
	desc          string
	pending       bool
	removed       bool   // reversed by the institution: reported in removed
	superseded    bool   // a pending transaction replaced by a refresh: neither listed nor reported again
	posted        string // of a pending transaction: the id it posts under
	category      string
	subcategory   string
	originalID    string
}

// change is one entry of a link's transaction change log, with the
// transaction as it was after the change.
type change struct {
	kind string // created, updated, removed
	t    txn
}

// seedOf derives a generator seed from a link id and a purpose.
func seedOf(parts ...string) uint64 {
	h := sha256.Sum256([]byte(strings.Join(parts, "\x00")))
	return binary.BigEndian.Uint64(h[:8])
}

func rngOf(parts ...string) *rand.Rand {
	s := seedOf(parts...)
	return rand.New(rand.NewPCG(s, s^0x9e3779b97f4a7c15))
}

// abaCheckDigit returns the check digit that completes the first eight digits
// of an ABA routing number: 3·(d1+d4+d7) + 7·(d2+d5+d8) + (d3+d6+d9) ≡ 0 (mod 10).
func abaCheckDigit(first8 string) byte {
	w := [8]int{3, 7, 1, 3, 7, 1, 3, 7}
	sum := 0
	for i := 0; i < 8; i++ {
		sum += int(first8[i]-'0') * w[i]
	}
	return byte('0' + (10-sum%10)%10)
}

// validABA reports whether s is nine digits with a valid ABA check digit.
func validABA(s string) bool {
	if len(s) != 9 {
		return false
	}
	for i := 0; i < 9; i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return abaCheckDigit(s[:8]) == s[8]
}

func digits(r *rand.Rand, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte('0' + r.IntN(10))
	}
	return string(b)
}

var (
	firstNames = []string{"Avery", "Jordan", "Morgan", "Riley", "Casey", "Quinn", "Harper", "Rowan"}
	lastNames  = []string{"Sample", "Fixture", "Tester", "Mockford", "Stubbs", "Dummett"}
	streets    = []string{"Elm Street", "Harbor Way", "Market Street", "Sandbox Lane", "Test Avenue"}
	cities     = [][2]string{{"Springfield", "IL"}, {"Portland", "OR"}, {"Austin", "TX"}, {"Boston", "MA"}}
	merchants  = []struct{ name, cat string }{
		{"Corner Grocer", "food_and_drinks"}, {"City Transit", "transport"}, {"Coffee House", "food_and_drinks"},
		{"Power & Light Co", "bills_and_utilities"}, {"Bookshop", "shopping"}, {"Fuel Stop", "transport"},
		{"Pharmacy Plus", "health"}, {"Streaming Service", "entertainment"},
	}
)

// newLinkData generates a link's data as of created. custom, when set,
// replaces the generated accounts and owners (MoneyKit's custom_sandbox_data).
func newLinkData(linkID string, inst institution, created time.Time, custom *moneykit.CustomSandboxData) *linkData {
	r := rngOf(linkID, "accounts")
	d := &linkData{txns: map[string]*txn{}, seed: seedOf(linkID)}
	day := created.UTC().Truncate(24 * time.Hour)
	acctID := func(i int) string {
		return fmt.Sprintf("acc_%s_%d", b64url(func() []byte { h := sha256.Sum256([]byte(linkID)); return h[:9] }()), i)
	}
	if custom != nil {
		for i, c := range custom.Accounts {
			a := &account{id: acctID(i), typ: c.AccountType, name: c.Name, number: c.AccountNumber, current: 1000_00}
			if len(c.AccountNumber) >= 4 {
				a.mask = c.AccountNumber[len(c.AccountNumber)-4:]
			}
			a.investment = strings.HasPrefix(c.AccountType, "investment")
			a.credit = strings.HasPrefix(c.AccountType, "liability")
			if c.RoutingNumber != "" {
				a.routing = c.RoutingNumber
			} else if strings.HasPrefix(c.AccountType, "depository") {
				p := "0" + digits(r, 7)
				a.routing = p + string(abaCheckDigit(p))
			}
			a.available = a.current
			d.accounts = append(d.accounts, a)
		}
		d.owners = append(d.owners, custom.Owners...)
	} else {
		routing := func() string { p := "0" + digits(r, 7); return p + string(abaCheckDigit(p)) }
		chk := &account{id: acctID(0), typ: "depository.checking", name: "Everyday Checking", number: digits(r, 10), routing: routing()}
		sav := &account{id: acctID(1), typ: "depository.savings", name: "High-Yield Savings", number: digits(r, 10), routing: chk.routing}
		lim := int64(2000+500*r.IntN(10)) * 100
		cc := &account{id: acctID(2), typ: "liability.credit_card", name: "Rewards Card", number: digits(r, 16), limit: &lim, credit: true}
		chk.current = int64(1000+r.IntN(9000))*100 + int64(r.IntN(100))
		sav.current = int64(5000+r.IntN(45000))*100 + int64(r.IntN(100))
		cc.current = int64(r.IntN(1500))*100 + int64(r.IntN(100))
		chk.available, sav.available, cc.available = chk.current, sav.current, lim-cc.current
		d.accounts = []*account{chk, sav, cc}
		if slices.Contains(inst.products, "investments") {
			d.accounts = append(d.accounts, &account{id: acctID(3), typ: "investment.brokerage", name: "Brokerage", number: digits(r, 9), investment: true})
		}
		for _, a := range d.accounts {
			a.mask = a.number[len(a.number)-4:]
		}
		fn, ln := firstNames[r.IntN(len(firstNames))], lastNames[r.IntN(len(lastNames))]
		city := cities[r.IntN(len(cities))]
		d.owners = []moneykit.Owner{{
			Names: []string{fn + " " + ln},
			Addresses: []moneykit.OwnerAddress{{
				Street: fmt.Sprintf("%d %s", 1+r.IntN(999), streets[r.IntN(len(streets))]),
				City:   city[0], Region: city[1], PostalCode: digits(r, 5), Country: "US", Primary: true,
			}},
			PhoneNumbers: []moneykit.PhoneNumber{{Number: "+1555" + digits(r, 7), Type: moneykit.PhoneNumberType("mobile"), Primary: true}},
			Emails:       []moneykit.OwnerEmail{{Address: strings.ToLower(fn+"."+ln) + "@example.com", Primary: true}},
		}}
	}
	d.generated = day.AddDate(0, 0, -historyDays)
	d.advance(linkID, created)
	d.investments(linkID, day)
	return d
}

// advance generates the transactions of every day from d.generated up to
// the day of now. Transactions older than pendingDays are reported posted,
// the others pending. Generation for a day depends only on the link id and
// the day.
func (d *linkData) advance(linkID string, now time.Time) {
	today := now.UTC().Truncate(24 * time.Hour)
	for day := d.generated; !day.After(today); day = day.AddDate(0, 0, 1) {
		for _, t := range d.activity(linkID, day, 0) {
			d.place(t, today)
		}
	}
	d.generated = maxTime(d.generated, today.AddDate(0, 0, 1))
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// activity generates the transactions of one day's slice. Slice 0 is the
// day's activity; slice n > 0 is more activity of the same day, reported by
// the n-th refresh when the day had already been reported. The ids are the
// transactions' posted ids.
func (d *linkData) activity(linkID string, day time.Time, slice int) []*txn {
	r := rngOf(linkID, "txns", day.Format(time.DateOnly))
	prefix := "txn_" + b64url(func() []byte { h := sha256.Sum256([]byte(linkID)); return h[:6] }()) + "_" + day.Format("20060102")
	if slice > 0 {
		r = rngOf(linkID, "txns", day.Format(time.DateOnly), "slice", strconv.Itoa(slice))
		prefix += "s" + strconv.Itoa(slice)
	}
	var out []*txn
	for ai, a := range d.accounts {
		if a.investment {
			continue
		}
		var n int
		switch {
		case a.credit:
			n = r.IntN(2)
		case strings.HasSuffix(a.typ, "savings"):
			if day.Day() == 1 && slice == 0 {
				n = 1
			}
		case slice > 0:
			n = 1 + r.IntN(2)
		default:
			n = 1 + r.IntN(2) // a checking account moves every day
		}
		for k := 0; k < n; k++ {
			m := merchants[r.IntN(len(merchants))]
			t := &txn{
				id: fmt.Sprintf("%s_%d_%d", prefix, ai, k), accountID: a.id,
				cents: int64(100 + r.IntN(15000)), date: day, desc: m.name, category: m.cat,
			}
			switch {
			case strings.HasSuffix(a.typ, "savings"):
				t.credit, t.desc, t.category, t.cents = true, "Interest", "income", int64(100+r.IntN(2000))
			case !a.credit && day.Day() == 15 && k == 0 && slice == 0:
				t.credit, t.desc, t.category, t.cents = true, "Payroll", "income", int64(250000+r.IntN(100000))
			}
			out = append(out, t)
		}
	}
	return out
}

// place reports a newly generated transaction as of today: posted under its
// own id when older than pendingDays, else pending under an id of the
// current pending generation (the refresh count), which it leaves when the
// next refresh replaces the pending set.
func (d *linkData) place(t *txn, today time.Time) {
	if today.Sub(t.date) >= pendingDays*24*time.Hour {
		d.add(t)
		return
	}
	t.pending, t.posted = true, t.id
	t.id += "_p" + strconv.Itoa(d.refreshes)
	d.add(t)
	d.pending = append(d.pending, t.id)
}

func (d *linkData) add(t *txn) {
	d.txns[t.id] = t
	d.order = append(d.order, t.id)
	d.changes = append(d.changes, change{kind: "created", t: *t})
}

// refresh moves the institution's view of the link forward, by at least a
// day of activity even when the clock has not moved:
//   - the pending set is replaced wholesale: each pending transaction posts,
//     reported as a new posted transaction (created, with its posted id),
//     and the pending one is not reported again;
//   - the days since the last refresh bring their transactions (created),
//     or, on the same day, a further slice of the day's activity, pending;
//   - one posted transaction of the last month is corrected (updated, its
//     category refined with a subcategory) and another one is reversed
//     (removed), as institutions do. Both are chosen among transactions
//     reported before the refresh, so that they touch something a client
//     may have stored.
func (d *linkData) refresh(linkID string, now time.Time) {
	if d.imported {
		return
	}
	d.refreshes++
	today := now.UTC().Truncate(24 * time.Hour)
	cutoff := today.AddDate(0, -1, 0)
	var candidates []*txn
	for _, id := range d.order {
		if t := d.txns[id]; !t.pending && !t.removed && t.date.After(cutoff) {
			candidates = append(candidates, t)
		}
	}

	settled := d.pending
	d.pending = nil
	for _, id := range settled {
		p := d.txns[id]
		p.superseded = true
		posted := *p
		posted.id, posted.pending, posted.posted, posted.superseded = p.posted, false, "", false
		d.add(&posted)
	}
	if today.Before(d.generated) {
		for _, t := range d.activity(linkID, today, d.refreshes) {
			d.place(t, today)
		}
	} else {
		d.advance(linkID, now)
	}

	r := rngOf(linkID, "corrections", strconv.Itoa(d.refreshes))
	var refinable []*txn
	for _, t := range candidates {
		if t.subcategory == "" && subcategories[t.desc] != "" {
			refinable = append(refinable, t)
		}
	}
	if len(refinable) > 0 {
		t := refinable[r.IntN(len(refinable))]
		t.subcategory = subcategories[t.desc]
		d.changes = append(d.changes, change{kind: "updated", t: *t})
		candidates = slices.DeleteFunc(candidates, func(c *txn) bool { return c == t })
	}
	if len(candidates) > 0 {
		t := candidates[r.IntN(len(candidates))]
		t.removed = true
		d.changes = append(d.changes, change{kind: "removed", t: *t})
	}
}

// subcategories refine a generated transaction's category, by description,
// when a refresh corrects it.
var subcategories = map[string]string{
	"Corner Grocer": "groceries", "City Transit": "public_transport", "Coffee House": "coffee",
	"Power & Light Co": "utilities", "Bookshop": "books", "Fuel Stop": "fuel",
	"Pharmacy Plus": "pharmacy", "Streaming Service": "streaming", "Payroll": "salary", "Interest": "interest",
}

// investments generates three securities, a holding of each in every
// investment account and a year of monthly purchases.
func (d *linkData) investments(linkID string, day time.Time) {
	r := rngOf(linkID, "investments")
	d.securities = []moneykit.SecurityResponse{
		{SecurityId: "sec_sandbox_msft", Name: "Microsoft Corporation", Type: "equity", Currency: "USD", Ticker: "MSFT", Isin: "US5949181045", ClosePrice: "415.20", CloseDate: openapi_types.Date{Time: day.AddDate(0, 0, -1)}},
		{SecurityId: "sec_sandbox_vti", Name: "Vanguard Total Stock Market ETF", Type: "etf", Currency: "USD", Ticker: "VTI", Isin: "US9229087690", ClosePrice: "265.10", CloseDate: openapi_types.Date{Time: day.AddDate(0, 0, -1)}},
		{SecurityId: "sec_sandbox_cash", Name: "U.S. Dollar", Type: "cash", Currency: "USD", ClosePrice: "1.00", CloseDate: openapi_types.Date{Time: day.AddDate(0, 0, -1)}},
	}
	prices := []int64{415_20, 265_10, 1_00} // cents
	const fee = 4_95
	for _, a := range d.accounts {
		if !a.investment {
			continue
		}
		var total int64
		for i, sec := range d.securities {
			q := 1 + r.IntN(40)
			if sec.Type == "cash" {
				q = 100 + r.IntN(5000)
			}
			v := int64(q) * prices[i]
			total += v
			d.holdings = append(d.holdings, moneykit.HoldingResponse{
				AccountId: a.id, SecurityId: sec.SecurityId, Quantity: strconv.Itoa(q),
				Price: centsString(prices[i]), Value: centsString(v),
				CostBasis: centsString((v*8 + 5) / 10), PriceDatetime: timestamp.New(day.Add(-8 * time.Hour)),
			})
		}
		a.current, a.available = total, total
		for m := 1; m <= 12; m++ {
			date := day.AddDate(0, -m, 0)
			q := 1 + r.IntN(3)
			d.invTxns = append(d.invTxns, moneykit.InvestmentTransactionResponse{
				InvestmentTransactionId: fmt.Sprintf("it_%s_%02d", a.id, m), AccountId: a.id, Date: openapi_types.Date{Time: date},
				Amount: "-" + centsString(int64(q)*prices[1]+fee), Description: "Bought VTI", Type: "buy",
				Fees: centsString(fee), Price: centsString(prices[1]), Quantity: strconv.Itoa(q), SecurityId: d.securities[1].SecurityId,
			})
		}
	}
}

// centsString writes a non-negative amount of cents as a decimal with two
// fraction digits.
func centsString(c int64) string { return fmt.Sprintf("%d.%02d", c/100, c%100) }

// centsNumber turns cents into the API's JSON number: the float64 nearest
// the decimal, which encodes with at most two fraction digits.
func centsNumber(c int64) float64 { return float64(c) / 100 }

// centsOf rounds an amount to the cent.
func centsOf(v float64) int64 { return int64(math.Round(v * 100)) }

func (a *account) view() moneykit.AccountResponse {
	cur, av := centsNumber(a.current), centsNumber(a.available)
	var lim *float64
	if a.limit != nil {
		l := centsNumber(*a.limit)
		lim = &l
	}
	return moneykit.AccountResponse{
		AccountId: a.id, AccountType: a.typ, Name: a.name, AccountMask: a.mask, OriginalId: a.originalID,
		Balances: moneykit.AccountBalances{Currency: "USD", Current: &cur, Available: &av, Limit: lim},
	}
}

func (t *txn) view() moneykit.TransactionResponse {
	typ := moneykit.TransactionType("debit")
	if t.credit {
		typ = "credit"
	}
	out := moneykit.TransactionResponse{
		TransactionId: t.id, AccountId: t.accountID, Amount: centsString(t.cents),
		Type: typ, Currency: "USD", Date: openapi_types.Date{Time: t.date}, Pending: t.pending,
		Description: t.desc, RawDescription: strings.ToUpper(t.desc), OriginalId: t.originalID,
	}
	if t.category != "" {
		out.Category = t.category
		out.Enrichment = moneykit.TransactionEnrichmentResponse{Category: moneykit.TransactionCategoryResponse{Value: t.category, Confidence: 90}}
		if t.subcategory != "" {
			out.Enrichment.Subcategory = moneykit.TransactionCategoryResponse{Value: t.subcategory, Confidence: 100}
		}
	}
	return out
}

func (d *linkData) accountViews(ids []string) []moneykit.AccountResponse {
	out := []moneykit.AccountResponse{}
	for _, a := range d.accounts {
		if len(ids) == 0 || slices.Contains(ids, a.id) {
			out = append(out, a.view())
		}
	}
	return out
}

// current returns the link's transactions that are not removed, newest
// first (ties broken by id), filtered by account and date.
func (d *linkData) current(ids []string, from, to openapi_types.Date) []*txn {
	var out []*txn
	for _, id := range d.order {
		t := d.txns[id]
		switch {
		case t.removed, t.superseded, len(ids) > 0 && !slices.Contains(ids, t.accountID),
			!from.IsZero() && t.date.Before(from.Time), !to.IsZero() && t.date.After(to.Time):
			continue
		}
		out = append(out, t)
	}
	sort.SliceStable(out, func(i, j int) bool {
		if !out[i].date.Equal(out[j].date) {
			return out[i].date.After(out[j].date)
		}
		return out[i].id > out[j].id
	})
	return out
}

// syncCursor encodes a position in the change log.
func syncCursor(n int) string { return "sync_" + strconv.Itoa(n) }

func parseSyncCursor(c string, max int) (int, bool) {
	s, ok := strings.CutPrefix(c, "sync_")
	if !ok {
		return 0, false
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 || n > max || strconv.Itoa(n) != s {
		return 0, false
	}
	return n, true
}

// page returns the 1-based page of items of the given size.
func page[T any](items []T, pg, size int) []T {
	start := (pg - 1) * size
	if start >= len(items) || start < 0 {
		return []T{}
	}
	return items[start:min(start+size, len(items))]
}
