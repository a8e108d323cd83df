package mirror

import (
	"context"
	"errors"
	"fmt"

	lmgen "github.com/banklink/banklink/gen/linkmoney"
	gen "github.com/banklink/banklink/gen/moneykit"
)

// MoneyKit is what the mirror reads from MoneyKit: the four calls a sync
// makes. MoneyKitClient adapts a *moneykit.Client; tests may pass their own.
//
// An implementation reports a deleted link (410 link_error.deleted) with an
// error that wraps ErrLinkDeleted, and a product the link was not granted
// (403 link_error.forbidden_action) with one that wraps ErrNotGranted;
// MoneyKitClient does.
type MoneyKit interface {
	GetLink(ctx context.Context, linkID string) (*gen.LinkCommon, error)
	// ListLinks is GET /links: one page from cursor ("" for the first).
	ListLinks(ctx context.Context, cursor string, limit int) (*gen.GetLinksResponse, error)
	ListAccounts(ctx context.Context, linkID string) (*gen.GetAccountsResponse, error)
	// SyncTransactions is GET /links/{id}/transactions/sync: one page of
	// changes after cursor ("" for the whole history).
	SyncTransactions(ctx context.Context, linkID, cursor string, size int) (*gen.TransactionSyncResponse, error)
}

// LinkMoney is what the mirror reads from Link Money: a payment's current
// status (GET /v1/transactions/{id}), to fill in a payment first seen in a
// webhook and to reconcile payments that are not final. It may be nil:
// webhooks then record what they carry.
type LinkMoney interface {
	PaymentStatus(ctx context.Context, paymentID string) (*lmgen.Transaction, error)
}

// LinkStateError is a MoneyKit answer saying the link cannot be read in
// its current state (422 link_error.bad_state), with the link's error code
// (auth_expired, …). A sync that meets it records state "error" and the
// code on the link, and fails.
type LinkStateError struct {
	ErrorCode string
	Err       error
}

func (e *LinkStateError) Error() string {
	return fmt.Sprintf("mirror: link is in state error (%s): %v", e.ErrorCode, e.Err)
}
func (e *LinkStateError) Unwrap() error { return e.Err }

var (
	// ErrLinkDeleted marks a MoneyKit answer saying the link was deleted.
	ErrLinkDeleted = errors.New("mirror: link deleted")
	// ErrNotGranted marks a MoneyKit 403: the link was not granted the
	// product (or its user denied it).
	ErrNotGranted = errors.New("mirror: product not granted to the link")
)
