package otelbanklink_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"

	"github.com/banklink/banklink/facade"
	"github.com/banklink/banklink/facade/linkmoney"
	"github.com/banklink/banklink/facade/moneykit"
	"github.com/banklink/banklink/facade/otelbanklink"
	"github.com/banklink/banklink/facade/sandbox"
)

// These tests run real clients, traced, against scripted servers and the
// sandbox; the waits go through WithWait, which records them and returns
// at once.

// waits records the waits a client asked for.
type waits struct {
	mu sync.Mutex
	d  []time.Duration
}

func (w *waits) wait(ctx context.Context, d time.Duration) error {
	w.mu.Lock()
	w.d = append(w.d, d)
	w.mu.Unlock()
	return ctx.Err()
}

func (r *rig) clientOptions(w *waits, base string) []facade.Option {
	return []facade.Option{
		facade.WithCredentials("client-id-e2e", "client-secret-e2e-0123456789"),
		facade.WithBaseURL(base),
		facade.WithWait(w.wait),
		facade.WithoutDocumentedLimits(),
		otelbanklink.WithTelemetry(r.opts()...),
	}
}

const mkTokenJSON = `{"access_token":"%s","token_type":"bearer","expires_in":3600}`

func eventAttrs(e sdktrace.Event) map[attribute.Key]attribute.Value {
	m := map[attribute.Key]attribute.Value{}
	for _, kv := range e.Attributes {
		m[kv.Key] = kv.Value
	}
	return m
}

func TestE2EThirdAttemptSucceeds(t *testing.T) {
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if r.URL.Path == "/auth/token" {
			w.WriteHeader(http.StatusCreated)
			_, _ = w.Write([]byte(strings.Replace(mkTokenJSON, "%s", "tok-e2e-1", 1)))
			return
		}
		switch n.Add(1) {
		case 1:
			w.Header().Set("X-Request-Id", "req-503")
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = w.Write([]byte(`{"error_code":"api_error.internal","error_message":"down"}`))
		case 2:
			w.Header().Set("X-Request-Id", "req-429")
			w.Header().Set("Retry-After", "2")
			w.WriteHeader(http.StatusTooManyRequests)
			_, _ = w.Write([]byte(`{"error_code":"api_error.rate_limit_exceeded","error_message":"slow down"}`))
		default:
			w.Header().Set("X-Request-Id", "req-ok")
			_, _ = w.Write(benchLinkJSON)
		}
	}))
	defer srv.Close()
	r := newRig(t)
	w := &waits{}
	mk, err := moneykit.New(r.clientOptions(w, srv.URL)...)
	require.NoError(t, err)
	_, err = mk.Links.Get(context.Background(), benchLinkID)
	require.NoError(t, err)

	calls := r.named("getLink")
	require.Len(t, calls, 1, "one parent span")
	call := calls[0]
	ca := attrs(call)
	assert.Equal(t, int64(3), ca["banklink.attempts"].AsInt64())
	assert.Equal(t, "req-ok", ca["banklink.request_id"].AsString())
	assert.Equal(t, codes.Unset, call.Status().Code)

	tries := r.named("GET /links/{id}")
	require.Len(t, tries, 3)
	for i, s := range tries {
		assert.Equal(t, call.SpanContext().SpanID(), s.Parent().SpanID())
		a := attrs(s)
		if i == 0 {
			assert.NotContains(t, a, attribute.Key("http.request.resend_count"))
		} else {
			assert.Equal(t, int64(i), a["http.request.resend_count"].AsInt64())
		}
		host, _, _ := strings.Cut(strings.TrimPrefix(srv.URL, "http://"), ":")
		assert.Equal(t, host, a["server.address"].AsString())
		assert.NotZero(t, a["server.port"].AsInt64())
	}
	assert.Equal(t, []int64{503, 429, 200}, []int64{
		attrs(tries[0])["http.response.status_code"].AsInt64(),
		attrs(tries[1])["http.response.status_code"].AsInt64(),
		attrs(tries[2])["http.response.status_code"].AsInt64(),
	})
	assert.Equal(t, "req-429", attrs(tries[1])["banklink.request_id"].AsString())

	var events []sdktrace.Event
	for _, e := range call.Events() {
		if e.Name == "banklink.wait" {
			events = append(events, e)
		}
	}
	require.Len(t, events, 2, "the waits are the call's events")
	assert.Equal(t, "backoff", eventAttrs(events[0])["banklink.wait.cause"].AsString())
	assert.Equal(t, w.d[0].Seconds(), eventAttrs(events[0])["banklink.wait.duration"].AsFloat64())
	assert.Equal(t, "retry_after", eventAttrs(events[1])["banklink.wait.cause"].AsString())
	assert.Equal(t, 2.0, eventAttrs(events[1])["banklink.wait.duration"].AsFloat64())
	require.Len(t, w.d, 2)
	assert.Equal(t, 2*time.Second, w.d[1])

	rm := r.collect(t)
	assert.Equal(t, int64(2), count(t, rm, "banklink.client.retries", attribute.String("banklink.operation", "getLink")))
	assert.Equal(t, int64(1), count(t, rm, "banklink.client.rate_limit.waits", attribute.String("banklink.wait.cause", "retry_after")))
}

func TestE2EExpiredTokenIsRefetched(t *testing.T) {
	var tokens atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if r.URL.Path == "/auth/token" {
			n := tokens.Add(1)
			w.WriteHeader(http.StatusCreated)
			_, _ = w.Write([]byte(strings.Replace(mkTokenJSON, "%s", map[int32]string{1: "tok-old", 2: "tok-new"}[n], 1)))
			return
		}
		if r.Header.Get("Authorization") != "Bearer tok-new" {
			w.WriteHeader(http.StatusUnauthorized)
			_, _ = w.Write([]byte(`{"error_code":"api_error.auth.expired_access_token","error_message":"expired"}`))
			return
		}
		_, _ = w.Write(benchLinkJSON)
	}))
	defer srv.Close()
	r := newRig(t)
	mk, err := moneykit.New(r.clientOptions(&waits{}, srv.URL)...)
	require.NoError(t, err)
	_, err = mk.Links.Get(context.Background(), benchLinkID)
	require.NoError(t, err)
	require.Equal(t, int32(2), tokens.Load())

	call := r.named("getLink")[0]
	toks := r.named("banklink.token")
	require.Len(t, toks, 2, "the first token, then the one fetched after the 401")
	for _, s := range toks {
		assert.Equal(t, call.SpanContext().SpanID(), s.Parent().SpanID(), "token fetches are the call's children")
		assert.Equal(t, "moneykit", attrs(s)["banklink.provider"].AsString())
	}
	tries := r.named("GET /links/{id}")
	require.Len(t, tries, 2)
	assert.Equal(t, int64(401), attrs(tries[0])["http.response.status_code"].AsInt64())
	assert.Equal(t, "401", attrs(tries[0])["error.type"].AsString())
	assert.Equal(t, int64(1), attrs(tries[1])["http.request.resend_count"].AsInt64())
	assert.Equal(t, int64(200), attrs(tries[1])["http.response.status_code"].AsInt64())
	assert.True(t, toks[1].StartTime().After(tries[0].EndTime()) || toks[1].StartTime().Equal(tries[0].EndTime()), "the second fetch follows the 401")
	assert.Equal(t, int64(2), count(t, r.collect(t), "banklink.client.token.fetches", attribute.String("banklink.provider", "moneykit")))
}

func TestE2EPaymentWithUnknownOutcome(t *testing.T) {
	var payments atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/v1/tokens" {
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write([]byte(`{"access_token":"tok-lm","token_type":"Bearer","expires_in":3600,"scope":"Link-Payment"}`))
			return
		}
		payments.Add(1)
		// The request arrived; the answer is lost.
		conn, _, err := http.NewResponseController(w).Hijack()
		if err == nil {
			_ = conn.Close()
		}
	}))
	defer srv.Close()
	r := newRig(t)
	lm, err := linkmoney.New(r.clientOptions(&waits{}, srv.URL)...)
	require.NoError(t, err)
	_, err = lm.Payments.Create(context.Background(), linkmoney.NewPayment("cus-1", "merchant-1", linkmoney.USD(1234)))
	require.Error(t, err)
	key := facade.IdempotencyKeyOf(err)
	require.NotEmpty(t, key)
	require.Equal(t, int32(3), payments.Load())

	calls := r.named("createPayment")
	require.Len(t, calls, 1)
	a := attrs(calls[0])
	assert.Equal(t, key, a["banklink.idempotency_key"].AsString())
	assert.True(t, a["banklink.outcome_unknown"].AsBool())
	assert.Equal(t, "transport_error", a["error.type"].AsString())
	assert.Equal(t, int64(3), a["banklink.attempts"].AsInt64())
	assert.Equal(t, codes.Error, calls[0].Status().Code)
	tries := r.named("POST /v1/payments")
	require.Len(t, tries, 3)
	for _, s := range tries {
		assert.Equal(t, "transport_error", attrs(s)["error.type"].AsString())
		assert.NotContains(t, attrs(s), attribute.Key("http.response.status_code"))
	}
}

func TestE2EPagersOneAttemptPerPageUnderTheCaller(t *testing.T) {
	sb := sandbox.Start(t, sandbox.Config{NoRateLimits: true})
	r := newRig(t)
	c := sb.MoneyKit()
	mk, err := moneykit.New(facade.WithCredentials(c.ClientID, c.ClientSecret), facade.WithBaseURL(c.BaseURL),
		facade.WithoutDocumentedLimits(), otelbanklink.WithTelemetry(r.opts()...))
	require.NoError(t, err)
	ctx := context.Background()
	sess, err := mk.LinkSessions.Create(ctx, moneykit.NewLinkSession("user-pager", "https://app.example/oauth",
		moneykit.WithProducts(moneykit.ProductTransactions)))
	require.NoError(t, err)
	exch, err := sb.CompleteLinkSession(sess.LinkSessionToken, sandbox.ConnectOptions{InstitutionID: "credentials_bank"})
	require.NoError(t, err)
	ex, err := mk.LinkSessions.Exchange(ctx, exch)
	require.NoError(t, err)
	link := ex.Link
	before := sandboxCount(sb, "getTransactions")

	caller, span := r.tp.Tracer("app").Start(ctx, "sync transactions")
	got := 0
	for _, err := range mk.Transactions.Pager(link.LinkId, moneykit.TransactionsParams{Size: 2}).All(caller) {
		require.NoError(t, err)
		got++
	}
	span.End()
	fetched := sandboxCount(sb, "getTransactions") - before
	require.GreaterOrEqual(t, fetched, 2, "the link's %d transactions span several pages of 2", got)

	var pages []sdktrace.ReadOnlySpan
	for _, s := range r.ended() {
		if s.Parent().SpanID() == span.SpanContext().SpanID() {
			pages = append(pages, s)
		}
	}
	require.Len(t, pages, fetched, "a call span per page fetched, each the caller's child")
	for _, p := range pages {
		assert.Equal(t, trace.SpanKindInternal, p.SpanKind())
		var tries int
		for _, s := range r.ended() {
			if s.Parent().SpanID() == p.SpanContext().SpanID() && s.SpanKind() == trace.SpanKindClient {
				tries++
				assert.Equal(t, "/links/{id}/transactions", attrs(s)["url.template"].AsString())
			}
		}
		assert.Equal(t, 1, tries, "one attempt span for page %s", p.Name())
	}
}

// sandboxCount is how many requests the sandbox saw for an operation.
func sandboxCount(sb *sandbox.Sandbox, op string) int {
	n := 0
	for _, q := range sb.Requests() {
		if q.Operation == op {
			n++
		}
	}
	return n
}

func TestE2EPaymentAcceptedWithoutAnswer(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/v1/tokens" {
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write([]byte(`{"access_token":"tok-lm","token_type":"Bearer","expires_in":3600,"scope":"Link-Payment"}`))
			return
		}
		w.Header().Set("X-Request-Id", "req-202")
		w.WriteHeader(http.StatusAccepted)
	}))
	defer srv.Close()
	r := newRig(t)
	lm, err := linkmoney.New(r.clientOptions(&waits{}, srv.URL)...)
	require.NoError(t, err)
	_, err = lm.Payments.Create(context.Background(), linkmoney.NewPayment("cus-1", "merchant-1", linkmoney.USD(1234)))
	require.ErrorIs(t, err, facade.ErrOutcomeUnknown)
	a := attrs(r.named("createPayment")[0])
	assert.Equal(t, "outcome_unknown", a["error.type"].AsString())
	assert.True(t, a["banklink.outcome_unknown"].AsBool())
	assert.Equal(t, facade.IdempotencyKeyOf(err), a["banklink.idempotency_key"].AsString())
	assert.Equal(t, "req-202", a["banklink.request_id"].AsString())
}

// TestE2EClientLogsCarryTheAttemptsSpan: an attempt's log record carries
// the trace and the attempt's own span, a child of the call's.
func TestE2EClientLogsCarryTheAttemptsSpan(t *testing.T) {
	srv := exampleServer()
	defer srv.Close()
	r := newRig(t)
	var buf syncBuffer
	// A plain handler: WithTelemetry wraps the client's logger itself.
	logger := slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	mk, err := moneykit.New(append(r.clientOptions(&waits{}, srv.URL), facade.WithLogger(logger))...)
	require.NoError(t, err)
	_, err = mk.Links.Get(context.Background(), benchLinkID)
	require.NoError(t, err)

	call := r.named("getLink")[0].SpanContext()
	attempt := r.named("GET /links/{id}")[0]
	require.Equal(t, call.SpanID(), attempt.Parent().SpanID(), "the attempt span is the call's child")
	var found bool
	for _, line := range strings.Split(strings.TrimSpace(buf.String()), "\n") {
		var rec map[string]any
		require.NoError(t, json.Unmarshal([]byte(line), &rec))
		if rec["operation"] != "getLink" {
			continue
		}
		found = true
		assert.NotContains(t, line, `"trace_id":"`+call.TraceID().String()+`","span_id":"`+attempt.SpanContext().SpanID().String()+`","trace_id"`, "the ids are added once")
		assert.Equal(t, call.TraceID().String(), rec["trace_id"])
		assert.Equal(t, attempt.SpanContext().SpanID().String(), rec["span_id"])
	}
	assert.True(t, found, "the call logged its attempt: %s", buf.String())
}

type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestE2EConcurrentCallsShareOneTracer(t *testing.T) {
	srv := benchServer(t)
	r := newRig(t)
	h := otelbanklink.Trace(r.opts()...)
	// Two clients share the hooks; their first calls race for the token.
	var clients []*moneykit.Client
	for range 2 {
		mk, err := moneykit.New(facade.WithCredentials("bench_client_id", "bench_client_secret"), facade.WithBaseURL(srv.URL), facade.WithTrace(h))
		require.NoError(t, err)
		clients = append(clients, mk)
	}
	var wg sync.WaitGroup
	for i := range 16 {
		wg.Go(func() {
			for range 5 {
				_, err := clients[i%2].Links.Get(context.Background(), benchLinkID)
				assert.NoError(t, err)
			}
		})
	}
	wg.Wait()
	calls := r.named("getLink")
	require.Len(t, calls, 80)
	tries := r.named("GET /links/{id}")
	require.Len(t, tries, 80)
	parents := map[trace.SpanID]int{}
	for _, s := range tries {
		parents[s.Parent().SpanID()]++
	}
	for _, c := range calls {
		assert.Equal(t, 1, parents[c.SpanContext().SpanID()], "each call has its one attempt")
	}
	assert.Len(t, r.named("banklink.token"), 2, "one token fetch per client")
}
