package transport_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
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
	"github.com/banklink/banklink/internal/memnet"
)

const (
	testClientID     = "client_id_TESTID"
	testClientSecret = "s3cr3t-SECRETVALUE"
)

// fakeAPI is an httptest server that answers both providers' token endpoints
// and routes everything else to per-route handlers, counting hits.
type fakeAPI struct {
	t   *testing.T
	srv *httptest.Server
	hc  *http.Client // in-memory client (newMemFakeAPI), or nil for loopback TCP

	mu       sync.Mutex
	routes   map[string]http.HandlerFunc // "METHOD /path"
	hits     map[string]int
	bodies   map[string][]string
	headers  map[string][]http.Header
	tokenSeq atomic.Int64
	tokenTTL atomic.Int64 // seconds
	tokens   atomic.Int64 // token requests served
}

func newFakeAPI(t *testing.T) *fakeAPI {
	t.Helper()
	f := blankFakeAPI(t)
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

// newMemFakeAPI is newFakeAPI on an in-memory network (internal/memnet), for
// tests inside a synctest bubble: its clients (moneyKit, linkMoney,
// realWaitMoneyKit) dial it through memory, so every wait of a call, the
// server's included, is on the bubble's fake clock. Call it inside the bubble.
func newMemFakeAPI(t *testing.T) *fakeAPI {
	t.Helper()
	f := blankFakeAPI(t)
	var l *memnet.Listener
	f.srv, l = memnet.NewServer(t, http.HandlerFunc(f.serve))
	f.hc = memnet.Client(t, facade.DefaultHTTPClient(), l)
	return f
}

func blankFakeAPI(t *testing.T) *fakeAPI {
	f := &fakeAPI{t: t, routes: map[string]http.HandlerFunc{}, hits: map[string]int{}, bodies: map[string][]string{}, headers: map[string][]http.Header{}}
	f.tokenTTL.Store(3600)
	return f
}

// clientOptions are the options every client of f starts from.
func (f *fakeAPI) clientOptions() []facade.Option {
	// The fake API enforces no rate limits, and its clients' waits return at
	// once: tests of the documented limits turn them back on with
	// facade.WithDocumentedLimits.
	opts := []facade.Option{facade.WithCredentials(testClientID, testClientSecret), facade.WithBaseURL(f.srv.URL)}
	if f.hc != nil {
		opts = append(opts, facade.WithHTTPClient(f.hc))
	}
	return opts
}

func (f *fakeAPI) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	r.Body = io.NopCloser(bytes.NewReader(body))
	key := r.Method + " " + r.URL.Path
	if r.URL.Path == "/auth/token" || r.URL.Path == "/v1/tokens" {
		f.mu.Lock()
		h, ok := f.routes[key]
		f.mu.Unlock()
		if ok {
			h(w, r)
			return
		}
		f.tokens.Add(1)
		n := f.tokenSeq.Add(1)
		w.Header().Set("Content-Type", "application/json")
		status := http.StatusCreated
		if r.URL.Path == "/v1/tokens" {
			status = http.StatusOK
		}
		w.WriteHeader(status)
		_ = r.ParseForm()
		_, _ = fmt.Fprintf(w, `{"access_token":"tok-%s-%d","token_type":"bearer","expires_in":%d}`, strings.ReplaceAll(r.PostForm.Get("scope"), "-", ""), n, f.tokenTTL.Load())
		return
	}
	f.mu.Lock()
	f.hits[key]++
	f.bodies[key] = append(f.bodies[key], string(body))
	f.headers[key] = append(f.headers[key], r.Header.Clone())
	h, ok := f.routes[key]
	f.mu.Unlock()
	if !ok {
		http.Error(w, "no route "+key, http.StatusTeapot)
		return
	}
	h(w, r)
}

func (f *fakeAPI) handle(route string, h http.HandlerFunc) {
	f.mu.Lock()
	f.routes[route] = h
	f.mu.Unlock()
}

func (f *fakeAPI) hitCount(route string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.hits[route]
}

func (f *fakeAPI) bodiesOf(route string) []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.bodies[route]...)
}

func (f *fakeAPI) headersOf(route string) []http.Header {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]http.Header(nil), f.headers[route]...)
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

func (f *fakeAPI) moneyKit(opts ...facade.Option) *moneykit.Client {
	f.t.Helper()
	base := append(f.clientOptions(), facade.WithWait((&waits{}).wait))
	mk, err := moneykit.New(append(base, opts...)...)
	require.NoError(f.t, err)
	return mk
}

func (f *fakeAPI) linkMoney(opts ...facade.Option) *linkmoney.Client {
	f.t.Helper()
	base := append(f.clientOptions(), facade.WithWait((&waits{}).wait))
	lm, err := linkmoney.New(append(base, opts...)...)
	require.NoError(f.t, err)
	return lm
}

// jsonReply answers status with a JSON body and optional header pairs.
func jsonReply(status int, body string, headers ...string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		for i := 0; i+1 < len(headers); i += 2 {
			w.Header().Set(headers[i], headers[i+1])
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_, _ = io.WriteString(w, body)
	}
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

const linkJSON = `{"link_id":"mk_1","institution_id":"chase","institution_name":"Chase","institution_avatar":"https://x/a.png","state":"connected","provider":"plaid","products":{},"available_products":["transactions"]}`

func mustJSON(t *testing.T, s string) map[string]any {
	t.Helper()
	var m map[string]any
	require.NoError(t, json.Unmarshal([]byte(s), &m))
	return m
}

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
	return fmt.Sprintf(`{"accounts":[],"link":%s,"page":%d,"size":%d,"total":%d,"transactions":[%s]}`, linkJSON, page, size, total, its)
}
