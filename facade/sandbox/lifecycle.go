package sandbox

import (
	"context"
	"encoding/json"
	"math/big"
	"time"

	"github.com/banklink/banklink/gen/linkmoney"
)

// A debit payment's life on the sandbox clock, after Link Money's payment
// cycle: it is created and pending at once; an authorized payment is
// scheduled schedulingDelay after authorization, initiated (sent to ACH)
// initiationDelay later and settles settlementDelay after that, succeeding,
// or failing with an ACH return code when its cents are .13 (R01,
// insufficient funds) or .14 (R02, account closed). Payments above the
// authorized limit stay PENDING, held, until releasePayment; payments above
// the decline limit are TERMINAL_FAILED from the start. Credits and refunds
// keep the status they were created with.
const (
	schedulingDelay = time.Hour
	initiationDelay = 24 * time.Hour
	settlementDelay = 48 * time.Hour
)

// paymentTransition is one step of a payment's lifecycle.
type paymentTransition struct {
	At            time.Time
	Status        string // a TransactionStatus
	ACHReturnCode string // set on a failure after initiation
}

// achReturnCode gives the return code a payment of amt fails with, or "".
func achReturnCode(amt *big.Rat) string {
	cents := new(big.Rat).Mul(amt, big.NewRat(100, 1))
	if !cents.IsInt() {
		return ""
	}
	switch new(big.Int).Mod(cents.Num(), big.NewInt(100)).Int64() {
	case 13:
		return "R01"
	case 14:
		return "R02"
	}
	return ""
}

// achReturn gives the return code p fails with, or "": R01 for every debit
// of a profile_08 customer, else by its cents (achReturnCode).
func (p *lmPayment) achReturn() string {
	if p.nsf {
		return "R01"
	}
	return achReturnCode(p.amount)
}

// paymentTransitions lists the steps of p's lifecycle that happen at or
// before now, oldest first. Webhook delivery reads the same list.
func paymentTransitions(p *lmPayment, now time.Time) []paymentTransition {
	created := p.created
	out := []paymentTransition{{At: created, Status: "CREATED"}}
	switch {
	case p.status == statusTerminalFailed:
		return append(out, paymentTransition{At: created, Status: statusTerminalFailed})
	case !p.debit || p.refund:
		return append(out, paymentTransition{At: created, Status: p.status})
	}
	out = append(out, paymentTransition{At: created, Status: statusPending})
	if p.authorized.IsZero() || p.authorized.After(now) {
		return out
	}
	steps := []paymentTransition{
		{At: p.authorized, Status: statusAuthorized},
		{At: p.authorized.Add(schedulingDelay), Status: "SCHEDULED"},
		{At: p.authorized.Add(schedulingDelay + initiationDelay), Status: "INITIATED"},
	}
	end := paymentTransition{At: p.authorized.Add(schedulingDelay + initiationDelay + settlementDelay), Status: "SUCCEEDED"}
	if code := p.achReturn(); code != "" {
		end.Status, end.ACHReturnCode = "TERMINAL_FAILED", code
	}
	for _, st := range append(steps, end) {
		if st.At.After(now) {
			break
		}
		out = append(out, st)
	}
	return out
}

// GetTransaction answers a payment's status on the sandbox clock.
func (h *lmServer) GetTransaction(ctx context.Context, req linkmoney.GetTransactionRequestObject) (linkmoney.GetTransactionResponseObject, error) {
	s := h.s
	s.mu.RLock()
	defer s.mu.RUnlock()
	p := s.lm.payments[req.TransactionId]
	if p == nil {
		return linkmoney.GetTransaction404JSONResponse{LinkMoneyNotFoundJSONResponse: linkmoney.LinkMoneyNotFoundJSONResponse(lmGenErr("NOT_FOUND", "Transaction not found."))}, nil
	}
	ts := paymentTransitions(p, s.Now())
	last := ts[len(ts)-1]
	out := linkmoney.GetTransaction200JSONResponse{
		TransactionId: p.id, TransactionStatus: linkmoney.TransactionStatus(last.Status),
		ClientReferenceId: p.clientRef, CustomerId: p.customerID,
		Amount:         linkmoney.Amount{Currency: "USD", Value: json.Number(p.amount.FloatString(2))},
		AccountDetails: linkmoney.TransactionAccountDetails{AccountLastFourDigits: p.lastFour},
	}
	if last.Status == statusTerminalFailed {
		out.TransactionFailureReason = linkmoney.TransactionFailureReason{Code: "PAYMENT_DECLINED", Description: "Transaction amount is greater than the limit."}
		if last.ACHReturnCode != "" {
			out.AchReturnCode = last.ACHReturnCode
			out.TransactionFailureReason = linkmoney.TransactionFailureReason{Code: last.ACHReturnCode, Description: achReturnText[last.ACHReturnCode]}
		}
	}
	return out, nil
}

var achReturnText = map[string]string{"R01": "Insufficient funds.", "R02": "Account closed."}

// ReleasePayment releases a held (PENDING) debit: it is authorized now.
func (h *lmServer) ReleasePayment(ctx context.Context, req linkmoney.ReleasePaymentRequestObject) (linkmoney.ReleasePaymentResponseObject, error) {
	s := h.s
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.lm.payments[req.TransactionId]
	if p == nil || p.refund || !p.debit {
		return linkmoney.ReleasePayment404JSONResponse{LinkMoneyNotFoundJSONResponse: linkmoney.LinkMoneyNotFoundJSONResponse(lmGenErr("NOT_FOUND", "Payment not found."))}, nil
	}
	resp := linkmoney.ReleasePayment200JSONResponse{PaymentId: p.id, ClientReferenceId: p.clientRef}
	switch p.status {
	case statusPending:
		p.status, p.authorized = statusAuthorized, s.Now()
	case statusTerminalFailed:
		resp.ErrorDetails = linkmoney.ErrorDetails{ErrorCode: "PAYMENT_DECLINED", ErrorMessage: "Transaction amount is greater than the limit."}
	}
	resp.PaymentStatus = linkmoney.PaymentStatus(p.status)
	return resp, nil
}
