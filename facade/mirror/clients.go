package mirror

import (
	"context"
	"errors"
	"fmt"

	"github.com/banklink/banklink/facade"
	"github.com/banklink/banklink/facade/linkmoney"
	"github.com/banklink/banklink/facade/moneykit"
	lmgen "github.com/banklink/banklink/gen/linkmoney"
	gen "github.com/banklink/banklink/gen/moneykit"
)

// MoneyKitClient is the MoneyKit a sync reads from, over a banklink
// client. Its errors keep the client's (errors.As a *facade.Error), and
// wrap ErrLinkDeleted for 410 link_error.deleted and ErrNotGranted for 403
// link_error.forbidden_action; a 422 link_error.bad_state is a
// *LinkStateError.
func MoneyKitClient(c *moneykit.Client) MoneyKit { return mkClient{c} }

type mkClient struct{ c *moneykit.Client }

func mkErr(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, facade.ErrLinkDeleted):
		return fmt.Errorf("%w: %w", ErrLinkDeleted, err)
	case errors.Is(err, facade.ErrForbiddenAction):
		return fmt.Errorf("%w: %w", ErrNotGranted, err)
	}
	var fe *facade.Error
	if errors.As(err, &fe) && errors.Is(err, facade.ErrBadState) {
		return &LinkStateError{ErrorCode: fe.LinkErrorCode, Err: err}
	}
	return err
}

func (k mkClient) GetLink(ctx context.Context, linkID string) (*gen.LinkCommon, error) {
	l, err := k.c.Links.Get(ctx, linkID)
	return l, mkErr(err)
}

func (k mkClient) ListLinks(ctx context.Context, cursor string, limit int) (*gen.GetLinksResponse, error) {
	r, err := k.c.Links.List(ctx, moneykit.LinksParams{Cursor: cursor, Limit: limit})
	return r, mkErr(err)
}

func (k mkClient) ListAccounts(ctx context.Context, linkID string) (*gen.GetAccountsResponse, error) {
	r, err := k.c.Accounts.List(ctx, linkID, nil)
	return r, mkErr(err)
}

func (k mkClient) SyncTransactions(ctx context.Context, linkID, cursor string, size int) (*gen.TransactionSyncResponse, error) {
	r, err := k.c.Transactions.SyncPage(ctx, linkID, cursor, size)
	return r, mkErr(err)
}

// LinkMoneyClient is the Link Money the mirror reads payment statuses
// from, over a banklink client.
func LinkMoneyClient(c *linkmoney.Client) LinkMoney { return lmClient{c} }

type lmClient struct{ c *linkmoney.Client }

func (l lmClient) PaymentStatus(ctx context.Context, paymentID string) (*lmgen.Transaction, error) {
	return l.c.Payments.Status(ctx, paymentID)
}
