package transport_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/banklink/banklink/facade"
	"github.com/banklink/banklink/facade/linkmoney"
	"github.com/banklink/banklink/facade/moneykit"
	"github.com/banklink/banklink/facade/sandbox"
)

// inProcess serves requests with a handler directly, without a network,
// counting requests per path (token requests aside).
type inProcess struct {
	h http.Handler

	mu   sync.Mutex
	sent map[string]int
}

func (p *inProcess) RoundTrip(r *http.Request) (*http.Response, error) {
	if !strings.HasSuffix(r.URL.Path, "/auth/token") && !strings.HasSuffix(r.URL.Path, "/v1/tokens") {
		p.mu.Lock()
		p.sent[r.URL.Path]++
		p.mu.Unlock()
	}
	rec := httptest.NewRecorder()
	p.h.ServeHTTP(rec, r)
	resp := rec.Result()
	resp.Request = r
	return resp, nil
}

func (p *inProcess) total() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := 0
	for _, c := range p.sent {
		n += c
	}
	return n
}

// FuzzRequestValidation builds requests from arbitrary strings through the
// facade's constructors and checks banklink's validation against the
// sandbox's, which validates with a separate engine (kin-openapi) from the
// same spec: a request banklink refuses is never sent, and a request it
// sends is never refused by the sandbox as invalid. No input panics.
func FuzzRequestValidation(f *testing.F) {
	sb := sandbox.New(sandbox.Config{NoRateLimits: true, RequestLogLimit: -1})
	sb.SetURL("http://127.0.0.1:9") // never dialled: requests are served in process
	tr := &inProcess{h: sb.Handler(), sent: map[string]int{}}
	hc := &http.Client{Transport: tr}
	mkCreds, lmCreds := sb.MoneyKit(), sb.LinkMoney()
	mk, err := moneykit.New(facade.WithCredentials(mkCreds.ClientID, mkCreds.ClientSecret), facade.WithBaseURL(mkCreds.BaseURL),
		facade.WithHTTPClient(hc), facade.WithMaxRetries(0))
	require.NoError(f, err)
	lm, err := linkmoney.New(facade.WithCredentials(lmCreds.ClientID, lmCreds.ClientSecret), facade.WithBaseURL(lmCreds.BaseURL),
		facade.WithHTTPClient(hc), facade.WithMaxRetries(0))
	require.NoError(f, err)
	ctx := context.Background()
	sess, err := lm.Sessions.Create(ctx, linkmoney.NewSession(linkmoney.SessionCustomer{FirstName: "Fuzz", LastName: "Customer", Email: "fuzz@example.com"}, "https://merchant.example/return"))
	require.NoError(f, err)
	customer, err := sb.CompleteSession(sess.SessionKey)
	require.NoError(f, err)
	paid, err := lm.Payments.Create(ctx, linkmoney.NewPayment(customer, "merchant-1", linkmoney.USD(50000)))
	require.NoError(f, err)
	ls, err := mk.LinkSessions.Create(ctx, moneykit.NewLinkSession("fuzz-user", "https://app.example/oauth"))
	require.NoError(f, err)
	exch, err := sb.CompleteLinkSession(ls.LinkSessionToken, sandbox.ConnectOptions{})
	require.NoError(f, err)
	res, err := mk.LinkSessions.Exchange(ctx, exch)
	require.NoError(f, err)
	linkID := res.Link.LinkId

	calls := []func(a, b, c, d, e string, cents int64) error{
		func(a, b, c, d, e string, _ int64) error {
			_, err := mk.LinkSessions.Create(ctx, moneykit.NewLinkSession(a, b, moneykit.WithCustomerEmail(c), moneykit.WithCustomerPhone(d), moneykit.WithLinkTags(e)))
			return err
		},
		func(a, b, c, d, e string, _ int64) error {
			_, err := mk.LinkSessions.Create(ctx, moneykit.NewLinkSession("fuzz-user", "https://app.example/oauth", moneykit.WithWebhook(a), moneykit.WithInstitution(b), moneykit.WithExistingLink(c)))
			return err
		},
		func(a, b, c, d, e string, _ int64) error {
			_, err := mk.Links.Update(ctx, linkID, moneykit.NewLinkUpdate(moneykit.SetWebhook(a), moneykit.SetLinkTags(b, e)))
			return err
		},
		func(a, b, c, d, e string, _ int64) error { _, err := mk.Links.Get(ctx, a); return err },
		func(a, b, c, d, e string, _ int64) error { _, err := mk.Users.Links(ctx, a); return err },
		func(a, b, c, d, e string, _ int64) error { _, err := mk.LinkSessions.Exchange(ctx, a); return err },
		func(a, b, c, d, e string, _ int64) error {
			_, err := lm.Sessions.Create(ctx, linkmoney.NewSession(linkmoney.SessionCustomer{FirstName: a, LastName: b, Email: c, Phone: d}, e))
			return err
		},
		func(a, b, c, d, e string, cents int64) error {
			_, err := lm.Payments.Create(ctx, linkmoney.NewPayment(customer, a, linkmoney.USD(cents),
				linkmoney.WithRequestKey(b), linkmoney.WithSoftDescriptor(c), linkmoney.WithClientReferenceID(d)))
			return err
		},
		func(a, b, c, d, e string, cents int64) error {
			_, err := lm.Refunds.Create(ctx, linkmoney.NewRefund(paid.PaymentId, linkmoney.USD(cents),
				linkmoney.WithRequestKey(b), linkmoney.WithSoftDescriptor(c), linkmoney.WithClientReferenceID(d)))
			return err
		},
		func(a, b, c, d, e string, _ int64) error { _, err := lm.Customers.Get(ctx, a); return err },
		func(a, b, c, d, e string, _ int64) error { _, err := lm.Customers.Accounts(ctx, a); return err },
	}

	for sel := range calls {
		f.Add(uint8(sel), "user-12345", "https://app.example/oauth", "jane@example.com", "+15555550123", "checkout", int64(1250))
		f.Add(uint8(sel), "", "", "", "", "", int64(0))
	}
	f.Add(uint8(0), "abc", "relative/path", "not-an-email", "12", "-bad tag", int64(1))
	f.Add(uint8(1), "ftp://hooks.example/x", "no_such_bank", "mk_missing", "", "", int64(1))
	f.Add(uint8(2), "https://hooks.example/?q=1", strings.Repeat("t", 100), "", "", "Ωmega", int64(1))
	f.Add(uint8(3), "mk_../../users", "", "", "", "", int64(1))
	f.Add(uint8(4), strings.Repeat("u", 151), "", "", "", "", int64(1))
	f.Add(uint8(5), "sandbox_exchange_\x00", "", "", "", "", int64(1))
	f.Add(uint8(6), "Jane", "Doe", "jane@@example.com", "+1 (555) 555-0123", "https://m.example/r#frag", int64(1))
	f.Add(uint8(6), strings.Repeat("J", 300), "D", "j@example.com", "555", "mailto:x@example.com", int64(1))
	f.Add(uint8(7), "merchant-1", "rk-1", "SOFT DESCRIPTOR 01", "order-1", "", int64(-5))
	f.Add(uint8(7), "merchant-1", "", "soft_descriptor!", strings.Repeat("r", 200), "", int64(1<<62))
	f.Add(uint8(8), "", "rk-2", "", "", "", int64(60000))
	f.Add(uint8(9), "8c4d7b3e-4f5a-4b1c-9d2e-6f7a8b9c0d1e", "", "", "", "", int64(0))
	f.Add(uint8(10), "c/../../v1/payments", "", "", "", "", int64(0))

	f.Fuzz(func(t *testing.T, sel uint8, a, b, c, d, e string, cents int64) {
		before := tr.total()
		err := calls[int(sel)%len(calls)](a, b, c, d, e, cents)
		var verr *facade.ValidationError
		if errors.As(err, &verr) {
			assert.Equal(t, before, tr.total(), "a refused request was sent")
			assert.NotEmpty(t, verr.Violations)
			msg := err.Error()
			for _, v := range []string{a, b, c, d, e} {
				if len(v) >= 16 {
					assert.NotContains(t, msg, v, "the message echoes a request value")
				}
			}
			return
		}
		if err == nil {
			return
		}
		switch e := err.(type) {
		case *facade.Error:
			// Anything but a validation refusal: a missing customer, a
			// duplicate key, a link that is not found, a bad state.
			isValidation := e.Code == facade.CodeValidationFailed || e.Code == "BAD_REQUEST"
			assert.False(t, isValidation, "banklink sent a request the sandbox refuses as invalid: %v\n%s", err, e.Body)
		case *facade.TransportError:
			t.Fatalf("in-process transport failed: %v", err)
		default:
			t.Fatalf("untyped error %T: %v", err, err)
		}
	})
}
