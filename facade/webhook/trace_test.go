package webhook

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// stubVerifier fails with err, or accepts every delivery as "d-1".
type stubVerifier struct{ err error }

func (s stubVerifier) VerifyLinkMoney(http.Header, []byte) (string, error) { return "d-1", s.err }

func TestTraceReportsEveryDelivery(t *testing.T) {
	type report struct {
		d   TraceDelivery
		r   TraceDeliveryResult
		ctx context.Context
	}
	var got []report
	type ctxKey struct{}
	tr := &Trace{
		DeliveryStart: func(ctx context.Context, d TraceDelivery) context.Context {
			return context.WithValue(ctx, ctxKey{}, d.Provider)
		},
		DeliveryDone: func(ctx context.Context, d TraceDelivery, r TraceDeliveryResult) {
			got = append(got, report{d, r, ctx})
		},
	}
	var fnCtx context.Context
	body := []byte(`{"id":"e-1","eventType":"PAYMENT_UPDATED"}`)
	for _, tc := range []struct {
		verr    error
		fnErr   error
		status  int
		outcome string
		reason  string
	}{
		{ErrMissingSignature, nil, 400, OutcomeRejected, "missing_signature"},
		{ErrInvalidSignature, nil, 400, OutcomeRejected, "invalid_signature"},
		{ErrUnknownKey, nil, 400, OutcomeRejected, "unknown_key"},
		{ErrBodyMismatch, nil, 400, OutcomeRejected, "body_mismatch"},
		{ErrTooOld, nil, 400, OutcomeRejected, "too_old"},
		{ErrFromFuture, nil, 400, OutcomeRejected, "from_future"},
		{ErrIssuer, nil, 400, OutcomeRejected, "issuer"},
		{errors.New("custom scheme says no"), nil, 400, OutcomeRejected, ReasonVerificationFailed},
		{nil, errors.New("db down"), 500, OutcomeFailed, ReasonHandlerError},
		{nil, nil, 200, OutcomeHandled, ""},
		{nil, nil, 200, OutcomeDuplicate, ""},
	} {
		h := LinkMoneyHandler(stubVerifier{tc.verr}, func(ctx context.Context, ev *LinkMoneyEvent) error {
			fnCtx = ctx
			return tc.fnErr
		}, WithTrace(tr), WithStore(sharedStore))
		mux := http.NewServeMux()
		mux.Handle("POST example.com/hooks/{provider}", h)
		req := httptest.NewRequest(http.MethodPost, "http://example.com/hooks/linkmoney", bytes.NewReader(body))
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, req)
		assert.Equal(t, tc.status, rec.Code)
		require.NotEmpty(t, got)
		last := got[len(got)-1]
		assert.Equal(t, TraceDelivery{Provider: "linkmoney", Method: "POST", Route: "/hooks/{provider}"}, last.d)
		assert.Equal(t, tc.status, last.r.StatusCode)
		assert.Equal(t, tc.outcome, last.r.Outcome)
		assert.Equal(t, tc.reason, last.r.Reason)
		assert.Equal(t, "linkmoney", last.ctx.Value(ctxKey{}), "DeliveryDone gets DeliveryStart's context")
		if tc.verr == nil {
			assert.Equal(t, "PAYMENT_UPDATED", last.r.EventType)
			assert.Equal(t, "d-1", last.r.DeliveryID)
		} else {
			assert.Empty(t, last.r.DeliveryID)
		}
	}
	assert.Len(t, got, 11)
	assert.Equal(t, "linkmoney", fnCtx.Value(ctxKey{}), "the function gets DeliveryStart's context")
}

var sharedStore = NewMemoryStore(nil)
