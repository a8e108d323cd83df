package transport_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/banklink/banklink/facade"
	"github.com/banklink/banklink/facade/linkmoney"
	"github.com/banklink/banklink/facade/moneykit"
	"github.com/banklink/banklink/facade/sandbox"
	lmgen "github.com/banklink/banklink/gen/linkmoney"
	mkgen "github.com/banklink/banklink/gen/moneykit"
	"github.com/banklink/banklink/internal/memnet"
	"github.com/banklink/banklink/internal/opmeta"
)

// The fault soak drives every facade operation of both providers against the
// sandbox while about 30% of requests fail: 500, 502, 503 and 429 answers
// (with and without Retry-After), dropped connections, truncated bodies, and
// the same faults after the sandbox has acted (the write happened, the answer
// was lost). It then reads the sandbox's request log to prove that nothing
// was done twice: no payment or refund created twice, every retry of one
// call carrying the same requestKey, no exchangeable token sent twice, and
// unsafe operations replayed only after a 429.
//
// Each facade call is tagged by a RoundTripper below the facade with the
// call's name and the facade attempt number (X-Soak-Call, X-Soak-Attempt);
// the sandbox log keeps request headers, so every logged request can be
// traced to the facade call and attempt that sent it. Go's http.Transport
// may itself resend a GET on a reused connection that closed without an
// answer; such a resend carries the same attempt number as the original.

const (
	soakSeed       = 20240611
	soakRate       = 0.3
	soakCallBudget = 5 * time.Second // each call's context deadline
	soakMaxRetries = facade.DefaultMaxRetries
)

type soakCallKey struct{}

// soakTag names one facade call and counts the HTTP attempts it makes.
type soakTag struct {
	name     string
	attempts atomic.Int64
}

// tagTransport stamps each request with the facade call and attempt that
// sent it, then hands it to the default transport.
type tagTransport struct{ base http.RoundTripper }

func (t tagTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	tag, _ := r.Context().Value(soakCallKey{}).(*soakTag)
	if tag == nil {
		return t.base.RoundTrip(r)
	}
	r2 := r.Clone(r.Context())
	r2.Header.Set("X-Soak-Call", tag.name)
	r2.Header.Set("X-Soak-Attempt", strconv.FormatInt(tag.attempts.Add(1), 10))
	return t.base.RoundTrip(r2)
}

func (t tagTransport) CloseIdleConnections() {
	if c, ok := t.base.(interface{ CloseIdleConnections() }); ok {
		c.CloseIdleConnections()
	}
}

// recordedWaits is the WithWait seam: it records every wait and returns at once.
type recordedWaits struct {
	mu sync.Mutex
	ds []time.Duration
}

func (w *recordedWaits) wait(ctx context.Context, d time.Duration) error {
	w.mu.Lock()
	w.ds = append(w.ds, d)
	w.mu.Unlock()
	return ctx.Err()
}

func (w *recordedWaits) all() []time.Duration {
	w.mu.Lock()
	defer w.mu.Unlock()
	return slices.Clone(w.ds)
}

// soakResult is the outcome of one facade call.
type soakResult struct {
	name    string
	op      string // the sandbox's operationId
	err     error
	elapsed time.Duration
}

// soak runs facade calls with a deadline each and records their outcomes.
type soak struct {
	t     *testing.T
	sb    *sandbox.Sandbox
	ln    *memnet.Listener
	waits *recordedWaits
	seq   atomic.Int64

	mu      sync.Mutex
	results []soakResult
}

// newSoak serves the sandbox on an in-memory network: the soak runs in a
// synctest bubble, so each call's deadline is on the bubble's clock and no
// load on the machine can make a call outlive it.
func newSoak(t *testing.T, cfg sandbox.Config) *soak {
	cfg.Seed = soakSeed
	cfg.NoRateLimits = true // the 429s come from the injected faults
	sb := sandbox.New(cfg)
	srv, ln := memnet.NewServer(t, sb.Handler())
	sb.SetURL(srv.URL)
	return &soak{t: t, sb: sb, ln: ln, waits: &recordedWaits{}}
}

func (s *soak) httpClient() *http.Client {
	hc := memnet.Client(s.t, facade.DefaultHTTPClient(), s.ln)
	hc.Transport = tagTransport{base: hc.Transport}
	return hc
}

func (s *soak) moneyKit() *moneykit.Client {
	creds := s.sb.MoneyKit()
	mk, err := moneykit.New(facade.WithCredentials(creds.ClientID, creds.ClientSecret), facade.WithBaseURL(creds.BaseURL),
		facade.WithHTTPClient(s.httpClient()), facade.WithWait(s.waits.wait), facade.WithoutDocumentedLimits())
	require.NoError(s.t, err)
	return mk
}

func (s *soak) linkMoney() *linkmoney.Client {
	creds := s.sb.LinkMoney()
	lm, err := linkmoney.New(facade.WithCredentials(creds.ClientID, creds.ClientSecret), facade.WithBaseURL(creds.BaseURL),
		facade.WithHTTPClient(s.httpClient()), facade.WithWait(s.waits.wait), facade.WithoutDocumentedLimits())
	require.NoError(s.t, err)
	return lm
}

// call runs fn as one tagged facade call of the sandbox operation op and
// checks at once that it ended in time with nil or a typed error. It is safe
// to use from several goroutines.
func (s *soak) call(op string, fn func(ctx context.Context) error) error {
	tag := &soakTag{name: fmt.Sprintf("%s-%d", op, s.seq.Add(1))}
	ctx, cancel := context.WithTimeout(context.WithValue(context.Background(), soakCallKey{}, tag), soakCallBudget)
	defer cancel()
	start := time.Now()
	err := fn(ctx)
	elapsed := time.Since(start)

	assert.Less(s.t, elapsed, soakCallBudget, "%s: outlived its deadline", tag.name)
	if err != nil {
		switch err.(type) {
		case *facade.Error, *facade.RateLimitError, *facade.TransportError, *facade.AcceptedEarlierError:
		default:
			s.t.Errorf("%s: untyped error %T: %v", tag.name, err, err)
		}
		assert.NotErrorIs(s.t, err, context.DeadlineExceeded, "%s: nothing may run into the caller's deadline", tag.name)
		assert.NotErrorIs(s.t, err, facade.ErrInvalidRequest, "%s: the soak sends only valid requests", tag.name)
	}
	s.mu.Lock()
	s.results = append(s.results, soakResult{name: tag.name, op: op, err: err, elapsed: elapsed})
	s.mu.Unlock()
	return err
}

// faultPhases mix faults before and after the sandbox acts, with and without
// a one-second Retry-After on the injected statuses.
var faultPhases = []struct {
	after      bool
	retryAfter time.Duration
}{
	{after: false, retryAfter: time.Second},
	{after: true, retryAfter: time.Second},
	{after: false},
	{after: true},
}

func soakFaults(after bool, retryAfter time.Duration) map[string]sandbox.Fault {
	return map[string]sandbox.Fault{"*": {
		Rate:          soakRate,
		Statuses:      []int{500, 502, 503, 429},
		RetryAfter:    retryAfter,
		Drop:          true,
		Truncate:      true,
		AfterHandling: after,
	}}
}

// business is one payment or refund the application means to make, sent
// again after a failure with the requestKey banklink reported for the first
// call, as an application would after a crash or a timeout.
type business struct {
	ref     string // clientReferenceId, unique per business payment
	key     string // the requestKey banklink generated and reported
	outcome error  // the last call's result
	calls   []string
}

const soakResends = 3

func (s *soak) pay(lm *linkmoney.Client, customerID, ref string, cents int64) *business {
	req := linkmoney.NewPayment(customerID, "merchant-soak", linkmoney.USD(cents), linkmoney.WithClientReferenceID(ref))
	return s.resend("createPayment", ref, &req.RequestKey, func(ctx context.Context, key string, r *facade.Response) error {
		send := req
		if key != "" {
			cp := *req
			cp.RequestKey = key
			send = &cp
		}
		_, err := lm.Payments.Create(ctx, send, facade.WithResponse(r))
		return err
	})
}

func (s *soak) refund(lm *linkmoney.Client, paymentID, ref string) *business {
	req := linkmoney.NewRefund(paymentID, linkmoney.USD(100), linkmoney.WithClientReferenceID(ref))
	return s.resend("createRefund", ref, &req.RequestKey, func(ctx context.Context, key string, r *facade.Response) error {
		send := req
		if key != "" {
			cp := *req
			cp.RequestKey = key
			send = &cp
		}
		_, err := lm.Refunds.Create(ctx, send, facade.WithResponse(r))
		return err
	})
}

// resend makes one business request, sending it again after a failure with
// the key the failed call reported, until it succeeds, is refused as a
// duplicate (an earlier attempt made it), or soakResends calls were made.
// Every call must report the key it sent, on success and on failure, and
// leave the caller's request (whose RequestKey is requestKey) as it was.
func (s *soak) resend(op, ref string, requestKey *string, create func(ctx context.Context, key string, r *facade.Response) error) *business {
	b := &business{ref: ref}
	for range soakResends {
		var name string
		var r facade.Response
		b.outcome = s.call(op, func(ctx context.Context) error {
			name = ctx.Value(soakCallKey{}).(*soakTag).name
			return create(ctx, b.key, &r)
		})
		b.calls = append(b.calls, name)
		if b.key == "" {
			b.key = r.IdempotencyKey
		}
		assert.NotEmpty(s.t, b.key, "%s: banklink reported the requestKey it generated", ref)
		assert.Equal(s.t, b.key, r.IdempotencyKey, "%s: the Response names the key sent", ref)
		if b.outcome != nil {
			assert.Equal(s.t, b.key, facade.IdempotencyKeyOf(b.outcome), "%s: the error carries the key sent: %v", ref, b.outcome)
		}
		assert.Empty(s.t, *requestKey, "%s: the caller's request is not written to", ref)
		var ae *facade.AcceptedEarlierError
		if errors.As(b.outcome, &ae) {
			assert.Equal(s.t, ref, ae.ClientReferenceID, "%s: the accepted-earlier outcome names the reference", ref)
			assert.NotErrorIs(s.t, b.outcome, facade.ErrDuplicateRequestKey)
		}
		if b.outcome == nil || errors.Is(b.outcome, facade.ErrDuplicateRequestKey) || ae != nil {
			break
		}
	}
	return b
}

func TestFaultSoakEveryOperation(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const roundsPerPhase = 12
		rounds := roundsPerPhase * len(faultPhases)
		s := newSoak(t, sandbox.Config{})
		mk, lm := s.moneyKit(), s.linkMoney()
		ctx := context.Background()

		// Setup, before any fault: links to read, update and delete, a customer,
		// and a payment to refund.
		var readable, deletable []string
		for i := range rounds + 3 {
			// Readable links have every product and a webhook URL (off
			// loopback: the sandbox logs such deliveries and sends none).
			user := "soak-user-setup"
			if i < 3 {
				user = "soak-user-readable" // fewer links than the setup user: cheap user-wide reads
			}
			ls, err := mk.LinkSessions.Create(ctx, moneykit.NewLinkSession(user, "https://app.example/oauth",
				moneykit.WithProducts(moneykit.ProductAccountNumbers, moneykit.ProductIdentity, moneykit.ProductTransactions, moneykit.ProductInvestments),
				moneykit.WithWebhook("https://hooks.soak.example/mk")))
			require.NoError(t, err)
			exch, err := s.sb.CompleteLinkSession(ls.LinkSessionToken, sandbox.ConnectOptions{InstitutionID: "credentials_bank"})
			require.NoError(t, err)
			res, err := mk.LinkSessions.Exchange(ctx, exch)
			require.NoError(t, err)
			if i < 3 {
				readable = append(readable, res.Link.LinkId)
			} else {
				deletable = append(deletable, res.Link.LinkId)
			}
		}
		sess, err := lm.Sessions.Create(ctx, linkmoney.NewSession(linkmoney.SessionCustomer{FirstName: "Soak", LastName: "Customer", Email: "soak@example.com"}, "https://merchant.example/return"))
		require.NoError(t, err)
		customer, err := s.sb.CompleteSession(sess.SessionKey)
		require.NoError(t, err)
		refundable, err := lm.Payments.Create(ctx, linkmoney.NewPayment(customer, "merchant-soak", linkmoney.USD(90000)))
		require.NoError(t, err)
		accounts, txns := map[string]string{}, map[string]string{}
		for _, link := range readable {
			as, err := mk.Accounts.List(ctx, link, nil)
			require.NoError(t, err)
			require.NotEmpty(t, as.Accounts)
			accounts[link] = as.Accounts[0].AccountId
			ts, err := mk.Transactions.List(ctx, link, moneykit.TransactionsParams{})
			require.NoError(t, err)
			require.NotEmpty(t, ts.Transactions)
			txns[link] = ts.Transactions[0].TransactionId
		}
		imported, err := mk.Links.Import(ctx, soakImport("soak-user-import"))
		require.NoError(t, err)
		var held []string // payments awaiting release, one per round
		for range rounds {
			p, err := lm.Payments.Create(ctx, linkmoney.NewPayment(customer, "merchant-soak", linkmoney.USD(500000)))
			require.NoError(t, err)
			held = append(held, p.PaymentId)
		}
		setupEnd := len(s.sb.Requests())

		var (
			exchangeTokens []string
			payments       []*business
			refunds        []*business
		)
		for p, phase := range faultPhases {
			s.sb.SetFaults(soakFaults(phase.after, phase.retryAfter))
			var wg sync.WaitGroup
			wg.Go(func() { // MoneyKit: every operation, every round
				for r := p * roundsPerPhase; r < (p+1)*roundsPerPhase; r++ {
					user := "soak-user-" + strconv.Itoa(r%4)
					link := readable[r%len(readable)]
					_ = s.call("createAccessToken", func(ctx context.Context) error { _, err := mk.Auth.Token(ctx); return err })
					var lst string
					_ = s.call("createLinkSession", func(ctx context.Context) error {
						ls, err := mk.LinkSessions.Create(ctx, moneykit.NewLinkSession(user, "https://app.example/oauth"))
						if err == nil {
							lst = ls.LinkSessionToken
						}
						return err
					})
					if lst != "" {
						exch, err := s.sb.CompleteLinkSession(lst, sandbox.ConnectOptions{})
						if assert.NoError(t, err) {
							exchangeTokens = append(exchangeTokens, exch)
							_ = s.call("exchangeToken", func(ctx context.Context) error { _, err := mk.LinkSessions.Exchange(ctx, exch); return err })
						}
					}
					_ = s.call("getLink", func(ctx context.Context) error { _, err := mk.Links.Get(ctx, link); return err })
					_ = s.call("updateLink", func(ctx context.Context) error {
						_, err := mk.Links.Update(ctx, link, moneykit.NewLinkUpdate(moneykit.SetLinkTags("round-"+strconv.Itoa(r))))
						return err
					})
					_ = s.call("getUserLinks", func(ctx context.Context) error { _, err := mk.Users.Links(ctx, "soak-user-setup"); return err })
					_ = s.call("getJWKS", func(ctx context.Context) error { _, err := mk.Webhooks.JWKS(ctx); return err })
					s.dataRound(mk, r, link, accounts[link], txns[link], imported.LinkId)
					_ = s.call("resetLink", func(ctx context.Context) error { _, err := mk.Links.Reset(ctx, deletable[r]); return err })
					_ = s.call("deleteLink", func(ctx context.Context) error { return mk.Links.Delete(ctx, deletable[r]) })
				}
			})
			wg.Go(func() { // Link Money: every operation, every round
				for r := p * roundsPerPhase; r < (p+1)*roundsPerPhase; r++ {
					scope := linkmoney.TokenScopeLinkCore
					if r%2 == 1 {
						scope = linkmoney.TokenScopeLinkPayment
					}
					_ = s.call("createToken", func(ctx context.Context) error { _, err := lm.Auth.Token(ctx, scope); return err })
					_ = s.call("createSession", func(ctx context.Context) error {
						_, err := lm.Sessions.Create(ctx, linkmoney.NewSession(linkmoney.SessionCustomer{FirstName: "Soak", LastName: "Round", Email: "round@example.com"}, "https://merchant.example/return"))
						return err
					})
					_ = s.call("getCustomer", func(ctx context.Context) error { _, err := lm.Customers.Get(ctx, customer); return err })
					_ = s.call("getCustomerAccounts", func(ctx context.Context) error { _, err := lm.Customers.Accounts(ctx, customer); return err })
					payments = append(payments, s.pay(lm, customer, "order-"+strconv.Itoa(r), 1000+int64(r)))
					refunds = append(refunds, s.refund(lm, refundable.PaymentId, "refund-"+strconv.Itoa(r)))
					_ = s.call("getTransaction", func(ctx context.Context) error { _, err := lm.Payments.Status(ctx, refundable.PaymentId); return err })
					_ = s.call("releasePayment", func(ctx context.Context) error { _, err := lm.Payments.Release(ctx, held[r]); return err })
					var subKey string
					_ = s.call("subscribeWebhook", func(ctx context.Context) error {
						sub, err := lm.Webhooks.Subscribe(ctx, "https://hooks.soak.example/lm-"+strconv.Itoa(r), "soak-secret-"+strconv.Itoa(r))
						if err == nil {
							subKey = sub.SubscriptionKey
						}
						return err
					})
					if subKey != "" {
						_ = s.call("unsubscribeWebhook", func(ctx context.Context) error { return lm.Webhooks.Unsubscribe(ctx, subKey) })
					}
				}
			})
			wg.Wait()
		}
		s.sb.SetFaults(nil)

		log := s.sb.Requests()[setupEnd:]
		s.checkFaultMix(log)
		s.checkCallsOnTheWire(log)
		s.checkWaits(true, true)
		s.checkCreatedAtMostOnce(log, "createPayment", http.StatusOK, payments)
		s.checkCreatedAtMostOnce(log, "createRefund", http.StatusCreated, refunds)
		s.checkExchangeTokensSentOnce(log, exchangeTokens)

		// Every operation ran many times, and most calls still succeeded.
		ops := map[string]int{}
		okCalls := 0
		for _, r := range s.results {
			ops[r.op]++
			if r.err == nil {
				okCalls++
			}
		}
		for id := range soakSafety() {
			switch id {
			case "exchangeToken", "unsubscribeWebhook": // after a successful create
				assert.Greater(t, ops[id], rounds/2, "most creates reached %s", id)
			default:
				assert.GreaterOrEqual(t, ops[id], rounds, "%s ran every round", id)
			}
		}
		t.Logf("%d calls, %d ok, %d waits", len(s.results), okCalls, len(s.waits.all()))
		assert.Greater(t, okCalls, len(s.results)*3/4, "retries absorb most faults")

		// The sandbox's own accounting agrees: the refundable payment lost
		// exactly what the created refunds took, so nothing more can be refunded
		// than 900.00 minus one dollar per created refund.
		created := 0
		for _, q := range log {
			if q.Operation == "createRefund" && q.HandlerStatus == http.StatusCreated {
				created++
			}
		}
		left := int64(90000 - 100*created)
		_, err = lm.Refunds.Create(ctx, linkmoney.NewRefund(refundable.PaymentId, linkmoney.USD(left+1)))
		var apiErr *facade.Error
		require.ErrorAs(t, err, &apiErr, "more than %d cents left to refund", left)
		assert.Equal(t, "INVALID_REFUND", apiErr.Code)
		_, err = lm.Refunds.Create(ctx, linkmoney.NewRefund(refundable.PaymentId, linkmoney.USD(left)))
		require.NoError(t, err, "exactly %d cents were left to refund", left)
	})
}

// soakSafety is the retry class of every operation of both generated
// tables: the soak calls each of them every round.
var soakSafety = sync.OnceValue(func() map[string]opmeta.Retry {
	m := map[string]opmeta.Retry{}
	for _, op := range mkgen.Operations {
		m[op.ID] = op.Retry
	}
	for _, op := range lmgen.Operations {
		m[op.ID] = op.Retry
	}
	return m
})

func soakImport(user string) *moneykit.ImportLinkRequest {
	return &moneykit.ImportLinkRequest{
		CustomerUser:  moneykit.LinkSessionCustomerUser{Id: user},
		InstitutionId: "instant_bank",
		Accounts:      []moneykit.AccountImportData{{AccountId: "ext-1", Name: "Checking", Type: "checking", Balances: moneykit.AccountBalances{Current: new(10.0)}}},
		Transactions:  []moneykit.TransactionImportData{{AccountId: "ext-1", Amount: "-9.99", Date: "2025-02-01"}},
	}
}

// dataRound makes one call of each MoneyKit data operation: reads of the
// readable link, its account and transaction, an enrichment update, a
// refresh, a test webhook, an import and an import of transactions.
func (s *soak) dataRound(mk *moneykit.Client, r int, link, account, txn, imported string) {
	_ = s.call("introspectClient", func(ctx context.Context) error { _, err := mk.Auth.Introspect(ctx); return err })
	_ = s.call("getLinks", func(ctx context.Context) error {
		_, err := mk.Links.List(ctx, moneykit.LinksParams{Limit: 500})
		return err
	})
	_ = s.call("getInstitutions", func(ctx context.Context) error {
		_, err := mk.Institutions.List(ctx, moneykit.InstitutionsParams{})
		return err
	})
	_ = s.call("getInstitution", func(ctx context.Context) error { _, err := mk.Institutions.Get(ctx, "credentials_bank"); return err })
	_ = s.call("getUserAccounts", func(ctx context.Context) error {
		_, err := mk.Users.Accounts(ctx, "soak-user-readable", nil)
		return err
	})
	_ = s.call("getUserTransactions", func(ctx context.Context) error {
		_, err := mk.Users.Transactions(ctx, "soak-user-readable", moneykit.TransactionsParams{Size: 5})
		return err
	})
	_ = s.call("getAccounts", func(ctx context.Context) error { _, err := mk.Accounts.List(ctx, link, nil); return err })
	_ = s.call("getAccount", func(ctx context.Context) error { _, err := mk.Accounts.Get(ctx, link, account); return err })
	_ = s.call("getAccountNumbers", func(ctx context.Context) error { _, err := mk.Accounts.Numbers(ctx, link); return err })
	_ = s.call("getIdentity", func(ctx context.Context) error { _, err := mk.Identity.Get(ctx, link, nil); return err })
	_ = s.call("getTransactions", func(ctx context.Context) error {
		_, err := mk.Transactions.List(ctx, link, moneykit.TransactionsParams{Size: 5})
		return err
	})
	_ = s.call("getTransactionsSync", func(ctx context.Context) error { _, err := mk.Transactions.SyncPage(ctx, link, "", 5); return err })
	_ = s.call("updateTransactionEnrichment", func(ctx context.Context) error {
		_, err := mk.Transactions.UpdateEnrichment(ctx, link, txn, "shopping", "")
		return err
	})
	_ = s.call("getHoldings", func(ctx context.Context) error { _, err := mk.Investments.Holdings(ctx, link, nil); return err })
	_ = s.call("getInvestmentTransactions", func(ctx context.Context) error {
		_, err := mk.Investments.Transactions(ctx, link, moneykit.TransactionsParams{Size: 5})
		return err
	})
	_ = s.call("refreshProducts", func(ctx context.Context) error {
		_, err := mk.Links.Refresh(ctx, link, []moneykit.Product{moneykit.ProductTransactions})
		return err
	})
	_ = s.call("webhookTestLink", func(ctx context.Context) error {
		_, err := mk.Webhooks.TestLink(ctx, link, moneykit.WebhookLinkTestEventLinkStateChanged, "")
		return err
	})
	_ = s.call("importLink", func(ctx context.Context) error {
		_, err := mk.Links.Import(ctx, soakImport("soak-user-import-"+strconv.Itoa(r)))
		return err
	})
	_ = s.call("importTransactions", func(ctx context.Context) error {
		_, err := mk.Links.ImportTransactions(ctx, imported, []moneykit.TransactionImportData{{AccountId: "ext-1", Amount: "5", Date: "2025-02-02"}})
		return err
	})
}

// checkFaultMix proves the soak exercised every kind of fault.
func (s *soak) checkFaultMix(log []sandbox.Request) {
	t := s.t
	kinds := map[string]int{}
	hit := 0
	for _, q := range log {
		if q.Injected == "" {
			continue
		}
		hit++
		kinds[q.Injected]++
	}
	for _, k := range []string{"status=500", "status=502", "status=503", "status=429", "drop", "truncate",
		"status=500 after-handling", "status=429 after-handling", "drop after-handling"} {
		assert.Positive(t, kinds[k], "no %q fault was injected: %v", k, kinds)
	}
	frac := float64(hit) / float64(len(log))
	t.Logf("%d requests, %d hit: %v", len(log), hit, kinds)
	assert.InDelta(t, soakRate, frac, 0.08, "about %v of requests were hit (%d of %d)", soakRate, hit, len(log))
}

// soakAttempt is one logged request, traced to its facade call and attempt.
type soakAttempt struct {
	sandbox.Request
	attempt int
}

// byCall groups the log's requests for op by the facade call that sent them.
func byCall(t *testing.T, log []sandbox.Request, op string) map[string][]soakAttempt {
	out := map[string][]soakAttempt{}
	for _, q := range log {
		if q.Operation != op {
			continue
		}
		name := q.Header.Get("X-Soak-Call")
		n, err := strconv.Atoi(q.Header.Get("X-Soak-Attempt"))
		if !assert.NotEmpty(t, name, "an untagged %s request reached the sandbox", op) || !assert.NoError(t, err) {
			continue
		}
		out[name] = append(out[name], soakAttempt{Request: q, attempt: n})
	}
	return out
}

// checkCallsOnTheWire compares each call's outcome with what the sandbox saw.
func (s *soak) checkCallsOnTheWire(log []sandbox.Request) {
	t := s.t
	for _, q := range log {
		assert.NotEqual(t, http.StatusUnauthorized, q.Status, "%s: no token may be lost or corrupted by a fault", q.Operation)
	}
	perOp := map[string]map[string][]soakAttempt{}
	for _, r := range s.results {
		if perOp[r.op] == nil {
			perOp[r.op] = byCall(t, log, r.op)
		}
	}
	for _, r := range s.results {
		sent := perOp[r.op][r.name]
		distinct := map[int]bool{}
		for i, a := range sent {
			if distinct[a.attempt] {
				// Only Go's transport resends, and only requests it may replay.
				assert.Equal(t, http.MethodGet, a.Method, "%s: attempt %d reached the sandbox twice", r.name, a.attempt)
			}
			distinct[a.attempt] = true
			if i < len(sent)-1 {
				switch soakSafety()[r.op] {
				case opmeta.RetrySingleUse:
					t.Errorf("%s: the single-use %s was sent again after the sandbox saw it (%q, status %d)", r.name, r.op, a.Injected, a.Status)
				case opmeta.RetryUnsafe:
					assert.Equal(t, http.StatusTooManyRequests, a.Status, "%s: an unsafe operation is replayed only after a 429 (%q)", r.name, a.Injected)
				}
			}
		}
		assert.NotEmpty(t, sent, "%s: the call reached the sandbox", r.name)
		assert.LessOrEqual(t, len(distinct), soakMaxRetries+1, "%s: retry budget", r.name)

		switch e := r.err.(type) {
		case nil:
			if len(sent) > 0 {
				last := sent[len(sent)-1]
				assert.Less(t, last.Status, 300, "%s succeeded on a %d answer", r.name, last.Status)
				bodyless := r.op == "deleteLink" || r.op == "unsubscribeWebhook"
				if !bodyless || last.Injected != "truncate" { // their body is not read
					assert.Empty(t, last.Injected, "%s succeeded on a faulted answer", r.name)
				}
			}
		case *facade.Error:
			if strings.EqualFold(e.Operation, r.op) {
				assert.Equal(t, len(distinct), e.Attempts, "%s: Attempts counts the requests sent: %v", r.name, r.err)
				if len(sent) > 0 {
					assert.Equal(t, sent[len(sent)-1].Status, e.StatusCode, "%s: the error carries the last answer", r.name)
				}
			}
		case *facade.TransportError:
			if strings.EqualFold(e.Operation, r.op) {
				assert.Equal(t, len(distinct), e.Attempts, "%s: Attempts counts the requests sent: %v", r.name, r.err)
			}
		}
	}
}

// checkWaits checks every wait the facade asked for: within the Retry-After
// cap and the backoff, and the server's one-second hint honoured as given.
func (s *soak) checkWaits(hinted, backedOff bool) {
	t := s.t
	ws := s.waits.all()
	require.NotEmpty(t, ws)
	var oneSecond, backoff int
	for _, d := range ws {
		assert.Positive(t, d)
		// The longest wait is a 429 cool-down after a third attempt: backoff
		// step 3 (2s), plus up to a tenth of it in jitter for the callers
		// the window held back.
		assert.LessOrEqual(t, d, 2*time.Second+200*time.Millisecond, "no wait exceeds the hint or the backoff")
		if d == time.Second {
			oneSecond++
		}
		if d >= 375*time.Millisecond && d <= 500*time.Millisecond {
			backoff++
		}
	}
	if hinted {
		assert.Positive(t, oneSecond, "Retry-After: 1 was waited out as asked")
	}
	if backedOff {
		assert.Positive(t, backoff, "unhinted failures backed off 500ms less jitter")
	}
}

// checkCreatedAtMostOnce proves from the log that no business payment or
// refund was created twice, that every attempt of one call carried the same
// requestKey, and that different business payments carried different keys.
func (s *soak) checkCreatedAtMostOnce(log []sandbox.Request, op string, createdStatus int, bs []*business) {
	t := s.t
	require.NotEmpty(t, bs)
	calls := byCall(t, log, op)
	createdPerKey := map[string]int{}
	createdPerRef := map[string]int{}
	keys := map[string]string{}
	for _, q := range log {
		if q.Operation != op {
			continue
		}
		var body struct {
			ClientReferenceID string `json:"clientReferenceId"`
		}
		require.NoError(t, json.Unmarshal(q.Body, &body))
		if q.HandlerStatus == createdStatus {
			createdPerKey[q.RequestKey]++
			createdPerRef[body.ClientReferenceID]++
		}
	}
	for k, n := range createdPerKey {
		assert.LessOrEqual(t, n, 1, "%s: requestKey %s created %d times", op, k, n)
	}
	var created, lost int
	for _, b := range bs {
		assert.LessOrEqual(t, createdPerRef[b.ref], 1, "%s created twice", b.ref)
		if other, dup := keys[b.key]; dup {
			t.Errorf("%s and %s share requestKey %s", other, b.ref, b.key)
		}
		keys[b.key] = b.ref
		for _, name := range b.calls {
			for _, a := range calls[name] {
				assert.Equal(t, b.key, a.RequestKey, "%s: every attempt of %s carries the call's requestKey", b.ref, name)
			}
		}
		switch {
		case b.outcome == nil:
			assert.Equal(t, 1, createdPerRef[b.ref], "%s succeeded, so it exists once", b.ref)
			created++
		case errors.Is(b.outcome, facade.ErrDuplicateRequestKey), errors.Is(b.outcome, facade.ErrAcceptedEarlier):
			// An earlier attempt made it and its answer was lost: recognised
			// by banklink's own retry (ErrAcceptedEarlier) or by the
			// caller's resend with the key (ErrDuplicateRequestKey).
			assert.Equal(t, 1, createdPerRef[b.ref], "%s was refused as a duplicate, so an earlier attempt made it", b.ref)
			lost++
		}
	}
	t.Logf("%s: %d business, %d created, %d lost-and-recognised", op, len(bs), created, lost)
	assert.Greater(t, created, len(bs)/2, "%s: most business requests succeeded", op)
	assert.Positive(t, lost, "%s: some creations had their answer lost and were recognised by their requestKey", op)
}

// checkExchangeTokensSentOnce proves that no exchangeable token reached the
// sandbox twice.
func (s *soak) checkExchangeTokensSentOnce(log []sandbox.Request, tokens []string) {
	t := s.t
	seen := map[string]int{}
	for _, q := range log {
		if q.Operation != "exchangeToken" {
			continue
		}
		var body struct {
			ExchangeableToken string `json:"exchangeable_token"`
		}
		require.NoError(t, json.Unmarshal(q.Body, &body))
		seen[body.ExchangeableToken]++
	}
	require.NotEmpty(t, tokens)
	for _, tok := range tokens {
		assert.Equal(t, 1, seen[tok], "exchangeable token sent %d times", seen[tok])
	}
	assert.Len(t, seen, len(tokens))
}

// TestFaultSoakConcurrentPayments shares one Link Money client between
// several goroutines that create payments and refund one payment at the same
// time, under the same faults, so the token cache, the 429 gate and the
// retry loop run concurrently (and under the race detector in make check).
func TestFaultSoakConcurrentPayments(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const workers, perWorker = 4, 8
		s := newSoak(t, sandbox.Config{})
		lm := s.linkMoney()
		ctx := context.Background()
		sess, err := lm.Sessions.Create(ctx, linkmoney.NewSession(linkmoney.SessionCustomer{FirstName: "Soak", LastName: "Concurrent", Email: "concurrent@example.com"}, "https://merchant.example/return"))
		require.NoError(t, err)
		customer, err := s.sb.CompleteSession(sess.SessionKey)
		require.NoError(t, err)
		refundable, err := lm.Payments.Create(ctx, linkmoney.NewPayment(customer, "merchant-soak", linkmoney.USD(90000)))
		require.NoError(t, err)
		setupEnd := len(s.sb.Requests())

		var (
			mu                sync.Mutex
			payments, refunds []*business
		)
		for _, p := range []int{1, 2} { // after handling with Retry-After; before handling with backoff
			phase := faultPhases[p]
			s.sb.SetFaults(soakFaults(phase.after, phase.retryAfter))
			var wg sync.WaitGroup
			for w := range workers {
				wg.Go(func() {
					for i := range perWorker {
						ref := fmt.Sprintf("p%d-w%d-%d", p, w, i)
						pb := s.pay(lm, customer, "order-"+ref, 500+int64(i))
						rb := s.refund(lm, refundable.PaymentId, "refund-"+ref)
						mu.Lock()
						payments, refunds = append(payments, pb), append(refunds, rb)
						mu.Unlock()
					}
				})
			}
			wg.Wait()
		}
		s.sb.SetFaults(nil)

		log := s.sb.Requests()[setupEnd:]
		s.checkCallsOnTheWire(log)
		// Four callers meet a 429 often enough that the shared gate, not each
		// call's own backoff, decides most waits; only the hint is checked.
		s.checkWaits(true, false)
		s.checkCreatedAtMostOnce(log, "createPayment", http.StatusOK, payments)
		s.checkCreatedAtMostOnce(log, "createRefund", http.StatusCreated, refunds)
	})
}
