package mirror

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/banklink/banklink/facade/webhook"
)

// Providers as webhook_events.provider spells them.
const (
	ProviderMoneyKit  = "moneykit"
	ProviderLinkMoney = "linkmoney"
)

// eventRef is a webhook event to record in webhook_events in the same
// transaction as the change it causes.
type eventRef struct {
	provider, key, typ string
	recorded           bool // in a committed transaction
}

// recordEvent inserts the event's key; false means it was there already
// (a repeat, or another instance applied it first).
func (m *Mirror) recordEvent(ctx context.Context, tx *sql.Tx, ev *eventRef) (bool, error) {
	r, err := tx.ExecContext(ctx, m.dialect.rebind(`INSERT INTO webhook_events (provider, event_key, type, received_at) VALUES (?, ?, ?, ?)
ON CONFLICT (provider, event_key) DO NOTHING`), ev.provider, ev.key, ev.typ, m.dialect.ts(m.now()))
	if err != nil {
		return false, m.dbErr(err)
	}
	n, err := r.RowsAffected()
	if err != nil {
		return false, m.dbErr(err)
	}
	return n == 1, nil
}

func (m *Mirror) eventSeen(ctx context.Context, db execer, provider, key string) (bool, error) {
	var n int
	err := db.QueryRowContext(ctx, m.dialect.rebind(`SELECT count(*) FROM webhook_events WHERE provider = ? AND event_key = ?`), provider, key).Scan(&n)
	return n > 0, m.dbErr(err)
}

// ApplyMoneyKitEvent applies one verified MoneyKit webhook event:
//
//   - transactions.updates_available syncs the link (as SyncLink, waiting
//     for another instance's sync of it to end); the event's key is
//     recorded in the transaction of the sync's last page;
//   - link.state_changed sets the link's state and error code, unless a
//     later state change was applied already (webhook_timestamp);
//   - other events are recorded and acknowledged.
//
// An event whose key is in webhook_events already is acknowledged without
// doing anything: a repeat, or one another instance applied.
func (m *Mirror) ApplyMoneyKitEvent(ctx context.Context, mk MoneyKit, ev *webhook.MoneyKitEvent) error {
	ref := &eventRef{provider: ProviderMoneyKit, key: ev.IdempotencyKey, typ: ev.Type}
	if ref.key == "" {
		return errors.New("mirror: MoneyKit event without webhook_idempotency_key")
	}
	if seen, err := m.eventSeen(ctx, m.db, ref.provider, ref.key); err != nil || seen {
		return err
	}
	switch {
	case ev.TransactionsUpdates != nil && ev.LinkID != "":
		if mk == nil {
			return errors.New("mirror: transactions.updates_available needs a MoneyKit client to sync with")
		}
		_, err := m.syncLinkEvent(ctx, mk, ev.LinkID, ref)
		return err
	case ev.LinkStateChanged != nil && ev.LinkID != "":
		return m.inTx(ctx, m.db, func(tx *sql.Tx) error {
			fresh, err := m.recordEvent(ctx, tx, ref)
			if err != nil || !fresh {
				return err
			}
			return m.applyLinkState(ctx, tx, ev)
		})
	default:
		return m.inTx(ctx, m.db, func(tx *sql.Tx) error {
			_, err := m.recordEvent(ctx, tx, ref)
			return err
		})
	}
}

func (m *Mirror) applyLinkState(ctx context.Context, tx *sql.Tx, ev *webhook.MoneyKitEvent) error {
	at := m.now()
	if t, err := time.Parse(time.RFC3339Nano, ev.Timestamp); err == nil {
		at = t.UTC()
	} else if t, err := time.Parse("2006-01-02T15:04:05.999999999", ev.Timestamp); err == nil {
		at = t.UTC() // MoneyKit's examples carry no offset: UTC
	}
	code := ""
	if ev.LinkStateChanged.Error != nil {
		code = *ev.LinkStateChanged.Error
	}
	state := ev.LinkStateChanged.State
	if _, err := tx.ExecContext(ctx, m.dialect.rebind(`INSERT INTO links (link_id) VALUES (?) ON CONFLICT (link_id) DO NOTHING`), ev.LinkID); err != nil {
		return m.dbErr(err)
	}
	var deletedAt any
	if state == "deleted" {
		deletedAt = m.dialect.ts(at)
	}
	ts := m.dialect.ts(at)
	_, err := tx.ExecContext(ctx, m.dialect.rebind(`UPDATE links SET state = ?, error_code = ?, state_changed_at = ?,
deleted_at = COALESCE(deleted_at, ?) WHERE link_id = ? AND (state_changed_at IS NULL OR state_changed_at <= ?) AND state <> 'deleted'`),
		state, code, ts, deletedAt, ev.LinkID, ts)
	return m.dbErr(err)
}

// ApplyLinkMoneyEvent applies one verified Link Money webhook event.
// Payment and refund events upsert their row (never moving a payment back
// in the payment order) in the transaction that records the event's key:
// the event's own id, or the delivery id for an event without one, so a
// redelivery under a new delivery id is applied once. With lm set, a
// payment's amount, currency and customer, and a refund's amount and
// currency, are read from Link Money first (GET /v1/transactions/{id}
// answers for both). Other events are recorded and acknowledged.
func (m *Mirror) ApplyLinkMoneyEvent(ctx context.Context, lm LinkMoney, ev *webhook.LinkMoneyEvent) error {
	key := ev.ID
	if key == "" {
		key = ev.DeliveryID
	}
	if key == "" {
		return errors.New("mirror: Link Money event without an id")
	}
	ref := &eventRef{provider: ProviderLinkMoney, key: key, typ: ev.Type}
	if seen, err := m.eventSeen(ctx, m.db, ref.provider, ref.key); err != nil || seen {
		return err
	}
	status, isMoney := eventStatus[ev.Type]
	refund := ev.ResourceType == "Refund" || (len(ev.Type) > 7 && ev.Type[:7] == "refund.")
	var p Payment
	var rf Refund
	if isMoney && ev.ResourceID != "" {
		p = Payment{PaymentID: ev.ResourceID, Status: status, ClientReferenceID: ev.ClientReferenceID, ACHReturnCode: ev.ACHReturnCode}
		if lm != nil {
			what := "payment"
			if refund {
				what = "refund"
			}
			t, err := lm.PaymentStatus(ctx, ev.ResourceID)
			if err != nil {
				return fmt.Errorf("mirror: %s %s: %w", what, ev.ResourceID, err)
			}
			p.CustomerID, p.Amount, p.Currency = t.CustomerId, t.Amount.Value.String(), string(t.Amount.Currency)
			if p.ClientReferenceID == "" {
				p.ClientReferenceID = t.ClientReferenceId
			}
		}
		rf = Refund{RefundID: p.PaymentID, Amount: p.Amount, Currency: p.Currency, Status: p.Status,
			ClientReferenceID: p.ClientReferenceID, ACHReturnCode: p.ACHReturnCode}
	}
	return m.inTx(ctx, m.db, func(tx *sql.Tx) error {
		fresh, err := m.recordEvent(ctx, tx, ref)
		if err != nil || !fresh || !isMoney || ev.ResourceID == "" {
			return err
		}
		if refund {
			return m.recordRefund(ctx, tx, rf)
		}
		return m.recordPayment(ctx, tx, p)
	})
}

// HandlerConfig is what Handler needs: the verifiers, and the clients the
// mirror reads with. A nil verifier leaves that provider's route out.
type HandlerConfig struct {
	MoneyKitVerifier  *webhook.MoneyKitVerifier
	LinkMoneyVerifier webhook.LinkMoneyVerifier
	MoneyKit          MoneyKit
	LinkMoney         LinkMoney
	// Options go to both webhook handlers (WithLogger, WithStore, …).
	Options []webhook.HandlerOption
}

// Handler serves both providers' webhooks into the mirror: MoneyKit's at
// POST /webhooks/moneykit and Link Money's at POST /webhooks/linkmoney.
// Deliveries are verified by package webhook; an event the mirror fails to
// apply answers 500, so the provider delivers it again.
func (m *Mirror) Handler(cfg HandlerConfig) http.Handler {
	mux := http.NewServeMux()
	if cfg.MoneyKitVerifier != nil {
		mux.Handle("/webhooks/moneykit", webhook.MoneyKitHandler(cfg.MoneyKitVerifier, func(ctx context.Context, ev *webhook.MoneyKitEvent) error {
			return m.ApplyMoneyKitEvent(ctx, cfg.MoneyKit, ev)
		}, cfg.Options...))
	}
	if cfg.LinkMoneyVerifier != nil {
		mux.Handle("/webhooks/linkmoney", webhook.LinkMoneyHandler(cfg.LinkMoneyVerifier, func(ctx context.Context, ev *webhook.LinkMoneyEvent) error {
			return m.ApplyLinkMoneyEvent(ctx, cfg.LinkMoney, ev)
		}, cfg.Options...))
	}
	return mux
}
