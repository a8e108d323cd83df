package mirror

import (
	"context"
	"strings"
	"time"
)

// LinkStatus is one link's row in banklink mirror status.
type LinkStatus struct {
	LinkID          string
	InstitutionName string
	State           string
	Accounts        int
	Transactions    int
	Pending         int
	// SyncedAt is when a sync last reached the end of the feed (zero if
	// never); CursorAge is the time since then.
	SyncedAt  time.Time
	CursorAge time.Duration
	LastError string
	Skipped   []string
}

// Counts are the row counts of the mirror's tables.
type Counts struct {
	Links         int `json:"links"`
	Accounts      int `json:"accounts"`
	Transactions  int `json:"transactions"`
	Payments      int `json:"payments"`
	Refunds       int `json:"refunds"`
	WebhookEvents int `json:"webhook_events"`
}

// Status reports every link the mirror holds, in link id order.
func (m *Mirror) Status(ctx context.Context) ([]LinkStatus, error) {
	rows, err := m.db.QueryContext(ctx, `SELECT l.link_id, l.institution_name, l.state, l.synced_at, l.last_error, l.skipped_products,
(SELECT count(*) FROM accounts a WHERE a.link_id = l.link_id),
(SELECT count(*) FROM transactions t WHERE t.link_id = l.link_id),
(SELECT count(*) FROM transactions t WHERE t.link_id = l.link_id AND t.pending)
FROM links l ORDER BY l.link_id`)
	if err != nil {
		return nil, m.dbErr(err)
	}
	defer rows.Close()
	now := m.now()
	var out []LinkStatus
	for rows.Next() {
		var s LinkStatus
		var synced any
		var skipped string
		if err := rows.Scan(&s.LinkID, &s.InstitutionName, &s.State, &synced, &s.LastError, &skipped, &s.Accounts, &s.Transactions, &s.Pending); err != nil {
			return nil, m.dbErr(err)
		}
		s.SyncedAt = m.dialect.scanTS(synced)
		if !s.SyncedAt.IsZero() {
			s.CursorAge = now.Sub(s.SyncedAt)
		}
		if skipped != "" {
			s.Skipped = strings.Split(skipped, ",")
		}
		out = append(out, s)
	}
	return out, m.dbErr(rows.Err())
}

// Counts counts the rows of the mirror's tables.
func (m *Mirror) Counts(ctx context.Context) (Counts, error) {
	var c Counts
	err := m.db.QueryRowContext(ctx, `SELECT (SELECT count(*) FROM links), (SELECT count(*) FROM accounts),
(SELECT count(*) FROM transactions), (SELECT count(*) FROM payments), (SELECT count(*) FROM refunds),
(SELECT count(*) FROM webhook_events)`).Scan(&c.Links, &c.Accounts, &c.Transactions, &c.Payments, &c.Refunds, &c.WebhookEvents)
	return c, m.dbErr(err)
}
