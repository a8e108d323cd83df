package moneykit

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/banklink/banklink/facade"
	gen "github.com/banklink/banklink/gen/moneykit"
)

// pageScript is a loopback server answering GET /links from a script keyed by
// the cursor query parameter, and recording every cursor asked for.
type pageScript struct {
	srv *httptest.Server

	mu    sync.Mutex
	pages map[string]string // cursor → JSON body; a body of "500" answers 500
	asked []string
}

func newPageScript(t *testing.T, pages map[string]string) *pageScript {
	t.Helper()
	s := &pageScript{pages: pages}
	s.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c := r.URL.Query().Get("cursor")
		if c == "" {
			c = r.URL.Query().Get("page")
		}
		s.mu.Lock()
		s.asked = append(s.asked, c)
		body, ok := s.pages[c]
		s.mu.Unlock()
		switch {
		case !ok:
			http.Error(w, `{"error_code":"unknown_cursor","error_message":"no such page"}`, http.StatusUnprocessableEntity)
		case body == "500":
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusInternalServerError)
			_, _ = w.Write([]byte(`{"error_code":"api_error.internal","error_message":"boom"}`))
		default:
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write([]byte(body))
		}
	}))
	t.Cleanup(s.srv.Close)
	return s
}

func (s *pageScript) requests() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.asked...)
}

// get fetches a page and decodes it into T; non-2xx is an error naming the status.
func getJSON[T any](ctx context.Context, u string) (*T, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("HTTP %d", resp.StatusCode)
	}
	var v T
	if err := json.NewDecoder(resp.Body).Decode(&v); err != nil {
		return nil, err
	}
	return &v, nil
}

func linksFetch(base string) cursorFetch[GetLinksLink] {
	return func(ctx context.Context, cursor string) (cursorPage[GetLinksLink], error) {
		u := base + "/links"
		if cursor != "" {
			u += "?cursor=" + url.QueryEscape(cursor)
		}
		r, err := getJSON[GetLinksResponse](ctx, u)
		if err != nil {
			return cursorPage[GetLinksLink]{}, err
		}
		return cursorPage[GetLinksLink]{Items: r.Links, Next: r.NextCursor}, nil
	}
}

func linksBody(next string, ids ...string) string {
	type l struct {
		ID      string `json:"link_id"`
		Created string `json:"created_at"`
	}
	var ls []l
	for _, id := range ids {
		ls = append(ls, l{id, "2024-01-02T03:04:05Z"})
	}
	b, _ := json.Marshal(map[string]any{"links": ls, "next_cursor": next})
	return string(b)
}

func linkIDs(t *testing.T, seq func(func(GetLinksLink, error) bool), stopAfter int) ([]string, error) {
	t.Helper()
	var ids []string
	var last error
	for l, err := range seq {
		if err != nil {
			last = err
			break
		}
		ids = append(ids, l.LinkId)
		if len(ids) == stopAfter {
			break
		}
	}
	return ids, last
}

func TestCursorPagerFetchesLazily(t *testing.T) {
	s := newPageScript(t, map[string]string{
		"":   linksBody("c1", "a", "b"),
		"c1": linksBody("c2", "c", "d"),
		"c2": linksBody("", "e"),
	})
	ctx := context.Background()
	p := newCursorPager("", linksFetch(s.srv.URL))
	seq := p.All(ctx)
	assert.Empty(t, s.requests(), "making the pager and its iterator fetches nothing")

	ids, err := linkIDs(t, seq, 2)
	require.NoError(t, err)
	assert.Equal(t, []string{"a", "b"}, ids)
	assert.Equal(t, []string{""}, s.requests(), "the first page only, while its items last")
	assert.Equal(t, "c1", p.Cursor())

	ids, err = linkIDs(t, p.All(ctx), 0)
	require.NoError(t, err)
	assert.Equal(t, []string{"c", "d", "e"}, ids)
	assert.Equal(t, []string{"", "c1", "c2"}, s.requests())
	assert.Equal(t, "", p.Cursor(), "exhausted")
	assert.Equal(t, 3, p.Pages())
	assert.NoError(t, p.Err())

	// An exhausted pager fetches nothing more.
	ids, _ = linkIDs(t, p.All(ctx), 0)
	assert.Empty(t, ids)
	assert.Len(t, s.requests(), 3)
}

func TestCursorPagerBreakFetchesNothingMoreAndResumes(t *testing.T) {
	s := newPageScript(t, map[string]string{
		"":   linksBody("c1", "a", "b", "c"),
		"c1": linksBody("", "d"),
	})
	ctx := context.Background()
	p := newCursorPager("", linksFetch(s.srv.URL))
	ids, err := linkIDs(t, p.All(ctx), 1)
	require.NoError(t, err)
	assert.Equal(t, []string{"a"}, ids)
	assert.Equal(t, []string{""}, s.requests(), "break after the first item fetches nothing more")

	// Resuming yields the rest of the page, then the next one: nothing lost, nothing twice.
	ids, err = linkIDs(t, p.All(ctx), 0)
	require.NoError(t, err)
	assert.Equal(t, []string{"b", "c", "d"}, ids)
	assert.Equal(t, []string{"", "c1"}, s.requests())
}

func TestCursorPagerStopsOnRepeatedCursor(t *testing.T) {
	s := newPageScript(t, map[string]string{
		"":   linksBody("c1", "a"),
		"c1": linksBody("c2", "b"),
		"c2": linksBody("c1", "c"), // back to c1: following it would loop
	})
	p := newCursorPager("", linksFetch(s.srv.URL))
	ids, err := linkIDs(t, p.All(context.Background()), 0)
	assert.Equal(t, []string{"a", "b", "c"}, ids)
	require.ErrorIs(t, err, facade.ErrRepeatedCursor)
	require.ErrorIs(t, p.Err(), facade.ErrRepeatedCursor)
	assert.Equal(t, []string{"", "c1", "c2"}, s.requests(), "c1 is not fetched a second time")
}

func TestCursorPagerErrorMidway(t *testing.T) {
	s := newPageScript(t, map[string]string{
		"":   linksBody("c1", "a", "b"),
		"c1": "500",
	})
	p := newCursorPager("", linksFetch(s.srv.URL))
	var got []string
	var errs []error
	for l, err := range p.All(context.Background()) {
		if err != nil {
			errs = append(errs, err)
			continue // the iterator ends by itself after the error
		}
		got = append(got, l.LinkId)
	}
	assert.Equal(t, []string{"a", "b"}, got)
	require.Len(t, errs, 1, "the error is yielded once")
	assert.EqualError(t, errs[0], "HTTP 500")
	assert.Equal(t, errs[0], p.Err())
	assert.Equal(t, []string{"", "c1"}, s.requests())
	// A failed pager stays failed without fetching again.
	for range p.All(context.Background()) {
		t.Fatal("a failed pager yields nothing")
	}
	assert.Len(t, s.requests(), 2)
}

func TestCursorPagerInstitutionsStyle(t *testing.T) {
	inst := func(next string, ids ...string) string {
		var is []Institution
		for _, id := range ids {
			is = append(is, Institution{InstitutionId: id, Name: id, Country: "US", InstitutionIdAliases: []string{}})
		}
		b, _ := json.Marshal(GetInstitutionsResponse{Institutions: is, Cursors: Cursors{Next: next}})
		return string(b)
	}
	s := newPageScript(t, map[string]string{"": inst("after_b", "a", "b"), "after_b": inst("", "c")})
	p := newCursorPager("", func(ctx context.Context, cursor string) (cursorPage[Institution], error) {
		u := s.srv.URL + "/institutions"
		if cursor != "" {
			u += "?cursor=" + cursor
		}
		r, err := getJSON[GetInstitutionsResponse](ctx, u)
		if err != nil {
			return cursorPage[Institution]{}, err
		}
		return cursorPage[Institution]{Items: r.Institutions, Next: r.Cursors.Next}, nil
	})
	var ids []string
	for in, err := range p.All(context.Background()) {
		require.NoError(t, err)
		ids = append(ids, in.InstitutionId)
	}
	assert.Equal(t, []string{"a", "b", "c"}, ids)
	assert.Equal(t, []string{"", "after_b"}, s.requests(), "an absent cursors.next ends the list")
}

func txnsBody(total int, ids ...string) string {
	var ts []TransactionResponse
	for _, id := range ids {
		ts = append(ts, TransactionResponse{TransactionId: id, AccountId: "acc", Amount: "1.00", Type: "debit", Currency: "USD"})
	}
	b, _ := json.Marshal(map[string]any{"total": total, "page": 0, "size": len(ids), "transactions": ts})
	return string(b)
}

func pagesFrom(base string) pageFetch[TransactionResponse] {
	return func(ctx context.Context, page, size int) (numberedPage[TransactionResponse], error) {
		r, err := getJSON[GetTransactionsResponse](ctx, base+"/t?page="+strconv.Itoa(page)+"&size="+strconv.Itoa(size))
		if err != nil {
			return numberedPage[TransactionResponse]{}, err
		}
		return numberedPage[TransactionResponse]{Items: r.Transactions, Total: r.Total}, nil
	}
}

func TestPagePager(t *testing.T) {
	ctx := context.Background()
	t.Run("stops at the total, lazily", func(t *testing.T) {
		s := newPageScript(t, map[string]string{"1": txnsBody(4, "a", "b"), "2": txnsBody(4, "c", "d")})
		p := newPagePager(1, 2, pagesFrom(s.srv.URL))
		seq := p.All(ctx)
		assert.Empty(t, s.requests())
		var ids []string
		for tx, err := range seq {
			require.NoError(t, err)
			ids = append(ids, tx.TransactionId)
			if len(ids) == 1 {
				assert.Equal(t, []string{"1"}, s.requests())
			}
		}
		assert.Equal(t, []string{"a", "b", "c", "d"}, ids)
		assert.Equal(t, []string{"1", "2"}, s.requests(), "page 3 is never asked for: page 2 reached the total")
		assert.Equal(t, 2, p.Page())
		assert.True(t, p.Done())
	})
	t.Run("a short page ends the list even if the total grew", func(t *testing.T) {
		s := newPageScript(t, map[string]string{"1": txnsBody(3, "a", "b"), "2": txnsBody(99, "c")})
		p := newPagePager(1, 2, pagesFrom(s.srv.URL))
		n := 0
		for _, err := range p.All(ctx) {
			require.NoError(t, err)
			n++
		}
		assert.Equal(t, 3, n)
		assert.Equal(t, []string{"1", "2"}, s.requests())
	})
	t.Run("break, resume, error midway", func(t *testing.T) {
		s := newPageScript(t, map[string]string{"3": txnsBody(10, "e", "f"), "4": "500"})
		p := newPagePager(3, 2, pagesFrom(s.srv.URL))
		for range p.All(ctx) {
			break
		}
		assert.Equal(t, []string{"3"}, s.requests())
		var ids []string
		var gotErr error
		for tx, err := range p.All(ctx) {
			if err != nil {
				gotErr = err
				continue
			}
			ids = append(ids, tx.TransactionId)
		}
		assert.Equal(t, []string{"f"}, ids, "the item left by the break, then the failure")
		assert.EqualError(t, gotErr, "HTTP 500")
		assert.Equal(t, gotErr, p.Err())
		assert.Equal(t, 3, p.Page(), "the last page fetched successfully")
		assert.Equal(t, []string{"3", "4"}, s.requests())
	})
}

func syncBody(next string, hasMore bool, created, updated, removed []string) string {
	mk := func(ids []string) []TransactionResponse {
		out := []TransactionResponse{}
		for _, id := range ids {
			out = append(out, TransactionResponse{TransactionId: id, AccountId: "acc", Amount: "1.00", Type: "debit", Currency: "USD"})
		}
		return out
	}
	if removed == nil {
		removed = []string{}
	}
	b, _ := json.Marshal(TransactionSyncResponse{
		Transactions: gen.TransactionSync{Created: mk(created), Updated: mk(updated), Removed: removed},
		Cursor:       CursorPagination{Next: next}, HasMore: hasMore, Accounts: []AccountResponse{},
	})
	return string(b)
}

func syncFrom(base string) syncFetch {
	return func(ctx context.Context, cursor string) (*TransactionSyncResponse, error) {
		u := base + "/sync"
		if cursor != "" {
			u += "?cursor=" + cursor
		}
		return getJSON[TransactionSyncResponse](ctx, u)
	}
}

func TestTransactionSyncLoop(t *testing.T) {
	ctx := context.Background()
	s := newPageScript(t, map[string]string{
		"":   syncBody("s1", true, []string{"a", "b"}, nil, nil),
		"s1": syncBody("s2", false, []string{"c"}, []string{"a"}, []string{"b"}),
	})
	sync := newTransactionSync("", syncFrom(s.srv.URL))
	var cursors []string
	var created, updated, removed []string
	for b, err := range sync.All(ctx) {
		require.NoError(t, err)
		for _, tx := range b.Created {
			created = append(created, tx.TransactionId)
		}
		for _, tx := range b.Updated {
			updated = append(updated, tx.TransactionId)
		}
		removed = append(removed, b.Removed...)
		cursors = append(cursors, b.Cursor)
	}
	assert.Equal(t, []string{"a", "b", "c"}, created)
	assert.Equal(t, []string{"a"}, updated)
	assert.Equal(t, []string{"b"}, removed)
	assert.Equal(t, []string{"s1", "s2"}, cursors, "each batch carries the cursor to store after it")
	assert.Equal(t, "s2", sync.Cursor())
	assert.True(t, sync.Done())
	assert.Equal(t, []string{"", "s1"}, s.requests(), "stops when has_more is false")

	// Resuming from the stored cursor asks for exactly what follows it.
	s.mu.Lock()
	s.pages["s2"] = syncBody("s2", false, nil, nil, nil)
	s.mu.Unlock()
	again := newTransactionSync(sync.Cursor(), syncFrom(s.srv.URL))
	n := 0
	for b, err := range again.All(ctx) {
		require.NoError(t, err)
		assert.Empty(t, b.Created)
		n++
	}
	assert.Equal(t, 1, n)
	assert.Equal(t, []string{"", "s1", "s2"}, s.requests())
}

func TestTransactionSyncRepeatedCursorAndError(t *testing.T) {
	ctx := context.Background()
	t.Run("has_more with the same cursor", func(t *testing.T) {
		s := newPageScript(t, map[string]string{"": syncBody("s1", true, []string{"a"}, nil, nil), "s1": syncBody("s1", true, nil, nil, nil)})
		sync := newTransactionSync("", syncFrom(s.srv.URL))
		var last error
		for _, err := range sync.All(ctx) {
			last = err
		}
		require.ErrorIs(t, last, facade.ErrRepeatedCursor)
		require.ErrorIs(t, sync.Err(), facade.ErrRepeatedCursor)
		assert.Equal(t, []string{"", "s1"}, s.requests())
	})
	t.Run("error after a batch keeps the cursor of the applied batch", func(t *testing.T) {
		s := newPageScript(t, map[string]string{"": syncBody("s1", true, []string{"a"}, nil, nil), "s1": "500"})
		sync := newTransactionSync("", syncFrom(s.srv.URL))
		var stored string
		var gotErr error
		for b, err := range sync.All(ctx) {
			if err != nil {
				gotErr = err
				continue
			}
			stored = b.Cursor
		}
		assert.EqualError(t, gotErr, "HTTP 500")
		assert.True(t, errors.Is(sync.Err(), gotErr))
		assert.Equal(t, "s1", stored)
		assert.Equal(t, "s1", sync.Cursor(), "a retry resumes after the last applied batch")
	})
}
