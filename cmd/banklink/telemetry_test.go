//go:build !nootel

package main

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	collmetrics "go.opentelemetry.io/proto/otlp/collector/metrics/v1"
	colltrace "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/proto"

	"github.com/banklink/banklink/facade/sandbox"
	"github.com/banklink/banklink/facade/webhook"
	"github.com/banklink/banklink/internal/testkit"
)

// receiver is an OTLP/HTTP collector on loopback: it decodes what banklink
// exports with the OTLP protobuf definitions.
type receiver struct {
	*httptest.Server
	mu       sync.Mutex
	requests int
	headers  []http.Header
	spans    []*tracepb.Span
	resource []*commonpb.KeyValue
	metrics  map[string]int // metric name -> data points received
}

func newReceiver(t *testing.T) *receiver {
	r := &receiver{metrics: map[string]int{}}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, err := io.ReadAll(req.Body)
		if err == nil && req.Header.Get("Content-Encoding") == "gzip" {
			var zr *gzip.Reader
			if zr, err = gzip.NewReader(bytes.NewReader(body)); err == nil {
				body, err = io.ReadAll(zr)
			}
		}
		if err != nil || req.Method != http.MethodPost || req.Header.Get("Content-Type") != "application/x-protobuf" {
			http.Error(w, "bad request", http.StatusBadRequest)
			return
		}
		r.mu.Lock()
		defer r.mu.Unlock()
		r.requests++
		r.headers = append(r.headers, req.Header.Clone())
		switch req.URL.Path {
		case "/v1/traces":
			var ex colltrace.ExportTraceServiceRequest
			if proto.Unmarshal(body, &ex) != nil {
				http.Error(w, "bad protobuf", http.StatusBadRequest)
				return
			}
			for _, rs := range ex.ResourceSpans {
				r.resource = rs.GetResource().GetAttributes()
				for _, ss := range rs.ScopeSpans {
					r.spans = append(r.spans, ss.Spans...)
				}
			}
			out, _ := proto.Marshal(&colltrace.ExportTraceServiceResponse{})
			w.Header().Set("Content-Type", "application/x-protobuf")
			_, _ = w.Write(out)
		case "/v1/metrics":
			var ex collmetrics.ExportMetricsServiceRequest
			if proto.Unmarshal(body, &ex) != nil {
				http.Error(w, "bad protobuf", http.StatusBadRequest)
				return
			}
			for _, rm := range ex.ResourceMetrics {
				for _, sm := range rm.ScopeMetrics {
					for _, m := range sm.Metrics {
						n := len(m.GetSum().GetDataPoints()) + len(m.GetHistogram().GetDataPoints())
						r.metrics[m.Name] += n
					}
				}
			}
			out, _ := proto.Marshal(&collmetrics.ExportMetricsServiceResponse{})
			w.Header().Set("Content-Type", "application/x-protobuf")
			_, _ = w.Write(out)
		default:
			http.NotFound(w, req)
		}
	}))
	t.Cleanup(r.Close)
	return r
}

func (r *receiver) snapshot() (spans []*tracepb.Span, metrics map[string]int, requests int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	m := map[string]int{}
	for k, v := range r.metrics {
		m[k] = v
	}
	return append([]*tracepb.Span(nil), r.spans...), m, r.requests
}

func (r *receiver) named(name string) []*tracepb.Span {
	spans, _, _ := r.snapshot()
	var out []*tracepb.Span
	for _, s := range spans {
		if s.Name == name {
			out = append(out, s)
		}
	}
	return out
}

func attr(s *tracepb.Span, key string) *commonpb.AnyValue {
	for _, kv := range s.Attributes {
		if kv.Key == key {
			return kv.Value
		}
	}
	return nil
}

// spanText renders everything a span carries, for the secrets sweep.
func spanText(s *tracepb.Span) string {
	var b strings.Builder
	b.WriteString(s.Name)
	b.WriteString(s.GetStatus().GetMessage())
	for _, kv := range s.Attributes {
		fmt.Fprintf(&b, " %s=%v", kv.Key, kv.Value)
	}
	for _, e := range s.Events {
		b.WriteString(" " + e.Name)
		for _, kv := range e.Attributes {
			fmt.Fprintf(&b, " %s=%v", kv.Key, kv.Value)
		}
	}
	return b.String()
}

func TestTelemetryWebhooksListenExportsToOTLP(t *testing.T) {
	rcv := newReceiver(t)
	env := []string{
		"OTEL_EXPORTER_OTLP_ENDPOINT=" + rcv.URL,
		"OTEL_SERVICE_NAME=payments-worker",
		"OTEL_RESOURCE_ATTRIBUTES=deployment.environment.name=test",
		"OTEL_EXPORTER_OTLP_HEADERS=x-collector-token=tok%2Dcollector",
	}
	const secret = "whsec-cli-telemetry-0001"
	url, _, stderr, stop := listen(t, env, "--provider", "linkmoney", "--secret", secret)
	body := []byte(`{"id":"evt-1","eventType":"PAYMENT_UPDATED"}`)
	h := webhook.LinkMoneySignatureHeaders(secret, "delivery-1", time.Now(), body)
	h.Set("X-Signature", "AAAA"+h.Get("X-Signature")[4:])
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	require.NoError(t, err)
	for k, v := range h {
		req.Header[k] = v
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	_ = resp.Body.Close()
	require.Equal(t, http.StatusBadRequest, resp.StatusCode)
	require.Equal(t, exitOK, stop(), stderr.String())

	// Everything was flushed before run returned.
	deliveries := rcv.named("POST /webhook")
	require.Len(t, deliveries, 1, "spans: %v", rcv.spans)
	d := deliveries[0]
	assert.Equal(t, tracepb.Span_SPAN_KIND_SERVER, d.Kind)
	assert.Equal(t, "rejected", attr(d, "banklink.webhook.outcome").GetStringValue())
	assert.Equal(t, "invalid_signature", attr(d, "banklink.webhook.reason").GetStringValue())
	roots := rcv.named("banklink webhooks listen")
	require.Len(t, roots, 1)
	assert.Equal(t, int64(0), attr(roots[0], "process.exit.code").GetIntValue())
	_, metrics, _ := rcv.snapshot()
	assert.Equal(t, 1, metrics["banklink.webhook.deliveries"])

	rcv.mu.Lock()
	res := map[string]string{}
	for _, kv := range rcv.resource {
		res[kv.Key] = kv.Value.GetStringValue()
	}
	sent := rcv.headers[0].Get("X-Collector-Token")
	rcv.mu.Unlock()
	assert.Equal(t, "payments-worker", res["service.name"])
	assert.Equal(t, "test", res["deployment.environment.name"])
	assert.Equal(t, "tok-collector", sent, "OTEL_EXPORTER_OTLP_HEADERS is sent, percent-decoded")
	for _, s := range rcv.spans {
		assert.NotContains(t, spanText(s), secret)
		assert.NotContains(t, spanText(s), "PAYMENT_UPDATED", "nothing of an unverified body")
	}
}

func TestTelemetryClientCommandsExport(t *testing.T) {
	rcv := newReceiver(t)
	sb := sandbox.Start(t)
	env := append(sb.Env(), "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT="+rcv.URL+"/v1/traces", "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT="+rcv.URL+"/v1/metrics")
	code, out, errOut := cli(t, env, "moneykit", "link-sessions", "create", "--customer-user-id", "user-otel-1", "--redirect-uri", "https://app.example/oauth")
	require.Equal(t, exitOK, code, errOut)
	require.Contains(t, out, "link_session_token")

	roots := rcv.named("banklink moneykit link-sessions create")
	require.Len(t, roots, 1)
	root := roots[0]
	calls := rcv.named("createLinkSession")
	require.Len(t, calls, 1, "the call's span")
	assert.Equal(t, root.SpanId, calls[0].ParentSpanId)
	assert.Equal(t, root.TraceId, calls[0].TraceId)
	attempts := rcv.named("POST /link-session")
	require.Len(t, attempts, 1)
	assert.Equal(t, calls[0].SpanId, attempts[0].ParentSpanId)
	assert.Equal(t, int64(201), attr(attempts[0], "http.response.status_code").GetIntValue())
	tokens := rcv.named("banklink.token")
	require.Len(t, tokens, 1, "the token fetch, under the call")
	assert.Equal(t, calls[0].SpanId, tokens[0].ParentSpanId)
	_, metrics, _ := rcv.snapshot()
	assert.Equal(t, 2, metrics["http.client.request.duration"], "one data point each for the token's POST and the link session's")
	assert.Equal(t, 1, metrics["banklink.client.token.fetches"])
	spans, _, _ := rcv.snapshot()
	for _, s := range spans {
		for _, secret := range secrets() {
			assert.NotContains(t, spanText(s), secret)
		}
	}

	// A failing command's span says so.
	code, _, _ = cli(t, env, "moneykit", "links", "get", "mk_doesnotexist")
	require.Equal(t, exitAPI, code)
	failed := rcv.named("banklink moneykit links get")
	require.Len(t, failed, 1)
	assert.Equal(t, int64(exitAPI), attr(failed[0], "process.exit.code").GetIntValue())
	assert.Equal(t, tracepb.Status_STATUS_CODE_ERROR, failed[0].GetStatus().GetCode())
}

func TestTelemetrySandboxCommandExports(t *testing.T) {
	rcv := newReceiver(t)
	env := []string{"OTEL_EXPORTER_OTLP_ENDPOINT=" + rcv.URL, "OTEL_METRICS_EXPORTER=none"}
	sandboxEnv, stop := startSandbox(t, env)
	code, _, errOut := cli(t, sandboxEnv, "moneykit", "link-sessions", "create", "--customer-user-id", "user-otel-2", "--redirect-uri", "https://app.example/oauth")
	require.Equal(t, exitOK, code, errOut)
	require.Equal(t, exitOK, stop())

	served := rcv.named("POST")
	require.Len(t, served, 2, "the sandbox's server spans: the token, then the link session")
	for _, s := range served {
		assert.Equal(t, tracepb.Span_SPAN_KIND_SERVER, s.Kind)
		assert.Equal(t, int64(201), attr(s, "http.response.status_code").GetIntValue())
		assert.Equal(t, "POST", attr(s, "http.request.method").GetStringValue())
		for _, secret := range secrets() {
			assert.NotContains(t, spanText(s), secret)
		}
	}
	require.Len(t, rcv.named("banklink sandbox"), 1)
	_, metrics, _ := rcv.snapshot()
	assert.Empty(t, metrics, "OTEL_METRICS_EXPORTER=none")
}

func TestTelemetryOffOpensNothing(t *testing.T) {
	rcv := newReceiver(t)
	sb := sandbox.Start(t)
	for _, extra := range [][]string{
		nil,
		{"OTEL_SERVICE_NAME=banklink"}, // names the service, asks for no export
		{"OTEL_EXPORTER_OTLP_ENDPOINT=" + rcv.URL, "OTEL_SDK_DISABLED=true"},
		{"OTEL_EXPORTER_OTLP_ENDPOINT=" + rcv.URL, "OTEL_TRACES_EXPORTER=none", "OTEL_METRICS_EXPORTER=none"},
	} {
		code, _, errOut := cli(t, append(sb.Env(), extra...), "moneykit", "link-sessions", "create", "--customer-user-id", "user-otel-3", "--redirect-uri", "https://app.example/oauth")
		require.Equal(t, exitOK, code, errOut)
		_, tel, err := startTelemetry(t.Context(), envOf(extra), io.Discard)
		require.NoError(t, err)
		assert.Nil(t, tel, "%v: no provider is built", extra)
	}
	_, _, requests := rcv.snapshot()
	assert.Zero(t, requests)
}

func TestTelemetryBadSettingsAreUsageErrors(t *testing.T) {
	for _, tc := range []struct {
		env  []string
		want string
	}{
		{[]string{"OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:1", "OTEL_EXPORTER_OTLP_PROTOCOL=grpc"}, "OTEL_EXPORTER_OTLP_PROTOCOL"},
		{[]string{"OTEL_TRACES_EXPORTER=zipkin"}, "OTEL_TRACES_EXPORTER"},
		{[]string{"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT=http://user:hunter2@127.0.0.1:1/v1/traces"}, "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"},
		{[]string{"OTEL_EXPORTER_OTLP_ENDPOINT=127.0.0.1:4318"}, "OTEL_EXPORTER_OTLP_ENDPOINT: not an http or https URL"},
		{[]string{"OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:1", "OTEL_EXPORTER_OTLP_HEADERS=authorization"}, "OTEL_EXPORTER_OTLP_HEADERS: entry 1"},
	} {
		code, out, errOut := cli(t, tc.env, "version")
		assert.Equal(t, exitUsage, code, tc.env)
		assert.Empty(t, out)
		assert.Contains(t, errOut, tc.want)
		assert.NotContains(t, errOut, "hunter2")
	}
}

func envOf(environ []string) env {
	m := map[string]string{}
	for _, kv := range environ {
		k, v, _ := strings.Cut(kv, "=")
		m[k] = v
	}
	return func(k string) string { return m[k] }
}

// startSandbox runs `banklink sandbox` with environ until stop is called,
// and returns the environment it printed.
func startSandbox(t *testing.T, environ []string) (sandboxEnv []string, stop func() int) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	done := make(chan int, 1)
	stderr := &testkit.SyncBuffer{}
	go func() {
		done <- run(ctx, []string{"sandbox", "--addr", "127.0.0.1:0"}, streams{in: strings.NewReader(""), out: pw, err: stderr}, envOf(environ))
		pw.Close()
	}()
	sc := bufio.NewScanner(pr)
	for len(sandboxEnv) < 7 && sc.Scan() {
		sandboxEnv = append(sandboxEnv, sc.Text())
	}
	require.Len(t, sandboxEnv, 7, stderr.String())
	go func() { _, _ = io.Copy(io.Discard, pr) }()
	stopped, code := false, 0
	stop = func() int {
		if !stopped {
			stopped = true
			cancel()
			code = <-done
		}
		return code
	}
	t.Cleanup(func() { stop() })
	return sandboxEnv, stop
}

func TestTelemetryDemoExports(t *testing.T) {
	rcv := newReceiver(t)
	code, _, errOut := cli(t, []string{"OTEL_EXPORTER_OTLP_ENDPOINT=" + rcv.URL}, "demo")
	require.Equal(t, exitOK, code, errOut)
	roots := rcv.named("banklink demo")
	require.Len(t, roots, 1)
	for _, name := range []string{"createLinkSession", "getLink", "createPayment"} {
		spans := rcv.named(name)
		require.NotEmpty(t, spans, name)
		assert.Equal(t, roots[0].TraceId, spans[0].TraceId, "%s is in the command's trace", name)
	}
	// The sandbox's deliveries carry no traceparent: each is a trace of
	// its own, rooted at the receiver's server span.
	for _, s := range append(rcv.named("POST /moneykit"), rcv.named("POST /linkmoney")...) {
		assert.Empty(t, s.ParentSpanId)
	}
	handled := 0
	for _, s := range append(rcv.named("POST /moneykit"), rcv.named("POST /linkmoney")...) {
		if attr(s, "banklink.webhook.outcome").GetStringValue() == "handled" {
			handled++
		}
	}
	assert.GreaterOrEqual(t, handled, 3, "the demo's deliveries were verified and handled")
	_, metrics, _ := rcv.snapshot()
	assert.NotZero(t, metrics["banklink.webhook.deliveries"])
	spans, _, _ := rcv.snapshot()
	for _, s := range spans {
		for _, secret := range secrets() {
			assert.NotContains(t, spanText(s), secret)
		}
		assert.NotContains(t, spanText(s), "demo.customer@example.com")
	}
}
