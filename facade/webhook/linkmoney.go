package webhook

import (
	"crypto/hmac"
	"crypto/sha512"
	"encoding/base64"
	"errors"
	"net/http"
	"strconv"
	"time"
)

// LinkMoneyVerifier checks the signature of a Link Money delivery and returns
// the id to deduplicate it on ("" to use the payload's id). Link Money does
// not document its signature scheme, so the verifier is pluggable;
// HMACVerifier is the default.
type LinkMoneyVerifier interface {
	VerifyLinkMoney(header http.Header, body []byte) (deliveryID string, err error)
}

// Link Money signature headers of HMACVerifier's scheme.
const (
	HeaderLinkMoneySignature = "X-Signature"
	HeaderLinkMoneyTimestamp = "X-Signature-Timestamp"
	HeaderLinkMoneyUniqueID  = "X-Signature-Uniqueid"
)

// DefaultTolerance is HMACVerifier's timestamp window, in both directions.
const DefaultTolerance = 5 * time.Minute

// HMACVerifier verifies the scheme one production Link Money integrator
// documents (unconfirmed by Link Money): x-signature =
// base64(HMAC-SHA512(secret, uniqueId + "." + timestamp + "." + rawBody)),
// x-signature-timestamp in unix seconds within Tolerance of now either way,
// and deduplication on x-signature-uniqueid.
type HMACVerifier struct {
	// Secrets are the subscription secrets (the secretKey given to
	// Subscribe). Any one of them verifies a delivery, so a secret can be
	// rolled without downtime. At least one is required.
	Secrets []string
	// Tolerance is the timestamp window (default 5m).
	Tolerance time.Duration
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// NewHMACVerifier returns an HMACVerifier for the given secrets.
func NewHMACVerifier(secrets ...string) (*HMACVerifier, error) {
	if len(secrets) == 0 {
		return nil, errors.New("webhook: at least one Link Money webhook secret is required")
	}
	for _, s := range secrets {
		if s == "" {
			return nil, errors.New("webhook: a Link Money webhook secret is empty")
		}
	}
	return &HMACVerifier{Secrets: secrets}, nil
}

// VerifyLinkMoney implements LinkMoneyVerifier.
func (v *HMACVerifier) VerifyLinkMoney(header http.Header, body []byte) (string, error) {
	sig, ts, id := header.Get(HeaderLinkMoneySignature), header.Get(HeaderLinkMoneyTimestamp), header.Get(HeaderLinkMoneyUniqueID)
	if sig == "" || ts == "" || id == "" {
		return "", ErrMissingSignature
	}
	secs, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return "", ErrInvalidSignature
	}
	now := time.Now
	if v.Now != nil {
		now = v.Now
	}
	tol := v.Tolerance
	if tol <= 0 {
		tol = DefaultTolerance
	}
	got, err := base64.StdEncoding.DecodeString(sig)
	if err != nil || len(got) != sha512.Size {
		return "", ErrInvalidSignature
	}
	ok := false
	for _, s := range v.Secrets {
		if s != "" && hmac.Equal(got, SignLinkMoney(s, id, ts, body)) {
			ok = true
		}
	}
	if !ok {
		return "", ErrInvalidSignature
	}
	age := now().Sub(time.Unix(secs, 0))
	switch {
	case age > tol:
		return "", ErrTooOld
	case -age > tol:
		return "", ErrFromFuture
	}
	return id, nil
}

// SignLinkMoney returns the HMAC-SHA512 of HMACVerifier's scheme. Base64 it
// for the x-signature header; tests use it to sign deliveries of their own.
func SignLinkMoney(secret, uniqueID, timestamp string, body []byte) []byte {
	mac := hmac.New(sha512.New, []byte(secret))
	mac.Write([]byte(uniqueID))
	mac.Write([]byte("."))
	mac.Write([]byte(timestamp))
	mac.Write([]byte("."))
	mac.Write(body)
	return mac.Sum(nil)
}

// LinkMoneySignatureHeaders returns the three headers of HMACVerifier's
// scheme for body, signed with secret at time at.
func LinkMoneySignatureHeaders(secret, uniqueID string, at time.Time, body []byte) http.Header {
	ts := strconv.FormatInt(at.Unix(), 10)
	h := http.Header{}
	h.Set(HeaderLinkMoneySignature, base64.StdEncoding.EncodeToString(SignLinkMoney(secret, uniqueID, ts, body)))
	h.Set(HeaderLinkMoneyTimestamp, ts)
	h.Set(HeaderLinkMoneyUniqueID, uniqueID)
	return h
}
