package mirror

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	gen "github.com/banklink/banklink/gen/moneykit"
)

// PageSize is how many changes a sync asks MoneyKit for per page (the
// endpoint's maximum).
const PageSize = 500

// SyncResult is what one sync of a link did.
type SyncResult struct {
	LinkID string `json:"link_id"`
	// State is the link's state as last read ("deleted" for a deleted link).
	State string `json:"state"`
	// Pages is how many sync pages were committed.
	Pages int `json:"pages"`
	// Created, Updated and Removed count the changes applied (pending
	// transactions included in Created).
	Created int `json:"created"`
	Updated int `json:"updated"`
	Removed int `json:"removed"`
	// PendingReplaced is true when the run replaced the link's stored
	// pending set; Pending is then its new size.
	PendingReplaced bool `json:"pending_replaced"`
	Pending         int  `json:"pending"`
	// Skipped lists the products the link was not granted (MoneyKit 403),
	// which the sync left alone.
	Skipped []string `json:"skipped_products,omitempty"`
	// Deleted is true when MoneyKit says the link was deleted; its rows are
	// kept and its state set to "deleted".
	Deleted bool `json:"deleted,omitempty"`
	// Busy is true when another instance was syncing the link and this one
	// skipped it (reconcile only; SyncLink waits).
	Busy bool `json:"busy,omitempty"`
}

// errCursorMoved: another process committed a page of this link between
// our read of the cursor and our commit.
var errCursorMoved = errors.New("mirror: the link's cursor moved")

// SyncLink brings one link up to date: the link, its accounts and balances,
// and the transaction sync feed from the stored cursor until has_more is
// false, each page committed with its cursor in one transaction. It waits
// while another sync of the same link (in this process, or on Postgres in
// any process) is running.
func (m *Mirror) SyncLink(ctx context.Context, mk MoneyKit, linkID string) (*SyncResult, error) {
	return m.syncLink(ctx, mk, linkID, true, nil)
}

// syncLinkEvent is SyncLink for a transactions.updates_available event:
// once the link is locked, an event recorded meanwhile (by another
// instance's sync) ends it; otherwise the event is recorded with the
// sync's last page.
func (m *Mirror) syncLinkEvent(ctx context.Context, mk MoneyKit, linkID string, ev *eventRef) (*SyncResult, error) {
	return m.syncLink(ctx, mk, linkID, true, ev)
}

func (m *Mirror) syncLink(ctx context.Context, mk MoneyKit, linkID string, wait bool, ev *eventRef) (*SyncResult, error) {
	if linkID == "" {
		return nil, errors.New("mirror: link id is empty")
	}
	res := &SyncResult{LinkID: linkID}
	lk, ok, err := m.lockLink(ctx, linkID, wait)
	if err != nil {
		return nil, err
	}
	if !ok {
		res.Busy = true
		return res, nil
	}
	defer lk.unlock()

	if ev != nil {
		if seen, err := m.eventSeen(ctx, lk.db, ev.provider, ev.key); err != nil || seen {
			return res, err
		}
	}
	err = m.syncLocked(ctx, lk, mk, res, ev)
	if err != nil && ctx.Err() == nil && !errors.Is(err, errFailpoint) {
		// Record the failure for banklink mirror status; the message is
		// banklink's own error text, which carries no secret or PII.
		m.exec(ctx, lk.db, `UPDATE links SET last_error = ? WHERE link_id = ?`, truncate(err.Error(), 500), linkID)
	}
	return res, err
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}

func (m *Mirror) syncLocked(ctx context.Context, lk *linkLock, mk MoneyKit, res *SyncResult, ev *eventRef) error {
	linkID := res.LinkID
	if err := m.ensureLink(ctx, lk.db, linkID); err != nil {
		return err
	}

	// The link.
	link, err := mk.GetLink(ctx, linkID)
	switch {
	case errors.Is(err, ErrLinkDeleted):
		if err := m.markDeleted(ctx, lk.db, res); err != nil {
			return err
		}
		return m.finishDeleted(ctx, lk, ev)
	case errors.Is(err, ErrNotGranted):
		res.Skipped = append(res.Skipped, "accounts")
	case errors.As(err, new(*LinkStateError)):
		var lse *LinkStateError
		errors.As(err, &lse)
		res.State = string(gen.PublicLinkStateError)
		if _, uerr := m.exec(ctx, lk.db, `UPDATE links SET state = 'error', error_code = ? WHERE link_id = ?`, lse.ErrorCode, linkID); uerr != nil {
			return uerr
		}
		return fmt.Errorf("mirror: link %s: %w", linkID, err)
	case err != nil:
		return fmt.Errorf("mirror: link %s: %w", linkID, err)
	default:
		if err := m.fail("link-read"); err != nil {
			return err
		}
		if err := m.upsertLink(ctx, lk.db, link); err != nil {
			return err
		}
		res.State = string(link.State)
		if link.State == gen.PublicLinkStateDeleted {
			if err := m.markDeleted(ctx, lk.db, res); err != nil {
				return err
			}
			return m.finishDeleted(ctx, lk, ev)
		}
	}

	// Its accounts and balances.
	if !slices.Contains(res.Skipped, "accounts") {
		accts, err := mk.ListAccounts(ctx, linkID)
		switch {
		case errors.Is(err, ErrLinkDeleted):
			if err := m.markDeleted(ctx, lk.db, res); err != nil {
				return err
			}
			return m.finishDeleted(ctx, lk, ev)
		case errors.Is(err, ErrNotGranted):
			res.Skipped = append(res.Skipped, "accounts")
		case err != nil:
			return fmt.Errorf("mirror: link %s accounts: %w", linkID, err)
		default:
			if err := m.fail("accounts-read"); err != nil {
				return err
			}
			if err := m.inTx(ctx, lk.db, func(tx *sql.Tx) error {
				return m.upsertAccounts(ctx, tx, linkID, accts.Accounts)
			}); err != nil {
				return err
			}
		}
	}

	// The transaction feed, page by page.
	skipped, err := m.syncTransactions(ctx, lk, mk, res, ev)
	if err != nil {
		return err
	}
	if skipped {
		res.Skipped = append(res.Skipped, "transactions")
	}
	for _, p := range res.Skipped {
		m.log.InfoContext(ctx, "mirror: product not granted to the link; skipped", "link_id", linkID, "product", p)
	}
	const done = `UPDATE links SET last_error = '', skipped_products = ? WHERE link_id = ?`
	if ev == nil || ev.recorded {
		if res.Deleted {
			return nil
		}
		_, err := m.exec(ctx, lk.db, done, strings.Join(res.Skipped, ","), linkID)
		return err
	}
	return m.inTx(ctx, lk.db, func(tx *sql.Tx) error {
		if _, err := m.recordEvent(ctx, tx, ev); err != nil {
			return err
		}
		if res.Deleted {
			return nil
		}
		_, err := tx.ExecContext(ctx, m.dialect.rebind(done), strings.Join(res.Skipped, ","), linkID)
		return m.dbErr(err)
	})
}

// finishDeleted records the event, if any, of a sync that found the link
// deleted.
func (m *Mirror) finishDeleted(ctx context.Context, lk *linkLock, ev *eventRef) error {
	if ev == nil {
		return nil
	}
	return m.inTx(ctx, lk.db, func(tx *sql.Tx) error {
		_, err := m.recordEvent(ctx, tx, ev)
		return err
	})
}

func (m *Mirror) syncTransactions(ctx context.Context, lk *linkLock, mk MoneyKit, res *SyncResult, ev *eventRef) (skipped bool, err error) {
	linkID := res.LinkID
	cursor, err := m.storedCursor(ctx, lk.db, linkID)
	if err != nil {
		return false, err
	}
	for moves := 0; ; {
		page, err := mk.SyncTransactions(ctx, linkID, cursor, m.pageSize)
		switch {
		case errors.Is(err, ErrLinkDeleted):
			return false, m.markDeleted(ctx, lk.db, res)
		case errors.Is(err, ErrNotGranted):
			return true, nil
		case err != nil:
			return false, fmt.Errorf("mirror: link %s transactions from cursor %q: %w", linkID, cursor, err)
		}
		if err := m.fail("page-read"); err != nil {
			return false, err
		}
		next := page.Cursor.Next
		if next == "" {
			next = cursor
		}
		var st pageStats
		err = m.inTx(ctx, lk.db, func(tx *sql.Tx) error {
			var e error
			st, e = m.applyPage(ctx, tx, linkID, cursor, next, page, ev)
			return e
		})
		if errors.Is(err, errCursorMoved) {
			// Another process applied this page first: continue from
			// where it got to.
			if moves++; moves > 1000 {
				return false, fmt.Errorf("mirror: link %s: the stored cursor keeps moving under this sync", linkID)
			}
			if cursor, err = m.storedCursor(ctx, lk.db, linkID); err != nil {
				return false, err
			}
			continue
		}
		if err != nil {
			return false, err
		}
		if err := m.fail("after-commit"); err != nil {
			return false, err
		}
		res.Pages++
		res.Created += len(page.Transactions.Created)
		res.Updated += len(page.Transactions.Updated)
		res.Removed += len(page.Transactions.Removed)
		if st.recorded {
			ev.recorded = true
		}
		if st.replaced {
			res.PendingReplaced, res.Pending = true, st.pending
		}
		cursor = next
		if !page.HasMore {
			return false, nil
		}
	}
}

type pageStats struct {
	recorded bool // the event was recorded with this page
	replaced bool
	pending  int
}

// applyPage applies one sync page and moves the cursor from `from` to
// `next`, inside tx. It fails with errCursorMoved when the stored cursor is
// no longer `from`.
//
// MoneyKit's pending rule: pending transactions arrive only in created, and
// each refresh replaces the whole set. A run's pending transactions are
// staged in pending_staged as its pages commit; the page that ends the run
// (has_more false) replaces the link's stored pending set with the staged
// one, if the run created anything (a refresh that fetched transactions
// reports them in created: new posted ones, and the pending set again); a
// run of only corrections and removals leaves the set alone. A run that
// crashes keeps its
// staged rows and its sync_open mark, and the restarted run, resuming from
// the stored cursor, completes them.
func (m *Mirror) applyPage(ctx context.Context, tx *sql.Tx, linkID, from, next string, page *gen.TransactionSyncResponse, ev *eventRef) (pageStats, error) {
	var st pageStats
	var stored string
	var open bool
	err := tx.QueryRowContext(ctx, m.dialect.rebind(`SELECT sync_cursor, sync_open FROM links WHERE link_id = ?`), linkID).Scan(&stored, &open)
	if err != nil {
		return st, m.dbErr(err)
	}
	if stored != from {
		return st, errCursorMoved
	}
	if err := m.upsertAccounts(ctx, tx, linkID, page.Accounts); err != nil {
		return st, err
	}
	// Each id's last report in the page wins (created, then updated; the
	// lists are unordered, so removed is applied after them). Posted rows
	// are upserted, pending ones staged, both in multi-row statements.
	final := map[string]*gen.TransactionResponse{}
	var order []string
	note := func(t *gen.TransactionResponse) {
		if _, ok := final[t.TransactionId]; !ok {
			order = append(order, t.TransactionId)
		}
		final[t.TransactionId] = t
	}
	for i := range page.Transactions.Created {
		note(&page.Transactions.Created[i])
	}
	for i := range page.Transactions.Updated {
		note(&page.Transactions.Updated[i])
	}
	removed := map[string]bool{}
	for _, id := range page.Transactions.Removed {
		removed[id] = true
	}
	var posted, pending [][]any
	var unstage []any
	for _, id := range order {
		t := final[id]
		if removed[id] {
			continue
		}
		args := txnArgs(m.dialect, linkID, t)
		if t.Pending {
			pending = append(pending, args)
			continue
		}
		posted = append(posted, append(args, false))
		// A pending transaction that posts under the same id (as some
		// feeds report it) leaves the staged set.
		unstage = append(unstage, id)
	}
	var gone []any
	for _, id := range page.Transactions.Removed {
		gone = append(gone, id)
	}
	if err := m.execRows(ctx, tx, upsertTxnHead, upsertTxnTail, posted); err != nil {
		return st, err
	}
	if err := m.execRows(ctx, tx, stageTxnHead, stageTxnTail, pending); err != nil {
		return st, err
	}
	// Only a run that staged pending rows in an earlier page (open) can
	// have staged rows to drop.
	if open {
		if err := m.execIn(ctx, tx, `DELETE FROM pending_staged WHERE transaction_id IN `, "", append(unstage, gone...)); err != nil {
			return st, err
		}
	}
	if err := m.execIn(ctx, tx, `DELETE FROM transactions WHERE link_id = ? AND transaction_id IN `, "", gone, linkID); err != nil {
		return st, err
	}
	if err := m.fail("page-applied"); err != nil {
		return st, err
	}
	open = open || len(page.Transactions.Created) > 0
	var syncedAt any
	if !page.HasMore {
		if open {
			if _, err := tx.ExecContext(ctx, m.dialect.rebind(`DELETE FROM transactions WHERE link_id = ? AND pending`), linkID); err != nil {
				return st, m.dbErr(err)
			}
			r, err := tx.ExecContext(ctx, m.dialect.rebind(promoteStagedSQL), linkID)
			if err != nil {
				return st, m.dbErr(err)
			}
			n, _ := r.RowsAffected()
			if _, err := tx.ExecContext(ctx, m.dialect.rebind(`DELETE FROM pending_staged WHERE link_id = ?`), linkID); err != nil {
				return st, m.dbErr(err)
			}
			st.replaced, st.pending = true, int(n)
		}
		open = false
		syncedAt = m.dialect.ts(m.now())
		if ev != nil {
			if _, err := m.recordEvent(ctx, tx, ev); err != nil {
				return st, err
			}
			st.recorded = true
		}
	}
	_, err = tx.ExecContext(ctx, m.dialect.rebind(`UPDATE links SET sync_cursor = ?, sync_open = ?, synced_at = COALESCE(?, synced_at) WHERE link_id = ?`),
		next, open, syncedAt, linkID)
	if err != nil {
		return st, m.dbErr(err)
	}
	if err := m.fail("before-commit"); err != nil {
		return st, err
	}
	return st, nil
}

const txnCols = `transaction_id, link_id, account_id, amount, type, currency, date, datetime, description, raw_description, category`

const txnSet = `link_id = excluded.link_id, account_id = excluded.account_id, amount = excluded.amount,
type = excluded.type, currency = excluded.currency, date = excluded.date, datetime = excluded.datetime,
description = excluded.description, raw_description = excluded.raw_description, category = excluded.category`

const (
	upsertTxnHead = `INSERT INTO transactions (` + txnCols + `, pending) VALUES `
	upsertTxnTail = ` ON CONFLICT (transaction_id) DO UPDATE SET ` + txnSet + `, pending = excluded.pending`
	stageTxnHead  = `INSERT INTO pending_staged (` + txnCols + `) VALUES `
	stageTxnTail  = ` ON CONFLICT (transaction_id) DO UPDATE SET ` + txnSet
)

// rowsPerStatement bounds a multi-row statement (12 columns: 1,200
// parameters, well under SQLite's and Postgres's limits).
const rowsPerStatement = 100

// execRows runs head + "(?, …), (?, …)" + tail over rows, rowsPerStatement
// rows at a time. The rows of one call must have distinct keys.
func (m *Mirror) execRows(ctx context.Context, tx *sql.Tx, head, tail string, rows [][]any) error {
	if len(rows) == 0 {
		return nil
	}
	query := func(n int) string {
		var b strings.Builder
		b.WriteString(head)
		one := "(" + strings.TrimSuffix(strings.Repeat("?, ", len(rows[0])), ", ") + ")"
		for i := range n {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(one)
		}
		b.WriteString(tail)
		return m.dialect.rebind(b.String())
	}
	flat := func(rs [][]any) []any {
		args := make([]any, 0, len(rs)*len(rs[0]))
		for _, r := range rs {
			args = append(args, r...)
		}
		return args
	}
	// On SQLite, full chunks share one prepared statement: preparing a
	// long upsert costs about as much as running it. (pgx caches prepared
	// statements per connection by their text already.)
	if _, lite := m.dialect.(sqliteDialect); lite && len(rows) >= 2*rowsPerStatement {
		stmt, err := tx.PrepareContext(ctx, query(rowsPerStatement))
		if err != nil {
			return m.dbErr(err)
		}
		defer stmt.Close()
		for len(rows) >= rowsPerStatement {
			if _, err := stmt.ExecContext(ctx, flat(rows[:rowsPerStatement])...); err != nil {
				return m.dbErr(err)
			}
			rows = rows[rowsPerStatement:]
		}
	}
	for len(rows) > 0 {
		n := min(len(rows), rowsPerStatement)
		if _, err := tx.ExecContext(ctx, query(n), flat(rows[:n])...); err != nil {
			return m.dbErr(err)
		}
		rows = rows[n:]
	}
	return nil
}

// execIn runs head + "(?, …)" + tail with ids in the list, after the fixed
// leading arguments, rowsPerStatement ids at a time.
func (m *Mirror) execIn(ctx context.Context, tx *sql.Tx, head, tail string, ids []any, leading ...any) error {
	for len(ids) > 0 {
		n := min(len(ids), rowsPerStatement)
		q := head + "(" + strings.TrimSuffix(strings.Repeat("?, ", n), ", ") + ")" + tail
		args := append(append([]any{}, leading...), ids[:n]...)
		if _, err := tx.ExecContext(ctx, m.dialect.rebind(q), args...); err != nil {
			return m.dbErr(err)
		}
		ids = ids[n:]
	}
	return nil
}

const promoteStagedSQL = `INSERT INTO transactions (` + txnCols + `, pending) SELECT ` + txnCols + `, true FROM pending_staged WHERE link_id = ?
ON CONFLICT (transaction_id) DO UPDATE SET ` + txnSet + `, pending = true`

func txnArgs(d dialect, linkID string, t *gen.TransactionResponse) []any {
	var dt any
	if !t.Datetime.IsZero() {
		dt = d.ts(t.Datetime.Time())
	}
	cat := t.Enrichment.Category.Value
	if cat == "" {
		cat = t.Category
	}
	return []any{t.TransactionId, linkID, t.AccountId, t.Amount, string(t.Type), t.Currency,
		t.Date.Format("2006-01-02"), dt, t.Description, t.RawDescription, cat}
}

const (
	upsertAccountHead = `INSERT INTO accounts (account_id, link_id, name, account_type, account_mask, currency,
balance_current, balance_available, balance_limit, updated_at) VALUES `
	upsertAccountTail = ` ON CONFLICT (account_id) DO UPDATE SET link_id = excluded.link_id, name = excluded.name, account_type = excluded.account_type,
account_mask = excluded.account_mask, currency = excluded.currency, balance_current = excluded.balance_current,
balance_available = excluded.balance_available, balance_limit = excluded.balance_limit, updated_at = excluded.updated_at`
)

func (m *Mirror) upsertAccounts(ctx context.Context, tx *sql.Tx, linkID string, accts []gen.AccountResponse) error {
	now := m.dialect.ts(m.now())
	rows := make([][]any, 0, len(accts))
	seen := map[string]bool{}
	for _, a := range accts {
		if seen[a.AccountId] {
			continue // one row per key in a multi-row upsert
		}
		seen[a.AccountId] = true
		rows = append(rows, []any{a.AccountId, linkID, a.Name, a.AccountType, a.AccountMask, a.Balances.Currency,
			decimal(a.Balances.Current), decimal(a.Balances.Available), decimal(a.Balances.Limit), now})
	}
	return m.execRows(ctx, tx, upsertAccountHead, upsertAccountTail, rows)
}

// decimal writes a balance as the shortest decimal that reads back as the
// same float64: the text MoneyKit sent, for any amount of up to 15
// significant digits. NULL when MoneyKit did not report the balance.
func decimal(v *float64) sql.NullString {
	if v == nil {
		return sql.NullString{}
	}
	return sql.NullString{String: strconv.FormatFloat(*v, 'f', -1, 64), Valid: true}
}

func (m *Mirror) ensureLink(ctx context.Context, db execer, linkID string) error {
	_, err := m.exec(ctx, db, `INSERT INTO links (link_id) VALUES (?) ON CONFLICT (link_id) DO NOTHING`, linkID)
	return err
}

func (m *Mirror) upsertLink(ctx context.Context, db execer, l *gen.LinkCommon) error {
	_, err := m.exec(ctx, db, `UPDATE links SET institution_id = ?, institution_name = ?, state = ?, error_code = ? WHERE link_id = ?`,
		l.InstitutionId, l.InstitutionName, string(l.State), string(l.ErrorCode), l.LinkId)
	return err
}

// markDeleted records that MoneyKit deleted the link. Its accounts and
// transactions stay: they are the user's history.
func (m *Mirror) markDeleted(ctx context.Context, db execer, res *SyncResult) error {
	res.Deleted, res.State = true, string(gen.PublicLinkStateDeleted)
	_, err := m.exec(ctx, db, `UPDATE links SET state = 'deleted', last_error = '', deleted_at = COALESCE(deleted_at, ?) WHERE link_id = ?`,
		m.dialect.ts(m.now()), res.LinkID)
	if err == nil {
		m.log.InfoContext(ctx, "mirror: link deleted at MoneyKit; its rows are kept", "link_id", res.LinkID)
	}
	return err
}

func (m *Mirror) storedCursor(ctx context.Context, db execer, linkID string) (string, error) {
	var c string
	err := db.QueryRowContext(ctx, m.dialect.rebind(`SELECT sync_cursor FROM links WHERE link_id = ?`), linkID).Scan(&c)
	return c, m.dbErr(err)
}

// execer is a *sql.DB or a *sql.Conn.
type execer interface {
	ExecContext(ctx context.Context, q string, args ...any) (sql.Result, error)
	QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row
	QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error)
	BeginTx(ctx context.Context, opts *sql.TxOptions) (*sql.Tx, error)
}

func (m *Mirror) exec(ctx context.Context, db execer, q string, args ...any) (sql.Result, error) {
	r, err := db.ExecContext(ctx, m.dialect.rebind(q), args...)
	return r, m.dbErr(err)
}

// inTx runs fn in a transaction and commits it; any error rolls it back.
func (m *Mirror) inTx(ctx context.Context, db execer, fn func(*sql.Tx) error) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return m.dbErr(err)
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return err
	}
	return m.dbErr(tx.Commit())
}

func (m *Mirror) dbErr(err error) error {
	if err == nil || errors.Is(err, errCursorMoved) || errors.Is(err, errFailpoint) ||
		errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	if errors.Is(err, sql.ErrNoRows) {
		return err
	}
	return fmt.Errorf("mirror: %s: %v", m.dialect.name(), redactPG(err))
}

// errFailpoint is what a test's failpoint returns.
var errFailpoint = errors.New("mirror: failpoint")

func (m *Mirror) fail(step string) error {
	if m.failpoint == nil {
		return nil
	}
	return m.failpoint(step)
}
