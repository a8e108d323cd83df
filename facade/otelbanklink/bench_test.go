package otelbanklink_test

import (
	"context"
	"flag"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/banklink/banklink/facade"
	"github.com/banklink/banklink/facade/moneykit"
	"github.com/banklink/banklink/facade/otelbanklink"
)

// BenchmarkTelemetryOverhead (make bench; BENCHMARKS.md) times MoneyKit
// Links.Get with one caller against a loopback server, with and without
// WithTelemetry. Traced, every span is sampled and goes through the SDK's
// batch span processor to an exporter that discards it; the metrics are
// aggregated by the SDK for a reader that is never collected.
//
// The target, traced ÷ untraced ≤ 1.10, is read from the interleaved
// variant: each iteration makes one untraced call, one traced call and one
// through floorTrace (the SDK's own share), in rotating order, timing each,
// so that a shared machine's drift falls on all alike; it reports the
// times per call and the ratios to untraced. The
// untraced and traced variants run each client alone, for its allocations
// and the process's CPU time per call (cpu-ns/op).

var benchRound = flag.Int("benchround", 0, "rotate the variants' order by this round number (make bench)")

const (
	benchLinkID = "mk_eqkWN34UEoa2NxyALG8pcV"
	benchToken  = "bench-access-token-0123456789abcdef"
)

var benchLinkJSON = []byte(`{"link_id":"mk_eqkWN34UEoa2NxyALG8pcV","institution_id":"chase","institution_name":"Chase",` +
	`"institution_avatar":"https://example.com/avatar.png","state":"connected","last_synced_at":"2023-02-16T09:14:11",` +
	`"provider":"plaid","link_tags":["checking","primary"],"webhook":"https://example.com/webhook",` +
	`"products":{"accounts":{"refreshed_at":"2023-02-16T09:14:11","last_attempted_at":"2023-02-16T09:14:11"},` +
	`"transactions":{"refreshed_at":"2023-02-16T09:14:11","last_attempted_at":"2023-02-16T09:14:11","has_history":true}},` +
	`"available_products":["accounts","account_numbers","identity","transactions"]}`)

// benchServer answers MoneyKit's token endpoint and GET /links/{id}.
func benchServer(tb testing.TB) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header()["Content-Type"] = []string{"application/json"}
		switch {
		case r.Method == http.MethodPost && r.URL.Path == "/auth/token":
			w.WriteHeader(http.StatusCreated)
			_, _ = w.Write([]byte(`{"access_token":"` + benchToken + `","token_type":"bearer","expires_in":3600}`))
		case r.Method == http.MethodGet && r.URL.Path == "/links/"+benchLinkID && r.Header.Get("Authorization") == "Bearer "+benchToken:
			_, _ = w.Write(benchLinkJSON)
		default:
			w.WriteHeader(http.StatusUnauthorized)
			_, _ = w.Write([]byte(`{"error_code":"api_error.auth.unauthorized","error_message":"Unauthorized."}`))
		}
	}))
	tb.Cleanup(srv.Close)
	return srv
}

type benchVariant struct {
	name string
	opts func(tb testing.TB) []facade.Option
}

var benchVariants = []benchVariant{
	{"untraced", func(testing.TB) []facade.Option { return nil }},
	{"traced", func(tb testing.TB) []facade.Option {
		tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(tracetest.NewNoopExporter()))
		mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(sdkmetric.NewManualReader()))
		tb.Cleanup(func() {
			_ = tp.Shutdown(context.Background())
			_ = mp.Shutdown(context.Background())
		})
		return []facade.Option{otelbanklink.WithTelemetry(otelbanklink.WithTracerProvider(tp), otelbanklink.WithMeterProvider(mp))}
	}},
}

func benchClient(tb testing.TB, srv *httptest.Server, opts []facade.Option) *moneykit.Client {
	tb.Helper()
	mk, err := moneykit.New(append([]facade.Option{
		facade.WithCredentials("bench_client_id", "bench_client_secret"),
		facade.WithBaseURL(srv.URL),
		facade.WithHTTPClient(facade.DefaultHTTPClient()),
	}, opts...)...)
	require.NoError(tb, err)
	// Warm: the token is cached and a connection open before timing.
	_, err = mk.Links.Get(context.Background(), benchLinkID)
	require.NoError(tb, err)
	return mk
}

func BenchmarkTelemetryOverhead(b *testing.B) {
	srv := benchServer(b)
	ctx := context.Background()
	get := func(b *testing.B, mk *moneykit.Client) {
		if _, err := mk.Links.Get(ctx, benchLinkID); err != nil {
			b.Fatal(err)
		}
	}
	b.Run("interleaved", func(b *testing.B) {
		// Three clients, called in turn, the order rotating each
		// iteration: untraced, traced, and the floor (floorTrace).
		clients := []*moneykit.Client{
			benchClient(b, srv, benchVariants[0].opts(b)),
			benchClient(b, srv, benchVariants[1].opts(b)),
			benchClient(b, srv, []facade.Option{facade.WithTrace(floorTrace(b))}),
		}
		var spent [3]time.Duration
		turn := *benchRound
		for b.Loop() {
			turn++
			for j := range clients {
				k := (turn + j) % len(clients)
				t0 := time.Now()
				get(b, clients[k])
				spent[k] += time.Since(t0)
			}
		}
		b.ReportMetric(float64(spent[0].Nanoseconds())/float64(b.N), "untraced-ns/call")
		b.ReportMetric(float64(spent[1].Nanoseconds())/float64(b.N), "traced-ns/call")
		b.ReportMetric(float64(spent[1])/float64(spent[0]), "traced/untraced")
		b.ReportMetric(float64(spent[2])/float64(spent[0]), "floor/untraced")
	})
	n := len(benchVariants)
	for i := range n {
		v := benchVariants[(i+*benchRound)%n]
		b.Run(v.name, func(b *testing.B) {
			mk := benchClient(b, srv, v.opts(b))
			b.ReportAllocs()
			cpu0, ok0 := processCPU()
			for b.Loop() {
				get(b, mk)
			}
			// The process's CPU time per call (client, server and the span
			// processor's goroutine).
			if cpu1, ok1 := processCPU(); ok0 && ok1 {
				b.ReportMetric(float64(cpu1-cpu0)/float64(b.N), "cpu-ns/op")
			}
		})
	}
}

// floorTrace is the least a tracer following the model can do with
// the same SDK set-up: a bare span per call and per attempt, through the
// batch span processor, and a histogram point per attempt, with no
// attribute. It is measured beside WithTelemetry to show how much of the
// overhead is the SDK's.
func floorTrace(tb testing.TB) *facade.Trace {
	tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(tracetest.NewNoopExporter()))
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(sdkmetric.NewManualReader()))
	tb.Cleanup(func() {
		_ = tp.Shutdown(context.Background())
		_ = mp.Shutdown(context.Background())
	})
	tracer := tp.Tracer("floor")
	hist, err := mp.Meter("floor").Float64Histogram("http.client.request.duration")
	require.NoError(tb, err)
	start := func(ctx context.Context, name string) context.Context {
		ctx, _ = tracer.Start(ctx, name)
		return ctx
	}
	return &facade.Trace{
		CallStart: func(ctx context.Context, c facade.TraceCall) context.Context { return start(ctx, c.Operation) },
		CallDone: func(ctx context.Context, _ facade.TraceCall, _ facade.TraceCallResult) {
			trace.SpanFromContext(ctx).End()
		},
		AttemptStart: func(ctx context.Context, a facade.TraceAttempt) context.Context { return start(ctx, a.URLTemplate) },
		AttemptDone: func(ctx context.Context, _ facade.TraceAttempt, _ facade.TraceAttemptResult) {
			hist.Record(ctx, 0.001)
			trace.SpanFromContext(ctx).End()
		},
	}
}

// TestBenchTracesEveryCall checks the benchmark's traced variant records
// what it claims: a call span and an attempt span per Links.Get.
func TestBenchTracesEveryCall(t *testing.T) {
	srv := benchServer(t)
	r := newRig(t)
	mk := benchClient(t, srv, []facade.Option{otelbanklink.WithTelemetry(r.opts()...)})
	for range 3 {
		_, err := mk.Links.Get(context.Background(), benchLinkID)
		require.NoError(t, err)
	}
	assert.Len(t, r.named("getLink"), 4, "the warm-up call and three")
	assert.Len(t, r.named("GET /links/{id}"), 4)
	assert.Len(t, r.named("banklink.token"), 1, "the token was fetched once")
}
