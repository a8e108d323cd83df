package mirror

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"time"
)

// LinkIDs lists every link MoneyKit's GET /links lists, and the links the
// mirror holds that are not marked deleted (a link deleted since the last
// sync is no longer listed, and its sync marks it).
func (m *Mirror) LinkIDs(ctx context.Context, mk MoneyKit) ([]string, error) {
	seen := map[string]bool{}
	var ids []string
	add := func(id string) {
		if id != "" && !seen[id] {
			seen[id] = true
			ids = append(ids, id)
		}
	}
	cursor := ""
	for pages := 0; ; pages++ {
		if pages > 100000 {
			return nil, errors.New("mirror: GET /links did not end")
		}
		page, err := mk.ListLinks(ctx, cursor, 1000)
		if err != nil {
			return nil, fmt.Errorf("mirror: listing links: %w", err)
		}
		for _, l := range page.Links {
			add(l.LinkId)
		}
		if page.NextCursor == "" || page.NextCursor == cursor {
			break
		}
		cursor = page.NextCursor
	}
	rows, err := m.db.QueryContext(ctx, `SELECT link_id FROM links WHERE state <> 'deleted' ORDER BY link_id`)
	if err != nil {
		return nil, m.dbErr(err)
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, m.dbErr(err)
		}
		add(id)
	}
	sort.Strings(ids)
	return ids, m.dbErr(rows.Err())
}

// SyncAll syncs every link LinkIDs names, one after another, waiting for
// links another instance is syncing. A link that fails does not stop the
// others: its error is in the returned error (errors.Join) and in its row's
// last_error.
func (m *Mirror) SyncAll(ctx context.Context, mk MoneyKit) ([]*SyncResult, error) {
	return m.syncAll(ctx, mk, true)
}

func (m *Mirror) syncAll(ctx context.Context, mk MoneyKit, wait bool) ([]*SyncResult, error) {
	ids, err := m.LinkIDs(ctx, mk)
	if err != nil {
		return nil, err
	}
	var out []*SyncResult
	var errs []error
	for _, id := range ids {
		res, err := m.syncLink(ctx, mk, id, wait, nil)
		if err != nil {
			if ctx.Err() != nil {
				return out, err
			}
			errs = append(errs, err)
			continue
		}
		out = append(out, res)
	}
	return out, errors.Join(errs...)
}

// Reconcile is the backstop for lost webhooks: it syncs every link,
// skipping one another instance is syncing at that moment (it is being
// brought up to date already), and, with lm set, reads the status of every
// payment that is not final.
func (m *Mirror) Reconcile(ctx context.Context, mk MoneyKit, lm LinkMoney) ([]*SyncResult, error) {
	var errs []error
	var res []*SyncResult
	if mk != nil {
		r, err := m.syncAll(ctx, mk, false)
		res = r
		errs = append(errs, err)
	}
	if lm != nil {
		errs = append(errs, m.reconcilePayments(ctx, lm))
	}
	return res, errors.Join(errs...)
}

func (m *Mirror) reconcilePayments(ctx context.Context, lm LinkMoney) error {
	rows, err := m.db.QueryContext(ctx, `SELECT payment_id FROM payments WHERE `+rankSQL("status")+` < 6 ORDER BY payment_id`)
	if err != nil {
		return m.dbErr(err)
	}
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return m.dbErr(err)
		}
		ids = append(ids, id)
	}
	rows.Close()
	var errs []error
	for _, id := range ids {
		t, err := lm.PaymentStatus(ctx, id)
		if err != nil {
			errs = append(errs, fmt.Errorf("mirror: payment %s: %w", id, err))
			continue
		}
		err = m.RecordPayment(ctx, Payment{PaymentID: id, CustomerID: t.CustomerId, Amount: t.Amount.Value.String(),
			Currency: string(t.Amount.Currency), Status: string(t.TransactionStatus), ClientReferenceID: t.ClientReferenceId,
			ACHReturnCode: t.AchReturnCode})
		if err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// RunReconcile calls Reconcile every interval until ctx ends, logging (not
// returning) its errors. It returns ctx's error.
func (m *Mirror) RunReconcile(ctx context.Context, mk MoneyKit, lm LinkMoney, every time.Duration) error {
	if every <= 0 {
		return fmt.Errorf("mirror: reconcile interval %v: must be positive", every)
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
			res, err := m.Reconcile(ctx, mk, lm)
			if err != nil && ctx.Err() == nil {
				m.log.WarnContext(ctx, "mirror: reconcile", "error", err)
			}
			m.log.InfoContext(ctx, "mirror: reconciled", "links", len(res))
		}
	}
}
