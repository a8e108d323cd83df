package sandbox

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/banklink/banklink/gen/moneykit"
	"github.com/banklink/banklink/internal/timestamp"
)

// mkFail is a MoneyKit error answer of any data operation. The bodies are
// the documented ones (MoneyKitError with, for bad_state, link_error_code);
// one type serves every operation so that each handler states only which
// error applies.
type mkFail struct {
	status int
	body   any
}

func (f mkFail) visit(w http.ResponseWriter) error { writeJSON(w, f.status, f.body); return nil }

func (f mkFail) VisitGetLinksResponse(w http.ResponseWriter) error   { return f.visit(w) }
func (f mkFail) VisitImportLinkResponse(w http.ResponseWriter) error { return f.visit(w) }
func (f mkFail) VisitImportTransactionsResponse(w http.ResponseWriter) error {
	return f.visit(w)
}
func (f mkFail) VisitRefreshProductsResponse(w http.ResponseWriter) error   { return f.visit(w) }
func (f mkFail) VisitResetLinkResponse(w http.ResponseWriter) error         { return f.visit(w) }
func (f mkFail) VisitGetAccountsResponse(w http.ResponseWriter) error       { return f.visit(w) }
func (f mkFail) VisitGetAccountResponse(w http.ResponseWriter) error        { return f.visit(w) }
func (f mkFail) VisitGetAccountNumbersResponse(w http.ResponseWriter) error { return f.visit(w) }
func (f mkFail) VisitGetIdentityResponse(w http.ResponseWriter) error       { return f.visit(w) }
func (f mkFail) VisitGetTransactionsResponse(w http.ResponseWriter) error   { return f.visit(w) }
func (f mkFail) VisitGetTransactionsSyncResponse(w http.ResponseWriter) error {
	return f.visit(w)
}
func (f mkFail) VisitUpdateTransactionEnrichmentResponse(w http.ResponseWriter) error {
	return f.visit(w)
}
func (f mkFail) VisitGetHoldingsResponse(w http.ResponseWriter) error { return f.visit(w) }
func (f mkFail) VisitGetInvestmentTransactionsResponse(w http.ResponseWriter) error {
	return f.visit(w)
}
func (f mkFail) VisitGetInstitutionsResponse(w http.ResponseWriter) error { return f.visit(w) }
func (f mkFail) VisitGetInstitutionResponse(w http.ResponseWriter) error  { return f.visit(w) }

func failMK(status int, code, msg string) *mkFail {
	return &mkFail{status: status, body: mkErrorBody{ErrorCode: code, ErrorMessage: msg}}
}

// failValidation is a 422 api_error.request.validation_failed naming the
// field at loc and the rule it breaks.
// Its error_message reads "field: rule", the field as a dotted path.
func failValidation(msg string, loc ...any) *mkFail {
	body := mkValidation(mkViolation{Location: loc, Message: msg, Type: "value_error"})
	var field strings.Builder
	for i, seg := range loc[1:] { // after "body" or "query"
		switch seg := seg.(type) {
		case int:
			fmt.Fprintf(&field, "[%d]", seg)
		default:
			if i > 0 {
				field.WriteByte('.')
			}
			fmt.Fprint(&field, seg)
		}
	}
	body.ErrorMessage = field.String() + ": " + msg
	return &mkFail{status: http.StatusUnprocessableEntity, body: body}
}

// dataLink resolves a link-scoped data call: the link must exist, belong to
// the caller, not be deleted, not be in the error state (an imported link,
// disconnected with auth_expired, keeps its data readable, as MoneyKit
// documents), and the user must have granted accounts and product (when
// product is not "").
func (s *Sandbox) dataLink(rs *reqState, id, product string) (*link, *mkFail) {
	l, miss := s.lookupLink(rs, id)
	switch {
	case miss == http.StatusNotFound:
		return nil, failMK(404, "link_error.not_found", msgLinkNotFound)
	case miss == http.StatusUnauthorized:
		return nil, failMK(401, "link_error.unauthorized_access", msgUnauthorizedLink)
	case l.state == "deleted":
		return nil, failMK(410, "link_error.deleted", msgLinkDeleted)
	case l.state == "error" && !l.importedReadable():
		return nil, badState(l)
	case l.accountsDenied:
		return nil, failMK(403, "link_error.forbidden_action", "Accounts access not permitted")
	case product != "" && !slices.Contains(l.products, product):
		return nil, failMK(403, "link_error.forbidden_action", fmt.Sprintf("The %s product was not granted for this link.", strings.ReplaceAll(product, "_", " ")))
	}
	s.ensureData(l)
	return l, nil
}

// importedReadable reports whether l is an imported link in the state
// MoneyKit gives imported links (error, auth_expired): "all data will be
// available", so its data reads answer.
func (l *link) importedReadable() bool {
	return l.data != nil && l.data.imported && l.state == "error" && l.errorCode == "auth_expired"
}

// badState is the 422 link_error.bad_state answer for l.
func badState(l *link) *mkFail {
	return &mkFail{status: 422, body: moneykit.LinkErrorBadStateResponse{
		ErrorCode: "link_error.bad_state", ErrorMessage: msgLinkBadState, LinkErrorCode: l.errorCode,
	}}
}

// ensureData generates a link's data the first time it is needed.
func (s *Sandbox) ensureData(l *link) {
	if l.data == nil {
		l.data = newLinkData(l.id, institutions[l.institutionID], l.created, l.custom)
	}
}

// productsRefreshed is called, with s.mu held, after a refresh of products
// on l has completed: the institution's view moves forward to now, and the
// link's webhook hears link.product_refresh for each product (and
// transactions.updates_available for transactions). It is the single place
// where a refresh takes effect.
func (s *Sandbox) productsRefreshed(l *link, products []string) {
	s.ensureData(l)
	now := s.Now()
	if slices.Contains(products, "transactions") {
		l.data.refresh(l.id, now)
	}
	l.syncedAt = now
	for _, p := range products {
		s.mkProductRefreshLocked(l, p, "refreshed", "")
	}
	if slices.Contains(products, "transactions") {
		s.mkTransactionsUpdatesLocked(l, true)
	}
}

// GetLinks lists the application's active links, oldest first.
func (m *mkServer) GetLinks(ctx context.Context, req moneykit.GetLinksRequestObject) (moneykit.GetLinksResponseObject, error) {
	s, rs := m.s, stateOf(ctx)
	s.mu.RLock()
	defer s.mu.RUnlock()
	var ls []*link
	for _, l := range s.mk.links {
		if l.app == rs.mkApp && l.state != "deleted" {
			ls = append(ls, l)
		}
	}
	sort.Slice(ls, func(i, j int) bool {
		if !ls[i].created.Equal(ls[j].created) {
			return ls[i].created.Before(ls[j].created)
		}
		return ls[i].id < ls[j].id
	})
	start := 0
	if c := deref(req.Params.Cursor); c != "" {
		n, err := strconv.Atoi(strings.TrimPrefix(c, "links_"))
		if err != nil || !strings.HasPrefix(c, "links_") || n < 0 {
			return failValidation("not a cursor this endpoint returned.", "query", "cursor"), nil
		}
		start = min(n, len(ls))
	}
	limit := 1000
	if v := deref(req.Params.Limit); v != 0 {
		limit = v
	}
	out := moneykit.GetLinks200JSONResponse{Links: []moneykit.GetLinksLink{}}
	end := min(start+limit, len(ls))
	for _, l := range ls[start:end] {
		out.Links = append(out.Links, moneykit.GetLinksLink{LinkId: l.id, CreatedAt: timestamp.New(l.created.UTC())})
	}
	if end < len(ls) {
		out.NextCursor = "links_" + strconv.Itoa(end)
	}
	return out, nil
}

// ImportLink creates a disconnected link from imported accounts and transactions.
func (m *mkServer) ImportLink(ctx context.Context, req moneykit.ImportLinkRequestObject) (moneykit.ImportLinkResponseObject, error) {
	s, rs := m.s, stateOf(ctx)
	b := req.Body
	now := s.Now()
	d := &linkData{txns: map[string]*txn{}, imported: true, generated: now}
	byOriginal := map[string]string{}
	for i, a := range b.Accounts {
		if _, dup := byOriginal[a.AccountId]; dup {
			return failValidation("the id is given twice", "body", "accounts", i, "account_id"), nil
		}
		acc := &account{id: "acc_" + s.ids.base62(22), typ: a.Type, name: a.Name, originalID: a.AccountId, mask: a.Mask}
		// Balances are kept to the cent, as a bank's are.
		if a.Balances.Current != nil {
			acc.current = centsOf(*a.Balances.Current)
		}
		if a.Balances.Available != nil {
			acc.available = centsOf(*a.Balances.Available)
		}
		if a.Balances.Limit != nil {
			lim := centsOf(*a.Balances.Limit)
			acc.limit = &lim
		}
		byOriginal[a.AccountId] = acc.id
		d.accounts = append(d.accounts, acc)
	}
	if f := importTxns(s.ids, d, byOriginal, b.Transactions); f != nil {
		return f, nil
	}
	inst := b.InstitutionId
	if _, ok := institutions[inst]; !ok {
		inst = defaultInstitution
	}
	l := &link{
		id: s.ids.linkID(), app: rs.mkApp, userID: b.CustomerUser.Id, institutionID: inst,
		state: "error", errorCode: "auth_expired", products: []string{"accounts", "transactions"},
		syncedAt: now, created: now, data: d,
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.mk.links[l.id] = l
	return moneykit.ImportLink200JSONResponse(l.view()), nil
}

func importTxns(ids *idSource, d *linkData, byOriginal map[string]string, ts []moneykit.TransactionImportData) *mkFail {
	var add []*txn
	for i, t := range ts {
		acc, ok := byOriginal[t.AccountId]
		if !ok {
			return failValidation("not one of the imported accounts", "body", "transactions", i, "account_id")
		}
		cents, credit, err := parseCents(t.Amount)
		if err != nil {
			return failValidation(err.Error(), "body", "transactions", i, "amount")
		}
		date, err := time.Parse(time.DateOnly, t.Date)
		if err != nil {
			return failValidation("not a YYYY-MM-DD date", "body", "transactions", i, "date")
		}
		x := &txn{id: "txn_" + ids.base62(22), accountID: acc, cents: cents, credit: credit, date: date,
			desc: t.Description, category: t.Type, originalID: t.TransactionId}
		add = append(add, x)
	}
	for _, x := range add {
		d.add(x)
	}
	return nil
}

// parseCents reads a signed decimal amount with at most two fraction digits.
func parseCents(s string) (cents int64, credit bool, err error) {
	neg := strings.HasPrefix(s, "-")
	whole, frac, _ := strings.Cut(strings.TrimPrefix(s, "-"), ".")
	if len(frac) > 2 {
		return 0, false, errors.New("more than two decimal places")
	}
	frac += strings.Repeat("0", 2-len(frac))
	w, err1 := strconv.ParseInt(whole, 10, 64)
	f, err2 := strconv.ParseInt(frac, 10, 64)
	if err1 != nil || err2 != nil || w > 1e12 {
		return 0, false, errors.New("not a decimal amount")
	}
	return w*100 + f, !neg, nil
}

// ImportTransactions adds transactions to an imported link.
func (m *mkServer) ImportTransactions(ctx context.Context, req moneykit.ImportTransactionsRequestObject) (moneykit.ImportTransactionsResponseObject, error) {
	s, rs := m.s, stateOf(ctx)
	s.mu.Lock()
	defer s.mu.Unlock()
	l, miss := s.lookupLink(rs, req.Id)
	switch {
	case miss == http.StatusNotFound:
		return failMK(404, "link_error.not_found", msgLinkNotFound), nil
	case miss == http.StatusUnauthorized:
		return failMK(401, "link_error.unauthorized_access", msgUnauthorizedLink), nil
	case l.state == "deleted":
		return failMK(410, "link_error.deleted", msgLinkDeleted), nil
	case l.data == nil || !l.data.imported:
		return &mkFail{status: 422, body: moneykit.LinkErrorBadStateResponse{
			ErrorCode: "link_error.bad_state", ErrorMessage: "Transactions can be imported only into an imported link.", LinkErrorCode: "incomplete",
		}}, nil
	}
	byOriginal := map[string]string{}
	for _, a := range l.data.accounts {
		byOriginal[a.originalID] = a.id
	}
	if f := importTxns(s.ids, l.data, byOriginal, req.Body.Transactions); f != nil {
		return f, nil
	}
	return moneykit.ImportTransactions200JSONResponse(l.view()), nil
}

// RefreshProducts refreshes the given products at once (the sandbox has no
// institution to wait for) and answers 202 with the link.
func (m *mkServer) RefreshProducts(ctx context.Context, req moneykit.RefreshProductsRequestObject) (moneykit.RefreshProductsResponseObject, error) {
	s, rs := m.s, stateOf(ctx)
	s.mu.Lock()
	defer s.mu.Unlock()
	l, f := s.dataLink(rs, req.Id, "")
	if f != nil {
		return f, nil
	}
	if l.state == "error" {
		// An imported link's data is readable, but there is no
		// institution connection to refresh it from.
		return badState(l), nil
	}
	var ps []string
	for _, p := range req.Body.Products {
		if !slices.Contains(l.products, string(p)) {
			return failMK(403, "link_error.forbidden_action", fmt.Sprintf("The %s product was not granted for this link.", p)), nil
		}
		ps = append(ps, string(p))
	}
	s.productsRefreshed(l, ps)
	return moneykit.RefreshProducts202JSONResponse(l.view()), nil
}

// ResetLink puts a link into the error state auth_expired.
func (m *mkServer) ResetLink(ctx context.Context, req moneykit.ResetLinkRequestObject) (moneykit.ResetLinkResponseObject, error) {
	s, rs := m.s, stateOf(ctx)
	s.mu.Lock()
	defer s.mu.Unlock()
	l, miss := s.lookupLink(rs, req.Id)
	switch {
	case miss == http.StatusNotFound:
		return failMK(404, "link_error.not_found", msgLinkNotFound), nil
	case miss == http.StatusUnauthorized:
		return failMK(401, "link_error.unauthorized_access", msgUnauthorizedLink), nil
	case l.state == "deleted":
		return failMK(410, "link_error.deleted", msgLinkDeleted), nil
	}
	l.state, l.errorCode = "error", "auth_expired"
	return moneykit.ResetLink200JSONResponse(l.view()), nil
}

// GetAccounts lists a link's accounts.
func (m *mkServer) GetAccounts(ctx context.Context, req moneykit.GetAccountsRequestObject) (moneykit.GetAccountsResponseObject, error) {
	s, rs := m.s, stateOf(ctx)
	s.mu.Lock()
	defer s.mu.Unlock()
	l, f := s.dataLink(rs, req.Id, "")
	if f != nil {
		return f, nil
	}
	return moneykit.GetAccounts200JSONResponse{Accounts: l.data.accountViews(req.Params.AccountIds), Link: l.view()}, nil
}

// GetAccount answers one account of a link.
func (m *mkServer) GetAccount(ctx context.Context, req moneykit.GetAccountRequestObject) (moneykit.GetAccountResponseObject, error) {
	s, rs := m.s, stateOf(ctx)
	s.mu.Lock()
	defer s.mu.Unlock()
	l, f := s.dataLink(rs, req.Id, "")
	if f != nil {
		return f, nil
	}
	for _, a := range l.data.accounts {
		if a.id == req.AccountId {
			return moneykit.GetAccount200JSONResponse{Account: a.view(), Link: l.view()}, nil
		}
	}
	return failMK(404, "account_error.not_found", "Account not found."), nil
}

// GetAccountNumbers answers the link's accounts with their ACH numbers.
func (m *mkServer) GetAccountNumbers(ctx context.Context, req moneykit.GetAccountNumbersRequestObject) (moneykit.GetAccountNumbersResponseObject, error) {
	s, rs := m.s, stateOf(ctx)
	s.mu.Lock()
	defer s.mu.Unlock()
	l, f := s.dataLink(rs, req.Id, "account_numbers")
	if f != nil {
		return f, nil
	}
	out := moneykit.GetAccountNumbers200JSONResponse{Accounts: []moneykit.AccountWithAccountNumbers{}, Link: l.view()}
	for _, a := range l.data.accounts {
		v := a.view()
		n := moneykit.AccountNumbers{Ach: []moneykit.AchNumber{}, Eft: []moneykit.EftNumber{}, Bacs: []moneykit.BacsNumber{}, International: []moneykit.InternationalNumber{}}
		if a.routing != "" && a.number != "" {
			n.Ach = append(n.Ach, moneykit.AchNumber{AccountNumber: a.number, RoutingNumber: a.routing, WireRoutingNumber: a.routing})
		}
		out.Accounts = append(out.Accounts, moneykit.AccountWithAccountNumbers{
			AccountId: v.AccountId, AccountType: v.AccountType, Name: v.Name, AccountMask: v.AccountMask,
			Balances: v.Balances, OriginalId: v.OriginalId, Numbers: n,
		})
	}
	return out, nil
}

// GetIdentity answers the link's accounts with their owners.
func (m *mkServer) GetIdentity(ctx context.Context, req moneykit.GetIdentityRequestObject) (moneykit.GetIdentityResponseObject, error) {
	s, rs := m.s, stateOf(ctx)
	s.mu.Lock()
	defer s.mu.Unlock()
	l, f := s.dataLink(rs, req.Id, "identity")
	if f != nil {
		return f, nil
	}
	out := moneykit.GetIdentity200JSONResponse{Accounts: []moneykit.AccountIdentity{}, Link: l.view()}
	for _, v := range l.data.accountViews(req.Params.AccountIds) {
		owners := append([]moneykit.Owner{}, l.data.owners...)
		out.Accounts = append(out.Accounts, moneykit.AccountIdentity{
			AccountId: v.AccountId, AccountType: v.AccountType, Name: v.Name, AccountMask: v.AccountMask,
			Balances: v.Balances, OriginalId: v.OriginalId, Owners: owners,
		})
	}
	return out, nil
}

func pageParams(p, size int) (int, int) {
	pg, sz := 1, 50
	if p != 0 {
		pg = p
	}
	if size != 0 {
		sz = size
	}
	return pg, sz
}

// GetTransactions answers one page of a link's transactions, newest first.
func (m *mkServer) GetTransactions(ctx context.Context, req moneykit.GetTransactionsRequestObject) (moneykit.GetTransactionsResponseObject, error) {
	s, rs := m.s, stateOf(ctx)
	s.mu.Lock()
	defer s.mu.Unlock()
	l, f := s.dataLink(rs, req.Id, "transactions")
	if f != nil {
		return f, nil
	}
	p := req.Params
	all := l.data.current(p.AccountIds, deref(p.StartDate), deref(p.EndDate))
	pg, sz := pageParams(deref(p.Page), deref(p.Size))
	out := moneykit.GetTransactions200JSONResponse{Total: len(all), Page: pg, Transactions: []moneykit.TransactionResponse{}, Accounts: l.data.accountViews(p.AccountIds), Link: l.view()}
	for _, t := range page(all, pg, sz) {
		out.Transactions = append(out.Transactions, t.view())
	}
	out.Size = len(out.Transactions)
	return out, nil
}

// GetTransactionsSync answers the changes after a cursor, at most size.
func (m *mkServer) GetTransactionsSync(ctx context.Context, req moneykit.GetTransactionsSyncRequestObject) (moneykit.GetTransactionsSyncResponseObject, error) {
	s, rs := m.s, stateOf(ctx)
	s.mu.Lock()
	defer s.mu.Unlock()
	l, f := s.dataLink(rs, req.Id, "transactions")
	if f != nil {
		return f, nil
	}
	d := l.data
	from := 0
	if c := deref(req.Params.Cursor); c != "" {
		n, ok := parseSyncCursor(c, len(d.changes))
		if !ok {
			return failValidation("not a cursor this link's sync returned.", "query", "cursor"), nil
		}
		from = n
	}
	size := 50
	if v := deref(req.Params.Size); v != 0 {
		size = v
	}
	to := min(from+size, len(d.changes))
	out := moneykit.GetTransactionsSync200JSONResponse{
		Transactions: moneykit.TransactionSync{Created: []moneykit.TransactionResponse{}, Updated: []moneykit.TransactionResponse{}, Removed: []string{}},
		Accounts:     d.accountViews(nil), Cursor: moneykit.CursorPagination{Next: syncCursor(to)},
		HasMore: to < len(d.changes), Link: l.view(),
	}
	for _, c := range d.changes[from:to] {
		switch c.kind {
		case "created":
			if d.txns[c.t.id].superseded {
				// A pending transaction that a refresh replaced is
				// not reported again, from any cursor.
				continue
			}
			out.Transactions.Created = append(out.Transactions.Created, c.t.view())
		case "updated":
			out.Transactions.Updated = append(out.Transactions.Updated, c.t.view())
		case "removed":
			out.Transactions.Removed = append(out.Transactions.Removed, c.t.id)
		}
	}
	return out, nil
}

// UpdateTransactionEnrichment sets a transaction's category; sync reports it as updated.
func (m *mkServer) UpdateTransactionEnrichment(ctx context.Context, req moneykit.UpdateTransactionEnrichmentRequestObject) (moneykit.UpdateTransactionEnrichmentResponseObject, error) {
	s, rs := m.s, stateOf(ctx)
	s.mu.Lock()
	defer s.mu.Unlock()
	l, f := s.dataLink(rs, req.Id, "transactions")
	if f != nil {
		return f, nil
	}
	t := l.data.txns[req.TransactionId]
	if t == nil || t.removed || t.superseded {
		return failMK(404, "transaction_error.not_found", "Transaction not found."), nil
	}
	t.category, t.subcategory = req.Body.Category, req.Body.Subcategory
	if !t.pending {
		// Pending transactions are never reported as updated: the
		// category shows in this answer and in listings.
		l.data.changes = append(l.data.changes, change{kind: "updated", t: *t})
	}
	var acct []moneykit.AccountResponse
	for _, a := range l.data.accounts {
		if a.id == t.accountID {
			acct = append(acct, a.view())
		}
	}
	return moneykit.UpdateTransactionEnrichment200JSONResponse{
		Transactions: []moneykit.TransactionResponse{t.view()}, Accounts: acct, Link: l.view(),
		Cursor: moneykit.CursorPagination{Next: syncCursor(len(l.data.changes))},
	}, nil
}

func (d *linkData) investmentAccounts(ids []string) []moneykit.AccountResponse {
	out := []moneykit.AccountResponse{}
	for _, a := range d.accounts {
		if a.investment && (len(ids) == 0 || slices.Contains(ids, a.id)) {
			out = append(out, a.view())
		}
	}
	return out
}

// GetHoldings answers the holdings of the link's investment accounts.
func (m *mkServer) GetHoldings(ctx context.Context, req moneykit.GetHoldingsRequestObject) (moneykit.GetHoldingsResponseObject, error) {
	s, rs := m.s, stateOf(ctx)
	s.mu.Lock()
	defer s.mu.Unlock()
	l, f := s.dataLink(rs, req.Id, "investments")
	if f != nil {
		return f, nil
	}
	ids := req.Params.AccountIds
	out := moneykit.GetHoldings200JSONResponse{Holdings: []moneykit.HoldingResponse{}, Securities: l.data.securities, Accounts: l.data.investmentAccounts(ids), Link: l.view()}
	for _, h := range l.data.holdings {
		if len(ids) == 0 || slices.Contains(ids, h.AccountId) {
			out.Holdings = append(out.Holdings, h)
		}
	}
	return out, nil
}

// GetInvestmentTransactions answers one page of investment transactions, newest first.
func (m *mkServer) GetInvestmentTransactions(ctx context.Context, req moneykit.GetInvestmentTransactionsRequestObject) (moneykit.GetInvestmentTransactionsResponseObject, error) {
	s, rs := m.s, stateOf(ctx)
	s.mu.Lock()
	defer s.mu.Unlock()
	l, f := s.dataLink(rs, req.Id, "investments")
	if f != nil {
		return f, nil
	}
	p := req.Params
	var all []moneykit.InvestmentTransactionResponse
	for _, t := range l.data.invTxns {
		switch {
		case len(p.AccountIds) > 0 && !slices.Contains(p.AccountIds, t.AccountId),
			p.StartDate != nil && t.Date.Before(p.StartDate.Time), p.EndDate != nil && t.Date.After(p.EndDate.Time):
			continue
		}
		all = append(all, t)
	}
	pg, sz := pageParams(deref(p.Page), deref(p.Size))
	items := append([]moneykit.InvestmentTransactionResponse{}, page(all, pg, sz)...)
	return moneykit.GetInvestmentTransactions200JSONResponse{
		Total: len(all), Page: pg, Size: len(items), InvestmentTransactions: items,
		Securities: l.data.securities, Accounts: l.data.investmentAccounts(p.AccountIds), Link: l.view(),
	}, nil
}

// userLinks returns the caller's links of user id that can be read, by id.
func (s *Sandbox) userLinks(rs *reqState, user string) []*link {
	var out []*link
	for _, l := range s.mk.links {
		if l.app == rs.mkApp && l.userID == user && l.state != "deleted" && !l.accountsDenied {
			s.ensureData(l)
			out = append(out, l)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].id < out[j].id })
	return out
}

// GetUserAccounts answers the accounts of a user's links, by link id.
func (m *mkServer) GetUserAccounts(ctx context.Context, req moneykit.GetUserAccountsRequestObject) (moneykit.GetUserAccountsResponseObject, error) {
	s, rs := m.s, stateOf(ctx)
	s.mu.Lock()
	defer s.mu.Unlock()
	out := moneykit.GetUserAccounts200JSONResponse{Links: map[string]moneykit.AccountGroup{}}
	for _, l := range s.userLinks(rs, req.Id) {
		if ids := req.Params.InstitutionIds; len(ids) > 0 && !slices.Contains(ids, l.institutionID) {
			continue
		}
		accts := l.data.accountViews(req.Params.AccountIds)
		if len(accts) == 0 && len(req.Params.AccountIds) > 0 {
			continue
		}
		out.Links[l.id] = moneykit.AccountGroup{Accounts: accts, LastSyncedAt: timestamp.New(l.syncedAt.UTC().Truncate(time.Second))}
	}
	return out, nil
}

// GetUserTransactions answers one page of a user's transactions across links, newest first.
func (m *mkServer) GetUserTransactions(ctx context.Context, req moneykit.GetUserTransactionsRequestObject) (moneykit.GetUserTransactionsResponseObject, error) {
	s, rs := m.s, stateOf(ctx)
	s.mu.Lock()
	defer s.mu.Unlock()
	p := req.Params
	type item struct {
		t *txn
		l *link
	}
	var all []item
	accounts := map[string]moneykit.BasicAccountDetails{}
	for _, l := range s.userLinks(rs, req.Id) {
		if !slices.Contains(l.products, "transactions") || (len(p.InstitutionId) > 0 && !slices.Contains(p.InstitutionId, l.institutionID)) {
			continue
		}
		for _, t := range l.data.current(p.AccountId, deref(p.StartDate), deref(p.EndDate)) {
			if len(p.TransactionType) > 0 && !containsType(p.TransactionType, t.credit) {
				continue
			}
			if len(p.Category) > 0 && !slices.Contains(p.Category, t.category) {
				continue
			}
			all = append(all, item{t, l})
		}
	}
	sort.SliceStable(all, func(i, j int) bool {
		a, b := all[i].t, all[j].t
		if !a.date.Equal(b.date) {
			return a.date.After(b.date)
		}
		return a.id > b.id
	})
	pg, sz := pageParams(deref(p.Page), deref(p.Size))
	out := moneykit.GetUserTransactions200JSONResponse{Total: len(all), Page: pg, Transactions: []moneykit.TransactionResponse{}, Accounts: accounts}
	for _, it := range page(all, pg, sz) {
		out.Transactions = append(out.Transactions, it.t.view())
		for _, a := range it.l.data.accounts {
			if a.id == it.t.accountID {
				accounts[a.id] = moneykit.BasicAccountDetails{Name: a.name, InstitutionId: it.l.institutionID, LinkId: it.l.id, LastSyncedAt: timestamp.New(it.l.syncedAt.UTC().Truncate(time.Second))}
			}
		}
	}
	out.Size = len(out.Transactions)
	return out, nil
}

func containsType(ts []moneykit.TransactionType, credit bool) bool {
	want := moneykit.TransactionType("debit")
	if credit {
		want = "credit"
	}
	for _, t := range ts {
		if t == want {
			return true
		}
	}
	return false
}

// IntrospectClient describes the caller's application.
func (m *mkServer) IntrospectClient(ctx context.Context, req moneykit.IntrospectClientRequestObject) (moneykit.IntrospectClientResponseObject, error) {
	app := stateOf(ctx).mkApp
	return moneykit.IntrospectClient200JSONResponse{
		ClientId: app.clientID, ClientName: "banklink sandbox (" + app.id + ")", Scope: "",
		App: moneykit.CustomerApp{AppId: app.id, Name: "banklink sandbox", Id: app.id, AppName: "banklink sandbox"},
	}, nil
}

// GetInstitutions pages through the catalogue in id order.
func (m *mkServer) GetInstitutions(ctx context.Context, req moneykit.GetInstitutionsRequestObject) (moneykit.GetInstitutionsResponseObject, error) {
	p := req.Params
	var match []institution
	for _, in := range catalogue {
		if name := deref(p.Name); name != "" && !strings.Contains(strings.ToLower(in.name), strings.ToLower(name)) {
			continue
		}
		if deref(p.Featured) && !in.featured {
			continue
		}
		match = append(match, in)
	}
	start := 0
	if c := deref(p.Cursor); c != "" {
		after, ok := strings.CutPrefix(c, "inst_after_")
		if !ok {
			return failValidation("not a cursor this endpoint returned.", "query", "cursor"), nil
		}
		start = sort.Search(len(match), func(i int) bool { return match[i].id > after })
	}
	limit := 50
	if v := deref(p.Limit); v != 0 {
		limit = v
	}
	if limit < 1 || limit > 1000 {
		return failValidation("must be 1 to 1000.", "query", "limit"), nil
	}
	end := min(start+limit, len(match))
	out := moneykit.GetInstitutions200JSONResponse{Institutions: []moneykit.Institution{}}
	for _, in := range match[start:end] {
		out.Institutions = append(out.Institutions, in.view())
	}
	if end > start && end < len(match) {
		out.Cursors.Next = "inst_after_" + match[end-1].id
	}
	return out, nil
}

// GetInstitution answers one institution, by id or alias.
func (m *mkServer) GetInstitution(ctx context.Context, req moneykit.GetInstitutionRequestObject) (moneykit.GetInstitutionResponseObject, error) {
	for _, in := range catalogue {
		if in.id == req.InstitutionId || "sandbox."+in.id == req.InstitutionId {
			return moneykit.GetInstitution200JSONResponse(in.view()), nil
		}
	}
	return failMK(404, "institution_error.not_found", "Institution not found."), nil
}

func (in institution) view() moneykit.Institution {
	return moneykit.Institution{
		InstitutionId: in.id, InstitutionIdAliases: []string{"sandbox." + in.id}, Name: in.name,
		Country: moneykit.Country(in.country), Domain: strings.ReplaceAll(in.id, "_", "") + ".example",
		Color: "#1a4f8b", ColorDark: "#7fb2ff", IsFeatured: in.featured,
	}
}

// catalogue is every institution in id order: MoneyKit's three test
// institutions (featured) and generated regional banks, enough to page.
var catalogue = func() []institution {
	regions := []string{"Alpine", "Bayside", "Cascade", "Delta", "Evergreen", "Frontier", "Granite", "Harbor", "Ironwood", "Juniper",
		"Keystone", "Lakeshore", "Meadow", "Northstar", "Oakridge", "Prairie", "Quarry", "Riverbend", "Summit", "Tidewater"}
	kinds := []string{"Bank", "Credit Union", "Savings"}
	for _, r := range regions {
		for _, k := range kinds {
			id := strings.ToLower(strings.ReplaceAll(r+"_"+k, " ", "_"))
			institutions[id] = institution{id: id, name: r + " " + k, country: "US", products: []string{"accounts", "account_numbers", "identity", "transactions"}}
		}
	}
	out := make([]institution, 0, len(institutions))
	for _, in := range institutions {
		out = append(out, in)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].id < out[j].id })
	return out
}()
