package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/banklink/banklink/facade"
	"github.com/banklink/banklink/facade/linkmoney"
	"github.com/banklink/banklink/facade/mirror"
	"github.com/banklink/banklink/facade/moneykit"
	"github.com/banklink/banklink/facade/sandbox"
)

// mirrorSandbox is a sandbox behind a handler that can act on each
// transactions sync request (the kill switch of the crash test).
type mirrorSandbox struct {
	sb     *sandbox.Sandbox
	url    string
	syncs  atomic.Int64
	onSync atomic.Pointer[func(n int64, w http.ResponseWriter, r *http.Request, next http.Handler)]
}

func newMirrorSandbox(t *testing.T) *mirrorSandbox {
	ms := &mirrorSandbox{sb: sandbox.New(sandbox.Config{NoRateLimits: true})}
	h := ms.sb.Handler()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/transactions/sync") {
			n := ms.syncs.Add(1)
			if fn := ms.onSync.Load(); fn != nil {
				(*fn)(n, w, r, h)
				return
			}
		}
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	ms.sb.SetURL(srv.URL)
	ms.url = srv.URL
	return ms
}

func (ms *mirrorSandbox) env(dsn string) []string {
	c := ms.sb.MoneyKit()
	return []string{"MONEYKIT_CLIENT_ID=" + c.ClientID, "MONEYKIT_CLIENT_SECRET=" + c.ClientSecret,
		"MONEYKIT_BASE_URL=" + c.BaseURL, mirror.EnvDB + "=" + dsn}
}

func (ms *mirrorSandbox) client(t *testing.T) *moneykit.Client {
	c := ms.sb.MoneyKit()
	mk, err := moneykit.New(facade.WithCredentials(c.ClientID, c.ClientSecret), facade.WithBaseURL(c.BaseURL))
	require.NoError(t, err)
	return mk
}

// link connects a link with a year of transactions.
func (ms *mirrorSandbox) link(t *testing.T, opts ...moneykit.LinkSessionOption) string {
	ctx := context.Background()
	mk := ms.client(t)
	opts = append([]moneykit.LinkSessionOption{moneykit.WithProducts(moneykit.ProductTransactions)}, opts...)
	sess, err := mk.LinkSessions.Create(ctx, moneykit.NewLinkSession("user-cli", "https://app.example/oauth", opts...))
	require.NoError(t, err)
	tok, err := ms.sb.CompleteLinkSession(sess.LinkSessionToken, sandbox.ConnectOptions{})
	require.NoError(t, err)
	res, err := mk.LinkSessions.Exchange(ctx, tok)
	require.NoError(t, err)
	return res.Link.LinkId
}

type mirroredTxn struct {
	Account, Amount, Type, Date, Description string
	Pending                                  bool
}

// sandboxListing is the sandbox's fresh page-numbered listing of a link.
func sandboxListing(t *testing.T, mk *moneykit.Client, linkID string) map[string]mirroredTxn {
	out := map[string]mirroredTxn{}
	for txn, err := range mk.Transactions.Pager(linkID, moneykit.TransactionsParams{Size: 1000}).All(context.Background()) {
		require.NoError(t, err)
		out[txn.TransactionId] = mirroredTxn{txn.AccountId, txn.Amount, string(txn.Type), txn.Date.Format("2006-01-02"), txn.Description, txn.Pending}
	}
	return out
}

func mirrorRows(t *testing.T, dsn, linkID string) (map[string]mirroredTxn, int) {
	m, err := mirror.Open(context.Background(), dsn)
	require.NoError(t, err)
	defer m.Close()
	rows, err := m.DB().Query(`SELECT transaction_id, account_id, amount, type, date, description, pending FROM transactions WHERE link_id = ?`, linkID)
	require.NoError(t, err)
	defer rows.Close()
	out := map[string]mirroredTxn{}
	for rows.Next() {
		var id string
		var r mirroredTxn
		require.NoError(t, rows.Scan(&id, &r.Account, &r.Amount, &r.Type, &r.Date, &r.Description, &r.Pending))
		require.NotContains(t, out, id, "a transaction stored twice")
		out[id] = r
	}
	require.NoError(t, rows.Err())
	var accts int
	require.NoError(t, m.DB().QueryRow(`SELECT count(*) FROM accounts WHERE link_id = ?`, linkID).Scan(&accts))
	return out, accts
}

// childCmd runs the test binary as the banklink command.
func childCmd(t *testing.T, env []string, args ...string) (*exec.Cmd, *bytes.Buffer) {
	exe, err := os.Executable()
	require.NoError(t, err)
	cmd := exec.Command(exe, args...)
	cmd.Env = append(append(os.Environ(), childEnv+"=1"), env...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	return cmd, &stderr
}

// TestMirrorSyncKilledAtRandomPointsConverges kills `banklink mirror sync`
// with SIGKILL at seeded random points of a long sync (while it waits for
// a page, or just after a page reached it, as it applies and commits),
// several times, then lets it finish: every row matches a fresh listing.
func TestMirrorSyncKilledAtRandomPointsConverges(t *testing.T) {
	ms := newMirrorSandbox(t)
	linkID := ms.link(t)
	dsn := "sqlite:" + filepath.Join(t.TempDir(), "m.db")
	env := ms.env(dsn)
	args := []string{"mirror", "sync", "--page-size", "20", linkID}
	rnd := rand.New(rand.NewPCG(18, 2026))

	kills := 0
	for round := range 6 {
		start := ms.syncs.Load()
		killAt := start + 1 + rnd.Int64N(12)
		afterResponse := round%2 == 1
		cmd, stderr := childCmd(t, env, args...)
		// The handler learns the process only once Start has returned.
		started := make(chan *os.Process, 1)
		fn := func(n int64, w http.ResponseWriter, r *http.Request, next http.Handler) {
			if n != killAt {
				next.ServeHTTP(w, r)
				return
			}
			if afterResponse {
				next.ServeHTTP(w, r)
				w.(http.Flusher).Flush()
			}
			_ = (<-started).Kill()
		}
		ms.onSync.Store(&fn)
		require.NoError(t, cmd.Start())
		started <- cmd.Process
		err := cmd.Wait()
		ms.onSync.Store(nil)
		if err == nil {
			// The sync ended before the kill point: it is complete.
			break
		}
		require.Contains(t, err.Error(), "killed", "round %d: %s", round, stderr.String())
		kills++
		// After a refresh the feed grows again, so later rounds have
		// something left to kill.
		if round == 2 {
			ms.sb.Advance(72 * time.Hour)
			_, rerr := ms.client(t).Links.Refresh(context.Background(), linkID, []moneykit.Product{moneykit.ProductTransactions})
			require.NoError(t, rerr)
		}
	}
	require.GreaterOrEqual(t, kills, 3, "the sync was killed fewer than 3 times")

	cmd, stderr := childCmd(t, env, args...)
	require.NoError(t, cmd.Run(), stderr.String())

	want := sandboxListing(t, ms.client(t), linkID)
	got, accts := mirrorRows(t, dsn, linkID)
	require.Greater(t, len(want), 500)
	require.Equal(t, want, got, "after %d kills, the mirror differs from the sandbox's listing", kills)
	require.Positive(t, accts)
}

// TestMirrorTwoProcessesSyncingOneLink: two `banklink mirror sync` of the
// same link at once leave what one would.
func TestMirrorTwoProcessesSyncingOneLink(t *testing.T) {
	ms := newMirrorSandbox(t)
	linkID := ms.link(t)
	dsn := "sqlite:" + filepath.Join(t.TempDir(), "m.db")
	env := ms.env(dsn)
	var wg sync.WaitGroup
	for range 2 {
		cmd, stderr := childCmd(t, env, "mirror", "sync", "--page-size", "50", linkID)
		require.NoError(t, cmd.Start())
		wg.Go(func() { require.NoError(t, cmd.Wait(), stderr.String()) })
	}
	wg.Wait()
	got, _ := mirrorRows(t, dsn, linkID)
	require.Equal(t, sandboxListing(t, ms.client(t), linkID), got)
}

func TestMirrorSyncAndStatus(t *testing.T) {
	ms := newMirrorSandbox(t)
	linkID := ms.link(t)
	dsn := "sqlite:" + filepath.Join(t.TempDir(), "m.db")
	code, out, errOut := cli(t, ms.env(dsn), "mirror", "sync")
	require.Equal(t, 0, code, errOut)
	var res []mirror.SyncResult
	require.NoError(t, json.Unmarshal([]byte(out), &res))
	require.Len(t, res, 1)
	require.Equal(t, linkID, res[0].LinkID)
	require.Positive(t, res[0].Created)
	requireNoSecrets(t, out, errOut)

	code, out, errOut = cli(t, ms.env(dsn), "mirror", "status")
	require.Equal(t, 0, code, errOut)
	var st struct {
		Database string
		Links    []struct {
			LinkID       string   `json:"link_id"`
			State        string   `json:"state"`
			Transactions int      `json:"transactions"`
			Accounts     int      `json:"accounts"`
			CursorAge    *float64 `json:"cursor_age_seconds"`
			LastError    string   `json:"last_error"`
		}
		Counts mirror.Counts
	}
	require.NoError(t, json.Unmarshal([]byte(out), &st))
	require.Equal(t, "sqlite", st.Database)
	require.Len(t, st.Links, 1)
	require.Equal(t, res[0].Created, st.Links[0].Transactions)
	require.Equal(t, "connected", st.Links[0].State)
	require.NotNil(t, st.Links[0].CursorAge)
	require.Equal(t, 1, st.Counts.Links)
}

func TestMirrorBadDatabaseIsAClearErrorAndChangesNothing(t *testing.T) {
	ms := newMirrorSandbox(t)
	dir := t.TempDir()

	code, _, errOut := cli(t, ms.env("mysql://root:hunter2@db/x"), "mirror", "status")
	require.Equal(t, exitUsage, code)
	require.Contains(t, errOut, "sqlite:PATH or postgres://")
	require.NotContains(t, errOut, "hunter2")

	code, _, errOut = cli(t, ms.env(""), "mirror", "sync")
	require.Equal(t, exitUsage, code)
	require.Contains(t, errOut, mirror.EnvDB)

	code, _, errOut = cli(t, ms.env("postgres://u:hunter2@127.0.0.1:1/x?connect_timeout=2"), "mirror", "status")
	require.Equal(t, exitAPI, code)
	require.Contains(t, errOut, "unreachable")
	require.NotContains(t, errOut, "hunter2")

	// A read-only file: refused, unchanged, no request sent.
	path := filepath.Join(dir, "ro.db")
	code, _, errOut = cli(t, ms.env("sqlite:"+path), "mirror", "status")
	require.Equal(t, 0, code, errOut)
	for _, suffix := range []string{"-wal", "-shm"} {
		_ = os.Remove(path + suffix)
	}
	before, err := os.ReadFile(path)
	require.NoError(t, err)
	require.NoError(t, os.Chmod(path, 0o444))
	n := len(ms.sb.Requests())
	code, _, errOut = cli(t, ms.env("sqlite:"+path), "mirror", "sync")
	require.Equal(t, exitAPI, code)
	require.Contains(t, errOut, "read-only")
	after, err := os.ReadFile(path)
	require.NoError(t, err)
	require.Equal(t, before, after)
	require.Equal(t, n, len(ms.sb.Requests()), "requests were sent for a database that cannot be written")

	code, _, errOut = cli(t, ms.env("sqlite:"+filepath.Join(dir, "x.db")), "mirror", "sync", "--page-size", "501")
	require.Equal(t, exitUsage, code)
	require.Contains(t, errOut, "--page-size")
	code, _, errOut = cli(t, ms.env("sqlite:"+filepath.Join(dir, "x.db")), "mirror", "status", "--schema", "Bank-Link")
	require.Equal(t, exitUsage, code)
	require.Contains(t, errOut, "lower-case identifier")
	_, err = os.Stat(filepath.Join(dir, "x.db"))
	require.ErrorIs(t, err, os.ErrNotExist, "a refused option created the database")
}

// TestMirrorServeAppliesSandboxWebhooks: the sandbox delivers signed
// MoneyKit webhooks to `banklink mirror serve`, which syncs the link on
// transactions.updates_available and records each event once.
func TestMirrorServeAppliesSandboxWebhooks(t *testing.T) {
	ms := newMirrorSandbox(t)
	dsn := "sqlite:" + filepath.Join(t.TempDir(), "m.db")
	addrs := make(chan net.Addr, 1)
	prev := serveListening
	serveListening = func(a net.Addr) { addrs <- a }
	t.Cleanup(func() { serveListening = prev })

	ctx, cancel := context.WithCancel(context.Background())
	env := map[string]string{}
	for _, kv := range ms.env(dsn) {
		k, v, _ := strings.Cut(kv, "=")
		env[k] = v
	}
	lm := ms.sb.LinkMoney()
	env["LINKMONEY_CLIENT_ID"], env["LINKMONEY_CLIENT_SECRET"], env["LINKMONEY_BASE_URL"] = lm.ClientID, lm.ClientSecret, lm.BaseURL
	env["LINKMONEY_WEBHOOK_SECRET"] = "whsec-mirror-test"
	rcv := newReceiver(t) // mirror serve exports its traces, like every command
	env["OTEL_EXPORTER_OTLP_ENDPOINT"] = rcv.URL
	var stdout, stderr bytes.Buffer
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"mirror", "serve", "--listen", "127.0.0.1:0", "--reconcile", "0"},
			streams{in: strings.NewReader(""), out: &stdout, err: &stderr}, func(k string) string { return env[k] })
	}()
	var addr net.Addr
	select {
	case addr = <-addrs:
	case code := <-done:
		t.Fatalf("mirror serve exited %d: %s", code, stderr.String())
	}
	hook := fmt.Sprintf("http://%s/webhooks/moneykit", addr)
	ms.sb.SetWebhookFaults(sandbox.WebhookFaults{Duplicate: true})
	linkID := ms.link(t, moneykit.WithWebhook(hook))
	mk := ms.client(t)
	_, err := mk.Webhooks.TestLink(context.Background(), linkID, moneykit.WebhookLinkTestEventTransactionsUpdatesAvailable, "evt-1")
	require.NoError(t, err)

	// Link Money: a subscription to the mirror, a customer and a payment;
	// payment.created and payment.authorized arrive (twice each).
	lmc, err := linkmoney.New(facade.WithCredentials(lm.ClientID, lm.ClientSecret), facade.WithBaseURL(lm.BaseURL))
	require.NoError(t, err)
	bg := context.Background()
	_, err = lmc.Webhooks.Subscribe(bg, fmt.Sprintf("http://%s/webhooks/linkmoney", addr), "whsec-mirror-test")
	require.NoError(t, err)
	sess, err := lmc.Sessions.Create(bg, linkmoney.NewSession(linkmoney.SessionCustomer{FirstName: "Mirror", LastName: "Test", Email: "mirror@example.com"},
		"https://merchant.example/return"))
	require.NoError(t, err)
	customerID, err := ms.sb.CompleteSession(sess.SessionKey)
	require.NoError(t, err)
	pay, err := lmc.Payments.Create(bg, linkmoney.NewPayment(customerID, sandbox.LinkMoneyMerchantID, linkmoney.USD(4321)))
	require.NoError(t, err)
	require.NoError(t, ms.sb.WaitWebhooks(context.Background()))
	cancel()
	require.Equal(t, 0, <-done, stderr.String())

	got, _ := mirrorRows(t, dsn, linkID)
	require.Equal(t, sandboxListing(t, mk, linkID), got)
	m, err := mirror.Open(context.Background(), dsn)
	require.NoError(t, err)
	defer m.Close()
	var events, syncs int
	require.NoError(t, m.DB().QueryRow(`SELECT count(*) FROM webhook_events WHERE provider = 'moneykit'`).Scan(&events))
	require.Equal(t, 2, events, "link.state_changed and transactions.updates_available, each once")
	var status, amount, customer string
	require.NoError(t, m.DB().QueryRow(`SELECT status, amount, customer_id FROM payments WHERE payment_id = ?`, pay.PaymentId).Scan(&status, &amount, &customer))
	require.Equal(t, "AUTHORIZED", status)
	require.Equal(t, "43.21", amount, "the amount read from Link Money, exact")
	require.Equal(t, customerID, customer)
	require.NoError(t, m.DB().QueryRow(`SELECT count(*) FROM webhook_events WHERE provider = 'linkmoney' AND type LIKE 'payment.%'`).Scan(&events))
	require.Equal(t, 2, events, "payment.created and payment.authorized, each once")
	for _, d := range ms.sb.WebhookDeliveries() {
		require.Equal(t, "delivered", d.State, "delivery %+v", d)
	}
	syncs = int(ms.syncs.Load())
	require.Equal(t, 2, syncs, "one sync (two pages of 500) for an event delivered twice")

	// The export: the command's span, a server span per delivery (the
	// repeats as duplicates) and the clients' calls.
	require.Len(t, rcv.named("banklink mirror serve"), 1)
	outcomes := func(route string) map[string]int {
		n := map[string]int{}
		for _, d := range rcv.named(route) {
			n[attr(d, "banklink.webhook.outcome").GetStringValue()]++
		}
		return n
	}
	assert.Equal(t, map[string]int{"handled": 2, "duplicate": 2}, outcomes("POST /webhooks/moneykit"),
		"link.state_changed and transactions.updates_available, each delivered twice")
	assert.Equal(t, map[string]int{"handled": 4, "duplicate": 4}, outcomes("POST /webhooks/linkmoney"),
		"customer.created, customer.activated, payment.created and payment.authorized, each delivered twice")
	assert.NotEmpty(t, rcv.named("getTransactionsSync"), "the sync's calls are traced")
}
