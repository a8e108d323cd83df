package facade_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/banklink/banklink/facade"
	"github.com/banklink/banklink/facade/linkmoney"
	"github.com/banklink/banklink/facade/moneykit"
)

// fakeAPI is a loopback server for both providers: it answers their token
// endpoints (unless a test routes them) and sends everything else to
// per-route handlers ("METHOD /path"), counting hits.
type fakeAPI struct {
	t   *testing.T
	srv *httptest.Server

	mu     sync.Mutex
	routes map[string]http.HandlerFunc
	hits   map[string]int
	tokens int
}

func newFakeAPI(t *testing.T) *fakeAPI {
	t.Helper()
	f := &fakeAPI{t: t, routes: map[string]http.HandlerFunc{}, hits: map[string]int{}}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeAPI) serve(w http.ResponseWriter, r *http.Request) {
	_, _ = io.Copy(io.Discard, r.Body)
	key := r.Method + " " + r.URL.Path
	f.mu.Lock()
	h, routed := f.routes[key]
	token := r.URL.Path == "/auth/token" || r.URL.Path == "/v1/tokens"
	if token && !routed {
		f.tokens++
		n := f.tokens
		f.mu.Unlock()
		status := http.StatusCreated // MoneyKit's token answer
		if r.URL.Path == "/v1/tokens" {
			status = http.StatusOK
		}
		jsonReply(status, fmt.Sprintf(`{"access_token":"tok-%d","token_type":"bearer","expires_in":3600}`, n))(w, r)
		return
	}
	f.hits[key]++
	f.mu.Unlock()
	if !routed {
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

func (f *fakeAPI) options(opts []facade.Option) []facade.Option {
	return append([]facade.Option{
		facade.WithCredentials("client_id_TESTID", "s3cr3t-SECRETVALUE"),
		facade.WithBaseURL(f.srv.URL),
		facade.WithWait(func(ctx context.Context, _ time.Duration) error { return ctx.Err() }),
	}, opts...)
}

// moneyKit is a MoneyKit client of f whose retry waits return at once.
func (f *fakeAPI) moneyKit(opts ...facade.Option) *moneykit.Client {
	f.t.Helper()
	mk, err := moneykit.New(f.options(opts)...)
	require.NoError(f.t, err)
	f.t.Cleanup(mk.CloseIdleConnections)
	return mk
}

// linkMoney is a Link Money client of f whose retry waits return at once.
func (f *fakeAPI) linkMoney(opts ...facade.Option) *linkmoney.Client {
	f.t.Helper()
	lm, err := linkmoney.New(f.options(opts)...)
	require.NoError(f.t, err)
	f.t.Cleanup(lm.CloseIdleConnections)
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

// drop keeps only a call's error.
func drop[T any](_ T, err error) error { return err }
