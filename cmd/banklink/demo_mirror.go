package main

import (
	"context"
	"os"
	"path/filepath"

	"github.com/banklink/banklink/facade/linkmoney"
	"github.com/banklink/banklink/facade/mirror"
	"github.com/banklink/banklink/facade/moneykit"
)

// demoMirror is the demo's copy of its link and payments, in a temporary
// SQLite file removed when the demo ends.
type demoMirror struct {
	dir     string
	m       *mirror.Mirror
	linkID  string
	payment mirror.Payment
	refund  mirror.Refund
}

func openDemoMirror(ctx context.Context) (*demoMirror, error) {
	dir, err := os.MkdirTemp("", "banklink-demo-mirror-")
	if err != nil {
		return nil, err
	}
	m, err := mirror.Open(ctx, "sqlite:"+filepath.Join(dir, "mirror.db"))
	if err != nil {
		_ = os.RemoveAll(dir)
		return nil, err
	}
	return &demoMirror{dir: dir, m: m}, nil
}

func (dm *demoMirror) close() {
	_ = dm.m.Close()
	_ = os.RemoveAll(dm.dir)
}

// syncLink copies the link, its accounts and its transactions into the
// mirror, as `banklink mirror sync` does.
func (dm *demoMirror) syncLink(ctx context.Context, mk *moneykit.Client) (map[string]any, error) {
	res, err := dm.m.SyncLink(ctx, mirror.MoneyKitClient(mk), dm.linkID)
	if err != nil {
		return nil, err
	}
	c, err := dm.m.Counts(ctx)
	if err != nil {
		return nil, err
	}
	return map[string]any{"transactions": c.Transactions, "pending": res.Pending, "pages": res.Pages}, nil
}

// mirrorStory ends the demo: the deleted link is synced again (marked
// deleted, its history kept), the payment and refund are recorded and the
// payment's status read, and the mirror's row counts printed.
func mirrorStory(ctx context.Context, s *story, dm *demoMirror, mk *moneykit.Client, lm *linkmoney.Client) error {
	const p = "mirror"
	steps := []struct {
		name string
		fn   func() (map[string]any, error)
	}{
		{"sync the deleted link", func() (map[string]any, error) {
			res, err := dm.m.SyncLink(ctx, mirror.MoneyKitClient(mk), dm.linkID)
			if err != nil {
				return nil, err
			}
			st, err := dm.m.Status(ctx)
			if err != nil || len(st) != 1 {
				return nil, err
			}
			return map[string]any{"state": res.State, "transactions_kept": st[0].Transactions}, nil
		}},
		{"payment and refund", func() (map[string]any, error) {
			if err := dm.m.RecordPayment(ctx, dm.payment); err != nil {
				return nil, err
			}
			if err := dm.m.RecordRefund(ctx, dm.refund); err != nil {
				return nil, err
			}
			// Reconcile reads the status of every payment not yet final.
			if _, err := dm.m.Reconcile(ctx, nil, mirror.LinkMoneyClient(lm)); err != nil {
				return nil, err
			}
			var status string
			if err := dm.m.DB().QueryRowContext(ctx, `SELECT status FROM payments WHERE payment_id = ?`, dm.payment.PaymentID).Scan(&status); err != nil {
				return nil, err
			}
			return map[string]any{"payment_status": status, "refund_status": dm.refund.Status}, nil
		}},
		{"row counts", func() (map[string]any, error) {
			c, err := dm.m.Counts(ctx)
			if err != nil {
				return nil, err
			}
			return map[string]any{"database": "sqlite (temporary file)", "links": c.Links, "accounts": c.Accounts,
				"transactions": c.Transactions, "payments": c.Payments, "refunds": c.Refunds}, nil
		}},
	}
	for _, st := range steps {
		if err := s.do(p, st.name, st.fn); err != nil {
			return err
		}
	}
	return nil
}
