// Package testkit is the test support shared by banklink's packages: a fake
// API for both providers, checks that every generated operation has a method
// and that a package links no heavy dependency, and the planted secrets with
// the sweep that looks for them in output. Only tests import it.
package testkit

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/banklink/banklink/facade"
	"github.com/banklink/banklink/internal/memnet"
)

// FakeAPI is an httptest server for both providers. It answers their token
// endpoints (POST /auth/token for MoneyKit, POST /v1/tokens for Link Money)
// unless a test routes them, and sends every other request to the handler
// of its route ("METHOD /path"), counting hits and keeping bodies and
// headers. A request with no route gets 418.
type FakeAPI struct {
	// Srv is the server; its URL is the clients' base URL.
	Srv *httptest.Server
	// HTTPClient dials Srv in memory (NewMemFakeAPI), or is nil for loopback TCP.
	HTTPClient *http.Client

	// Tokens counts the token requests the fake answered itself.
	Tokens atomic.Int64
	// TokenTTL is the expires_in, in seconds, of the tokens it issues (3600).
	TokenTTL atomic.Int64
	tokenSeq atomic.Int64

	mu      sync.Mutex
	routes  map[string]http.HandlerFunc
	hits    map[string]int
	bodies  map[string][]string
	headers map[string][]http.Header
}

// NewFakeAPI starts a FakeAPI on loopback TCP, closed when t ends.
func NewFakeAPI(t testing.TB) *FakeAPI {
	t.Helper()
	f := blankFakeAPI()
	f.Srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.Srv.Close)
	return f
}

// NewMemFakeAPI is NewFakeAPI on an in-memory network (internal/memnet), for
// tests inside a synctest bubble: clients built from ClientOptions dial it
// through memory, so every wait of a call, the server's included, is on the
// bubble's fake clock. Call it inside the bubble.
func NewMemFakeAPI(t testing.TB) *FakeAPI {
	t.Helper()
	f := blankFakeAPI()
	var l *memnet.Listener
	f.Srv, l = memnet.NewServer(t, http.HandlerFunc(f.serve))
	f.HTTPClient = memnet.Client(t, facade.DefaultHTTPClient(), l)
	return f
}

func blankFakeAPI() *FakeAPI {
	f := &FakeAPI{routes: map[string]http.HandlerFunc{}, hits: map[string]int{}, bodies: map[string][]string{}, headers: map[string][]http.Header{}}
	f.TokenTTL.Store(3600)
	return f
}

// URL is the server's base URL.
func (f *FakeAPI) URL() string { return f.Srv.URL }

// ClientOptions are the options every client of f starts from: the planted
// credentials, f's URL and, in memory, f's HTTP client.
func (f *FakeAPI) ClientOptions() []facade.Option {
	opts := []facade.Option{facade.WithCredentials(ClientID, ClientSecret), facade.WithBaseURL(f.Srv.URL)}
	if f.HTTPClient != nil {
		opts = append(opts, facade.WithHTTPClient(f.HTTPClient))
	}
	return opts
}

// Options are ClientOptions with retry waits that return at once, then opts.
func (f *FakeAPI) Options(opts ...facade.Option) []facade.Option {
	return append(append(f.ClientOptions(), facade.WithWait(NoWait)), opts...)
}

// NoWait is a retry wait that returns at once.
func NoWait(ctx context.Context, _ time.Duration) error { return ctx.Err() }

// NewClient builds a provider client with newClient (moneykit.New,
// linkmoney.New) and closes its idle connections when t ends.
func NewClient[C interface{ CloseIdleConnections() }](t testing.TB, newClient func(...facade.Option) (C, error), opts ...facade.Option) C {
	t.Helper()
	c, err := newClient(opts...)
	if err != nil {
		t.Fatalf("new client: %v", err)
	}
	t.Cleanup(c.CloseIdleConnections)
	return c
}

func (f *FakeAPI) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	r.Body = io.NopCloser(bytes.NewReader(body))
	key := r.Method + " " + r.URL.Path
	f.mu.Lock()
	h, routed := f.routes[key]
	if !routed && (r.URL.Path == "/auth/token" || r.URL.Path == "/v1/tokens") {
		f.mu.Unlock()
		f.token(w, r)
		return
	}
	f.hits[key]++
	f.bodies[key] = append(f.bodies[key], string(body))
	f.headers[key] = append(f.headers[key], r.Header.Clone())
	f.mu.Unlock()
	if !routed {
		http.Error(w, "no route "+key, http.StatusTeapot)
		return
	}
	h(w, r)
}

// token issues "tok-<n>", or "tok-<scope without dashes>-<n>" for a Link
// Money scope, with MoneyKit's 201 or Link Money's 200.
func (f *FakeAPI) token(w http.ResponseWriter, r *http.Request) {
	f.Tokens.Add(1)
	n := f.tokenSeq.Add(1)
	status := http.StatusCreated
	if r.URL.Path == "/v1/tokens" {
		status = http.StatusOK
	}
	tok := fmt.Sprintf("tok-%d", n)
	_ = r.ParseForm()
	if scope := r.PostForm.Get("scope"); scope != "" {
		tok = fmt.Sprintf("tok-%s-%d", strings.ReplaceAll(scope, "-", ""), n)
	}
	JSONReply(status, fmt.Sprintf(`{"access_token":%q,"token_type":"bearer","expires_in":%d}`, tok, f.TokenTTL.Load()))(w, r)
}

// Handle routes "METHOD /path" to h.
func (f *FakeAPI) Handle(route string, h http.HandlerFunc) {
	f.mu.Lock()
	f.routes[route] = h
	f.mu.Unlock()
}

// HitCount is how many requests route received.
func (f *FakeAPI) HitCount(route string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.hits[route]
}

// BodiesOf returns the request bodies route received, in order.
func (f *FakeAPI) BodiesOf(route string) []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.bodies[route]...)
}

// HeadersOf returns the request headers route received, in order.
func (f *FakeAPI) HeadersOf(route string) []http.Header {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]http.Header(nil), f.headers[route]...)
}

// RequestsSeen counts every request the server received, token requests included.
func (f *FakeAPI) RequestsSeen() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := int(f.Tokens.Load())
	for _, h := range f.hits {
		n += h
	}
	return n
}

// JSONReply answers status with a JSON body and optional header pairs.
func JSONReply(status int, body string, headers ...string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		for i := 0; i+1 < len(headers); i += 2 {
			w.Header().Set(headers[i], headers[i+1])
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_, _ = io.WriteString(w, body)
	}
}

// Drop keeps only a call's error.
func Drop[T any](_ T, err error) error { return err }

// LinkJSON is a connected MoneyKit link, mk_1 at Chase.
const LinkJSON = `{"link_id":"mk_1","institution_id":"chase","institution_name":"Chase","institution_avatar":"https://x/a.png","state":"connected","provider":"plaid","products":{},"available_products":["transactions"]}`

// MustJSON decodes a JSON object.
func MustJSON(t testing.TB, s string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		t.Fatalf("decode %q: %v", s, err)
	}
	return m
}

// ProviderAPI is a FakeAPI for the tests of one provider's package: Client
// builds that provider's clients of it.
type ProviderAPI[C interface{ CloseIdleConnections() }] struct {
	*FakeAPI
	t         testing.TB
	newClient func(...facade.Option) (C, error)
}

// NewProviderAPI starts a FakeAPI on loopback TCP for the clients newClient
// (moneykit.New, linkmoney.New) builds.
func NewProviderAPI[C interface{ CloseIdleConnections() }](t testing.TB, newClient func(...facade.Option) (C, error)) *ProviderAPI[C] {
	t.Helper()
	return &ProviderAPI[C]{NewFakeAPI(t), t, newClient}
}

// Client is a client of f whose retry waits return at once, with opts.
func (f *ProviderAPI[C]) Client(opts ...facade.Option) C {
	f.t.Helper()
	return NewClient(f.t, f.newClient, f.Options(opts...)...)
}
