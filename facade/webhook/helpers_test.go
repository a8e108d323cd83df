package webhook

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/require"
)

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// fakeClock is a settable clock for iat and TTL checks.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

type testKey struct {
	kid  string
	priv *ecdsa.PrivateKey
}

func newKey(t testing.TB, kid string) testKey {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	return testKey{kid: kid, priv: k}
}

func (k testKey) jwk() map[string]any {
	raw, _ := k.priv.PublicKey.Bytes()
	enc := base64.RawURLEncoding.EncodeToString
	return map[string]any{"kty": "EC", "crv": "P-256", "x": enc(raw[1:33]), "y": enc(raw[33:65]), "kid": k.kid, "use": "sig", "alg": "ES256"}
}

// jwksServer serves a JWKS it can change, counting fetches, and answers 401
// without X-Client-Id.
type jwksServer struct {
	*httptest.Server
	mu      sync.Mutex
	keys    []testKey
	fetches atomic.Int32
}

func newJWKSServer(t testing.TB, keys ...testKey) *jwksServer {
	t.Helper()
	s := &jwksServer{keys: keys}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/.well-known/jwks.json" || r.Header.Get("X-Client-Id") != "client-1" {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		s.fetches.Add(1)
		s.mu.Lock()
		set := []map[string]any{}
		for _, k := range s.keys {
			set = append(set, k.jwk())
		}
		s.mu.Unlock()
		_ = json.NewEncoder(w).Encode(map[string]any{"keys": set})
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *jwksServer) publish(keys ...testKey) {
	s.mu.Lock()
	s.keys = append(s.keys, keys...)
	s.mu.Unlock()
}

func bodyDigest(body []byte) string {
	sum := sha256.Sum256(body)
	return hex.EncodeToString(sum[:])
}

// mkToken signs claims for body with key k (ES256, kid k.kid).
func mkToken(t testing.TB, k testKey, claims jwt.MapClaims) string {
	t.Helper()
	tok := jwt.NewWithClaims(jwt.SigningMethodES256, claims)
	tok.Header["kid"] = k.kid
	s, err := tok.SignedString(k.priv)
	require.NoError(t, err)
	return s
}

func validClaims(body []byte, iat time.Time) jwt.MapClaims {
	return jwt.MapClaims{"iss": DefaultMoneyKitIssuer, "iat": iat.Unix(), "request_body_sha256": bodyDigest(body)}
}

const mkBody = `{"webhook_event":"link.state_changed","webhook_major_version":1,"webhook_minor_version":0,` +
	`"webhook_idempotency_key":"idem-1","webhook_timestamp":"2026-03-01T12:00:00Z","link_id":"mk_1","link_tags":["a"],"state":"connected"}`

func newVerifier(t *testing.T, srv *jwksServer, clock *fakeClock) *MoneyKitVerifier {
	t.Helper()
	v, err := NewMoneyKitVerifier(MoneyKitOptions{BaseURL: srv.URL, ClientID: "client-1", Now: clock.Now})
	require.NoError(t, err)
	t.Cleanup(func() { _ = v.Close() })
	return v
}

func mkHeader(sig string) http.Header {
	h := http.Header{}
	if sig != "" {
		h.Set("MoneyKit-Signature", sig)
	}
	h.Set("MoneyKit-Delivery-Token", "dt-1")
	h.Set("MoneyKit-Delivery-Attempt", "1")
	return h
}
