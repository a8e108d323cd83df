package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/google/uuid"
	"github.com/spf13/cobra"

	"github.com/banklink/banklink/facade"
	"github.com/banklink/banklink/facade/linkmoney"
	"github.com/banklink/banklink/facade/mirror"
	"github.com/banklink/banklink/facade/moneykit"
	"github.com/banklink/banklink/facade/sandbox"
)

// step is one line of the demo story.
type step struct {
	Provider string         `json:"provider"`
	Name     string         `json:"step"`
	OK       bool           `json:"ok"`
	Detail   map[string]any `json:"detail,omitempty"`
	Error    string         `json:"error,omitempty"`
	Millis   float64        `json:"ms"`
}

// story records the steps and prints them as they happen (text) or at the end (JSON).
type story struct {
	out   io.Writer
	json  bool
	steps []step
}

func (s *story) do(provider, name string, fn func() (map[string]any, error)) error {
	start := time.Now()
	detail, err := fn()
	st := step{Provider: provider, Name: name, OK: err == nil, Detail: detail,
		Millis: float64(time.Since(start).Microseconds()) / 1000}
	if err != nil {
		st.Error = err.Error()
	}
	s.steps = append(s.steps, st)
	if !s.json {
		mark := "ok "
		if err != nil {
			mark = "ERR"
		}
		fmt.Fprintf(s.out, "%s %-9s %-26s %s\n", mark, provider, name, describe(st))
	}
	return err
}

// describe renders a step's detail as key=value pairs in a stable order.
func describe(st step) string {
	if st.Error != "" {
		return st.Error
	}
	keys := make([]string, 0, len(st.Detail))
	for k := range st.Detail {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	out := ""
	for _, k := range keys {
		if out != "" {
			out += "  "
		}
		out += fmt.Sprintf("%s=%v", k, st.Detail[k])
	}
	return out
}

// short shows the start of a token-like value and hides the rest: the demo
// proves the flow without printing anything that works as a credential.
func short(s string) string {
	if len(s) <= 12 {
		return s[:min(len(s), 4)] + "…"
	}
	return s[:12] + "…"
}

// demoCmd is `banklink demo`: both providers' stories on an embedded sandbox.
func demoCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "demo [--json]",
		Short: "Run the whole link flow of both providers on an embedded sandbox, no credentials",
		Example: `  banklink demo
  banklink demo --json | jq '.steps[] | {step, ok}'`,
		Args: exactArgs(),
		RunE: func(c *cobra.Command, _ []string) error { return a.demo(c.Context()) },
	}
}

// demo runs both providers' stories on an embedded sandbox.
func (a *app) demo(ctx context.Context) error {
	stdout := a.out
	sb := sandbox.New(sandbox.Config{Seed: 1})
	ln, err := sb.Listen(ctx, "127.0.0.1:0")
	if err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	ctx, cancel := context.WithCancel(ctx)
	served := make(chan error, 1)
	go func() { served <- sb.Serve(ctx, ln) }()
	defer func() { cancel(); <-served }()

	// The demo's clients take only --verbose from the global flags: the
	// sandbox's credentials and address are its own.
	mkCreds, lmCreds := sb.MoneyKit(), sb.LinkMoney()
	demoApp := &app{streams: a.streams, g: globals{verbose: a.g.verbose, maxRetries: 2}, tel: a.tel}
	demoApp.getenv = credsEnv("MONEYKIT", mkCreds)
	mkOpts, err := demoApp.options("MONEYKIT")
	if err != nil {
		return err
	}
	demoApp.getenv = credsEnv("LINKMONEY", lmCreds)
	lmOpts, err := demoApp.options("LINKMONEY")
	if err != nil {
		return err
	}
	mk, err := moneykit.New(mkOpts...)
	if err != nil {
		return err
	}
	lm, err := linkmoney.New(lmOpts...)
	if err != nil {
		return err
	}

	s := &story{out: stdout, json: a.g.json}
	if !s.json {
		fmt.Fprintf(stdout, "banklink demo on an embedded sandbox at %s\n\n", sb.URL())
	}
	dm, err := openDemoMirror(ctx)
	if err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	defer dm.close()
	err = moneyKitStory(ctx, s, sb, mk, dm)
	if err == nil {
		if !s.json {
			fmt.Fprintln(stdout)
		}
		err = linkMoneyStory(ctx, s, sb, lm, dm)
	}
	if err == nil {
		if !s.json {
			fmt.Fprintln(stdout)
		}
		err = webhookStory(ctx, s, sb, mk, lm, a.tel.webhookOptions()...)
	}
	if err == nil {
		if !s.json {
			fmt.Fprintln(stdout)
		}
		err = mirrorStory(ctx, s, dm, mk, lm)
	}
	if s.json {
		if perr := printJSON(stdout, map[string]any{"ok": err == nil, "steps": s.steps}); perr != nil {
			return perr
		}
	} else if err == nil {
		fmt.Fprintf(stdout, "\nevery story completed: %d steps\n", len(s.steps))
	}
	return err
}

// credsEnv serves a sandbox's credentials as the provider's environment variables.
func credsEnv(prefix string, c sandbox.Credentials) env {
	return func(name string) string {
		switch name {
		case prefix + "_BASE_URL":
			return c.BaseURL
		case prefix + "_CLIENT_ID":
			return c.ClientID
		case prefix + "_CLIENT_SECRET":
			return c.ClientSecret
		}
		return ""
	}
}

// moneyKitStory: token → link session → the user completes it → exchange →
// link details → accounts → transactions synced → a refresh and a sync from
// the saved cursor → update tags and webhook → delete → the link shows as
// deleted.
func moneyKitStory(ctx context.Context, s *story, sb *sandbox.Sandbox, mk *moneykit.Client, dm *demoMirror) error {
	const p = "moneykit"
	var sessionToken, exchangeable, linkID, cursor string
	steps := []struct {
		name string
		fn   func() (map[string]any, error)
	}{
		{"token", func() (map[string]any, error) {
			tok, err := mk.Auth.Token(ctx)
			if err != nil {
				return nil, err
			}
			return map[string]any{"token_type": tok.TokenType, "expires_in": tok.ExpiresIn}, nil
		}},
		{"link session", func() (map[string]any, error) {
			sess, err := mk.LinkSessions.Create(ctx, moneykit.NewLinkSession("demo-user-0042", "https://app.example/oauth",
				moneykit.WithLinkTags("demo"), moneykit.WithProducts(moneykit.ProductAccounts, moneykit.ProductTransactions)))
			if err != nil {
				return nil, err
			}
			sessionToken = sess.LinkSessionToken
			return map[string]any{"link_session_token": short(sessionToken)}, nil
		}},
		{"user completes Connect", func() (map[string]any, error) {
			tok, err := sb.CompleteLinkSession(sessionToken, sandbox.ConnectOptions{InstitutionID: "instant_bank"})
			if err != nil {
				return nil, err
			}
			exchangeable = tok
			return map[string]any{"institution": "instant_bank", "exchangeable_token": short(tok)}, nil
		}},
		{"exchange token", func() (map[string]any, error) {
			res, err := mk.LinkSessions.Exchange(ctx, exchangeable)
			if err != nil {
				return nil, err
			}
			linkID = res.Link.LinkId
			dm.linkID = linkID
			return map[string]any{"link_id": linkID, "state": res.Link.State}, nil
		}},
		{"link details", func() (map[string]any, error) {
			link, err := mk.Links.Get(ctx, linkID)
			if err != nil {
				return nil, err
			}
			if link.State != moneykit.PublicLinkStateConnected {
				return nil, fmt.Errorf("link state is %q, want connected", link.State)
			}
			return map[string]any{"state": link.State, "institution": link.InstitutionName}, nil
		}},
		{"read accounts", func() (map[string]any, error) {
			res, err := mk.Accounts.List(ctx, linkID, nil)
			if err != nil {
				return nil, err
			}
			types := make([]string, len(res.Accounts))
			for i, acc := range res.Accounts {
				types[i] = acc.AccountType
			}
			return map[string]any{"accounts": len(res.Accounts), "types": types}, nil
		}},
		{"sync transactions", func() (map[string]any, error) {
			n, err := syncAll(ctx, mk, linkID, &cursor)
			if err != nil {
				return nil, err
			}
			return map[string]any{"created": n[0], "updated": n[1], "removed": n[2], "batches": n[3]}, nil
		}},
		{"refresh 3 days on, resync", func() (map[string]any, error) {
			sb.Advance(72 * time.Hour)
			if _, err := mk.Links.Refresh(ctx, linkID, []moneykit.Product{moneykit.ProductTransactions}); err != nil {
				return nil, err
			}
			n, err := syncAll(ctx, mk, linkID, &cursor)
			if err != nil {
				return nil, err
			}
			if n[0]+n[1]+n[2] == 0 {
				return nil, errors.New("the sync after a refresh reported no change")
			}
			return map[string]any{"created": n[0], "updated": n[1], "removed": n[2]}, nil
		}},
		{"update tags and webhook", func() (map[string]any, error) {
			link, err := mk.Links.Update(ctx, linkID, moneykit.NewLinkUpdate(moneykit.SetLinkTags("demo", "checkout"), moneykit.SetWebhook("https://app.example/moneykit/webhook")))
			if err != nil {
				return nil, err
			}
			return map[string]any{"link_tags": link.LinkTags, "webhook": link.Webhook}, nil
		}},
		{"mirror the link", func() (map[string]any, error) {
			return dm.syncLink(ctx, mk)
		}},
		{"delete", func() (map[string]any, error) {
			return map[string]any{"link_id": linkID}, mk.Links.Delete(ctx, linkID)
		}},
		{"link shows as deleted", func() (map[string]any, error) {
			link, err := mk.Links.Get(ctx, linkID)
			switch {
			case errors.Is(err, facade.ErrLinkDeleted):
				return map[string]any{"answer": "410 link_error.deleted"}, nil
			case err != nil:
				return nil, err
			case link.State != moneykit.PublicLinkStateDeleted:
				return nil, fmt.Errorf("link state is %q, want deleted", link.State)
			}
			return map[string]any{"state": link.State}, nil
		}},
	}
	for _, st := range steps {
		if err := s.do(p, st.name, st.fn); err != nil {
			return err
		}
	}
	return nil
}

// syncAll syncs the link's transactions after *cursor, as a store would:
// each batch applied, then its cursor kept. It counts created, updated and
// removed transactions and the batches.
func syncAll(ctx context.Context, mk *moneykit.Client, linkID string, cursor *string) ([4]int, error) {
	var n [4]int
	for batch, err := range mk.Transactions.Sync(linkID, *cursor).All(ctx) {
		if err != nil {
			return n, err
		}
		n[0] += len(batch.Created)
		n[1] += len(batch.Updated)
		n[2] += len(batch.Removed)
		n[3]++
		*cursor = batch.Cursor
	}
	return n, nil
}

// linkMoneyStory: a session with order details and a LINK_MANAGED_PAYMENT
// payment → the customer completes it → a payment → a refund.
func linkMoneyStory(ctx context.Context, s *story, sb *sandbox.Sandbox, lm *linkmoney.Client, dm *demoMirror) error {
	const p = "linkmoney"
	var sessionKey, customerID, paymentID string
	total := linkmoney.USD(2500)
	steps := []struct {
		name string
		fn   func() (map[string]any, error)
	}{
		{"session (order + payment)", func() (map[string]any, error) {
			req := linkmoney.NewSession(linkmoney.SessionCustomer{FirstName: "Demo", LastName: "Customer", Email: "demo.customer@example.com"},
				"https://merchant.example/return",
				linkmoney.WithOrder(total,
					linkmoney.WithItem("Widget", "PHYSICAL", linkmoney.USD(2000)),
					linkmoney.WithSubtotal(linkmoney.USD(2000)),
					linkmoney.WithShipping(linkmoney.USD(500))),
				linkmoney.WithPayment(total, linkmoney.WithClientReferenceID("demo-order-1042")))
			sess, err := lm.Sessions.Create(ctx, req)
			if err != nil {
				return nil, err
			}
			sessionKey = sess.SessionKey
			return map[string]any{"session_key": short(sessionKey), "experience": "LINK_MANAGED_PAYMENT", "total": string(total.Value)}, nil
		}},
		{"customer pays in the UI", func() (map[string]any, error) {
			id, paymentID, err := sb.CompleteSessionPayment(sessionKey)
			if err != nil {
				return nil, err
			}
			customerID = id
			return map[string]any{"customer_id": customerID, "payment_id": paymentID}, nil
		}},
		{"customer", func() (map[string]any, error) {
			c, err := lm.Customers.Get(ctx, customerID)
			if err != nil {
				return nil, err
			}
			return map[string]any{"status": c.CustomerStatus}, nil
		}},
		{"payment", func() (map[string]any, error) {
			key := uuid.NewString()
			pay, err := lm.Payments.Create(ctx, linkmoney.NewPayment(customerID, "demo-merchant", linkmoney.USD(1234),
				linkmoney.WithSoftDescriptor("BANKLINK DEMO"), linkmoney.WithRequestKey(key)))
			if err != nil {
				return nil, err
			}
			paymentID = pay.PaymentId
			dm.payment = mirror.Payment{PaymentID: paymentID, CustomerID: customerID, Amount: "12.34", Currency: "USD",
				Status: string(pay.PaymentStatus), RequestKey: key}
			return map[string]any{"payment_id": paymentID, "status": pay.PaymentStatus, "amount": "12.34"}, nil
		}},
		{"refund", func() (map[string]any, error) {
			key := uuid.NewString()
			ref, err := lm.Refunds.Create(ctx, linkmoney.NewRefund(paymentID, linkmoney.USD(234), linkmoney.WithRequestKey(key)))
			if err != nil {
				return nil, err
			}
			dm.refund = mirror.Refund{RefundID: ref.PaymentId, PaymentID: paymentID, Amount: "2.34", Currency: "USD",
				Status: string(ref.PaymentStatus), RequestKey: key}
			return map[string]any{"refund_id": ref.PaymentId, "status": ref.PaymentStatus, "amount": "2.34"}, nil
		}},
	}
	for _, st := range steps {
		if err := s.do(p, st.name, st.fn); err != nil {
			return err
		}
	}
	return nil
}
