package transport_test

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"golang.org/x/time/rate"

	"github.com/banklink/banklink/facade"
	"github.com/banklink/banklink/facade/linkmoney"
	"github.com/banklink/banklink/facade/moneykit"
	"github.com/banklink/banklink/internal/testkit"
)

// fakeAPI is a testkit.FakeAPI: an httptest server that answers both
// providers' token endpoints and routes everything else to per-route
// handlers, counting hits.
type fakeAPI struct {
	*testkit.FakeAPI
	t *testing.T
}

func newFakeAPI(t *testing.T) *fakeAPI {
	t.Helper()
	return &fakeAPI{testkit.NewFakeAPI(t), t}
}

// newMemFakeAPI is newFakeAPI on an in-memory network (internal/memnet), for
// tests inside a synctest bubble: its clients (moneyKit, linkMoney,
// realWaitMoneyKit) dial it through memory, so every wait of a call, the
// server's included, is on the bubble's fake clock. Call it inside the bubble.
func newMemFakeAPI(t *testing.T) *fakeAPI {
	t.Helper()
	return &fakeAPI{testkit.NewMemFakeAPI(t), t}
}

// waits records every wait and returns at once.
type waits struct {
	mu sync.Mutex
	ds []time.Duration
}

func (w *waits) wait(ctx context.Context, d time.Duration) error {
	w.mu.Lock()
	w.ds = append(w.ds, d)
	w.mu.Unlock()
	return ctx.Err()
}

func (w *waits) all() []time.Duration {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]time.Duration(nil), w.ds...)
}

// moneyKit is a MoneyKit client of f. The fake API enforces no rate limits,
// and its clients' waits return at once: tests of the documented limits
// turn them back on with facade.WithDocumentedLimits.
func (f *fakeAPI) moneyKit(opts ...facade.Option) *moneykit.Client {
	f.t.Helper()
	return testkit.NewClient(f.t, moneykit.New, f.Options(opts...)...)
}

// linkMoney is a Link Money client of f, as moneyKit.
func (f *fakeAPI) linkMoney(opts ...facade.Option) *linkmoney.Client {
	f.t.Helper()
	return testkit.NewClient(f.t, linkmoney.New, f.Options(opts...)...)
}

// sequence answers with each handler in turn, repeating the last.
func sequence(hs ...http.HandlerFunc) http.HandlerFunc {
	var n atomic.Int64
	return func(w http.ResponseWriter, r *http.Request) {
		i := int(n.Add(1)) - 1
		if i >= len(hs) {
			i = len(hs) - 1
		}
		hs[i](w, r)
	}
}

// closedAddr is a loopback address nothing listens on, so dialling it fails.
func closedAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := l.Addr().String()
	require.NoError(t, l.Close())
	return addr
}

// roundTripFunc is a closure RoundTripper.
type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// newExhaustedLimiter allows one request per hour and has already spent it.
func newExhaustedLimiter() *rate.Limiter {
	l := rate.NewLimiter(rate.Every(time.Hour), 1)
	l.Allow()
	return l
}

const contentJSON = "application/json"

// maxResponseHeader is the bound facade's default HTTP client puts on an
// answer's header block.
var maxResponseHeader = int(facade.DefaultHTTPClient().Transport.(*http.Transport).MaxResponseHeaderBytes)

// txnPage is a page of GET /links/{id}/transactions with items transactions.
func txnPage(page, size, total, items int) string {
	const txn = `{"transaction_id":"t","account_id":"a","amount":"1.50","currency":"USD","date":"2024-01-02",` +
		`"pending":false,"type":"debit","enrichment":{"category":{"value":"shopping"},"subcategory":{"value":"other"}}}`
	its := strings.TrimSuffix(strings.Repeat(txn+",", items), ",")
	return fmt.Sprintf(`{"accounts":[],"link":%s,"page":%d,"size":%d,"total":%d,"transactions":[%s]}`, testkit.LinkJSON, page, size, total, its)
}
