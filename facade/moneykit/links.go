package moneykit

import (
	"context"
	"errors"

	"github.com/banklink/banklink/facade"
	"github.com/banklink/banklink/facade/internal/transport"
	gen "github.com/banklink/banklink/gen/moneykit"
)

// LinksService reads, updates, refreshes and deletes links.
type LinksService struct{ t *transport.Client[gen.Op] }

// Get fetches a link (GET /links/{id}). A recently deleted link comes back
// with state "deleted" or as facade.ErrLinkDeleted; LinkDeleted tests for both.
func (s *LinksService) Get(ctx context.Context, linkID string, opts ...facade.CallOption) (*Link, error) {
	return transport.Do[Link](ctx, s.t, gen.OpGetLink, transport.Call{Path: []string{linkID}}, opts)
}

// LinkDeleted reports whether the answer of Links.Get says the link was
// deleted. MoneyKit answers a recently deleted link with 200 and state
// "deleted" (its Get Link Details reference says so), and also declares 410
// link_error.deleted (facade.ErrLinkDeleted) for the call; Links.Update and
// Links.Delete of a deleted link answer 410. MoneyKit removes deleted links
// 90 days after deletion, after which they answer 404
// (facade.ErrLinkNotFound), which LinkDeleted does not count as deleted.
//
//	link, err := mk.Links.Get(ctx, linkID)
//	if moneykit.LinkDeleted(link, err) {
//		// ask the user to link the bank again
//	} else if err != nil {
//		return err
//	}
func LinkDeleted(link *Link, err error) bool {
	if err != nil {
		return errors.Is(err, facade.ErrLinkDeleted)
	}
	return link != nil && link.State == gen.PublicLinkStateDeleted
}

// Update changes a link's webhook or tags (PATCH /links/{id}); build req
// with NewLinkUpdate. At least one change is required.
func (s *LinksService) Update(ctx context.Context, linkID string, req *LinkUpdateRequest, opts ...facade.CallOption) (*Link, error) {
	if req == nil || (req.LinkTags == nil && req.Tags == nil && !req.Webhook.IsSpecified()) {
		return nil, transport.Invalid(s.t, gen.OpUpdateLink, facade.Violation{Rule: "required", Message: "at least one change (SetWebhook, RemoveWebhook, SetLinkTags) is required"})
	}
	return transport.Do[Link](ctx, s.t, gen.OpUpdateLink, transport.Call{Path: []string{linkID}, Body: req}, opts)
}

// Delete disconnects a link (DELETE /links/{id}).
func (s *LinksService) Delete(ctx context.Context, linkID string, opts ...facade.CallOption) error {
	_, err := transport.Do[struct{}](ctx, s.t, gen.OpDeleteLink, transport.Call{Path: []string{linkID}}, opts)
	return err
}

// LinksParams selects a page of GET /links.
type LinksParams struct {
	// Cursor is where to start: "" for the first page, or a previous page's next_cursor.
	Cursor string
	// Limit is the page size, 500 to 5000 (0 means 1000).
	Limit int
}

// List returns one page of the application's active links (GET /links).
func (s *LinksService) List(ctx context.Context, p LinksParams, opts ...facade.CallOption) (*GetLinksResponse, error) {
	q := transport.Query{}.Str("cursor", p.Cursor).Int("limit", p.Limit)
	return transport.Do[GetLinksResponse](ctx, s.t, gen.OpGetLinks, transport.Call{Query: q}, opts)
}

// Pager returns a lazy pager over every active link of the application.
func (s *LinksService) Pager(p LinksParams, opts ...facade.CallOption) *CursorPager[LinkSummary] {
	return newCursorPager(p.Cursor, func(ctx context.Context, cursor string) (cursorPage[LinkSummary], error) {
		q := p
		q.Cursor = cursor
		r, err := s.List(ctx, q, opts...)
		if err != nil {
			return cursorPage[LinkSummary]{}, err
		}
		return cursorPage[LinkSummary]{Items: r.Links, Next: r.NextCursor}, nil
	})
}

// Refresh asks MoneyKit to fetch the given products again (POST
// /links/{id}/products, at least one product). It answers once MoneyKit has
// accepted the request; the data arrives later, announced by a
// link.product_refresh webhook. MoneyKit throttles refreshes (accounts and
// transactions hourly, numbers and identity daily): too soon is
// facade.ErrRateLimited. The link is returned when MoneyKit sends it, nil otherwise.
func (s *LinksService) Refresh(ctx context.Context, linkID string, products []Product, opts ...facade.CallOption) (*Link, error) {
	body := &gen.RefreshProductsRequest{Products: append([]Product{}, products...)}
	l, err := transport.Do[Link](ctx, s.t, gen.OpRefreshProducts, transport.Call{Path: []string{linkID}, Body: body}, opts)
	if err != nil || l.LinkId == "" {
		return nil, err
	}
	return l, nil
}

// Reset forces a sandbox link into the error state auth_expired (POST
// /links/{id}/reset), to test reconnection.
func (s *LinksService) Reset(ctx context.Context, linkID string, opts ...facade.CallOption) (*Link, error) {
	return transport.Do[Link](ctx, s.t, gen.OpResetLink, transport.Call{Path: []string{linkID}}, opts)
}

// Import creates a link from accounts and transactions held elsewhere (POST
// /links/import). The link starts disconnected; the user reconnects it with
// a link session made WithExistingLink. MoneyKit documents no idempotency
// key, so a failed import is not replayed once MoneyKit may have seen it.
func (s *LinksService) Import(ctx context.Context, req *ImportLinkRequest, opts ...facade.CallOption) (*Link, error) {
	return transport.Do[Link](ctx, s.t, gen.OpImportLink, transport.Call{Body: req}, opts)
}

// ImportTransactions adds transactions to an imported link (POST
// /links/{id}/import/transactions). Like Import, it is not replayed.
func (s *LinksService) ImportTransactions(ctx context.Context, linkID string, txns []TransactionImportData, opts ...facade.CallOption) (*Link, error) {
	body := &gen.ImportTransactionsRequest{Transactions: append([]TransactionImportData{}, txns...)}
	return transport.Do[Link](ctx, s.t, gen.OpImportTransactions, transport.Call{Path: []string{linkID}, Body: body}, opts)
}
