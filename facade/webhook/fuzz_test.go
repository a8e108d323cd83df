package webhook

import (
	"net/http"
	"testing"
)

// FuzzParse feeds arbitrary bodies to both event parsers: they return an
// event or ErrMalformedPayload, never panic.
func FuzzParse(f *testing.F) {
	for _, s := range []string{mkBody, lmBody, `{}`, `[]`, `null`, `{"metadata":null,"eventType":"x"}`,
		`{"webhook_event":"link.state_changed","webhook_idempotency_key":"k","error":{"a":1}}`, "\xff"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		if ev, err := ParseMoneyKitEvent(body); err == nil && (ev.Type == "" || ev.IdempotencyKey == "") {
			t.Fatalf("accepted an event without type or key: %q", body)
		}
		if ev, err := ParseLinkMoneyEvent(body); err == nil && ev.Type == "" {
			t.Fatalf("accepted an event without type: %q", body)
		}
	})
}

// FuzzLinkMoneyHeaders checks that arbitrary header values never verify nor
// panic.
func FuzzLinkMoneyHeaders(f *testing.F) {
	f.Add("c2ln", "1772366400", "uid", []byte(lmBody))
	f.Add("", "-1", "", []byte{})
	f.Add("////", "99999999999999999999", "a.b", []byte("x"))
	v, err := NewHMACVerifier("fuzz-secret")
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, sig, ts, id string, body []byte) {
		h := http.Header{}
		h.Set(HeaderLinkMoneySignature, sig)
		h.Set(HeaderLinkMoneyTimestamp, ts)
		h.Set(HeaderLinkMoneyUniqueID, id)
		if _, err := v.VerifyLinkMoney(h, body); err == nil {
			t.Fatalf("forged headers verified: %q %q %q", sig, ts, id)
		}
	})
}
