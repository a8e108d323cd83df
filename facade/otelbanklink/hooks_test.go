package otelbanklink_test

import (
	"context"
	"errors"
	"io"
	"net"
	"net/url"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"go.opentelemetry.io/otel/trace"

	"github.com/banklink/banklink/facade"
	"github.com/banklink/banklink/facade/otelbanklink"
)

// These tests drive the hooks in the order the transport calls them, so
// that the mapping to spans and metrics is pinned down on its own; the
// end-to-end tests (e2e_test.go) run the same scenarios through a client.

var getLink = facade.TraceCall{Provider: facade.ProviderMoneyKit, Operation: "getLink", Method: "GET", URLTemplate: "/links/{id}"}

func attempt(c facade.TraceCall, n int) facade.TraceAttempt {
	return facade.TraceAttempt{TraceCall: c, Attempt: n, Host: "api.moneykit.com", Port: 443}
}

func TestHooksRetriedCall(t *testing.T) {
	r := newRig(t)
	h := otelbanklink.Trace(r.opts()...)
	ctx := h.CallStart(context.Background(), getLink)
	callSpan := trace.SpanFromContext(ctx).SpanContext()
	for i, res := range []facade.TraceAttemptResult{
		{StatusCode: 503, RequestID: "req-1", Err: &facade.Error{StatusCode: 503}},
		{StatusCode: 429, RequestID: "req-2", Err: &facade.Error{StatusCode: 429}},
		{StatusCode: 200, RequestID: "req-3"},
	} {
		if i > 0 {
			cause, d := "backoff", 500*time.Millisecond
			if i == 2 {
				cause, d = "retry_after", 2*time.Second
			}
			h.Wait(ctx, facade.TraceWait{TraceCall: getLink, Cause: cause, Duration: d})
		}
		a := attempt(getLink, i+1)
		actx := h.AttemptStart(ctx, a)
		assert.Equal(t, callSpan.TraceID(), trace.SpanContextFromContext(actx).TraceID())
		assert.NotEqual(t, callSpan.SpanID(), trace.SpanContextFromContext(actx).SpanID(), "the attempt has a span of its own")
		h.AttemptDone(actx, a, res)
	}
	h.CallDone(ctx, getLink, facade.TraceCallResult{Attempts: 3, StatusCode: 200, RequestID: "req-3"})

	parents := r.named("getLink")
	require.Len(t, parents, 1)
	parent := parents[0]
	assert.Equal(t, trace.SpanKindInternal, parent.SpanKind())
	pa := attrs(parent)
	assert.Equal(t, "moneykit", pa["banklink.provider"].AsString())
	assert.Equal(t, "getLink", pa["banklink.operation"].AsString())
	assert.Equal(t, int64(3), pa["banklink.attempts"].AsInt64())
	assert.Equal(t, "req-3", pa["banklink.request_id"].AsString())
	assert.NotContains(t, pa, attribute.Key("error.type"))
	assert.Equal(t, codes.Unset, parent.Status().Code)

	events := parent.Events()
	require.Len(t, events, 2)
	for i, want := range []struct {
		cause string
		secs  float64
	}{{"backoff", 0.5}, {"retry_after", 2}} {
		assert.Equal(t, "banklink.wait", events[i].Name)
		ea := map[attribute.Key]attribute.Value{}
		for _, kv := range events[i].Attributes {
			ea[kv.Key] = kv.Value
		}
		assert.Equal(t, want.cause, ea["banklink.wait.cause"].AsString())
		assert.Equal(t, want.secs, ea["banklink.wait.duration"].AsFloat64())
	}

	tries := r.named("GET /links/{id}")
	require.Len(t, tries, 3)
	for i, s := range tries {
		assert.Equal(t, trace.SpanKindClient, s.SpanKind())
		assert.Equal(t, parent.SpanContext().SpanID(), s.Parent().SpanID(), "attempt %d is the call's child", i+1)
		a := attrs(s)
		assert.Equal(t, "GET", a["http.request.method"].AsString())
		assert.Equal(t, "/links/{id}", a["url.template"].AsString())
		assert.Equal(t, "api.moneykit.com", a["server.address"].AsString())
		assert.Equal(t, int64(443), a["server.port"].AsInt64())
		if i == 0 {
			assert.NotContains(t, a, attribute.Key("http.request.resend_count"))
		} else {
			assert.Equal(t, int64(i), a["http.request.resend_count"].AsInt64())
		}
	}
	assert.Equal(t, int64(503), attrs(tries[0])["http.response.status_code"].AsInt64())
	assert.Equal(t, "503", attrs(tries[0])["error.type"].AsString())
	assert.Equal(t, codes.Error, tries[0].Status().Code)
	assert.Equal(t, "429", attrs(tries[1])["error.type"].AsString())
	assert.Equal(t, "req-2", attrs(tries[1])["banklink.request_id"].AsString())
	assert.NotContains(t, attrs(tries[2]), attribute.Key("error.type"))
	assert.Equal(t, codes.Unset, tries[2].Status().Code)

	rm := r.collect(t)
	hist, ok := findMetric(t, rm, "http.client.request.duration").Data.(metricdata.Histogram[float64])
	require.True(t, ok)
	assert.Equal(t, "s", findMetric(t, rm, "http.client.request.duration").Unit)
	var total uint64
	statuses := map[int64]uint64{}
	for _, dp := range hist.DataPoints {
		total += dp.Count
		st, _ := dp.Attributes.Value("http.response.status_code")
		statuses[st.AsInt64()] += dp.Count
		assert.True(t, hasAll(dp.Attributes, []attribute.KeyValue{
			attribute.String("http.request.method", "GET"), attribute.String("url.template", "/links/{id}"),
			attribute.String("server.address", "api.moneykit.com"), attribute.Int("server.port", 443),
		}), "%v", dp.Attributes)
	}
	assert.Equal(t, uint64(3), total)
	assert.Equal(t, map[int64]uint64{503: 1, 429: 1, 200: 1}, statuses)
	assert.Equal(t, int64(2), count(t, rm, "banklink.client.retries", attribute.String("banklink.operation", "getLink")))
	assert.Equal(t, int64(1), count(t, rm, "banklink.client.rate_limit.waits", attribute.String("banklink.wait.cause", "retry_after")))
}

func TestHooksTokenFetchIsTheCallsChild(t *testing.T) {
	r := newRig(t)
	h := otelbanklink.Trace(r.opts()...)
	ctx := h.CallStart(context.Background(), getLink)
	tok := facade.TraceToken{Provider: facade.ProviderMoneyKit}
	tctx := h.TokenStart(ctx, tok)
	h.TokenDone(tctx, tok, nil)
	tctx = h.TokenStart(ctx, tok)
	h.TokenDone(tctx, tok, &facade.Error{StatusCode: 401, Err: facade.ErrUnauthorized})
	h.CallDone(ctx, getLink, facade.TraceCallResult{Err: &facade.TransportError{Err: facade.ErrUnauthorized}})

	toks := r.named("banklink.token")
	require.Len(t, toks, 2)
	parent := r.named("getLink")[0]
	for _, s := range toks {
		assert.Equal(t, parent.SpanContext().SpanID(), s.Parent().SpanID())
	}
	assert.Equal(t, codes.Unset, toks[0].Status().Code)
	assert.Equal(t, codes.Error, toks[1].Status().Code)
	assert.Equal(t, "unauthorized", attrs(toks[1])["error.type"].AsString())
	assert.Equal(t, "unauthorized", attrs(parent)["error.type"].AsString())
	rm := r.collect(t)
	assert.Equal(t, int64(2), count(t, rm, "banklink.client.token.fetches", attribute.String("banklink.provider", "moneykit")))
	assert.Equal(t, int64(1), count(t, rm, "banklink.client.token.fetches", attribute.String("error.type", "unauthorized")))
}

// lostAnswer is what net/http returns when the connection closes after the
// request was written.
var lostAnswer = &url.Error{Op: "Post", URL: "https://api.link.money/v1/payments", Err: io.ErrUnexpectedEOF}

func TestHooksMoneyOperationOutcome(t *testing.T) {
	pay := facade.TraceCall{Provider: facade.ProviderLinkMoney, Operation: "createPayment", Method: "POST", URLTemplate: "/v1/payments", IdempotencyKey: "key-0042"}
	dial := &url.Error{Op: "Post", URL: "https://api.link.money/v1/payments", Err: &net.OpError{Op: "dial", Err: errors.New("connection refused")}}
	for _, tc := range []struct {
		name     string
		attempts []facade.TraceAttemptResult
		err      error
		unknown  bool
		errType  string
	}{
		{"lost answer", []facade.TraceAttemptResult{{Err: lostAnswer, ReachedServer: true}, {Err: lostAnswer, ReachedServer: true}},
			&facade.TransportError{Err: lostAnswer, IdempotencyKey: "key-0042"}, true, "transport_error"},
		{"5xx then deadline", []facade.TraceAttemptResult{{StatusCode: 502, Err: &facade.Error{StatusCode: 502}}},
			&facade.TransportError{Err: context.DeadlineExceeded, IdempotencyKey: "key-0042"}, true, "timeout"},
		{"never dialled", []facade.TraceAttemptResult{{Err: dial}},
			&facade.TransportError{Err: dial, IdempotencyKey: "key-0042"}, false, "transport_error"},
		{"refused", []facade.TraceAttemptResult{{StatusCode: 400, Err: &facade.Error{StatusCode: 400}}},
			&facade.Error{StatusCode: 400}, false, "400"},
		{"lost, then accepted earlier", []facade.TraceAttemptResult{{Err: lostAnswer, ReachedServer: true}, {StatusCode: 400, ReachedServer: true}},
			&facade.AcceptedEarlierError{IdempotencyKey: "key-0042"}, false, "accepted_earlier"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newRig(t)
			h := otelbanklink.Trace(r.opts()...)
			ctx := h.CallStart(context.Background(), pay)
			for i, res := range tc.attempts {
				a := facade.TraceAttempt{TraceCall: pay, Attempt: i + 1, Host: "api.link.money", Port: 443}
				h.AttemptDone(h.AttemptStart(ctx, a), a, res)
			}
			h.CallDone(ctx, pay, facade.TraceCallResult{Attempts: len(tc.attempts), Err: tc.err})
			s := r.named("createPayment")[0]
			a := attrs(s)
			assert.Equal(t, "key-0042", a["banklink.idempotency_key"].AsString())
			assert.Equal(t, tc.errType, a["error.type"].AsString())
			assert.Equal(t, codes.Error, s.Status().Code)
			assert.Equal(t, tc.errType, s.Status().Description, "the status says the type, not the error's text")
			if tc.unknown {
				assert.True(t, a["banklink.outcome_unknown"].AsBool())
			} else {
				assert.NotContains(t, a, attribute.Key("banklink.outcome_unknown"))
			}
			for _, s := range r.ended() {
				assert.Empty(t, s.Events(), "no exception events: an error's text may quote the provider")
			}
		})
	}
}

func TestHooksRateLimitRejections(t *testing.T) {
	r := newRig(t)
	h := otelbanklink.Trace(r.opts()...)
	// The call's own 429 asked for longer than allowed.
	ctx := h.CallStart(context.Background(), getLink)
	a := attempt(getLink, 1)
	answer := &facade.Error{StatusCode: 429}
	h.AttemptDone(h.AttemptStart(ctx, a), a, facade.TraceAttemptResult{StatusCode: 429, Err: answer})
	h.CallDone(ctx, getLink, facade.TraceCallResult{Attempts: 1, StatusCode: 429, Err: &facade.RateLimitError{Err: answer, RetryAfter: time.Minute}})
	// Another call's 429 window outlasts this call's context.
	ctx = h.CallStart(context.Background(), getLink)
	h.CallDone(ctx, getLink, facade.TraceCallResult{Err: &facade.RateLimitError{Err: &facade.Error{StatusCode: 429}, RetryAfter: time.Minute}})
	// The documented limit's next slot is too far.
	ctx = h.CallStart(context.Background(), getLink)
	h.CallDone(ctx, getLink, facade.TraceCallResult{Err: &facade.RateLimitError{Scope: "link", RetryAfter: time.Minute}})

	for _, s := range r.named("getLink") {
		assert.Equal(t, "rate_limited", attrs(s)["error.type"].AsString())
	}
	rm := r.collect(t)
	for _, reason := range []string{"retry_after", "cool_down", "documented_limit"} {
		assert.Equal(t, int64(1), count(t, rm, "banklink.client.rate_limit.rejections", attribute.String("banklink.rate_limit.reason", reason)), reason)
	}
}

func TestHooksFleetFallback(t *testing.T) {
	r := newRig(t)
	h := otelbanklink.Trace(r.opts()...)
	ctx := h.CallStart(context.Background(), getLink)
	h.FleetFallback(ctx, "limiter", errors.New("dial tcp redis://:hunter2@10.0.0.1:6379: refused"))
	h.CallDone(ctx, getLink, facade.TraceCallResult{Attempts: 1, StatusCode: 200})
	s := r.named("getLink")[0]
	require.Len(t, s.Events(), 1)
	assert.Equal(t, "banklink.fleet_fallback", s.Events()[0].Name)
	assert.Equal(t, []attribute.KeyValue{attribute.String("banklink.fleet.store", "limiter")}, s.Events()[0].Attributes)
	assert.Equal(t, int64(1), count(t, r.collect(t), "banklink.client.fleet.fallbacks", attribute.String("banklink.fleet.store", "limiter")))
}

func TestCallErrorTypes(t *testing.T) {
	r := newRig(t)
	h := otelbanklink.Trace(r.opts()...)
	for _, tc := range []struct {
		err  error
		want string
	}{
		{&facade.Error{StatusCode: 404, Err: facade.ErrLinkNotFound}, "link_not_found"},
		{&facade.Error{StatusCode: 410, Err: facade.ErrLinkDeleted}, "link_deleted"},
		{&facade.Error{StatusCode: 404, Err: facade.ErrNotFound}, "not_found"},
		{&facade.Error{StatusCode: 500, Err: facade.ErrServer}, "server_error"},
		{&facade.Error{StatusCode: 418}, "418"},
		{&facade.RateLimitError{}, "rate_limited"},
		{&facade.TransportError{Err: context.Canceled}, "canceled"},
		{&facade.TransportError{Err: context.DeadlineExceeded, Last: &facade.Error{StatusCode: 503, Err: facade.ErrServer}}, "timeout"},
		{&facade.TransportError{Err: errors.New("connection reset")}, "transport_error"},
		{errors.New("odd"), "_OTHER"},
	} {
		ctx := h.CallStart(context.Background(), getLink)
		h.CallDone(ctx, getLink, facade.TraceCallResult{Err: tc.err})
		spans := r.named("getLink")
		assert.Equal(t, tc.want, attrs(spans[len(spans)-1])["error.type"].AsString(), "%T %v", tc.err, tc.err)
	}
}

func TestHooksSharedByClientsOfTwoServers(t *testing.T) {
	r := newRig(t)
	h := otelbanklink.Trace(r.opts()...)
	for i := range 4 {
		a := attempt(getLink, 1)
		if i%2 == 1 {
			a.Host, a.Port = "127.0.0.1", 4010
		}
		ctx := h.CallStart(context.Background(), getLink)
		h.AttemptDone(h.AttemptStart(ctx, a), a, facade.TraceAttemptResult{StatusCode: 200 + i%2})
		h.CallDone(ctx, getLink, facade.TraceCallResult{Attempts: 1})
	}
	tries := r.named("GET /links/{id}")
	require.Len(t, tries, 4)
	for i, s := range tries {
		want, port, status := "api.moneykit.com", int64(443), int64(200)
		if i%2 == 1 {
			want, port, status = "127.0.0.1", 4010, 201
		}
		assert.Equal(t, want, attrs(s)["server.address"].AsString())
		assert.Equal(t, port, attrs(s)["server.port"].AsInt64())
		assert.Equal(t, status, attrs(s)["http.response.status_code"].AsInt64())
	}
	hist := findMetric(t, r.collect(t), "http.client.request.duration").Data.(metricdata.Histogram[float64])
	byServer := map[string]uint64{}
	for _, dp := range hist.DataPoints {
		v, _ := dp.Attributes.Value("server.address")
		st, _ := dp.Attributes.Value("http.response.status_code")
		byServer[v.AsString()+" "+st.Emit()] += dp.Count
	}
	assert.Equal(t, map[string]uint64{"api.moneykit.com 200": 2, "127.0.0.1 201": 2}, byServer)
}

func TestHooksServerValuesAreBoundedAndValidUTF8(t *testing.T) {
	r := newRig(t)
	h := otelbanklink.Trace(r.opts()...)
	hostile := strings.Repeat("é", 100) + "\xff\xfe" // 202 bytes, invalid UTF-8 at the end
	ctx := h.CallStart(context.Background(), getLink)
	a := attempt(getLink, 1)
	h.AttemptDone(h.AttemptStart(ctx, a), a, facade.TraceAttemptResult{StatusCode: 200, RequestID: hostile})
	h.CallDone(ctx, getLink, facade.TraceCallResult{Attempts: 1, StatusCode: 200, RequestID: "req-\xff"})
	got := attrs(r.named("GET /links/{id}")[0])["banklink.request_id"].AsString()
	assert.True(t, utf8.ValidString(got))
	assert.LessOrEqual(t, len(got), 130)
	assert.True(t, strings.HasPrefix(got, "éé"))
	assert.Equal(t, "req-\uFFFD", attrs(r.named("getLink")[0])["banklink.request_id"].AsString())
}
