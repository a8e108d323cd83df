package webhook

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// countingStore wraps a MemoryStore and counts calls.
type countingStore struct {
	*MemoryStore
	mu       sync.Mutex
	claims   int
	releases int
	fail     error
}

func (s *countingStore) Claim(ctx context.Context, key string, ttl time.Duration) (bool, error) {
	s.mu.Lock()
	s.claims++
	s.mu.Unlock()
	if s.fail != nil {
		return false, s.fail
	}
	return s.MemoryStore.Claim(ctx, key, ttl)
}

func (s *countingStore) Release(ctx context.Context, key string) error {
	s.mu.Lock()
	s.releases++
	s.mu.Unlock()
	return s.MemoryStore.Release(ctx, key)
}

// providerCase builds, for one provider, a handler and signed deliveries.
type providerCase struct {
	name    string
	handler func(t *testing.T, fn func() error, opts ...HandlerOption) http.Handler
	signed  func(t *testing.T, body []byte) *http.Request // a valid delivery
	badSig  func(t *testing.T, body []byte) *http.Request
	body    []byte
	secrets []string // strings that must never be logged
}

func providerCases(t *testing.T) []providerCase {
	clock := &fakeClock{now: t0}
	k1 := newKey(t, "k1")
	srv := newJWKSServer(t, k1)
	mkv := newVerifier(t, srv, clock)
	lmv, err := NewHMACVerifier("lm-secret-value")
	require.NoError(t, err)
	lmv.Now = clock.Now
	mkReq := func(t *testing.T, body []byte, sig string) *http.Request {
		r := httptest.NewRequest(http.MethodPost, "/hook", bytes.NewReader(body))
		for k, v := range mkHeader(sig) {
			r.Header[k] = v
		}
		return r
	}
	lmReq := func(body []byte, h http.Header) *http.Request {
		r := httptest.NewRequest(http.MethodPost, "/hook", bytes.NewReader(body))
		for k, v := range h {
			r.Header[k] = v
		}
		return r
	}
	mkTok := mkToken(t, k1, validClaims([]byte(mkBody), t0))
	lmSig := LinkMoneySignatureHeaders("lm-secret-value", "uid-1", t0, []byte(lmBody)).Get(HeaderLinkMoneySignature)
	return []providerCase{
		{
			name: "moneykit",
			handler: func(t *testing.T, fn func() error, opts ...HandlerOption) http.Handler {
				return MoneyKitHandler(mkv, func(_ context.Context, ev *MoneyKitEvent) error {
					require.Equal(t, "idem-1", ev.IdempotencyKey)
					return fn()
				}, opts...)
			},
			signed: func(t *testing.T, body []byte) *http.Request {
				return mkReq(t, body, mkToken(t, k1, validClaims(body, t0)))
			},
			badSig: func(t *testing.T, body []byte) *http.Request {
				return mkReq(t, body, mkToken(t, testKey{kid: "k1", priv: newKey(t, "x").priv}, validClaims(body, t0)))
			},
			body:    []byte(mkBody),
			secrets: []string{mkTok, `"state":"connected"`, `webhook_event`},
		},
		{
			name: "linkmoney",
			handler: func(t *testing.T, fn func() error, opts ...HandlerOption) http.Handler {
				return LinkMoneyHandler(lmv, func(_ context.Context, ev *LinkMoneyEvent) error {
					require.Equal(t, "uid-1", ev.DeliveryID)
					return fn()
				}, opts...)
			},
			signed: func(t *testing.T, body []byte) *http.Request {
				return lmReq(body, LinkMoneySignatureHeaders("lm-secret-value", "uid-1", t0, body))
			},
			badSig: func(t *testing.T, body []byte) *http.Request {
				return lmReq(body, LinkMoneySignatureHeaders("wrong", "uid-1", t0, body))
			},
			body:    []byte(lmBody),
			secrets: []string{"lm-secret-value", lmSig, `achReturnCode`, `order-9`},
		},
	}
}

func serve(h http.Handler, r *http.Request) *httptest.ResponseRecorder {
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

func TestHandlerContract(t *testing.T) {
	for _, pc := range providerCases(t) {
		t.Run(pc.name, func(t *testing.T) {
			t.Run("valid then duplicate: called once, claimed twice", func(t *testing.T) {
				store := &countingStore{MemoryStore: NewMemoryStore(nil)}
				calls := 0
				h := pc.handler(t, func() error { calls++; return nil }, WithStore(store))
				assert.Equal(t, http.StatusOK, serve(h, pc.signed(t, pc.body)).Code)
				assert.Equal(t, http.StatusOK, serve(h, pc.signed(t, pc.body)).Code)
				assert.Equal(t, 1, calls)
				assert.Equal(t, 2, store.claims, "one claim per verified delivery")
				assert.Equal(t, 0, store.releases)
			})
			t.Run("an error answers 500 and the retry is handled", func(t *testing.T) {
				store := &countingStore{MemoryStore: NewMemoryStore(nil)}
				results := []error{errors.New("db down"), nil}
				calls := 0
				h := pc.handler(t, func() error { err := results[calls]; calls++; return err }, WithStore(store))
				assert.Equal(t, http.StatusInternalServerError, serve(h, pc.signed(t, pc.body)).Code)
				assert.Equal(t, http.StatusOK, serve(h, pc.signed(t, pc.body)).Code)
				assert.Equal(t, http.StatusOK, serve(h, pc.signed(t, pc.body)).Code, "after success it is a duplicate")
				assert.Equal(t, 2, calls)
				assert.Equal(t, 1, store.releases)
			})
			t.Run("a panic releases the key", func(t *testing.T) {
				store := &countingStore{MemoryStore: NewMemoryStore(nil)}
				h := pc.handler(t, func() error { panic("boom") }, WithStore(store))
				assert.Panics(t, func() { serve(h, pc.signed(t, pc.body)) })
				assert.Equal(t, 1, store.releases)
				assert.Equal(t, 0, store.Len())
			})
			t.Run("bad signature: 400 without detail, function not called, store untouched", func(t *testing.T) {
				store := &countingStore{MemoryStore: NewMemoryStore(nil)}
				var logs bytes.Buffer
				h := pc.handler(t, func() error { t.Fatal("called"); return nil }, WithStore(store),
					WithLogger(slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))))
				w := serve(h, pc.badSig(t, pc.body))
				assert.Equal(t, http.StatusBadRequest, w.Code)
				assert.Equal(t, "Bad Request\n", w.Body.String())
				assert.Equal(t, 0, store.claims)
				assert.Contains(t, logs.String(), "invalid signature")
			})
			t.Run("2 MiB body: 413, not verified", func(t *testing.T) {
				big := append(bytes.Repeat([]byte(" "), 2<<20), pc.body...)
				w := serve(pc.handler(t, func() error { t.Fatal("called"); return nil }), pc.signed(t, big))
				assert.Equal(t, http.StatusRequestEntityTooLarge, w.Code)
			})
			t.Run("the cap is configurable", func(t *testing.T) {
				w := serve(pc.handler(t, func() error { return nil }, WithMaxBodyBytes(16)), pc.signed(t, pc.body))
				assert.Equal(t, http.StatusRequestEntityTooLarge, w.Code)
			})
			t.Run("only POST", func(t *testing.T) {
				r := pc.signed(t, pc.body)
				r.Method = http.MethodGet
				w := serve(pc.handler(t, func() error { return nil }), r)
				assert.Equal(t, http.StatusMethodNotAllowed, w.Code)
			})
			t.Run("store failure: 500, function not called", func(t *testing.T) {
				store := &countingStore{MemoryStore: NewMemoryStore(nil), fail: errors.New("redis down")}
				w := serve(pc.handler(t, func() error { t.Fatal("called"); return nil }, WithStore(store)), pc.signed(t, pc.body))
				assert.Equal(t, http.StatusInternalServerError, w.Code)
			})
			t.Run("logs never hold the signature, secret or body", func(t *testing.T) {
				var logs bytes.Buffer
				lg := slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
				fail := true
				h := pc.handler(t, func() error {
					if fail {
						fail = false
						return errors.New("handler failed with " + string(pc.body))
					}
					return nil
				}, WithLogger(lg))
				serve(h, pc.badSig(t, pc.body))
				serve(h, pc.signed(t, pc.body)) // fails
				serve(h, pc.signed(t, pc.body)) // ok
				serve(h, pc.signed(t, pc.body)) // duplicate
				out := logs.String()
				assert.Equal(t, 3, strings.Count(out, "\n"), out)
				for _, s := range pc.secrets {
					assert.NotContains(t, out, s)
				}
				assert.Contains(t, out, "webhook duplicate ignored")
				assert.Contains(t, out, "webhook handler failed")
			})
		})
	}
}

func TestMemoryStoreTTL(t *testing.T) {
	clock := &fakeClock{now: t0}
	s := NewMemoryStore(clock.Now)
	ctx := context.Background()
	first, err := s.Claim(ctx, "a", time.Minute)
	require.NoError(t, err)
	assert.True(t, first)
	first, _ = s.Claim(ctx, "a", time.Minute)
	assert.False(t, first)
	clock.Advance(time.Minute)
	first, _ = s.Claim(ctx, "a", time.Minute)
	assert.True(t, first, "expired keys can be claimed again")
	// Expired keys are swept as claims arrive.
	for i := range 300 {
		_, _ = s.Claim(ctx, "k"+string(rune('a'+i%26))+time.Duration(i).String(), time.Second)
	}
	clock.Advance(time.Hour)
	for i := range 300 {
		_, _ = s.Claim(ctx, "n"+time.Duration(i).String(), time.Hour)
	}
	assert.LessOrEqual(t, s.Len(), 300+1)
}
