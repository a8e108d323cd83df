package mirror

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
)

// Payment is a Link Money payment as the mirror stores it. Empty fields
// leave the stored ones as they are.
type Payment struct {
	PaymentID         string
	CustomerID        string
	Amount            string // exact decimal text, as Link Money sent it
	Currency          string
	Status            string // Link Money's status, such as AUTHORIZED
	ClientReferenceID string
	RequestKey        string
	ACHReturnCode     string
}

// Refund is a Link Money refund as the mirror stores it.
type Refund struct {
	RefundID          string
	PaymentID         string
	Amount            string
	Currency          string
	Status            string
	ClientReferenceID string
	RequestKey        string
	ACHReturnCode     string
}

// paymentOrder is the order a payment's status moves in. A status replaces
// the stored one only when it ranks higher, or ranks the same without being
// final (INITIATED and RETRYABLE_FAILED alternate while Link Money
// retries). The final statuses (rank 6) never change. A status banklink
// does not know ranks 0: it is stored for a payment with no known status
// and never replaces a known one.
var paymentOrder = []struct {
	status string
	rank   int
}{
	{"CREATED", 1},
	{"PENDING", 2},
	{"AUTHORIZED", 3},
	{"SCHEDULED", 4},
	{"INITIATED", 5},
	{"RETRYABLE_FAILED", 5},
	{"SUCCEEDED", 6},
	{"TERMINAL_FAILED", 6},
	{"CANCELED", 6},
}

const finalRank = 6

// PaymentStatusRank is a status's place in paymentOrder (0 when unknown).
func PaymentStatusRank(status string) int {
	for _, p := range paymentOrder {
		if p.status == status {
			return p.rank
		}
	}
	return 0
}

// rankSQL is PaymentStatusRank as an SQL expression over col.
func rankSQL(col string) string {
	var b strings.Builder
	b.WriteString("(CASE " + col)
	for _, p := range paymentOrder {
		fmt.Fprintf(&b, " WHEN '%s' THEN %d", p.status, p.rank)
	}
	b.WriteString(" ELSE 0 END)")
	return b.String()
}

// moves is true when the incoming status (excluded.status) replaces the
// stored one (t.status).
func movesSQL(t string) string {
	in, old := rankSQL("excluded.status"), rankSQL(t+".status")
	return fmt.Sprintf("(%s > %s OR (%s = %s AND %s < %d AND excluded.status <> ''))", in, old, in, old, old, finalRank)
}

func keepSQL(t, col string) string {
	return fmt.Sprintf("%s = COALESCE(NULLIF(excluded.%s, ''), %s.%s)", col, col, t, col)
}

func upsertMoneySQL(t, key string, cols []string) string {
	var set []string
	for _, c := range cols {
		switch c {
		case "status":
			set = append(set, "status = CASE WHEN "+movesSQL(t)+" THEN excluded.status ELSE "+t+".status END")
		case "ach_return_code":
			set = append(set, "ach_return_code = CASE WHEN "+movesSQL(t)+" AND excluded.ach_return_code <> '' THEN excluded.ach_return_code ELSE "+t+".ach_return_code END")
		case "amount":
			set = append(set, "amount = COALESCE(excluded.amount, "+t+".amount)")
		default:
			set = append(set, keepSQL(t, c))
		}
	}
	set = append(set, "updated_at = CASE WHEN "+movesSQL(t)+" THEN excluded.updated_at ELSE "+t+".updated_at END")
	ph := strings.TrimSuffix(strings.Repeat("?, ", len(cols)+2), ", ")
	return "INSERT INTO " + t + " (" + key + ", " + strings.Join(cols, ", ") + ", updated_at) VALUES (" + ph + ")" +
		" ON CONFLICT (" + key + ") DO UPDATE SET " + strings.Join(set, ", ")
}

var (
	paymentCols   = []string{"customer_id", "amount", "currency", "status", "client_reference_id", "request_key", "ach_return_code"}
	refundCols    = []string{"payment_id", "amount", "currency", "status", "client_reference_id", "request_key", "ach_return_code"}
	upsertPayment = upsertMoneySQL("payments", "payment_id", paymentCols)
	upsertRefund  = upsertMoneySQL("refunds", "refund_id", refundCols)
)

// RecordPayment stores a payment, for example the answer of
// linkmoney's Payments.Create together with its request (amount,
// requestKey). Its status follows the payment order: a status that would
// move it back is ignored, the other fields are kept.
func (m *Mirror) RecordPayment(ctx context.Context, p Payment) error {
	if p.PaymentID == "" {
		return errors.New("mirror: payment id is empty")
	}
	return m.inTx(ctx, m.db, func(tx *sql.Tx) error { return m.recordPayment(ctx, tx, p) })
}

func (m *Mirror) recordPayment(ctx context.Context, tx *sql.Tx, p Payment) error {
	_, err := tx.ExecContext(ctx, m.dialect.rebind(upsertPayment), p.PaymentID, p.CustomerID, nullable(p.Amount), p.Currency,
		p.Status, p.ClientReferenceID, p.RequestKey, p.ACHReturnCode, m.dialect.ts(m.now()))
	return m.dbErr(err)
}

// RecordRefund stores a refund, with the same rules as RecordPayment.
func (m *Mirror) RecordRefund(ctx context.Context, r Refund) error {
	if r.RefundID == "" {
		return errors.New("mirror: refund id is empty")
	}
	return m.inTx(ctx, m.db, func(tx *sql.Tx) error { return m.recordRefund(ctx, tx, r) })
}

func (m *Mirror) recordRefund(ctx context.Context, tx *sql.Tx, r Refund) error {
	_, err := tx.ExecContext(ctx, m.dialect.rebind(upsertRefund), r.RefundID, r.PaymentID, nullable(r.Amount), r.Currency,
		r.Status, r.ClientReferenceID, r.RequestKey, r.ACHReturnCode, m.dialect.ts(m.now()))
	return m.dbErr(err)
}

// eventStatus maps a Link Money payment event to the status it reports.
var eventStatus = map[string]string{
	"payment.created":    "CREATED",
	"payment.pending":    "PENDING",
	"payment.authorized": "AUTHORIZED",
	"payment.scheduled":  "SCHEDULED",
	"payment.initiated":  "INITIATED",
	"payment.succeeded":  "SUCCEEDED",
	"payment.failed":     "TERMINAL_FAILED",
	"payment.canceled":   "CANCELED",
	"payment.cancelled":  "CANCELED",
	// Link Money has not published its refund event names; these follow
	// the payment events' pattern.
	"refund.created":   "CREATED",
	"refund.pending":   "PENDING",
	"refund.initiated": "INITIATED",
	"refund.succeeded": "SUCCEEDED",
	"refund.failed":    "TERMINAL_FAILED",
}
