package sandbox

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/banklink/banklink/internal/memnet"
)

// hookSink records the bodies and headers it receives.
type hookSink struct {
	mu      sync.Mutex
	bodies  []map[string]any
	headers []http.Header
}

func newHookSink(t *testing.T) (*hookSink, string) {
	h := &hookSink{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		var m map[string]any
		_ = json.Unmarshal(b, &m)
		h.mu.Lock()
		h.bodies = append(h.bodies, m)
		h.headers = append(h.headers, r.Header.Clone())
		h.mu.Unlock()
	}))
	t.Cleanup(srv.Close)
	return h, srv.URL
}

// TestRefreshHooksDeliverProductEvents drives the internal hooks that the
// sandbox's product refreshes call.
func TestRefreshHooksDeliverProductEvents(t *testing.T) {
	s := New(Config{Clock: NewFakeClock(time.Time{})})
	sink, url := newHookSink(t)
	l := &link{id: "mk_1", webhook: &url, tags: &[]string{"t"}, state: "connected"}
	s.mu.Lock()
	s.mk.links[l.id] = l
	s.mkProductRefreshLocked(l, "transactions", "refreshed", "")
	s.mkTransactionsUpdatesLocked(l, true)
	s.mu.Unlock()
	require.NoError(t, s.WaitWebhooks(context.Background()))

	require.Len(t, sink.bodies, 2)
	assert.Equal(t, "link.product_refresh", sink.bodies[0]["webhook_event"])
	assert.Equal(t, "transactions", sink.bodies[0]["product"])
	assert.Equal(t, "refreshed", sink.bodies[0]["state"])
	assert.Equal(t, "transactions.updates_available", sink.bodies[1]["webhook_event"])
	assert.Equal(t, true, sink.bodies[1]["has_history"])
	for i, h := range sink.headers {
		assert.Equal(t, 3, strings.Count(h.Get("MoneyKit-Signature"), ".")+1, "a compact JWS")
		assert.NotEmpty(t, h.Get("MoneyKit-Delivery-Token"))
		assert.Equal(t, "1", h.Get("MoneyKit-Delivery-Attempt"), i)
	}
}

// TestWebhookTimeoutIsRetried holds the first delivery attempt past the
// 20ms attempt timeout and answers the retry at once. It runs in a synctest
// bubble with the receiver on an in-memory network, so the timeout fires on
// the bubble's clock: exactly once, however loaded the machine.
func TestWebhookTimeoutIsRetried(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := New(Config{Clock: NewFakeClock(time.Time{})})
		release := make(chan struct{})
		calls := 0
		var mu sync.Mutex
		srv, ln := memnet.NewServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			mu.Lock()
			calls++
			first := calls == 1
			mu.Unlock()
			if first {
				select { // hold the first attempt past the client's timeout
				case <-r.Context().Done():
				case <-release:
				}
			}
		}))
		defer close(release)
		s.SetWebhookOptions(WebhookOptions{Timeout: 20 * time.Millisecond})
		s.wh.mu.Lock()
		s.wh.client.Transport.(*http.Transport).DialContext = ln.DialContext
		s.wh.mu.Unlock()
		url := srv.URL
		l := &link{id: "mk_1", webhook: &url, state: "connected"}
		s.mu.Lock()
		s.mkLinkStateChangedLocked(l)
		s.mu.Unlock()
		start := time.Now()
		require.NoError(t, s.WaitWebhooks(t.Context()))
		assert.Equal(t, 20*time.Millisecond, time.Since(start), "the attempt was given up at its timeout")
		d := s.WebhookDeliveries()[0]
		require.Len(t, d.Attempts, 1)
		assert.Equal(t, 0, d.Attempts[0].Status)
		assert.Equal(t, "timeout", d.Attempts[0].Error)
		s.Advance(DefaultWebhookBackoff)
		require.NoError(t, s.WaitWebhooks(t.Context()))
		d = s.WebhookDeliveries()[0]
		require.Len(t, d.Attempts, 2)
		assert.Equal(t, 200, d.Attempts[1].Status)
		assert.Equal(t, DeliveryDelivered, d.State)
		assert.Equal(t, 2, calls)
	})
}

func TestWebhookControlEndpoints(t *testing.T) {
	s := Start(t)
	post := func(path, body string) *http.Response {
		resp, err := http.Post(s.URL()+path, "application/json", strings.NewReader(body))
		require.NoError(t, err)
		t.Cleanup(func() { _ = resp.Body.Close() })
		return resp
	}
	resp := post("/_sandbox/moneykit/webhooks/rotate-key", `{}`)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	var out struct {
		Kid string `json:"kid"`
	}
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&out))
	assert.Equal(t, out.Kid, s.jwks()[0].Kid)
	assert.Len(t, s.jwks(), 2)
	for range 3 {
		s.RotateWebhookKey()
	}
	assert.Len(t, s.jwks(), publishedKeys, "old keys are dropped after three")

	assert.Equal(t, http.StatusNoContent, post("/_sandbox/webhooks/faults", `{"duplicate":true,"stale_timestamp":true}`).StatusCode)
	s.wh.mu.Lock()
	f := s.wh.faults
	s.wh.mu.Unlock()
	assert.Equal(t, WebhookFaults{Duplicate: true, StaleTimestamp: true}, f)
	assert.Equal(t, http.StatusBadRequest, post("/_sandbox/webhooks/faults", `{"dupe":true}`).StatusCode)

	resp, err := http.Get(s.URL() + "/_sandbox/webhooks")
	require.NoError(t, err)
	defer resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode)
}

func TestDeliveryLogIsBounded(t *testing.T) {
	s := New(Config{Clock: NewFakeClock(time.Time{})})
	url := "https://merchant.example/hook" // refused: not loopback, never sent
	l := &link{id: "mk_1", webhook: &url, state: "connected"}
	s.mu.Lock()
	for range deliveryLogLimit + 1 {
		s.mkLinkStateChangedLocked(l)
	}
	s.mu.Unlock()
	ds := s.WebhookDeliveries()
	assert.Empty(t, ds, "finished deliveries are dropped past the limit")
	s.mu.Lock()
	s.mkLinkStateChangedLocked(l)
	s.mu.Unlock()
	require.Len(t, s.WebhookDeliveries(), 1)
	assert.Equal(t, DeliveryRefused, s.WebhookDeliveries()[0].State)
}
