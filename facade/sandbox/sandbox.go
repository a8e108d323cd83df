package sandbox

import (
	"context"
	"crypto/ecdsa"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Fixed sandbox credentials.
const (
	MoneyKitClientID          = "sandbox_client_id"
	MoneyKitClientSecret      = "sandbox_client_secret"
	MoneyKitOtherClientID     = "sandbox_other_client_id"
	MoneyKitOtherClientSecret = "sandbox_other_client_secret"
	LinkMoneyClientID         = "lm_sandbox_client_id"
	LinkMoneyClientSecret     = "lm_sandbox_client_secret"
)

// DefaultTokenTTL is the lifetime of issued access tokens when Config.TokenTTL is zero.
const DefaultTokenTTL = time.Hour

// Config configures a Sandbox. The zero value is a working sandbox.
type Config struct {
	// Seed makes the sandbox reproducible. A non-zero seed draws every id,
	// token and signing key from a stream derived from it: two sandboxes with
	// the same seed, given the same calls in the same order (and the same
	// clock, see ClockStart), hand out the same link, account, transaction,
	// customer, payment and refund ids with the same data. Zero draws them
	// from crypto/rand. Fault injection follows the seed in both cases: the
	// same seed gives the same fault sequence per operation.
	Seed int64
	// TokenTTL is the lifetime of issued access tokens (default 1h). It is
	// reported in whole seconds, at least one.
	TokenTTL time.Duration
	// Clock is the sandbox's time source (default: the real clock). Token
	// expiry and rate-limit windows follow it; use NewFakeClock and
	// Sandbox.Advance to move time on in tests.
	Clock Clock
	// ClockStart, when Clock is nil and ClockStart is not zero, runs the
	// sandbox on a FakeClock set to ClockStart: time then moves only through
	// Advance (or POST /_sandbox/clock/advance), so that timestamps repeat.
	ClockStart time.Time
	// Faults injects faults per operationId ("getLink", "createPayment", ...;
	// "*" for every operation without its own entry).
	Faults map[string]Fault
	// Logf, if set, receives one line per notable event (injected faults,
	// rate limiting, authentication failures). It never receives secrets,
	// tokens or personal data.
	Logf func(format string, args ...any)
	// NoRateLimits turns the published rate limits off (for benchmarks).
	NoRateLimits bool
	// RequestLogLimit bounds the request log to the newest N entries.
	// Zero keeps every request; a negative value keeps none.
	RequestLogLimit int
}

// Fault describes the faults to inject into one operation.
//
// Each request to the operation is hit with probability Rate. A hit request
// first waits Latency, then fails in one of the enabled ways, chosen
// uniformly among: each status in Statuses, Drop (if set) and Truncate (if
// set). With none enabled a hit only adds latency.
type Fault struct {
	// Rate is the probability that a request is hit, from 0 to 1.
	Rate float64
	// Statuses are the error statuses to answer with, e.g. 500, 502, 503, 429.
	// The body is the provider's error shape.
	Statuses []int
	// RetryAfter, if positive, is sent on injected statuses as Retry-After
	// (whole seconds, rounded up) and Retry-After-Ms (milliseconds).
	RetryAfter time.Duration
	// Latency is added before answering a hit request.
	Latency time.Duration
	// Drop closes the connection without a response.
	Drop bool
	// Truncate lets the request run, then writes the real status, headers
	// (with the full Content-Length) and half of the body, and closes the
	// connection.
	Truncate bool
	// AfterHandling makes status and drop faults happen after the real
	// handler ran: its effects persist but its response is lost.
	AfterHandling bool
}

// Credentials are what a client needs to call one provider of the sandbox.
type Credentials struct {
	BaseURL      string
	ClientID     string
	ClientSecret string
}

// Sandbox is a running fake of MoneyKit and Link Money. It is safe for
// concurrent use.
type Sandbox struct {
	cfg      Config
	spec     *compiledSpec
	handler  http.Handler
	url      atomic.Pointer[string]
	offset   atomic.Int64 // added to a non-fake clock by Advance
	faults   atomic.Pointer[map[string]Fault]
	counters map[string]*atomic.Uint64 // per operationId, for fault decisions
	lim      *limiter
	ids      *idSource // ids, tokens and keys: random, or repeatable with Config.Seed

	mu sync.RWMutex // guards the provider state below
	mk mkState
	lm lmState

	logMu sync.Mutex
	log   []*Request

	mkApps  []*mkApp
	lmCreds [2]string

	wh *webhooks // webhook signing keys, subscriptions and deliveries

	pages pagesState // the customer pages' flows (connectui.go, lmui.go)
}

// New returns a sandbox that is not yet listening; serve Handler yourself, or
// use Start, Serve or ListenAndServe.
func New(cfg Config) *Sandbox {
	if cfg.TokenTTL <= 0 {
		cfg.TokenTTL = DefaultTokenTTL
	}
	if cfg.Clock == nil && !cfg.ClockStart.IsZero() {
		cfg.Clock = NewFakeClock(cfg.ClockStart)
	}
	if cfg.Clock == nil {
		cfg.Clock = realClock{}
	}
	spec, err := loadSpec()
	if err != nil {
		// The spec is embedded in the generated bindings; failing to load it
		// is a build defect, not a runtime condition.
		panic(fmt.Sprintf("sandbox: loading the embedded OpenAPI spec: %v", err))
	}
	s := &Sandbox{
		cfg:      cfg,
		spec:     spec,
		counters: make(map[string]*atomic.Uint64, len(spec.byID)),
		lim:      newLimiter(),
		ids:      newIDSource(cfg.Seed),
		mkApps: []*mkApp{
			{id: "app_sandbox", clientID: MoneyKitClientID, clientSecret: MoneyKitClientSecret},
			{id: "app_sandbox_other", clientID: MoneyKitOtherClientID, clientSecret: MoneyKitOtherClientSecret},
		},
		lmCreds: [2]string{LinkMoneyClientID, LinkMoneyClientSecret},
	}
	for id := range spec.byID {
		s.counters[id] = new(atomic.Uint64)
	}
	s.SetFaults(cfg.Faults)
	s.mk.init()
	s.lm.init()

	key, err := s.ids.signingKey()
	if err != nil {
		panic(fmt.Sprintf("sandbox: generating the webhook signing key: %v", err))
	}
	s.wh = newWebhooks(s, key)

	s.handler = s.buildHandler()
	empty := ""
	s.url.Store(&empty)
	return s
}

// jwkParts returns the key id and base64url coordinates of a P-256 public key.
func jwkParts(pub *ecdsa.PublicKey) (kid, x, y string) {
	raw, err := pub.Bytes() // 0x04 || X || Y
	if err != nil || len(raw) != 65 {
		panic("sandbox: encoding the webhook signing key")
	}
	sum := sha256.Sum256(raw)
	return "sandbox-" + hex.EncodeToString(sum[:8]), b64url(raw[1:33]), b64url(raw[33:65])
}

// Handler returns the sandbox's HTTP handler, which serves both providers and
// the control endpoints. Its base URL is whatever it is mounted at; tell the
// sandbox with SetURL if you serve it yourself.
func (s *Sandbox) Handler() http.Handler { return s.handler }

// Start runs a sandbox on 127.0.0.1 for the length of a test and closes it
// through tb.Cleanup. At most one Config is used.
func Start(tb testing.TB, cfg ...Config) *Sandbox {
	tb.Helper()
	var c Config
	if len(cfg) > 0 {
		c = cfg[0]
	}
	s := New(c)
	srv := httptest.NewServer(s.handler)
	s.SetURL(srv.URL)
	tb.Cleanup(srv.Close)
	return s
}

// ListenAndServe serves the sandbox on addr until ctx ends, then shuts the
// server down gracefully and returns nil. It returns early only if it cannot
// listen or serving fails.
func (s *Sandbox) ListenAndServe(ctx context.Context, addr string) error {
	ln, err := s.Listen(ctx, addr)
	if err != nil {
		return err
	}
	return s.Serve(ctx, ln)
}

// Listen opens a TCP listener on addr and sets URL from it, so that URL,
// Env and the credentials are ready before Serve starts.
func (s *Sandbox) Listen(ctx context.Context, addr string) (net.Listener, error) {
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	s.SetURL("http://" + urlHost(ln.Addr()))
	return ln, nil
}

// Limits of the server Serve runs, so that a slow or stalled client cannot
// hold a connection or a goroutine for ever. Request bodies are bounded at
// MaxBodyBytes by the handler itself.
const (
	ReadHeaderTimeout = 10 * time.Second
	ReadTimeout       = 30 * time.Second // headers and body
	WriteTimeout      = 60 * time.Second
	IdleTimeout       = 2 * time.Minute
	MaxHeaderBytes    = 64 << 10
	MaxBodyBytes      = maxBody
)

// Serve serves the sandbox on ln until ctx ends, then shuts the server down
// gracefully and returns nil. URL reflects ln's address (an unspecified host
// is reported as 127.0.0.1).
func (s *Sandbox) Serve(ctx context.Context, ln net.Listener) error {
	return s.ServeWrapped(ctx, ln, nil)
}

// ServeWrapped is Serve with the sandbox's handler wrapped by wrap (nil:
// not wrapped), for a server span or request log around every request.
func (s *Sandbox) ServeWrapped(ctx context.Context, ln net.Listener, wrap func(http.Handler) http.Handler) error {
	s.SetURL("http://" + urlHost(ln.Addr()))
	h := s.handler
	if wrap != nil {
		h = wrap(h)
	}
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: ReadHeaderTimeout,
		ReadTimeout:       ReadTimeout,
		WriteTimeout:      WriteTimeout,
		IdleTimeout:       IdleTimeout,
		MaxHeaderBytes:    MaxHeaderBytes,
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shutCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutCtx); err != nil {
		_ = srv.Close()
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// LoopbackAddr reports whether the listen address addr ("host:port") binds
// only to loopback: its host is an IP literal in 127.0.0.0/8 or ::1, or the
// exact name "localhost". An empty host, an unspecified address (0.0.0.0,
// [::]) and any other name are not.
func LoopbackAddr(addr string) (bool, error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false, err
	}
	if strings.EqualFold(host, "localhost") {
		return true, nil
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback(), nil
}

func urlHost(a net.Addr) string {
	host, port, err := net.SplitHostPort(a.String())
	if err != nil {
		return a.String()
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, port)
}

// URL returns the sandbox's base URL ("" until it serves or SetURL is called).
func (s *Sandbox) URL() string { return *s.url.Load() }

// SetURL sets the base URL reported by URL, MoneyKit, LinkMoney and Env, for
// a sandbox whose Handler is served by the caller.
func (s *Sandbox) SetURL(u string) {
	u = strings.TrimRight(u, "/")
	s.url.Store(&u)
}

// MoneyKit returns the MoneyKit base URL and the sandbox application's credentials.
func (s *Sandbox) MoneyKit() Credentials {
	return Credentials{BaseURL: s.URL() + "/moneykit", ClientID: MoneyKitClientID, ClientSecret: MoneyKitClientSecret}
}

// MoneyKitOtherApp returns credentials of a second MoneyKit application, whose
// tokens may not access the first application's links.
func (s *Sandbox) MoneyKitOtherApp() Credentials {
	return Credentials{BaseURL: s.URL() + "/moneykit", ClientID: MoneyKitOtherClientID, ClientSecret: MoneyKitOtherClientSecret}
}

// LinkMoney returns the Link Money base URL and the sandbox merchant's credentials.
func (s *Sandbox) LinkMoney() Credentials {
	return Credentials{BaseURL: s.URL() + "/linkmoney", ClientID: LinkMoneyClientID, ClientSecret: LinkMoneyClientSecret}
}

// Env returns the environment a banklink client reads, as KEY=VALUE strings:
// MONEYKIT_BASE_URL, MONEYKIT_CLIENT_ID, MONEYKIT_CLIENT_SECRET,
// LINKMONEY_BASE_URL, LINKMONEY_CLIENT_ID, LINKMONEY_CLIENT_SECRET.
func (s *Sandbox) Env() []string {
	mk, lm := s.MoneyKit(), s.LinkMoney()
	return []string{
		"MONEYKIT_BASE_URL=" + mk.BaseURL,
		"MONEYKIT_CLIENT_ID=" + mk.ClientID,
		"MONEYKIT_CLIENT_SECRET=" + mk.ClientSecret,
		"LINKMONEY_BASE_URL=" + lm.BaseURL,
		"LINKMONEY_CLIENT_ID=" + lm.ClientID,
		"LINKMONEY_CLIENT_SECRET=" + lm.ClientSecret,
	}
}

// Setenv sets the variables of Env for the length of the test.
func (s *Sandbox) Setenv(t testing.TB) {
	t.Helper()
	for _, kv := range s.Env() {
		k, v, _ := strings.Cut(kv, "=")
		t.Setenv(k, v)
	}
}

// SetFaults replaces the fault configuration (see Config.Faults). Operations
// keep their request counters, so the fault sequence stays deterministic.
func (s *Sandbox) SetFaults(faults map[string]Fault) {
	m := make(map[string]Fault, len(faults))
	for k, f := range faults {
		m[normalizeOpID(k)] = f
	}
	s.faults.Store(&m)
}

// Advance moves the sandbox clock on by d: a FakeClock is advanced, any other
// clock gets an offset. Webhook retries that fall due are then sent.
func (s *Sandbox) Advance(d time.Duration) {
	if fc, ok := s.cfg.Clock.(*FakeClock); ok {
		fc.Advance(d)
	} else {
		s.offset.Add(int64(d))
	}
	s.wh.kick()
}

// Now returns the sandbox clock's current time.
func (s *Sandbox) Now() time.Time {
	return s.cfg.Clock.Now().Add(time.Duration(s.offset.Load()))
}

func (s *Sandbox) logf(format string, args ...any) {
	if s.cfg.Logf != nil {
		s.cfg.Logf("sandbox: "+format, args...)
	}
}

// Clock is a time source.
type Clock interface {
	Now() time.Time
}

type realClock struct{}

func (realClock) Now() time.Time { return time.Now() }

// FakeClock is a Clock that moves only when told to. It is safe for concurrent use.
type FakeClock struct {
	mu  sync.Mutex
	now time.Time
}

// NewFakeClock returns a FakeClock set to start (or to 2024-01-01T00:00:00Z if start is zero).
func NewFakeClock(start time.Time) *FakeClock {
	if start.IsZero() {
		start = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	}
	return &FakeClock{now: start}
}

// Now returns the clock's time.
func (c *FakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Advance moves the clock on by d.
func (c *FakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// Set sets the clock's time.
func (c *FakeClock) Set(t time.Time) {
	c.mu.Lock()
	c.now = t
	c.mu.Unlock()
}
