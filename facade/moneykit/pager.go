package moneykit

import (
	"context"
	"fmt"
	"iter"

	"github.com/banklink/banklink/facade"
)

// Pagination. MoneyKit pages its lists in three styles, and banklink has one
// pager per style rather than one per operation:
//
//   - next_cursor (GET /links): the page carries `next_cursor`, empty on the
//     last page. Read it with [CursorPager].
//   - cursors.next (GET /institutions): the page carries `cursors.next`,
//     absent on the last page. Also a [CursorPager]: the two differ only in
//     where the cursor sits, which the service method's fetch function maps.
//   - page and size (GET /links/{id}/transactions, /users/{id}/transactions,
//     investment transactions): numbered pages with a total. Read them with
//     [PagePager].
//
// Pagers are lazy: nothing is fetched until All is iterated, and each page is
// fetched only when the previous one has been consumed. Breaking out of the
// loop fetches nothing more; items of the current page that were not yet
// yielded are kept, so a later All continues exactly where the loop stopped,
// with nothing skipped and nothing repeated. The fetch function is a closure
// made by the service method: it copies the caller's parameters, sets the
// cursor or page on the copy (the caller's value is never changed) and passes
// the call's per-call options on every page fetch.

// cursorPage is one page of a cursor-paginated list: its items and the
// cursor of the next page, "" on the last page.
type cursorPage[T any] struct {
	Items []T
	Next  string
}

// cursorFetch fetches the page that starts at cursor ("" for the first page).
type cursorFetch[T any] func(ctx context.Context, cursor string) (cursorPage[T], error)

// CursorPager iterates a cursor-paginated list. It is not safe for
// concurrent use.
type CursorPager[T any] struct {
	pageState[T]
	fetch  cursorFetch[T]
	cursor string          // the cursor of the next page to fetch
	seen   map[string]bool // every cursor fetched so far
	pages  int
}

// pageState is the iteration both pagers share: the fetched items not yet
// yielded, and whether the list is exhausted or failed.
type pageState[T any] struct {
	pending []T
	done    bool
	err     error
}

// all yields the pending items, then asks next for another page (which sets
// done on the last one) until the list is exhausted, the loop breaks, or
// next fails: that error is yielded once with the zero item and kept.
func (s *pageState[T]) all(yield func(T, error) bool, next func() ([]T, error)) {
	for {
		for len(s.pending) > 0 {
			it := s.pending[0]
			s.pending = s.pending[1:]
			if !yield(it, nil) {
				return
			}
		}
		if s.done || s.err != nil {
			return
		}
		items, err := next()
		if err != nil {
			s.err = err
			var zero T
			yield(zero, err)
			return
		}
		s.pending = items
	}
}

// newCursorPager returns a pager that starts at cursor ("" for the first
// page) and fetches pages with fetch.
func newCursorPager[T any](cursor string, fetch cursorFetch[T]) *CursorPager[T] {
	return &CursorPager[T]{fetch: fetch, cursor: cursor, seen: map[string]bool{}}
}

// All yields every item, fetching pages as they are needed. On a failure it
// yields the zero item with the error once and stops; Err returns the same
// error afterwards.
func (p *CursorPager[T]) All(ctx context.Context) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		p.all(yield, func() ([]T, error) {
			if p.seen[p.cursor] {
				return nil, fmt.Errorf("%w: %q", facade.ErrRepeatedCursor, p.cursor)
			}
			p.seen[p.cursor] = true
			pg, err := p.fetch(ctx, p.cursor)
			if err != nil {
				return nil, err
			}
			p.pages++
			p.done = pg.Next == ""
			p.cursor = pg.Next
			return pg.Items, nil
		})
	}
}

// Err returns the error that stopped iteration, or nil.
func (p *CursorPager[T]) Err() error { return p.err }

// Cursor returns the cursor of the next page not yet fetched: "" when the
// list is exhausted. Together with the items a break left unyielded, it is
// where the pager resumes.
func (p *CursorPager[T]) Cursor() string { return p.cursor }

// Pages returns how many pages were fetched.
func (p *CursorPager[T]) Pages() int { return p.pages }

// numberedPage is one page of a page/size list.
type numberedPage[T any] struct {
	Items []T
	// Total is the number of items in the whole list, as the provider
	// reports it with each page.
	Total int
}

// pageFetch fetches page number page (from 1) of size items.
type pageFetch[T any] func(ctx context.Context, page, size int) (numberedPage[T], error)

// PagePager iterates a page/size list. It stops after the page that reaches
// the reported total, after a short or empty page, whichever comes first, so
// a total that changes while paging cannot make it loop. It is not safe for
// concurrent use.
type PagePager[T any] struct {
	pageState[T]
	fetch pageFetch[T]
	next  int // the next page to fetch
	size  int
	seen  int // items fetched so far
	last  int // the last page fetched, 0 before the first
}

// newPagePager returns a pager that starts at page first (1 when first < 1)
// and fetches size items per page.
func newPagePager[T any](first, size int, fetch pageFetch[T]) *PagePager[T] {
	return &PagePager[T]{fetch: fetch, next: max(first, 1), size: size}
}

// All yields every item, fetching pages as they are needed. On a failure it
// yields the zero item with the error once and stops; Err returns the same
// error afterwards.
func (p *PagePager[T]) All(ctx context.Context) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		p.all(yield, func() ([]T, error) {
			pg, err := p.fetch(ctx, p.next, p.size)
			if err != nil {
				return nil, err
			}
			p.last = p.next
			p.next++
			p.seen = (p.last-1)*p.size + len(pg.Items)
			p.done = len(pg.Items) == 0 || len(pg.Items) < p.size || p.seen >= pg.Total
			return pg.Items, nil
		})
	}
}

// Err returns the error that stopped iteration, or nil.
func (p *PagePager[T]) Err() error { return p.err }

// Page returns the number of the last page fetched, 0 before the first.
func (p *PagePager[T]) Page() int { return p.last }

// Done reports whether the last page has been fetched.
func (p *PagePager[T]) Done() bool { return p.done }

// SyncBatch is one response of GET /links/{id}/transactions/sync: what
// changed, and the cursor to store once the batch is applied.
type SyncBatch struct {
	Created []Transaction
	Updated []Transaction
	Removed []string // transaction ids
	// Cursor is where the next sync starts once this batch is applied.
	// Store it together with the batch's effects (in the same database
	// transaction), and a resumed sync has no gap and no duplicate.
	Cursor string
}

// syncFetch fetches the changes after cursor ("" for the whole history).
type syncFetch func(ctx context.Context, cursor string) (*TransactionSyncResponse, error)

// TransactionSync is the resumable transactions sync loop: it calls the sync
// endpoint with the cursor of the previous response while has_more is true.
// It is not safe for concurrent use.
//
// The right use is:
//
//	sync := mk.Transactions.Sync(linkID, savedCursor)
//	for batch, err := range sync.All(ctx) {
//		if err != nil {
//			return err // savedCursor, or the last stored batch.Cursor, resumes
//		}
//		if len(batch.Created) > 0 && !dropped {
//			dropPending(linkID) // MoneyKit's pending rule, below
//			dropped = true
//		}
//		apply(batch.Created, batch.Updated, batch.Removed)
//		store(batch.Cursor) // with the changes, atomically
//	}
//
// Pending transactions come only in Created and are replaced wholesale by
// each refresh (the package documentation states the rule): when a sync
// brings created transactions, the stored pending ones are dropped before
// the batches are applied, and the pending transactions the sync reports
// are the link's current ones.
type TransactionSync struct {
	fetch  syncFetch
	cursor string
	seen   map[string]bool
	done   bool
	err    error
}

// newTransactionSync returns a sync that starts after cursor.
func newTransactionSync(cursor string, fetch syncFetch) *TransactionSync {
	return &TransactionSync{fetch: fetch, cursor: cursor, seen: map[string]bool{}}
}

// All yields one batch per response until has_more is false. On a failure
// it yields an empty batch with the error once and stops.
func (s *TransactionSync) All(ctx context.Context) iter.Seq2[SyncBatch, error] {
	return func(yield func(SyncBatch, error) bool) {
		for !s.done && s.err == nil {
			if s.seen[s.cursor] {
				s.err = fmt.Errorf("%w: %q", facade.ErrRepeatedCursor, s.cursor)
				yield(SyncBatch{Cursor: s.cursor}, s.err)
				return
			}
			s.seen[s.cursor] = true
			r, err := s.fetch(ctx, s.cursor)
			if err != nil {
				s.err = err
				yield(SyncBatch{Cursor: s.cursor}, err)
				return
			}
			next := s.cursor
			if r.Cursor.Next != "" {
				next = r.Cursor.Next
			}
			if !r.HasMore {
				s.done = true
			}
			s.cursor = next
			b := SyncBatch{Created: r.Transactions.Created, Updated: r.Transactions.Updated, Removed: r.Transactions.Removed, Cursor: next}
			if !yield(b, nil) {
				return
			}
		}
	}
}

// Err returns the error that stopped the sync, or nil.
func (s *TransactionSync) Err() error { return s.err }

// Cursor returns the cursor after the last batch yielded: the one to store
// when every yielded batch has been applied.
func (s *TransactionSync) Cursor() string { return s.cursor }

// Done reports whether the sync reached has_more false.
func (s *TransactionSync) Done() bool { return s.done }
