package testkit

import (
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/banklink/banklink/facade"
	"github.com/banklink/banklink/facade/sandbox"
)

// Values planted in a secrets sweep besides PlantedCustomer: an email the
// providers refuse (so that it reaches a validation error) and the secret
// that signs Link Money's webhook deliveries.
const (
	PlantedBadEmail      = "zebulonia-at-privacy-check"
	PlantedWebhookSecret = "whsec-Zebulonia-0123456789"
)

// AuthRecorder is a RoundTripper that notes every Authorization header put
// on the wire: the Basic value and every bearer token the server issued
// and the client used.
type AuthRecorder struct {
	base http.RoundTripper

	mu   sync.Mutex
	seen map[string]bool
}

// NewAuthRecorder records the Authorization headers of what base sends.
func NewAuthRecorder(base http.RoundTripper) *AuthRecorder {
	return &AuthRecorder{base: base, seen: map[string]bool{}}
}

func (a *AuthRecorder) RoundTrip(r *http.Request) (*http.Response, error) {
	if v := r.Header.Get("Authorization"); v != "" {
		a.mu.Lock()
		a.seen[v] = true
		a.mu.Unlock()
	}
	return a.base.RoundTrip(r)
}

// Client is an HTTP client with the facade's defaults whose requests a
// records.
func (a *AuthRecorder) Client() *http.Client {
	hc := facade.DefaultHTTPClient()
	hc.Transport = a
	return hc
}

// CloseIdleConnections closes base's idle connections, if it keeps any.
func (a *AuthRecorder) CloseIdleConnections() {
	if c, ok := a.base.(interface{ CloseIdleConnections() }); ok {
		c.CloseIdleConnections()
	}
}

// Values lists the distinct Authorization headers seen.
func (a *AuthRecorder) Values() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	var out []string
	for v := range a.seen {
		out = append(out, v)
	}
	return out
}

// Bearers lists the distinct bearer tokens seen, without "Bearer ".
func (a *AuthRecorder) Bearers() []string {
	var out []string
	for _, v := range a.Values() {
		if tok, ok := strings.CutPrefix(v, "Bearer "); ok {
			out = append(out, tok)
		}
	}
	return out
}

// FaultRounds are the sandbox faults a secrets sweep runs a round under,
// one at a time: 5xx on every request until the retry budget is spent,
// 429s with a Retry-After, dropped connections, and answers lost after the
// write.
func FaultRounds() []sandbox.Fault {
	return []sandbox.Fault{
		{Rate: 1, Statuses: []int{500, 502, 503}},
		{Rate: 1, Statuses: []int{429}, RetryAfter: time.Second},
		{Rate: 1, Drop: true},
		{Rate: 0.5, Statuses: []int{503}, Drop: true, Truncate: true, AfterHandling: true},
	}
}
