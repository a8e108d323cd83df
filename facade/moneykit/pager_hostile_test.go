package moneykit

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/banklink/banklink/facade"
)

// Pagers and the transactions sync under hostile paging: cursors that
// repeat or cycle, lists that never end, empty pages that claim more, and
// page numbers at the edge of int.

const hostileTxn = `{"transaction_id":"t","account_id":"a","amount":"1.50","currency":"USD","date":"2024-01-02",` +
	`"pending":false,"type":"debit","enrichment":{"category":{"value":"shopping"},"subcategory":{"value":"other"}}}`

// cursorServer names the route, a page body with cursor next, and how to
// drain the pager or sync under test.
type cursorServer struct {
	name  string
	route string
	cur   func(r *http.Request) string
	page  func(next string) string // next "" is the last page
	drain func(ctx context.Context, mk *Client) (int, error)
}

var cursorServers = []cursorServer{
	{"Links.Pager", "GET /links", func(r *http.Request) string { return r.URL.Query().Get("cursor") },
		func(next string) string {
			return `{"links":[],"next_cursor":"` + next + `"}`
		},
		func(ctx context.Context, mk *Client) (int, error) {
			n := 0
			for _, err := range mk.Links.Pager(LinksParams{}).All(ctx) {
				if err != nil {
					return n, err
				}
				n++
			}
			return n, nil
		}},
	{"Institutions.Pager", "GET /institutions", func(r *http.Request) string { return r.URL.Query().Get("cursor") },
		func(next string) string {
			if next == "" {
				return `{"institutions":[],"cursors":{}}`
			}
			return `{"institutions":[],"cursors":{"next":"` + next + `"}}`
		},
		func(ctx context.Context, mk *Client) (int, error) {
			n := 0
			for _, err := range mk.Institutions.Pager(InstitutionsParams{}).All(ctx) {
				if err != nil {
					return n, err
				}
				n++
			}
			return n, nil
		}},
	{"Transactions.Sync", "GET /links/mk_1/transactions/sync", func(r *http.Request) string { return r.URL.Query().Get("cursor") },
		func(next string) string {
			return `{"accounts":[],"link":` + linkJSON + `,"cursor":{"next":"` + next + `"},"has_more":` +
				strconv.FormatBool(next != "") + `,"transactions":{"created":[],"updated":[],"removed":[]}}`
		},
		func(ctx context.Context, mk *Client) (int, error) {
			n := 0
			for _, err := range mk.Transactions.Sync("mk_1", "").All(ctx) {
				if err != nil {
					return n, err
				}
				n++
			}
			return n, nil
		}},
}

func TestHostilePagingCursorCycles(t *testing.T) {
	for _, cs := range cursorServers {
		for _, cycle := range [][]string{{"a"}, {"a", "b"}, {"a", "b", "c", "d", "e"}} {
			t.Run(fmt.Sprintf("%s/cycle of %d", cs.name, len(cycle)), func(t *testing.T) {
				f := newFakeAPI(t)
				// "" -> cycle[0] -> ... -> cycle[n-1] -> cycle[0]
				f.handle(cs.route, func(w http.ResponseWriter, r *http.Request) {
					next := cycle[0]
					for i, c := range cycle {
						if cs.cur(r) == c {
							next = cycle[(i+1)%len(cycle)]
						}
					}
					jsonReply(200, cs.page(next))(w, r)
				})
				_, err := cs.drain(context.Background(), f.moneyKit())
				require.ErrorIs(t, err, facade.ErrRepeatedCursor)
				assert.Equal(t, 1+len(cycle), f.hitCount(cs.route), "each cursor is fetched once")
			})
		}
		t.Run(cs.name+"/never ends", func(t *testing.T) {
			f := newFakeAPI(t)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			var n atomic.Int64
			const pages = 300
			// Empty pages, each with a new cursor, forever; the caller gives up after 300.
			f.handle(cs.route, func(w http.ResponseWriter, r *http.Request) {
				if n.Add(1) == pages {
					cancel()
				}
				jsonReply(200, cs.page("c"+strconv.FormatInt(n.Load(), 10)+strings.Repeat("x", 64)))(w, r)
			})
			_, err := cs.drain(ctx, f.moneyKit())
			require.ErrorIs(t, err, context.Canceled)
			var te *facade.TransportError
			require.ErrorAs(t, err, &te)
			assert.InDelta(t, pages, f.hitCount(cs.route), 1, "no page is fetched after the cancel")
		})
	}
}

func TestHostilePagingSyncWithoutNextCursor(t *testing.T) {
	f := newFakeAPI(t)
	// has_more true with no cursor to follow.
	f.handle("GET /links/mk_1/transactions/sync", jsonReply(200, `{"accounts":[],"link":`+linkJSON+
		`,"cursor":{},"has_more":true,"transactions":{"created":[],"updated":[],"removed":["t1"]}}`))
	sync := f.moneyKit().Transactions.Sync("mk_1", "saved")
	var batches int
	var last error
	for _, err := range sync.All(context.Background()) {
		if err != nil {
			last = err
			break
		}
		batches++
	}
	require.ErrorIs(t, last, facade.ErrRepeatedCursor)
	assert.Equal(t, 1, batches, "the one batch is delivered before the stop")
	assert.Equal(t, "saved", sync.Cursor(), "the stored cursor stays where it was")
	assert.Equal(t, 1, f.hitCount("GET /links/mk_1/transactions/sync"))
}

func txnPage(page, size, total, items int) string {
	its := strings.TrimSuffix(strings.Repeat(hostileTxn+",", items), ",")
	return fmt.Sprintf(`{"accounts":[],"link":%s,"page":%d,"size":%d,"total":%d,"transactions":[%s]}`, linkJSON, page, size, total, its)
}

func TestHostilePagingNumberedPages(t *testing.T) {
	const route = "GET /links/mk_1/transactions"
	t.Run("never ends", func(t *testing.T) {
		f := newFakeAPI(t)
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		var n atomic.Int64
		f.handle(route, func(w http.ResponseWriter, r *http.Request) {
			if n.Add(1) == 200 {
				cancel()
			}
			jsonReply(200, txnPage(int(n.Load()), 2, math.MaxInt, 2))(w, r)
		})
		items := 0
		var last error
		for _, err := range f.moneyKit().Transactions.Pager("mk_1", TransactionsParams{Size: 2}).All(ctx) {
			if err != nil {
				last = err
				break
			}
			items++
		}
		require.ErrorIs(t, last, context.Canceled)
		// The 200th answer races the cancel made just before it.
		assert.Contains(t, []int{398, 400}, items)
		assert.InDelta(t, 200, f.hitCount(route), 1)
	})
	t.Run("empty page claiming more", func(t *testing.T) {
		f := newFakeAPI(t)
		f.handle(route, jsonReply(200, txnPage(1, 50, 1000, 0)))
		items := 0
		for _, err := range f.moneyKit().Transactions.Pager("mk_1", TransactionsParams{}).All(context.Background()) {
			require.NoError(t, err)
			items++
		}
		assert.Zero(t, items)
		assert.Equal(t, 1, f.hitCount(route), "an empty page ends the list")
	})
	t.Run("more items than asked", func(t *testing.T) {
		f := newFakeAPI(t)
		f.handle(route, jsonReply(200, txnPage(1, 2, 3, 3)))
		items := 0
		for _, err := range f.moneyKit().Transactions.Pager("mk_1", TransactionsParams{Size: 2}).All(context.Background()) {
			require.NoError(t, err)
			items++
		}
		assert.Equal(t, 3, items)
		assert.Equal(t, 1, f.hitCount(route), "the reported total is reached")
	})
	t.Run("last page number", func(t *testing.T) {
		f := newFakeAPI(t)
		f.handle(route, jsonReply(200, txnPage(math.MaxInt, 1, math.MaxInt, 1)))
		var last error
		items := 0
		for _, err := range f.moneyKit().Transactions.Pager("mk_1", TransactionsParams{Page: math.MaxInt, Size: 1}).All(context.Background()) {
			if err != nil {
				last = err
				break
			}
			items++
		}
		assert.Zero(t, items)
		var ve *facade.ValidationError
		require.ErrorAs(t, last, &ve, "page %d is past the spec's bound", math.MaxInt)
		assert.Equal(t, "query/page", ve.Violations[0].Path)
		assert.Zero(t, f.requestsSeen(), "nothing is sent")
	})
}
