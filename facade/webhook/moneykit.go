package webhook

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/MicahParks/jwkset"
	"github.com/MicahParks/keyfunc/v3"
	"github.com/golang-jwt/jwt/v5"
	"golang.org/x/time/rate"
)

// MoneyKit verification defaults.
const (
	DefaultMoneyKitIssuer   = "https://api.moneykit.com"
	DefaultMaxAge           = 5 * time.Minute
	DefaultFutureLeeway     = 30 * time.Second
	DefaultJWKSRefresh      = 12 * time.Hour
	DefaultUnknownKIDPeriod = 5 * time.Minute
	jwksFetchTimeout        = 10 * time.Second
	maxJWKSBytes            = 1 << 20
)

// MoneyKitOptions configure a MoneyKitVerifier. The zero value reads
// MONEYKIT_BASE_URL and MONEYKIT_CLIENT_ID and applies the defaults.
type MoneyKitOptions struct {
	// BaseURL is MoneyKit's API host (default MONEYKIT_BASE_URL, then
	// https://api.moneykit.com); keys come from BaseURL/.well-known/jwks.json.
	// Plain http is accepted for loopback hosts only.
	BaseURL string
	// ClientID is sent as X-Client-Id on JWKS fetches (default
	// MONEYKIT_CLIENT_ID). Required.
	ClientID string
	// HTTPClient fetches the JWKS (default: a client with a 10s timeout).
	HTTPClient *http.Client
	// Issuer is the iss a token must carry when it has one (default
	// https://api.moneykit.com).
	Issuer string
	// MaxAge is how old iat may be (default 5m); FutureLeeway how far in the
	// future (default 30s), for clock skew.
	MaxAge, FutureLeeway time.Duration
	// RefreshInterval is how long the JWKS is kept before it is fetched
	// again (default 12h).
	RefreshInterval time.Duration
	// UnknownKIDInterval is the least time between two fetches caused by a
	// token whose kid is not cached (default 5m). A token with an unknown kid
	// within that time is rejected without a fetch: at once, or after at
	// most 10s when the interval ends sooner.
	UnknownKIDInterval time.Duration
	// Now is the clock for iat checks (default time.Now).
	Now func() time.Time
	// Logger, if set, receives JWKS fetch failures (the reason, never a key
	// or a token). keyfunc's own logging is always off.
	Logger *slog.Logger
}

// MoneyKitVerifier verifies the MoneyKit-Signature header of MoneyKit
// webhooks: an ES256 JWT whose key is picked by kid from MoneyKit's JWKS, whose
// request_body_sha256 claim must equal the SHA-256 of the raw body, and whose
// iat must be recent. It is safe for concurrent use. Close stops its JWKS
// refresher.
type MoneyKitVerifier struct {
	own    *http.Transport // nil when the caller gave the HTTP client
	kf     keyfunc.Keyfunc
	ctx    context.Context
	cancel context.CancelFunc
	parser *jwt.Parser
	issuer string
	maxAge time.Duration
	leeway time.Duration
	now    func() time.Time
}

// NewMoneyKitVerifier fetches MoneyKit's JWKS once and starts refreshing it
// every RefreshInterval. A failed first fetch is not an error: the first
// token then triggers an unknown-kid fetch.
func NewMoneyKitVerifier(opts MoneyKitOptions) (*MoneyKitVerifier, error) {
	if opts.BaseURL == "" {
		opts.BaseURL = os.Getenv("MONEYKIT_BASE_URL")
	}
	if opts.BaseURL == "" {
		opts.BaseURL = "https://api.moneykit.com"
	}
	if opts.ClientID == "" {
		opts.ClientID = os.Getenv("MONEYKIT_CLIENT_ID")
	}
	if opts.ClientID == "" {
		return nil, errors.New("webhook: MoneyKitOptions.ClientID (or MONEYKIT_CLIENT_ID) is required to fetch the JWKS")
	}
	base, err := url.Parse(strings.TrimRight(opts.BaseURL, "/"))
	if err != nil || base.Host == "" || (base.Scheme != "https" && !(base.Scheme == "http" && loopbackHost(base.Hostname()))) {
		return nil, errors.New("webhook: MoneyKitOptions.BaseURL must be an https URL (http only for loopback hosts)")
	}
	if opts.Issuer == "" {
		opts.Issuer = DefaultMoneyKitIssuer
	}
	if opts.MaxAge <= 0 {
		opts.MaxAge = DefaultMaxAge
	}
	if opts.FutureLeeway <= 0 {
		opts.FutureLeeway = DefaultFutureLeeway
	}
	if opts.RefreshInterval <= 0 {
		opts.RefreshInterval = DefaultJWKSRefresh
	}
	if opts.UnknownKIDInterval <= 0 {
		opts.UnknownKIDInterval = DefaultUnknownKIDPeriod
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	hc := opts.HTTPClient
	var own *http.Transport
	if hc == nil {
		// A transport of its own, so that Close can drop its idle
		// connections without touching anyone else's.
		own = http.DefaultTransport.(*http.Transport).Clone()
		hc = &http.Client{Timeout: jwksFetchTimeout, Transport: own}
	}
	rt := hc.Transport
	if rt == nil {
		rt = http.DefaultTransport
	}
	client := *hc
	client.Transport = &clientIDTransport{base: rt, clientID: opts.ClientID}

	logger := opts.Logger
	ctx, cancel := context.WithCancel(context.Background())
	kf, err := keyfunc.NewDefaultOverrideCtx(ctx, []string{base.String() + "/.well-known/jwks.json"}, keyfunc.Override{
		Client:            &client,
		HTTPTimeout:       jwksFetchTimeout,
		RefreshInterval:   opts.RefreshInterval,
		RefreshUnknownKID: rate.NewLimiter(rate.Every(opts.UnknownKIDInterval), 1),
		// This bounds the limiter wait and the fetch together. An unknown
		// kid inside the interval fails at once (the limiter refuses a wait
		// past the deadline) unless the interval ends within it.
		RateLimitWaitMax: jwksFetchTimeout,
		RefreshErrorHandlerFunc: func(string) func(context.Context, error) {
			return func(ctx context.Context, err error) {
				if logger != nil {
					logger.LogAttrs(ctx, slog.LevelWarn, "moneykit jwks fetch failed", slog.String("reason", jwksReason(err)))
				}
			}
		},
	})
	if err != nil {
		cancel()
		return nil, fmt.Errorf("webhook: setting up the MoneyKit JWKS: %w", err)
	}
	return &MoneyKitVerifier{
		own:    own,
		kf:     kf,
		ctx:    ctx,
		cancel: cancel,
		parser: jwt.NewParser(
			jwt.WithValidMethods([]string{jwt.SigningMethodES256.Alg()}),
			jwt.WithTimeFunc(opts.Now),
			jwt.WithLeeway(opts.FutureLeeway),
		),
		issuer: opts.Issuer,
		maxAge: opts.MaxAge,
		leeway: opts.FutureLeeway,
		now:    opts.Now,
	}, nil
}

// Close stops the JWKS refresher (and closes the idle connections of the
// default HTTP client). Verify fails after Close.
func (v *MoneyKitVerifier) Close() error {
	v.cancel()
	if v.own != nil {
		v.own.CloseIdleConnections()
	}
	return nil
}

type mkClaims struct {
	jwt.RegisteredClaims
	RequestBodySHA256 string `json:"request_body_sha256"`
}

// Verify checks a delivery's headers and raw body and returns the parsed
// event. The error wraps ErrVerification and one of the specific errors.
func (v *MoneyKitVerifier) Verify(header http.Header, body []byte) (*MoneyKitEvent, error) {
	sig := header.Get("MoneyKit-Signature")
	if sig == "" {
		return nil, ErrMissingSignature
	}
	if v.ctx.Err() != nil {
		return nil, errors.New("webhook: the MoneyKit verifier is closed")
	}
	claims := &mkClaims{}
	keys := v.kf.KeyfuncCtx(v.ctx)
	_, err := v.parser.ParseWithClaims(sig, claims, func(t *jwt.Token) (any, error) {
		if kid, _ := t.Header["kid"].(string); kid == "" {
			return nil, ErrUnknownKey
		}
		k, err := keys(t)
		if err != nil {
			return nil, ErrUnknownKey
		}
		return k, nil
	})
	switch {
	case err == nil:
	case errors.Is(err, ErrUnknownKey):
		return nil, ErrUnknownKey
	case errors.Is(err, jwt.ErrTokenExpired):
		return nil, ErrTooOld
	default:
		return nil, ErrInvalidSignature
	}
	if claims.IssuedAt == nil {
		return nil, ErrInvalidSignature
	}
	age := v.now().Sub(claims.IssuedAt.Time)
	switch {
	case age > v.maxAge:
		return nil, ErrTooOld
	case -age > v.leeway:
		return nil, ErrFromFuture
	}
	if claims.Issuer != "" && claims.Issuer != v.issuer {
		return nil, ErrIssuer
	}
	want, err := hex.DecodeString(claims.RequestBodySHA256)
	got := sha256.Sum256(body)
	if err != nil || subtle.ConstantTimeCompare(want, got[:]) != 1 {
		return nil, ErrBodyMismatch
	}
	ev, err := ParseMoneyKitEvent(body)
	if err != nil {
		return nil, err
	}
	ev.DeliveryToken = header.Get("MoneyKit-Delivery-Token")
	ev.DeliveryAttempt = header.Get("MoneyKit-Delivery-Attempt")
	return ev, nil
}

// clientIDTransport sends X-Client-Id on JWKS fetches and caps the answer.
type clientIDTransport struct {
	base     http.RoundTripper
	clientID string
}

func (t *clientIDTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("X-Client-Id", t.clientID)
	r.Header.Set("Accept", "application/json")
	resp, err := t.base.RoundTrip(r)
	if err != nil {
		return nil, err
	}
	resp.Body = &limitedBody{Reader: io.LimitReader(resp.Body, maxJWKSBytes), c: resp.Body}
	return resp, nil
}

type limitedBody struct {
	io.Reader
	c io.Closer
}

func (b *limitedBody) Close() error { return b.c.Close() }

// jwksReason names a JWKS fetch failure without URLs or payloads.
func jwksReason(err error) string {
	var ne net.Error
	switch {
	case errors.Is(err, jwkset.ErrInvalidHTTPStatusCode):
		return "unexpected status"
	case errors.As(err, &ne) && ne.Timeout():
		return "timeout"
	case errors.Is(err, context.Canceled):
		return "canceled"
	}
	return "fetch or decode failed"
}

func loopbackHost(h string) bool {
	if h == "localhost" {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}
