// Command loadgen measures how many MoneyKit GET /links/{id} requests per
// second a server answers: the banklink sandbox served standalone, or
// Stoplight Prism mocking api/openapi.yaml. `make bench-sandbox` runs it
// against both (bench-sandbox.sh) and compares them.
//
//	loadgen -url http://127.0.0.1:4010/moneykit -setup-sandbox [-concurrency 64 -duration 10s -warmup 2s]
//	loadgen -url http://127.0.0.1:4011 -link-id mk_eqkWN34UEoa2NxyALG8pcV
//
// Each of -concurrency workers sends GET {url}/links/{id} with a Bearer
// token and MoneyKit-Version: 2023-02-18 in a loop over its own keep-alive
// connection, reading every body to the end. By default the workers speak
// HTTP/1.1 themselves (h1.go), which costs a fraction of the CPU of Go's
// net/http client; -client nethttp uses net/http instead. Requests
// finished during -warmup are not counted. It prints the 2xx responses per
// second, the p50 and p99 latency of 2xx responses, and counts of other
// statuses and transport errors; -json writes the same as JSON.
//
// With -setup-sandbox it first creates a real link through the sandbox:
// an access token, a link session, the end user's part in Connect
// (/_sandbox/moneykit/connect) and the token exchange, so every measured
// GET answers 200 with that link. Otherwise -link-id and -token are sent as
// given (Prism accepts any Bearer token).
//
// Helpers for the orchestrating script:
//
//	loadgen -free-port                       print a free loopback TCP port
//	loadgen -wait URL [-wait-timeout 60s]    wait until URL answers HTTP at all
//	loadgen -compare [-min-ratio 20] [-strict] a.json b.json
//	                                         print both results and a's req/s ÷ b's
//	                                         against the target (-strict: exit 1 below it)
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/banklink/banklink/facade"
	"github.com/banklink/banklink/facade/moneykit"
	"github.com/banklink/banklink/facade/sandbox"
)

// Result is one load run, as printed and written with -json.
type Result struct {
	Name        string  `json:"name"`
	Concurrency int     `json:"concurrency"`
	Seconds     float64 `json:"seconds"` // measured span, after the warm-up
	OK          int64   `json:"ok"`      // 2xx responses
	OtherStatus int64   `json:"other_status"`
	Errors      int64   `json:"errors"` // transport errors
	RPS         float64 `json:"rps"`    // 2xx responses per second
	P50Millis   float64 `json:"p50_ms"`
	P99Millis   float64 `json:"p99_ms"`
}

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("loadgen", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var (
		baseURL      = fs.String("url", "", "MoneyKit base URL of the server under test (the sandbox's ends in /moneykit)")
		name         = fs.String("name", "", "label for the result (default: the URL's host)")
		concurrency  = fs.Int("concurrency", 64, "concurrent workers, each with its own connection")
		duration     = fs.Duration("duration", 10*time.Second, "how long to measure, after the warm-up")
		warmup       = fs.Duration("warmup", 2*time.Second, "how long to send load before measuring")
		setupSandbox = fs.Bool("setup-sandbox", false, "create a link and a token through the sandbox first")
		clientID     = fs.String("client-id", "sandbox_client_id", "MoneyKit client id for -setup-sandbox (the sandbox's fixed one by default)")
		clientSecret = fs.String("client-secret", "sandbox_client_secret", "MoneyKit client secret for -setup-sandbox")
		linkID       = fs.String("link-id", "mk_eqkWN34UEoa2NxyALG8pcV", "link id to GET when not set up through the sandbox")
		token        = fs.String("token", "loadgen", "Bearer token to send when not set up through the sandbox")
		jsonOut      = fs.String("json", "", "also write the result as JSON to this file")
		clientKind   = fs.String("client", "h1", "h1: the built-in HTTP/1.1 client (little CPU per request); nethttp: Go's net/http client")

		freePort    = fs.Bool("free-port", false, "print a free loopback TCP port and exit")
		waitURL     = fs.String("wait", "", "wait until this URL answers HTTP (any status) and exit")
		waitTimeout = fs.Duration("wait-timeout", 60*time.Second, "how long -wait waits")
		compare     = fs.Bool("compare", false, "compare two -json results given as arguments: first ÷ second")
		minRatio    = fs.Float64("min-ratio", 20, "with -compare, the req/s ratio the first should reach")
		strict      = fs.Bool("strict", false, "with -compare, exit 1 when the ratio is below -min-ratio")
	)
	if err := fs.Parse(args); err != nil {
		return 2
	}
	ctx := context.Background()
	switch {
	case *freePort:
		port, err := pickFreePort()
		if err != nil {
			fmt.Fprintln(stderr, "loadgen:", err)
			return 1
		}
		fmt.Fprintln(stdout, port)
		return 0
	case *waitURL != "":
		if err := waitReady(ctx, *waitURL, *waitTimeout); err != nil {
			fmt.Fprintln(stderr, "loadgen:", err)
			return 1
		}
		return 0
	case *compare:
		if fs.NArg() != 2 {
			fmt.Fprintln(stderr, "loadgen: -compare needs two result files")
			return 2
		}
		return compareResults(fs.Arg(0), fs.Arg(1), *minRatio, *strict, stdout, stderr)
	}

	if *baseURL == "" || *concurrency < 1 || *duration <= 0 || *warmup < 0 || (*clientKind != "h1" && *clientKind != "nethttp") {
		fmt.Fprintln(stderr, "loadgen: -url is required; -concurrency and -duration must be positive; -client is h1 or nethttp")
		return 2
	}
	base := strings.TrimRight(*baseURL, "/")
	if *name == "" {
		*name = base
	}
	id, bearer := *linkID, *token
	if *setupSandbox {
		var err error
		if id, bearer, err = setUpSandbox(ctx, base, *clientID, *clientSecret); err != nil {
			fmt.Fprintln(stderr, "loadgen: setting up the sandbox:", err)
			return 1
		}
	}
	lg := &loadGen{
		url:         base + "/links/" + url.PathEscape(id),
		auth:        "Bearer " + bearer,
		concurrency: *concurrency,
		client:      newHTTPClient(*concurrency),
	}
	defer lg.client.CloseIdleConnections()
	if *clientKind == "h1" {
		u, err := url.Parse(lg.url)
		if err == nil {
			lg.h1Addr = hostPort(u)
			lg.h1Request, err = newH1Request(u, "Authorization", lg.auth, "MoneyKit-Version", moneyKitVersion,
				"Accept", "application/json", "User-Agent", "banklink-loadgen")
		}
		if err != nil {
			fmt.Fprintln(stderr, "loadgen:", err)
			return 2
		}
	}
	if err := lg.probe(ctx); err != nil {
		fmt.Fprintln(stderr, "loadgen:", err)
		return 1
	}
	res := lg.run(*warmup, *duration)
	res.Name = *name
	printResult(stdout, res)
	if *jsonOut != "" {
		b, _ := json.MarshalIndent(res, "", "  ")
		if err := os.WriteFile(*jsonOut, append(b, '\n'), 0o644); err != nil {
			fmt.Fprintln(stderr, "loadgen:", err)
			return 1
		}
	}
	if res.OK == 0 || res.OtherStatus+res.Errors > res.OK/100 {
		fmt.Fprintf(stderr, "loadgen: %s: too many failed requests (%d other status, %d errors)\n", res.Name, res.OtherStatus, res.Errors)
		return 1
	}
	return 0
}

// newHTTPClient keeps one idle connection per worker, so every request
// after the first reuses a connection.
func newHTTPClient(conns int) *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConns = conns
	t.MaxIdleConnsPerHost = conns
	t.MaxConnsPerHost = conns
	return &http.Client{Transport: t, Timeout: 30 * time.Second}
}

// setUpSandbox creates a link in a standalone sandbox the way an application
// would (through banklink, with the sandbox playing the end user) and
// returns its id and an access token.
func setUpSandbox(ctx context.Context, base, clientID, clientSecret string) (linkID, token string, err error) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	mk, err := moneykit.New(facade.WithCredentials(clientID, clientSecret), facade.WithBaseURL(base))
	if err != nil {
		return "", "", err
	}
	defer mk.CloseIdleConnections()
	sess, err := mk.LinkSessions.Create(ctx, moneykit.NewLinkSession("loadgen-user", "https://app.example/oauth"))
	if err != nil {
		return "", "", err
	}
	exchangeable, err := sandbox.Connect(ctx, nil, base, sess.LinkSessionToken, sandbox.ConnectOptions{})
	if err != nil {
		return "", "", err
	}
	res, err := mk.LinkSessions.Exchange(ctx, exchangeable)
	if err != nil {
		return "", "", err
	}
	tok, err := mk.Auth.Token(ctx)
	if err != nil {
		return "", "", err
	}
	return res.Link.LinkId, tok.AccessToken, nil
}

const moneyKitVersion = "2023-02-18"

type loadGen struct {
	url, auth   string
	concurrency int
	client      *http.Client // net/http; always used for the probe
	h1Addr      string       // with the built-in client: host:port
	h1Request   []byte       // and the request's bytes
}

// worker returns the function one worker sends its requests with.
func (lg *loadGen) worker(ctx context.Context) (get func() (int, error), done func()) {
	if lg.h1Request == nil {
		return func() (int, error) { return lg.get(ctx) }, func() {}
	}
	c := &h1Conn{addr: lg.h1Addr, request: lg.h1Request}
	return c.get, c.close
}

// get sends one request through net/http and reads the whole answer.
func (lg *loadGen) get(ctx context.Context) (status int, err error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, lg.url, nil)
	if err != nil {
		return 0, err
	}
	req.Header["Authorization"] = []string{lg.auth}
	req.Header["Moneykit-Version"] = []string{moneyKitVersion}
	req.Header["Accept"] = []string{"application/json"}
	req.Header["User-Agent"] = []string{"banklink-loadgen"}
	resp, err := lg.client.Do(req)
	if err != nil {
		return 0, err
	}
	_, err = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode, err
}

// probe makes one request and fails unless it answers 2xx.
func (lg *loadGen) probe(ctx context.Context) error {
	status, err := lg.get(ctx)
	if err != nil {
		return fmt.Errorf("probe request: %w", err)
	}
	if status < 200 || status > 299 {
		return fmt.Errorf("probe request answered HTTP %d, want 2xx", status)
	}
	return nil
}

// worker counts of one goroutine, merged at the end.
type workerStats struct {
	ok, other, errs int64
	latencies       []time.Duration // of 2xx responses in the measured span
}

// run sends load for warmup+duration and measures the last duration.
func (lg *loadGen) run(warmup, duration time.Duration) Result {
	ctx := context.Background()
	var measuring, stop atomic.Bool
	stats := make([]workerStats, lg.concurrency)
	var wg sync.WaitGroup
	for i := range stats {
		st := &stats[i]
		st.latencies = make([]time.Duration, 0, 1<<14)
		wg.Add(1)
		get, done := lg.worker(ctx)
		go func() {
			defer wg.Done()
			defer done()
			for !stop.Load() {
				counted := measuring.Load()
				start := time.Now()
				status, err := get()
				if !counted || !measuring.Load() {
					continue // started in the warm-up or finished after the end
				}
				switch {
				case err != nil:
					st.errs++
				case status >= 200 && status <= 299:
					st.ok++
					st.latencies = append(st.latencies, time.Since(start))
				default:
					st.other++
				}
			}
		}()
	}
	time.Sleep(warmup)
	measuring.Store(true)
	begin := time.Now()
	time.Sleep(duration)
	measuring.Store(false)
	elapsed := time.Since(begin)
	stop.Store(true)
	wg.Wait()

	res := Result{Concurrency: lg.concurrency, Seconds: elapsed.Seconds()}
	var all []time.Duration
	for _, st := range stats {
		res.OK += st.ok
		res.OtherStatus += st.other
		res.Errors += st.errs
		all = append(all, st.latencies...)
	}
	res.RPS = float64(res.OK) / elapsed.Seconds()
	slices.Sort(all)
	res.P50Millis = millis(percentile(all, 0.50))
	res.P99Millis = millis(percentile(all, 0.99))
	return res
}

// percentile is the nearest-rank percentile of sorted durations.
func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(p*float64(len(sorted))+0.5) - 1
	return sorted[min(max(i, 0), len(sorted)-1)]
}

func millis(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func printResult(w io.Writer, r Result) {
	fmt.Fprintf(w, "%s: %d workers, %.1fs measured\n", r.Name, r.Concurrency, r.Seconds)
	fmt.Fprintf(w, "  2xx: %d  other status: %d  errors: %d\n", r.OK, r.OtherStatus, r.Errors)
	fmt.Fprintf(w, "  throughput: %.0f req/s   latency p50 %.2f ms, p99 %.2f ms\n", r.RPS, r.P50Millis, r.P99Millis)
}

func pickFreePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// waitReady polls url until it answers HTTP with any status.
func waitReady(ctx context.Context, url string, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	client := &http.Client{Timeout: 2 * time.Second}
	defer client.CloseIdleConnections()
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return err
		}
		resp, err := client.Do(req)
		if err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s did not answer within %v: %w", url, timeout, errors.Join(ctx.Err(), err))
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func readResult(path string) (Result, error) {
	var r Result
	b, err := os.ReadFile(path)
	if err != nil {
		return r, err
	}
	if err := json.Unmarshal(b, &r); err != nil {
		return r, fmt.Errorf("%s: %w", path, err)
	}
	return r, nil
}

// compareResults prints a Markdown table of two results and a's req/s ÷ b's.
// With strict, a ratio below minRatio is a failure (exit status 1).
func compareResults(pathA, pathB string, minRatio float64, strict bool, stdout, stderr io.Writer) int {
	a, err := readResult(pathA)
	if err != nil {
		fmt.Fprintln(stderr, "loadgen:", err)
		return 1
	}
	b, err := readResult(pathB)
	if err != nil {
		fmt.Fprintln(stderr, "loadgen:", err)
		return 1
	}
	fmt.Fprintln(stdout, "| server | workers | seconds | 2xx | other | errors | req/s | p50 ms | p99 ms |")
	fmt.Fprintln(stdout, "|---|--:|--:|--:|--:|--:|--:|--:|--:|")
	for _, r := range []Result{a, b} {
		fmt.Fprintf(stdout, "| %s | %d | %.1f | %d | %d | %d | %.0f | %.2f | %.2f |\n",
			r.Name, r.Concurrency, r.Seconds, r.OK, r.OtherStatus, r.Errors, r.RPS, r.P50Millis, r.P99Millis)
	}
	if b.RPS == 0 {
		fmt.Fprintf(stderr, "loadgen: %s has no successful requests to compare with\n", b.Name)
		return 1
	}
	ratio := a.RPS / b.RPS
	verdict := "met"
	if ratio < minRatio {
		verdict = "MISSED"
	}
	fmt.Fprintf(stdout, "\n%s ÷ %s: %.1f× the requests per second (target ≥ %g×: %s)\n", a.Name, b.Name, ratio, minRatio, verdict)
	if strict && ratio < minRatio {
		return 1
	}
	return 0
}
