package otelbanklink_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/banklink/banklink/facade"
	"github.com/banklink/banklink/facade/otelbanklink"
)

func TestLogHandlerAddsTraceAndSpanIDs(t *testing.T) {
	r := newRig(t)
	var buf bytes.Buffer
	log := slog.New(otelbanklink.LogHandler(slog.NewJSONHandler(&buf, nil))).With("component", "banklink")
	ctx, span := r.tp.Tracer("test").Start(context.Background(), "call")
	log.InfoContext(ctx, "inside")
	span.End()
	log.InfoContext(context.Background(), "outside")

	lines := bytes.Split(bytes.TrimSpace(buf.Bytes()), []byte("\n"))
	require.Len(t, lines, 2)
	var in, out map[string]any
	require.NoError(t, json.Unmarshal(lines[0], &in))
	require.NoError(t, json.Unmarshal(lines[1], &out))
	assert.Equal(t, span.SpanContext().TraceID().String(), in["trace_id"])
	assert.Equal(t, span.SpanContext().SpanID().String(), in["span_id"])
	assert.Equal(t, "banklink", in["component"], "WithAttrs keeps the wrapper")
	assert.NotContains(t, out, "trace_id")
	assert.NotContains(t, out, "span_id")
}

func TestPropagateInjectsTheAttemptsContext(t *testing.T) {
	r := newRig(t)
	h := otelbanklink.Trace(r.opts()...)
	ctx := h.CallStart(context.Background(), getLink)
	a := attempt(getLink, 1)
	actx := h.AttemptStart(ctx, a)
	req, err := http.NewRequestWithContext(actx, http.MethodGet, "https://api.moneykit.com/links/l-1", nil)
	require.NoError(t, err)
	var sent http.Header
	_, err = otelbanklink.Propagate()(req, func(req *http.Request) (*http.Response, error) {
		sent = req.Header.Clone()
		return &http.Response{StatusCode: 200, Body: http.NoBody}, nil
	})
	require.NoError(t, err)
	h.AttemptDone(actx, a, facade.TraceAttemptResult{StatusCode: 200})
	h.CallDone(ctx, getLink, facade.TraceCallResult{Attempts: 1, StatusCode: 200})
	attemptSpan := r.named("GET /links/{id}")[0].SpanContext()
	assert.Equal(t, "00-"+attemptSpan.TraceID().String()+"-"+attemptSpan.SpanID().String()+"-01", sent.Get("Traceparent"))
}
