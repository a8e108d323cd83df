package validate

import (
	"encoding/json"
	"slices"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/banklink/banklink/gen/linkmoney"
	"github.com/banklink/banklink/gen/moneykit"
)

// maxValidAllocs is the allocation budget for checking a valid body.
const maxValidAllocs = 0

func validBenchBodies(tb testing.TB) []struct {
	name, op string
	rules    *Rules
	body     any
} {
	mk := getProvider(tb, "moneykit")
	lm := getProvider(tb, "linkmoney")
	return []struct {
		name, op string
		rules    *Rules
		body     any
	}{
		{"linkmoney/SessionRequest", "createSession", lm.rules, lm.decode(tb, "createSession", lm.bodies["createSession"])},
		{"moneykit/CreateLinkSessionRequest", "createLinkSession", mk.rules, mk.decode(tb, "createLinkSession", mk.bodies["createLinkSession"])},
		{"moneykit/UpdateLinkRequest", "updateLink", mk.rules, mk.decode(tb, "updateLink", mk.bodies["updateLink"])},
	}
}

func BenchmarkBodyValid(b *testing.B) {
	for _, bb := range validBenchBodies(b) {
		b.Run(bb.name, func(b *testing.B) {
			require.Nil(b, bb.rules.Body(bb.op, bb.body))
			b.ReportAllocs()
			for b.Loop() {
				if bb.rules.Body(bb.op, bb.body) != nil {
					b.Fatal("invalid")
				}
			}
		})
	}
}

func BenchmarkBodyInvalid(b *testing.B) {
	lm := getProvider(b, "linkmoney")
	s := lm.decode(b, "createSession", lm.bodies["createSession"]).(*linkmoney.SessionRequest)
	s.OrderDetails.SubtotalAmount = linkmoney.Amount{}
	s.PaymentDetails.Amount.Value = "1.001"
	b.ReportAllocs()
	for b.Loop() {
		if lm.rules.Body("createSession", s) == nil {
			b.Fatal("valid")
		}
	}
}

func TestConcurrentUse(t *testing.T) {
	lm := getProvider(t, "linkmoney")
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range 50 {
				s := lm.decode(t, "createSession", lm.bodies["createSession"]).(*linkmoney.SessionRequest)
				if (i+j)%2 == 0 {
					s.FirstName = ""
					assert.Equal(t, []rp{{"/firstName", "required"}}, pairs(lm.rules.Body("createSession", s)))
				} else {
					assert.Nil(t, lm.rules.Body("createSession", s))
				}
			}
		}()
	}
	wg.Wait()
}

var fuzzSeeds = []string{
	`{}`,
	`null`,
	`[]`,
	`{"firstName": "", "email": 1}`,
	`{"orderDetails": {"totalAmount": {"value": 1e400, "currency": "USD"}, "items": [null, {}]}}`,
	`{"orderDetails": {"taxAmount": {"value": -0.001}}, "paymentDetails": {}, "experienceId": "X"}`,
	`{"customer_user": {"id": "éé", "email": {"address": "@"}}, "redirect_uri": "https://a.example/?q#f", "link_tags": ["", "-", null]}`,
	`{"customerProfile": {"accountCreationDate": "9999-12-31T23:59:59Z", "transactionCount": -9223372036854775808}}`,
	`{"webhook": null, "link_tags": null, "tags": [""]}`,
}

func FuzzBody(f *testing.F) {
	mk := getProvider(f, "moneykit")
	lm := getProvider(f, "linkmoney")
	for _, body := range mk.bodies {
		f.Add([]byte(body))
	}
	for _, body := range lm.bodies {
		f.Add([]byte(body))
	}
	for _, s := range fuzzSeeds {
		f.Add([]byte(s))
	}
	targets := []struct {
		rules *Rules
		op    string
		mk    func() any
	}{
		{lm.rules, "createSession", func() any { return new(linkmoney.SessionRequest) }},
		{lm.rules, "createPayment", func() any { return new(linkmoney.PaymentRequest) }},
		{mk.rules, "createLinkSession", func() any { return new(moneykit.CreateLinkSessionRequest) }},
		{mk.rules, "updateLink", func() any { return new(moneykit.UpdateLinkRequest) }},
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, tg := range targets {
			v := tg.mk()
			if json.Unmarshal(data, v) != nil {
				continue
			}
			got := tg.rules.Body(tg.op, v)
			// Deterministic, ordered, and complete records.
			assert.Equal(t, got, tg.rules.Body(tg.op, v))
			assert.True(t, slices.IsSortedFunc(got, func(a, b Violation) int { return comparePaths(a.Path, b.Path) }))
			for _, viol := range got {
				assert.NotEmpty(t, viol.Rule)
				assert.NotEmpty(t, viol.Message)
			}
		}
	})
}
