package webhook

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
)

// BenchmarkVerify measures one verification per provider with the key cached.
func BenchmarkVerify(b *testing.B) {
	clock := &fakeClock{now: t0}
	k1 := newKey(b, "k1")
	srv := newJWKSServer(b, k1)
	v, err := NewMoneyKitVerifier(MoneyKitOptions{BaseURL: srv.URL, ClientID: "client-1", Now: clock.Now})
	if err != nil {
		b.Fatal(err)
	}
	defer v.Close()
	body := []byte(mkBody)
	h := mkHeader(mkToken(b, k1, validClaims(body, t0)))
	b.Run("moneykit-es256", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := v.Verify(h, body); err != nil {
				b.Fatal(err)
			}
		}
	})
	lv, _ := NewHMACVerifier("secret")
	lv.Now = clock.Now
	lh := LinkMoneySignatureHeaders("secret", "uid-1", t0, []byte(lmBody))
	b.Run("linkmoney-hmac-sha512", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := lv.VerifyLinkMoney(lh, []byte(lmBody)); err != nil {
				b.Fatal(err)
			}
		}
	})
	handler := LinkMoneyHandler(lv, func(context.Context, *LinkMoneyEvent) error { return nil })
	b.Run("linkmoney-handler-duplicate", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			r := httptest.NewRequest(http.MethodPost, "/", bytes.NewReader([]byte(lmBody)))
			r.Header = lh.Clone()
			w := httptest.NewRecorder()
			handler.ServeHTTP(w, r)
			if w.Code != http.StatusOK {
				b.Fatal(w.Code)
			}
		}
	})
}
