package transport_test

import (
	"context"
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
	"github.com/banklink/banklink/facade/internal/transport"
	"github.com/banklink/banklink/facade/moneykit"
	"github.com/banklink/banklink/internal/memnet"
)

// Token fan-in: however many calls need a token at the same moment, banklink
// asks the token endpoint once. TestTokenSingleFlight (auth_test.go) checks
// this for 1,000 callers; BenchmarkTokenFanIn repeats it under `make bench`.

// fanInMode is the state of the token cache when a wave of calls starts.
type fanInMode string

const (
	// fanInCold: a new client, nothing cached.
	fanInCold fanInMode = "cold"
	// fanInExpired: the cached token is past its refresh point on the
	// client's clock, so every caller sees it expired before sending.
	fanInExpired fanInMode = "expired"
	// fanInRejected: the cached token is still fresh on the client's clock,
	// but the server has expired it: every caller that sends it gets MoneyKit's
	// 401 api_error.auth.expired_access_token.
	fanInRejected fanInMode = "rejected"
)

var fanInModes = []fanInMode{fanInCold, fanInExpired, fanInRejected}

// fanInCallers is how many concurrent calls make up one wave.
const fanInCallers = 1000

// fanInServer answers MoneyKit's POST /auth/token and GET /links/mk_1. Token
// n is "tok-<n>"; while a wave is being gathered, token requests are held
// until it is released. GET accepts only the newest token and answers any
// other with 401 api_error.auth.expired_access_token.
type fanInServer struct {
	srv     *httptest.Server
	tokens  atomic.Int64           // token requests served
	refused atomic.Int64           // GETs answered 401
	current atomic.Pointer[string] // the Authorization value GET accepts
	hold    atomic.Pointer[chan struct{}]
}

func (f *fanInServer) serve(w http.ResponseWriter, r *http.Request) {
	_, _ = io.Copy(io.Discard, r.Body)
	w.Header().Set("Content-Type", "application/json")
	switch {
	case r.Method == http.MethodPost && r.URL.Path == "/auth/token":
		n := f.tokens.Add(1)
		if h := f.hold.Load(); h != nil {
			<-*h
		}
		auth := fmt.Sprintf("Bearer tok-%d", n)
		f.current.Store(&auth)
		w.WriteHeader(http.StatusCreated)
		_, _ = fmt.Fprintf(w, `{"access_token":"tok-%d","token_type":"bearer","expires_in":3600}`, n)
	case r.Method == http.MethodGet && r.URL.Path == "/links/mk_1":
		if cur := f.current.Load(); cur == nil || r.Header.Get("Authorization") != *cur {
			f.refused.Add(1)
			w.WriteHeader(http.StatusUnauthorized)
			_, _ = io.WriteString(w, `{"error_code":"api_error.auth.expired_access_token","error_message":"Access token expired"}`)
			return
		}
		_, _ = io.WriteString(w, linkJSON)
	default:
		w.WriteHeader(http.StatusNotFound)
	}
}

// revoke makes the server refuse every token issued so far.
func (f *fanInServer) revoke() { f.current.Store(nil) }

// fakeClock is the client's clock, moved on by advance.
type fakeClock struct{ offset atomic.Int64 }

func (c *fakeClock) now() time.Time          { return time.Now().Add(time.Duration(c.offset.Load())) }
func (c *fakeClock) advance(d time.Duration) { c.offset.Add(int64(d)) }

// fanInRig is a fanInServer, a shared HTTP client and a clock for the
// MoneyKit clients of a run.
type fanInRig struct {
	srv   *fanInServer
	hc    *http.Client
	clock fakeClock
}

// newFanInRig serves on loopback TCP (the benchmark).
func newFanInRig(tb testing.TB) *fanInRig {
	tb.Helper()
	r := &fanInRig{srv: &fanInServer{}, hc: facade.DefaultHTTPClient()}
	r.srv.srv = httptest.NewServer(http.HandlerFunc(r.srv.serve))
	tb.Cleanup(r.srv.srv.Close)
	tb.Cleanup(r.hc.CloseIdleConnections)
	return r
}

// newMemFanInRig serves on an in-memory network, for a synctest bubble.
func newMemFanInRig(tb testing.TB) *fanInRig {
	tb.Helper()
	r := &fanInRig{srv: &fanInServer{}}
	var l *memnet.Listener
	r.srv.srv, l = memnet.NewServer(tb, http.HandlerFunc(r.srv.serve))
	r.hc = memnet.Client(tb, facade.DefaultHTTPClient(), l)
	return r
}

func (r *fanInRig) client(tb testing.TB) *moneykit.Client {
	tb.Helper()
	mk, err := moneykit.New(facade.WithCredentials(testClientID, testClientSecret), facade.WithBaseURL(r.srv.srv.URL),
		facade.WithHTTPClient(r.hc), transport.WithClock(r.clock.now), facade.WithoutDocumentedLimits())
	require.NoError(tb, err)
	return mk
}

// prepare brings mk (nil for a new client) into mode's state for the next
// wave and returns the client to call.
func (r *fanInRig) prepare(tb testing.TB, mode fanInMode, mk *moneykit.Client) *moneykit.Client {
	tb.Helper()
	if mode == fanInCold || mk == nil {
		mk = r.client(tb)
		if mode == fanInCold {
			return mk
		}
		_, err := mk.Links.Get(context.Background(), "mk_1") // cache a token
		require.NoError(tb, err)
	}
	switch mode {
	case fanInExpired:
		r.clock.advance(time.Hour) // the token lives 3600s
	case fanInRejected:
		r.srv.revoke()
	}
	return mk
}

// fanInResult is what one wave caused at the server.
type fanInResult struct {
	tokens  int64 // token requests
	refused int64 // GETs refused for an expired token
}

// wave makes callers concurrent mk.Links.Get calls. The token endpoint
// answers only once every caller has started and settle has returned, so
// the callers pile up behind one token request instead of finding a token
// already cached. In a synctest bubble settle is synctest.Wait: it returns
// once every caller is blocked, so all of them have joined the flight.
func (r *fanInRig) wave(mk *moneykit.Client, callers int, settle func()) (fanInResult, error) {
	tokens0, refused0 := r.srv.tokens.Load(), r.srv.refused.Load()
	release := make(chan struct{})
	r.srv.hold.Store(&release)
	var started, done sync.WaitGroup
	started.Add(callers)
	done.Add(callers)
	errs := make(chan error, callers)
	for range callers {
		go func() {
			defer done.Done()
			started.Done()
			if _, err := mk.Links.Get(context.Background(), "mk_1"); err != nil {
				errs <- err
			}
		}()
	}
	started.Wait()
	settle()
	r.srv.hold.Store(nil)
	close(release)
	done.Wait()
	close(errs)
	return fanInResult{tokens: r.srv.tokens.Load() - tokens0, refused: r.srv.refused.Load() - refused0}, <-errs
}

// checkFanIn reports what is wrong with a wave's result, or "".
func checkFanIn(mode fanInMode, res fanInResult) string {
	if res.tokens != 1 {
		return fmt.Sprintf("%s token: %d callers caused %d token requests, want exactly 1", mode, fanInCallers, res.tokens)
	}
	if mode != fanInRejected && res.refused != 0 {
		return fmt.Sprintf("%s token: %d calls were sent with a stale token", mode, res.refused)
	}
	return ""
}

// BenchmarkTokenFanIn runs waves of 1,000 concurrent calls on a cold, an
// expired (client clock) and a server-rejected token, and fails unless every
// wave causes exactly one token request. token-reqs/op is per wave; ns/op is
// the time of a whole wave, including a 20ms pause that lets the callers
// gather behind the held token request (real time: the benchmark measures
// loopback TCP, which a synctest bubble cannot use).
func BenchmarkTokenFanIn(b *testing.B) {
	for _, mode := range fanInModes {
		b.Run("mode="+string(mode), func(b *testing.B) {
			rig := newFanInRig(b)
			var mk *moneykit.Client
			var waves, tokens int64
			for b.Loop() {
				b.StopTimer()
				mk = rig.prepare(b, mode, mk)
				b.StartTimer()
				res, err := rig.wave(mk, fanInCallers, func() { time.Sleep(20 * time.Millisecond) })
				if err != nil {
					b.Fatal(err)
				}
				if msg := checkFanIn(mode, res); msg != "" {
					b.Fatal(msg)
				}
				waves++
				tokens += res.tokens
			}
			b.ReportMetric(float64(tokens)/float64(waves), "token-reqs/op")
		})
	}
}
