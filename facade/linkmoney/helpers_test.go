package linkmoney

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/banklink/banklink/facade"
)

// fakeAPI is a loopback Link Money: it answers POST /v1/tokens itself and
// routes everything else to per-route handlers ("METHOD /path"), counting
// hits, bodies and token requests.
type fakeAPI struct {
	t   *testing.T
	srv *httptest.Server

	mu     sync.Mutex
	routes map[string]http.HandlerFunc
	hits   map[string]int
	bodies map[string][]string
	tokens atomic.Int64
}

func newFakeAPI(t *testing.T) *fakeAPI {
	t.Helper()
	f := &fakeAPI{t: t, routes: map[string]http.HandlerFunc{}, hits: map[string]int{}, bodies: map[string][]string{}}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeAPI) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	if r.Method == http.MethodPost && r.URL.Path == "/v1/tokens" {
		n := f.tokens.Add(1)
		jsonReply(http.StatusOK, fmt.Sprintf(`{"access_token":"tok-%d","token_type":"Bearer","expires_in":3600}`, n))(w, r)
		return
	}
	key := r.Method + " " + r.URL.Path
	f.mu.Lock()
	f.hits[key]++
	f.bodies[key] = append(f.bodies[key], string(body))
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

// bodiesOf returns the request bodies route received, in order.
func (f *fakeAPI) bodiesOf(route string) []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.bodies[route]...)
}

// requestsSeen counts every request the server received, token requests included.
func (f *fakeAPI) requestsSeen() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := int(f.tokens.Load())
	for _, h := range f.hits {
		n += h
	}
	return n
}

// linkMoney is a client of f whose retry waits return at once.
func (f *fakeAPI) linkMoney(opts ...facade.Option) *Client {
	f.t.Helper()
	base := []facade.Option{
		facade.WithCredentials("client_id_TESTID", "s3cr3t-SECRETVALUE"),
		facade.WithBaseURL(f.srv.URL),
		facade.WithWait(func(ctx context.Context, _ time.Duration) error { return ctx.Err() }),
	}
	lm, err := New(append(base, opts...)...)
	require.NoError(f.t, err)
	f.t.Cleanup(lm.CloseIdleConnections)
	return lm
}

// jsonReply answers status with a JSON body.
func jsonReply(status int, body string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_, _ = io.WriteString(w, body)
	}
}

// drop keeps only a call's error.
func drop[T any](_ T, err error) error { return err }

func mustJSON(t *testing.T, s string) map[string]any {
	t.Helper()
	var m map[string]any
	require.NoError(t, json.Unmarshal([]byte(s), &m))
	return m
}
