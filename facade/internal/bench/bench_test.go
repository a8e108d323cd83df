package bench_test

// The benchmarks in this file measure what banklink costs over calling the
// providers by hand. BenchmarkOverhead makes the same three calls (MoneyKit
// GET /links/{id} and POST /link-session, Link Money POST /v2/sessions) three
// ways against one in-process server that answers canned JSON:
//
//   - client=raw: hand-written net/http and encoding/json (build the request,
//     set the headers, marshal the body, check the status, decode the
//     response struct, drain and close the body);
//   - client=generated: the bare generated client (gen/moneykit,
//     gen/linkmoney NewClientWithResponses) with a RequestEditorFn adding the
//     headers;
//   - client=facade: the MoneyKit and LinkMoney clients of this package, with
//     a warm token cache.
//
// All three send byte-identical requests (TestBenchClientsSendSameRequests
// checks this) through one shared *http.Client, facade.DefaultHTTPClient(),
// so the comparison isolates client-side work, not transport tuning. Each
// runs with one caller (conc=1) and with 64 concurrent callers (conc=64,
// b.SetParallelism(ceil(64/GOMAXPROCS))). The server runs in the same
// process: its time and allocations are included in every variant's figures
// alike, so differences between variants are client-side.
//
// The benchmarks run only with -bench (`make bench`, see BENCHMARKS.md); the
// tests in this file are part of the normal test pass.

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/banklink/banklink/facade"
	"github.com/banklink/banklink/facade/linkmoney"
	"github.com/banklink/banklink/facade/moneykit"
	genlm "github.com/banklink/banklink/gen/linkmoney"
	genmk "github.com/banklink/banklink/gen/moneykit"
	"github.com/banklink/banklink/internal/memnet"
)

// benchRound rotates the order in which BenchmarkOverhead runs the three
// clients, so that over several rounds each variant runs first, second and
// third equally often and slow drift of a shared machine affects all alike.
var benchRound = flag.Int("benchround", 0, "round number; rotates the order of BenchmarkOverhead's client variants")

// benchConcurrency is the number of concurrent callers in the parallel runs.
const benchConcurrency = 64

const (
	benchClientID     = "bench_client_id"
	benchClientSecret = "bench_client_secret"
	benchToken        = "bench-access-token-0123456789abcdef"
	benchLinkID       = "mk_eqkWN34UEoa2NxyALG8pcV"
	benchMissingLink  = "mk_missing"
	moneyKitVersion   = "2023-02-18"
)

var (
	benchUserAgent = "banklink-go/" + facade.Version
	benchBearer    = "Bearer " + benchToken
	benchBasic     = "Basic " + basicCredentials(benchClientID, benchClientSecret)
)

func basicCredentials(id, secret string) string {
	return base64.StdEncoding.EncodeToString([]byte(id + ":" + secret))
}

// Canned answers, shaped as the spec documents them.
var (
	benchLinkJSON = []byte(`{"link_id":"mk_eqkWN34UEoa2NxyALG8pcV","institution_id":"chase","institution_name":"Chase",` +
		`"institution_avatar":"https://example.com/avatar.png","state":"connected","last_synced_at":"2023-02-16T09:14:11",` +
		`"provider":"plaid","link_tags":["checking","primary"],"webhook":"https://example.com/webhook",` +
		`"products":{"accounts":{"refreshed_at":"2023-02-16T09:14:11","last_attempted_at":"2023-02-16T09:14:11"},` +
		`"account_numbers":{"refreshed_at":"2023-02-16T09:14:11","last_attempted_at":"2023-02-16T09:14:11"},` +
		`"transactions":{"refreshed_at":"2023-02-16T09:14:11","last_attempted_at":"2023-02-16T09:14:11","has_history":true}},` +
		`"available_products":["accounts","account_numbers","identity","transactions"]}`)
	benchLinkSessionJSON = []byte(`{"link_session_token":"sandbox_2b3f5c1e-9a47-4d0c-8e61-0c2d4a6f8b13"}`)
	benchSessionJSON     = []byte(`{"sessionKey":"a5292de413e-2626d8244239-879a9-ffbdfa2",` +
		`"sessionUrl":"https://client.link.money?redirect=https%3A%2F%2Fmerchant.example%2Freturn&version=web-v1.0.0&sessionKey=a5292de413e-2626d8244239-879a9-ffbdfa2"}`)
	benchMKTokenJSON = []byte(`{"access_token":"` + benchToken + `","token_type":"bearer","expires_in":3600}`)
	benchLMTokenJSON = []byte(`{"access_token":"` + benchToken + `","token_type":"Bearer","expires_in":3600,"scope":"Link-Core"}`)
	benchNotFound    = []byte(`{"error_code":"link_error.not_found","error_message":"Link not found.","documentation_url":"https://docs.genmk.com"}`)
	benchUnauthJSON  = []byte(`{"error_code":"api_error.auth.unauthorized","error_message":"Unauthorized."}`)
	contentTypeJSON  = []string{"application/json"}
)

// benchServer answers MoneyKit's token endpoint, GET /links/{id} and POST
// /link-session, and Link Money's token endpoint and POST /v2/sessions, with
// canned JSON. It checks the credentials and the MoneyKit-Version header (so
// no variant can skip them) and counts TCP connections and token requests.
type benchServer struct {
	*httptest.Server
	conns  atomic.Int64 // TCP connections accepted (http.StateNew)
	open   atomic.Int64 // connections open now
	peak   atomic.Int64 // most connections open at once
	tokens atomic.Int64 // token requests served

	// record, if set, sees every request with its body (tests only).
	record func(r *http.Request, body []byte)
}

func newBenchServer(tb testing.TB, record func(r *http.Request, body []byte)) *benchServer {
	tb.Helper()
	s := &benchServer{record: record}
	s.Server = httptest.NewUnstartedServer(http.HandlerFunc(s.serve))
	s.Config.ConnState = s.countConns
	s.Start()
	tb.Cleanup(s.Close)
	return s
}

// newMemBenchServer is a benchServer on an in-memory network (for a
// synctest bubble); clients dial it through the returned listener.
func newMemBenchServer(tb testing.TB) (*benchServer, *memnet.Listener) {
	tb.Helper()
	s := &benchServer{}
	l := memnet.Listen()
	s.Server = &httptest.Server{Listener: l, Config: &http.Server{Handler: http.HandlerFunc(s.serve), ConnState: s.countConns}}
	s.Start()
	tb.Cleanup(s.Close)
	return s, l
}

func (s *benchServer) countConns(_ net.Conn, st http.ConnState) {
	switch st {
	case http.StateNew:
		s.conns.Add(1)
		n := s.open.Add(1)
		for {
			p := s.peak.Load()
			if n <= p || s.peak.CompareAndSwap(p, n) {
				break
			}
		}
	case http.StateClosed, http.StateHijacked:
		s.open.Add(-1)
	}
}

func (s *benchServer) serve(w http.ResponseWriter, r *http.Request) {
	if s.record != nil {
		body, _ := io.ReadAll(r.Body)
		s.record(r, body)
	} else {
		_, _ = io.Copy(io.Discard, r.Body)
	}
	w.Header()["Content-Type"] = contentTypeJSON
	status, body := s.answer(r)
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

func (s *benchServer) answer(r *http.Request) (int, []byte) {
	auth := r.Header.Get("Authorization")
	mkVersion := r.Header.Get("MoneyKit-Version") == moneyKitVersion
	switch {
	case r.Method == http.MethodPost && r.URL.Path == "/auth/token":
		s.tokens.Add(1)
		return http.StatusCreated, benchMKTokenJSON
	case r.Method == http.MethodPost && r.URL.Path == "/v1/tokens":
		s.tokens.Add(1)
		return http.StatusOK, benchLMTokenJSON
	case r.Method == http.MethodGet && r.URL.Path == "/links/"+benchLinkID && auth == benchBearer && mkVersion:
		return http.StatusOK, benchLinkJSON
	case r.Method == http.MethodGet && r.URL.Path == "/links/"+benchMissingLink && auth == benchBearer && mkVersion:
		return http.StatusNotFound, benchNotFound
	case r.Method == http.MethodPost && r.URL.Path == "/link-session" && auth == benchBearer && mkVersion:
		return http.StatusCreated, benchLinkSessionJSON
	case r.Method == http.MethodPost && r.URL.Path == "/v2/sessions" && auth == benchBasic:
		return http.StatusOK, benchSessionJSON
	}
	return http.StatusUnauthorized, benchUnauthJSON
}

// benchLinkSession and benchSession are the request bodies every variant sends.
func benchLinkSession() *moneykit.LinkSessionRequest {
	return moneykit.NewLinkSession("user-4242", "https://app.example/oauth/callback",
		moneykit.WithWebhook("https://app.example/moneykit/webhook"),
		moneykit.WithLinkTags("checking"),
		moneykit.WithProducts(genmk.ProductAccounts, genmk.ProductTransactions))
}

func benchSession() *linkmoney.SessionRequest {
	return linkmoney.NewSession(linkmoney.SessionCustomer{FirstName: "Jane", LastName: "Doe", Email: "jane.doe@example.com"},
		"https://merchant.example/return")
}

// ------------------------------------------------------------------ raw

// rawClient is the baseline: what a careful hand-written client does per call.
type rawClient struct {
	hc         *http.Client
	base       string
	bearer     string
	basic      string
	userAgent  string
	linkSessBd *moneykit.LinkSessionRequest
	sessionBd  *linkmoney.SessionRequest
}

func (c *rawClient) do(req *http.Request, want int, out any) error {
	resp, err := c.hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != want {
		_, _ = io.Copy(io.Discard, resp.Body)
		return fmt.Errorf("status %d", resp.StatusCode)
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		return err
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	return nil
}

func (c *rawClient) getLink(ctx context.Context, id string) (*genmk.LinkCommon, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.base+"/links/"+url.PathEscape(id), nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("User-Agent", c.userAgent)
	req.Header.Set("Accept", "application/json")
	req.Header.Set("MoneyKit-Version", moneyKitVersion)
	req.Header.Set("Authorization", c.bearer)
	out := new(genmk.LinkCommon)
	return out, c.do(req, http.StatusOK, out)
}

func (c *rawClient) post(ctx context.Context, path string, in any, mk bool, auth string, want int, out any) error {
	body, err := json.Marshal(in)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.base+path, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", c.userAgent)
	req.Header.Set("Accept", "application/json")
	if mk {
		req.Header.Set("MoneyKit-Version", moneyKitVersion)
	}
	req.Header.Set("Authorization", auth)
	return c.do(req, want, out)
}

func (c *rawClient) createLinkSession(ctx context.Context) (*genmk.CreateLinkSessionResponse, error) {
	out := new(genmk.CreateLinkSessionResponse)
	return out, c.post(ctx, "/link-session", c.linkSessBd, true, c.bearer, http.StatusCreated, out)
}

func (c *rawClient) createSession(ctx context.Context) (*genlm.SessionResponse, error) {
	out := new(genlm.SessionResponse)
	return out, c.post(ctx, "/v2/sessions", c.sessionBd, false, c.basic, http.StatusOK, out)
}

// ------------------------------------------------------------ the rig

// benchRig holds the clients of the three variants, all on one *http.Client.
type benchRig struct {
	raw   *rawClient
	genMK *genmk.ClientWithResponses
	genLM *genlm.ClientWithResponses
	mk    *moneykit.Client
	lm    *linkmoney.Client

	linkSession *moneykit.LinkSessionRequest
	session     *linkmoney.SessionRequest
}

func newBenchRig(tb testing.TB, srv *benchServer) *benchRig {
	tb.Helper()
	hc := facade.DefaultHTTPClient()
	tb.Cleanup(hc.CloseIdleConnections)
	return newBenchRigWith(tb, srv.URL, hc)
}

// newBenchRigWith builds the clients of every variant for base on hc.
func newBenchRigWith(tb testing.TB, base string, hc *http.Client) *benchRig {
	tb.Helper()
	r := &benchRig{linkSession: benchLinkSession(), session: benchSession()}
	r.raw = &rawClient{hc: hc, base: base, bearer: benchBearer, basic: benchBasic, userAgent: benchUserAgent,
		linkSessBd: r.linkSession, sessionBd: r.session}

	headers := func(mk bool, auth string) func(context.Context, *http.Request) error {
		return func(_ context.Context, req *http.Request) error {
			req.Header.Set("User-Agent", benchUserAgent)
			req.Header.Set("Accept", "application/json")
			if mk {
				req.Header.Set("MoneyKit-Version", moneyKitVersion)
			}
			req.Header.Set("Authorization", auth)
			return nil
		}
	}
	var err error
	r.genMK, err = genmk.NewClientWithResponses(base, genmk.WithHTTPClient(hc),
		genmk.WithRequestEditorFn(headers(true, benchBearer)))
	require.NoError(tb, err)
	r.genLM, err = genlm.NewClientWithResponses(base, genlm.WithHTTPClient(hc),
		genlm.WithRequestEditorFn(headers(false, benchBasic)))
	require.NoError(tb, err)

	opts := []facade.Option{facade.WithCredentials(benchClientID, benchClientSecret), facade.WithBaseURL(base), facade.WithHTTPClient(hc),
		facade.WithoutDocumentedLimits()}
	r.mk, err = moneykit.New(opts...)
	require.NoError(tb, err)
	r.lm, err = linkmoney.New(opts...)
	require.NoError(tb, err)
	return r
}

// benchCall is one operation done by one client variant.
type benchCall func(ctx context.Context) error

type benchOp struct {
	name    string
	clients [3]struct {
		name string
		call benchCall
	}
}

func (r *benchRig) ops() []benchOp {
	op := func(name string, raw, generated, fac benchCall) benchOp {
		o := benchOp{name: name}
		o.clients[0].name, o.clients[0].call = "raw", raw
		o.clients[1].name, o.clients[1].call = "generated", generated
		o.clients[2].name, o.clients[2].call = "facade", fac
		return o
	}
	return []benchOp{
		op("getLink",
			func(ctx context.Context) error { _, err := r.raw.getLink(ctx, benchLinkID); return err },
			func(ctx context.Context) error {
				res, err := r.genMK.GetLinkWithResponse(ctx, benchLinkID, nil)
				return genResult(res, err)
			},
			func(ctx context.Context) error { _, err := r.mk.Links.Get(ctx, benchLinkID); return err }),
		op("createLinkSession",
			func(ctx context.Context) error { _, err := r.raw.createLinkSession(ctx); return err },
			func(ctx context.Context) error {
				res, err := r.genMK.CreateLinkSessionWithResponse(ctx, nil, *r.linkSession)
				return genResult(res, err)
			},
			func(ctx context.Context) error { _, err := r.mk.LinkSessions.Create(ctx, r.linkSession); return err }),
		op("createSession",
			func(ctx context.Context) error { _, err := r.raw.createSession(ctx); return err },
			func(ctx context.Context) error {
				res, err := r.genLM.CreateSessionWithResponse(ctx, *r.session)
				return genResult(res, err)
			},
			func(ctx context.Context) error { _, err := r.lm.Sessions.Create(ctx, r.session); return err }),
	}
}

// genResult turns a generated *Result into an error unless it decoded a 2xx body.
func genResult[R interface {
	*genmk.GetLinkResult | *genmk.CreateLinkSessionResult | *genlm.CreateSessionResult
}](res R, err error) error {
	if err != nil {
		return err
	}
	var ok bool
	var status int
	switch r := any(res).(type) {
	case *genmk.GetLinkResult:
		ok, status = r.JSON200 != nil, r.StatusCode()
	case *genmk.CreateLinkSessionResult:
		ok, status = r.JSON201 != nil, r.StatusCode()
	case *genlm.CreateSessionResult:
		ok, status = r.JSON200 != nil, r.StatusCode()
	}
	if !ok {
		return fmt.Errorf("status %d", status)
	}
	return nil
}

// parallelism is the b.SetParallelism factor that gives benchConcurrency
// goroutines in RunParallel: 32 with GOMAXPROCS 2.
func parallelism() int {
	p := runtime.GOMAXPROCS(0)
	return (benchConcurrency + p - 1) / p
}

// warm makes n concurrent calls, so the token is cached and the connection
// pool holds n connections before timing starts.
func warm(tb testing.TB, n int, call benchCall) {
	tb.Helper()
	errs := make(chan error, n)
	for range n {
		go func() { errs <- call(context.Background()) }()
	}
	for range n {
		if err := <-errs; err != nil {
			tb.Fatal(err)
		}
	}
}

func runSerial(b *testing.B, call benchCall) {
	ctx := context.Background()
	warm(b, 1, call)
	b.ReportAllocs()
	cpu := startCPU()
	for b.Loop() {
		if err := call(ctx); err != nil {
			b.Fatal(err)
		}
	}
	cpu.report(b)
}

func runParallel(b *testing.B, call benchCall) {
	warm(b, benchConcurrency, call)
	b.ReportAllocs()
	b.SetParallelism(parallelism())
	cpu := startCPU()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		ctx := context.Background()
		for pb.Next() {
			if err := call(ctx); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.StopTimer()
	cpu.report(b)
}

// cpuMeter measures the process's CPU time over a benchmark run. Reported as
// cpu-ns/op, it is the client's and the in-process server's work per call,
// and is far less disturbed than ns/op by other processes competing for
// the machine's cores.
type cpuMeter struct {
	start time.Duration
	ok    bool
}

func startCPU() cpuMeter {
	t, ok := processCPU()
	return cpuMeter{start: t, ok: ok}
}

func (m cpuMeter) report(b *testing.B) {
	end, ok := processCPU()
	if m.ok && ok && b.N > 0 {
		b.ReportMetric(float64(end-m.start)/float64(b.N), "cpu-ns/op")
	}
}

// BenchmarkOverhead compares the facade with the generated client and with
// hand-written net/http for the same calls; see the comment at the top of
// this file. Names are op=<operation>/conc=<callers>/client=<variant>.
func BenchmarkOverhead(b *testing.B) {
	r := newBenchRig(b, newBenchServer(b, nil))
	for _, op := range r.ops() {
		b.Run("op="+op.name, func(b *testing.B) {
			for _, conc := range []int{1, benchConcurrency} {
				b.Run(fmt.Sprintf("conc=%d", conc), func(b *testing.B) {
					for i := range len(op.clients) {
						c := op.clients[(i+*benchRound)%len(op.clients)]
						b.Run("client="+c.name, func(b *testing.B) {
							if conc == 1 {
								runSerial(b, c.call)
							} else {
								runParallel(b, c.call)
							}
						})
					}
				})
			}
		})
	}
}

// cannedTransport answers every request in memory as benchServer would, so
// BenchmarkClientOnly measures the clients' own work: no sockets, no server.
type cannedTransport struct{ srv *benchServer }

func (t cannedTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Body != nil {
		_, _ = io.Copy(io.Discard, r.Body)
		_ = r.Body.Close()
	}
	status, body := t.srv.answer(r)
	return &http.Response{
		Status: http.StatusText(status), StatusCode: status, Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header:        http.Header{"Content-Type": contentTypeJSON},
		Body:          io.NopCloser(bytes.NewReader(body)),
		ContentLength: int64(len(body)),
		Request:       r,
	}, nil
}

// BenchmarkClientOnly runs BenchmarkOverhead's calls with one caller on a
// copy of facade.DefaultHTTPClient() whose transport answers in memory. With
// the network and the server gone, what remains is each client's own cost
// per call (building and validating the request, http.Client, decoding),
// free of the scheduling noise of loopback round trips. Names are
// op=<operation>/client=<variant>.
func BenchmarkClientOnly(b *testing.B) {
	hc := facade.DefaultHTTPClient()
	hc.Transport = cannedTransport{srv: &benchServer{}}
	r := newBenchRigWith(b, "http://127.0.0.1:9", hc)
	for _, op := range r.ops() {
		b.Run("op="+op.name, func(b *testing.B) {
			for i := range len(op.clients) {
				c := op.clients[(i+*benchRound)%len(op.clients)]
				b.Run("client="+c.name, func(b *testing.B) { runSerial(b, c.call) })
			}
		})
	}
}

// TestBenchClientsSendSameRequests keeps BenchmarkOverhead honest: for every
// operation, the three variants put the same request on the wire (method,
// path, headers, body) and succeed.
func TestBenchClientsSendSameRequests(t *testing.T) {
	type seen struct {
		method, path, body string
		header             http.Header
	}
	var mu sync.Mutex
	var got []seen
	srv := newBenchServer(t, func(r *http.Request, body []byte) {
		if r.URL.Path == "/auth/token" || r.URL.Path == "/v1/tokens" {
			return
		}
		mu.Lock()
		got = append(got, seen{r.Method, r.URL.Path, string(body), r.Header.Clone()})
		mu.Unlock()
	})
	r := newBenchRig(t, srv)
	for _, op := range r.ops() {
		t.Run(op.name, func(t *testing.T) {
			mu.Lock()
			got = nil
			mu.Unlock()
			for _, c := range op.clients {
				require.NoError(t, c.call(context.Background()), c.name)
			}
			mu.Lock()
			defer mu.Unlock()
			require.Len(t, got, len(op.clients))
			for i, c := range op.clients[1:] {
				require.Equal(t, got[0], got[i+1], "%s sends what raw sends", c.name)
			}
		})
	}
}

// ------------------------------------------------------- connection reuse

// reuseCalls runs goroutines × calls GET /links/{id} through mk; one call in
// seven asks for a missing link, so error answers are drained and their
// connections reused too.
func reuseCalls(mk *moneykit.Client, goroutines, calls int) error {
	var wg sync.WaitGroup
	errs := make(chan error, goroutines)
	for g := range goroutines {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx := context.Background()
			for i := range calls {
				id := benchLinkID
				if (g+i)%7 == 0 {
					id = benchMissingLink
				}
				_, err := mk.Links.Get(ctx, id)
				if id == benchMissingLink {
					if !errors.Is(err, facade.ErrLinkNotFound) {
						errs <- fmt.Errorf("missing link: got %v", err)
						return
					}
					continue
				}
				if err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	return <-errs
}

// newReuseClient is a MoneyKit client on banklink's default HTTP client (an
// empty connection pool) pointed at srv.
func newReuseClient(tb testing.TB, srv *benchServer) *moneykit.Client {
	tb.Helper()
	mk, err := moneykit.New(facade.WithCredentials(benchClientID, benchClientSecret), facade.WithBaseURL(srv.URL))
	require.NoError(tb, err)
	tb.Cleanup(mk.CloseIdleConnections)
	return mk
}

// BenchmarkConnectionReuse makes 64 goroutines × 10,000 calls through one
// facade client on the default HTTP client and counts the TCP connections
// the server accepted: at most 64 (DefaultMaxConnsPerHost). It reports conns
// (connections opened), peak-conns (most open at once), token-reqs and
// ns/call; each benchmark iteration is the whole 640,000-call run.
func BenchmarkConnectionReuse(b *testing.B) {
	const goroutines, calls = benchConcurrency, 10_000
	srv := newBenchServer(b, nil)
	mk := newReuseClient(b, srv)
	n := 0
	for b.Loop() {
		if err := reuseCalls(mk, goroutines, calls); err != nil {
			b.Fatal(err)
		}
		n++
	}
	conns := srv.conns.Load()
	b.ReportMetric(float64(conns), "conns")
	b.ReportMetric(float64(srv.peak.Load()), "peak-conns")
	b.ReportMetric(float64(srv.tokens.Load()), "token-reqs")
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(n*goroutines*calls), "ns/call")
	if conns > facade.DefaultMaxConnsPerHost {
		b.Fatalf("%d goroutines × %d calls opened %d connections (at most %d at once), want at most %d",
			goroutines, calls, conns, srv.peak.Load(), facade.DefaultMaxConnsPerHost)
	}
}

// TestConnectionReuse checks that 64 concurrent callers through one client
// on banklink's default HTTP client open at most 64 connections in all (so
// never more than 64 at once) and fetch one token: the pool keeps every
// connection it may open, and callers beyond 64 wait for a free one rather
// than dial. It runs in a synctest bubble on an in-memory network, dialling
// through a counting DialContext. On loopback TCP under a loaded machine
// net/http may replace a connection whose request write it has not seen
// finish within 50ms of the response (its maxWriteWaitBeforeConnReuse), a
// real-time race this test would only measure; on the bubble's clock no
// such timer fires while a write is still running, so the count is exact.
// BenchmarkConnectionReuse measures the same on loopback TCP.
func TestConnectionReuse(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv, l := newMemBenchServer(t)
		hc := memnet.Client(t, facade.DefaultHTTPClient(), l)
		mk, err := moneykit.New(facade.WithCredentials(benchClientID, benchClientSecret), facade.WithBaseURL(srv.URL), facade.WithHTTPClient(hc),
			facade.WithoutDocumentedLimits())
		require.NoError(t, err)
		require.NoError(t, reuseCalls(mk, benchConcurrency, 50))
		require.Positive(t, l.Dials())
		require.LessOrEqual(t, l.Dials(), int64(facade.DefaultMaxConnsPerHost), "connections dialled for %d callers × 50 calls", benchConcurrency)
		require.Equal(t, l.Dials(), srv.conns.Load(), "the server accepted every dial")
		require.LessOrEqual(t, srv.peak.Load(), int64(facade.DefaultMaxConnsPerHost), "open at once")
		require.Equal(t, int64(1), srv.tokens.Load(), "one token for every caller")
	})
}

// BenchmarkCallOptions measures what the call options cost when used, on
// BenchmarkClientOnly's in-memory transport (client-side work only): GET
// /links/{id} with no option, with WithResponse, with a per-call
// WithHeader, with a pass-through middleware on the client and with the
// same middleware per call. Names are opts=<variant>.
func BenchmarkCallOptions(b *testing.B) {
	hc := facade.DefaultHTTPClient()
	hc.Transport = cannedTransport{srv: &benchServer{}}
	pass := func(r *http.Request, next facade.Next) (*http.Response, error) { return next(r) }
	r := newBenchRigWith(b, "http://127.0.0.1:9", hc)
	mw, err := moneykit.New(facade.WithCredentials(benchClientID, benchClientSecret),
		facade.WithBaseURL("http://127.0.0.1:9"), facade.WithHTTPClient(hc), facade.WithMiddleware(pass))
	require.NoError(b, err)
	var resp facade.Response
	header := facade.WithHeader("X-Tenant", "bench")
	perCall := facade.WithMiddleware(pass)
	for _, v := range []struct {
		name string
		call benchCall
	}{
		{"none", func(ctx context.Context) error { _, err := r.mk.Links.Get(ctx, benchLinkID); return err }},
		{"response", func(ctx context.Context) error {
			_, err := r.mk.Links.Get(ctx, benchLinkID, facade.WithResponse(&resp))
			return err
		}},
		{"header", func(ctx context.Context) error { _, err := r.mk.Links.Get(ctx, benchLinkID, header); return err }},
		{"client-middleware", func(ctx context.Context) error { _, err := mw.Links.Get(ctx, benchLinkID); return err }},
		{"call-middleware", func(ctx context.Context) error { _, err := r.mk.Links.Get(ctx, benchLinkID, perCall); return err }},
	} {
		b.Run("opts="+v.name, func(b *testing.B) { runSerial(b, v.call) })
	}
}
