package sandbox_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/banklink/banklink/facade/sandbox"
	"github.com/banklink/banklink/gen/linkmoney"
	"github.com/banklink/banklink/gen/moneykit"
)

// TestBrowserPages runs every flow of the customer pages in Chromium: each
// of MoneyKit's and Link Money's sandbox banks, wrong credentials, OAuth
// with continue, exit, a denied optional product, profile_08, a payment
// over $9,000.00, a reused session, hostile names, and no request leaving
// the sandbox's origin.
func TestBrowserPages(t *testing.T) {
	b := startBrowser(t)
	axe := loadAxe(t)
	cfg, _ := fakeClockConfig()
	sb := sandbox.Start(t, cfg)
	app := frontEnd(t, sb.URL())
	mk := mkClient(t, sb)
	// A fresh token for each call: some subtests move the sandbox clock on
	// by days.
	mkTok := func() string { return mkToken(t, mk, sb.MoneyKit()) }
	lm := lmClient(t, sb)
	connectURL := sb.URL() + "/moneykit/connect/"
	// A webhook receiver on loopback, for both providers.
	hooks := httpServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) }))
	sr, err := lm.SubscribeWebhookWithResponse(context.Background(), linkmoney.WebhookSubscribeRequest{
		Url: hooks + "/linkmoney", SecretKey: "ui-test-secret", SubscriptionDetails: linkmoney.WebhookSubscriptionDetails{Type: "ALL"},
	}, lmBearer(lmToken(t, lm, linkmoney.TokenScopeLinkCore)))
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, sr.StatusCode(), string(sr.Body))
	// eventsAbout lists the delivered events whose payload names id.
	eventsAbout := func(t *testing.T, id string) []string {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		require.NoError(t, sb.WaitWebhooks(ctx))
		var out []string
		for _, d := range sb.WebhookDeliveries() {
			if strings.Contains(string(d.Body), id) {
				out = append(out, d.Event)
			}
		}
		return out
	}

	newSession := func(t *testing.T, user string, edit func(*moneykit.CreateLinkSessionRequest)) string {
		req := sessionRequest(user)
		req.RedirectUri = app + "/oauth-return"
		if edit != nil {
			edit(&req)
		}
		return createSession(t, mk, mkTok(), req)
	}
	// launch calls the front end's start (startLink or startRelink) with
	// tok and returns the app's tab and the Connect iframe whose URL starts
	// with prefix.
	launch := func(t *testing.T, start, tok, prefix string) (*tab, *tab) {
		page := b.newTab(t)
		page.navigate(app + "/")
		_, err := js[any](page, start+"("+jsString(tok)+"), 0")
		require.NoError(t, err)
		return page, page.frame(prefix)
	}
	// open starts Connect from the front end and returns the app's tab and
	// the Connect iframe, at the products step.
	open := func(t *testing.T, tok string) (*tab, *tab) {
		page, f := launch(t, "startLink", tok, connectURL)
		f.heading("Share your data")
		return page, f
	}
	success := func(t *testing.T, page *tab) (string, map[string]any) {
		o := page.outcome()
		require.Equal(t, "success", o.Kind, "%s %s", o.A, o.B)
		var exch string
		var inst map[string]any
		require.NoError(t, json.Unmarshal(o.A, &exch))
		require.NoError(t, json.Unmarshal(o.B, &inst))
		return exch, inst
	}
	exchangeLink := func(t *testing.T, exch string) moneykit.LinkCommon {
		res := exchange(t, mk, mkTok(), exch)
		require.Equal(t, http.StatusCreated, res.StatusCode(), string(res.Body))
		return res.JSON201.Link
	}

	t.Run("InstantBank", func(t *testing.T) {
		tok := newSession(t, "user-instant", func(r *moneykit.CreateLinkSessionRequest) {
			r.Webhook = hooks + "/moneykit"
			r.Settings.Products.AccountNumbers = &moneykit.ProductSettings{Required: ptr(true)}
			r.Settings.Products.Transactions = &moneykit.ProductSettings{Required: ptr(false)}
			r.Settings.Products.Identity = &moneykit.ProductSettings{Required: ptr(false)}
		})
		page, f := open(t, tok)
		f.axe(axe, "connect-products")
		page.shot("connect-1-products")
		f.clickTo("Continue", "Select your institution")
		f.axe(axe, "connect-institution")
		page.shot("connect-2-institution")
		f.clickTo("Instant Bank", "Choose accounts to share")
		f.axe(axe, "connect-accounts")
		f.click("Continue")
		exch, inst := success(t, page)
		assert.Equal(t, "instant_bank", inst["id"])
		assert.Len(t, inst["selectedAccounts"], 3)
		l := exchangeLink(t, exch)
		assert.Equal(t, "instant_bank", l.InstitutionId)
		assert.Equal(t, moneykit.PublicLinkState("connected"), l.State)
		assert.NotZero(t, l.Products.Transactions.RefreshedAt, "optional products left checked are granted")
		assert.NotZero(t, l.Products.Identity.RefreshedAt)
		assert.NotZero(t, l.Products.AccountNumbers.RefreshedAt)
		assert.Equal(t, []string{"link.state_changed"}, eventsAbout(t, l.LinkId))
		// The overlay is gone, and the front end heard the steps.
		n, err := js[int](page, "document.querySelectorAll('[data-moneykit-connect]').length")
		require.NoError(t, err)
		assert.Zero(t, n)
		steps, err := js[string](page, "window.events.map(function(e){return e.name + (e.step ? ':' + e.step : '')}).join(' ')")
		require.NoError(t, err)
		assert.Equal(t, "connect.started step_viewed:products step_viewed:institution step_viewed:accounts step_viewed:done", steps)
	})

	t.Run("InstantBankByKeyboard", func(t *testing.T) {
		tok := newSession(t, "user-keys", func(r *moneykit.CreateLinkSessionRequest) {
			r.Settings.Products.Transactions = &moneykit.ProductSettings{Required: ptr(false)}
		})
		page, f := open(t, tok)
		f.key("Continue")
		f.heading("Select your institution")
		f.key("Instant Bank")
		f.heading("Choose accounts to share")
		f.focus("Continue")
		f.press(" ")
		o := page.outcome()
		require.Equal(t, "success", o.Kind)
	})

	t.Run("CredentialsBankWrongThenRight", func(t *testing.T) {
		tok := newSession(t, "user-creds", nil)
		page, f := open(t, tok)
		f.clickTo("Continue", "Select your institution")
		f.fill("Search institutions", "cred")
		f.click("Search")
		f.until("the search result", "named('Credentials Bank').length === 1 && named('Instant Bank').length === 0")
		f.clickTo("Credentials Bank", "Log in to Credentials Bank")
		f.fill("Username", "user_good")
		f.fill("Password", "wrong")
		f.axe(axe, "connect-login")
		page.shot("connect-3-login")
		f.click("Continue")
		f.until("the error", "document.querySelector('[role=alert]')")
		assert.Contains(t, f.text(), "The username or password is incorrect.")
		f.heading("Log in to Credentials Bank")
		f.fill("Password", "pass_good")
		f.clickTo("Continue", "Choose accounts to share")
		page.shot("connect-4-accounts")
		names, err := js[[]string](f, "Array.prototype.map.call(document.querySelectorAll('label'), function(l){return norm(l.textContent)})")
		require.NoError(t, err)
		require.Len(t, names, 4) // checking, savings, card, brokerage
		f.choose(names[2], false)
		f.click("Continue")
		exch, inst := success(t, page)
		sel := inst["selectedAccounts"].([]any)
		require.Len(t, sel, 3)
		for _, s := range sel {
			a := s.(map[string]any)
			assert.NotEqual(t, names[2], a["name"].(string)+" ••"+a["account_mask"].(string))
		}
		l := exchangeLink(t, exch)
		assert.Equal(t, "credentials_bank", l.InstitutionId)
		// The accounts Connect showed are the link's accounts.
		acc := getAccounts(t, sb, mkTok(), l.LinkId)
		assert.Contains(t, acc, sel[0].(map[string]any)["account_id"])
	})

	t.Run("OAuthBankWithContinue", func(t *testing.T) {
		tok := newSession(t, "user-oauth", nil)
		page, f := open(t, tok)
		f.clickTo("Continue", "Select your institution")
		f.clickTo("OAuth Bank", "Continue to OAuth Bank")
		f.axe(axe, "connect-oauth")
		f.click("Continue")
		page.heading("OAuth Bank: allow access")
		page.axe(axe, "oauth-authorize")
		page.shot("connect-5-oauth")
		page.click("Continue")
		page.until("the return to redirect_uri", "location.pathname === '/oauth-return'")
		f = page.frame(connectURL + "continue")
		f.heading("Choose accounts to share")
		f.click("Continue")
		exch, inst := success(t, page)
		assert.Equal(t, "OAuth Bank", inst["name"])
		assert.Equal(t, "oauth_bank", exchangeLink(t, exch).InstitutionId)
	})

	t.Run("OAuthBankDenied", func(t *testing.T) {
		tok := newSession(t, "user-oauth-no", nil)
		page, f := open(t, tok)
		f.clickTo("Continue", "Select your institution")
		f.clickTo("OAuth Bank", "Continue to OAuth Bank")
		f.click("Continue")
		page.heading("OAuth Bank: allow access")
		page.click("Close")
		page.until("the return to redirect_uri", "location.pathname === '/oauth-return'")
		o := page.outcome()
		require.Equal(t, "exit", o.Kind)
		assert.Contains(t, string(o.A), `"error_id":"user_oauth_denied"`)
	})

	t.Run("ExitLeavesTheSessionOpen", func(t *testing.T) {
		tok := newSession(t, "user-exit", nil)
		page, f := open(t, tok)
		f.clickTo("Continue", "Select your institution")
		f.click("Close")
		o := page.outcome()
		assert.Equal(t, "exit", o.Kind)
		assert.JSONEq(t, "null", string(o.A))
		_, err := sb.CompleteLinkSession(tok, sandbox.ConnectOptions{})
		assert.NoError(t, err, "an exit completes nothing")
	})

	t.Run("DeniedOptionalProduct", func(t *testing.T) {
		tok := newSession(t, "user-deny", func(r *moneykit.CreateLinkSessionRequest) {
			r.InstitutionId = "instant_bank"
			r.Settings.Products.Identity = &moneykit.ProductSettings{Required: ptr(true)}
			r.Settings.Products.Transactions = &moneykit.ProductSettings{Required: ptr(false)}
		})
		page, f := open(t, tok)
		assert.Contains(t, f.text(), "Identity (names, addresses)")
		f.choose("Transactions", false)
		f.click("Continue")
		// institution_id skips the institution step.
		f.heading("Choose accounts to share")
		f.click("Continue")
		exch, _ := success(t, page)
		l := exchangeLink(t, exch)
		assert.NotZero(t, l.Products.Identity.RefreshedAt)
		assert.Zero(t, l.Products.Transactions.RefreshedAt, "transactions were denied")
		r, _ := rawDo(t, http.MethodGet, sb.MoneyKit().BaseURL+"/links/"+l.LinkId+"/transactions", "", "", map[string]string{"Authorization": "Bearer " + mkTok()})
		assert.Equal(t, http.StatusForbidden, r.StatusCode)
	})

	t.Run("ReusedLinkSession", func(t *testing.T) {
		tok := newSession(t, "user-reuse", nil)
		page, f := open(t, tok)
		f.clickTo("Continue", "Select your institution")
		f.clickTo("Instant Bank", "Choose accounts to share")
		form := f.formOf()
		f.click("Continue")
		success(t, page)
		links := userLinks(t, sb, mkTok(), "user-reuse")
		// The same form posted again: an error page, nothing changes.
		form.Set("action", "continue")
		r, body := postForm(t, connectURL+"step", form)
		assert.Equal(t, http.StatusConflict, r.StatusCode)
		assert.Contains(t, body, "already completed")
		// Opening the token again: the error page, and onExit with an error.
		page2, f2 := launch(t, "startLink", tok, connectURL)
		f2.heading("Connect cannot continue")
		f2.axe(axe, "connect-error")
		f2.click("Close")
		o := page2.outcome()
		assert.Equal(t, "exit", o.Kind)
		assert.Contains(t, string(o.A), `"error_id":"link_session_error.invalid_token"`)
		assert.Equal(t, links, userLinks(t, sb, mkTok(), "user-reuse"))
	})

	t.Run("OtherOriginsIgnored", func(t *testing.T) {
		tok := newSession(t, "user-origin", nil)
		page, f := open(t, tok)
		// A message from the front end's own origin (not Connect's) that
		// pretends to complete the link is ignored.
		_, err := js[any](page, `window.postMessage({type: "link.complete", exchangeableToken: "forged", institution: {}}, "*"), 0`)
		require.NoError(t, err)
		f.clickTo("Continue", "Select your institution")
		st, err := js[bool](page, "window.outcome === null")
		require.NoError(t, err)
		assert.True(t, st, "a message from another origin reached onSuccess")
		// Connect's page is framed only by the origin it was opened for.
		r, _ := rawDo(t, http.MethodGet, connectURL+"start?linkSessionToken="+url.QueryEscape(tok)+"&origin="+url.QueryEscape(app), "", "", nil)
		assert.Contains(t, r.Header.Get("Content-Security-Policy"), "frame-ancestors "+app)
	})

	t.Run("HostileNamesInConnect", func(t *testing.T) {
		hostile := `<img src=x onerror="window.pwned=1">Checking<script>window.pwned=1</script>`
		tok := newSession(t, "user-hostile", func(r *moneykit.CreateLinkSessionRequest) {
			r.CustomSandboxData = moneykit.CustomSandboxData{Accounts: []moneykit.CustomSandboxAccount{{
				AccountType: "depository.checking", Name: hostile, AccountNumber: "1234567890",
			}}}
		})
		page, f := open(t, tok)
		f.clickTo("Continue", "Select your institution")
		f.searchThenClear(`"><script>window.pwned=1</script>`, "<script>window.pwned=1</script>", "Credentials Bank")
		f.click("Credentials Bank")
		f.logIn("Credentials Bank", "user_custom", "pass_good")
		f.heading("Choose accounts to share")
		assert.Contains(t, f.text(), hostile+" ••7890")
		f.assertInert("markup in a name ran in Connect")
		f.click("Continue")
		_, inst := success(t, page)
		assert.Equal(t, hostile, inst["selectedAccounts"].([]any)[0].(map[string]any)["name"])
		page.assertNotPwned("markup in a name ran in the front end")
	})

	t.Run("ConnectRequestsStayOnOrigin", func(t *testing.T) {
		tok := newSession(t, "user-net", nil)
		page := b.newTab(t)
		var reqs requests
		reqs.listen(t, page.ctx)
		// Connect's page at the top level, so that every request it makes
		// is this tab's.
		page.navigate(connectURL + "start?linkSessionToken=" + url.QueryEscape(tok) + "&origin=" + url.QueryEscape(app))
		page.heading("Share your data")
		page.clickTo("Continue", "Select your institution")
		page.click("Credentials Bank")
		page.logIn("Credentials Bank", "user_good", "pass_good")
		page.heading("Choose accounts to share")
		page.clickTo("Continue", "Account linked")
		n, bad := reqs.outside(sb.URL())
		assert.Empty(t, bad)
		assert.GreaterOrEqual(t, n, 12, "documents, style sheets and scripts of four pages")
	})

	// Link Money's hosted UI.
	newLMSession := func(t *testing.T, edit func(*linkmoney.SessionRequest)) linkmoney.SessionResponse {
		req := lmSessionRequest()
		req.RedirectUrl = app + "/lm-return?order=7"
		if edit != nil {
			edit(&req)
		}
		res, err := lm.CreateSessionWithResponse(context.Background(), req, basicOK())
		require.NoError(t, err)
		require.Equal(t, http.StatusOK, res.StatusCode(), string(res.Body))
		return *res.JSON200
	}
	managed := func(value, key string) func(*linkmoney.SessionRequest) {
		return func(r *linkmoney.SessionRequest) {
			r.ExperienceId = linkmoney.ExperienceIDLINKMANAGEDPAYMENT
			r.PaymentDetails = linkmoney.PaymentDetails{Amount: amount(value), RequestKey: key, ClientReferenceId: "order-7"}
			r.OrderDetails = linkmoney.OrderDetails{
				Items:          []linkmoney.Item{{Description: "Widget", Amount: amount("20.00")}},
				SubtotalAmount: amount("20.00"), TaxAmount: amount("1.60"), ShippingAmount: amount("5.00"),
				DiscountAmount: amount("1.60"), TotalAmount: amount(value),
			}
		}
	}
	returned := func(t *testing.T, tb *tab) url.Values {
		tb.until("the return to redirectUrl", "location.pathname === '/lm-return'")
		loc, err := js[string](tb, "location.href")
		require.NoError(t, err)
		u, err := url.Parse(loc)
		require.NoError(t, err)
		return u.Query()
	}
	txStatus := func(t *testing.T, id string) linkmoney.Transaction {
		res, err := lm.GetTransactionWithResponse(context.Background(), id, lmBearer(lmToken(t, lm, linkmoney.TokenScopeLinkPayment)))
		require.NoError(t, err)
		require.Equal(t, http.StatusOK, res.StatusCode(), string(res.Body))
		return *res.JSON200
	}

	t.Run("LinkMoneyPayByKeyboard", func(t *testing.T) {
		s := newLMSession(t, managed("25.00", "rk-ui-522"))
		tb := b.newTab(t)
		var reqs requests
		reqs.listen(t, tb.ctx)
		tb.lmOpen(s.SessionUrl)
		tb.axe(axe, "lm-consent")
		tb.shot("linkmoney-1-consent")
		tb.key("Continue")
		tb.heading("Select your bank")
		tb.axe(axe, "lm-bank")
		tb.shot("linkmoney-2-bank")
		tb.key("FinBank Profiles - B")
		tb.heading("Log in to FinBank Profiles - B")
		tb.typeInto("Username", "profile_522")
		tb.typeInto("Password", "profile_522")
		tb.axe(axe, "lm-login")
		tb.shot("linkmoney-3-login")
		tb.key("Continue")
		tb.heading("Choose an account")
		tb.axe(axe, "lm-account")
		tb.shot("linkmoney-4-account")
		tb.focus("Continue")
		tb.press("\r")
		tb.heading("Review and pay")
		body := tb.text()
		for _, want := range []string{"Widget", "$20.00", "Subtotal", "Tax", "$1.60", "Shipping", "$5.00", "Discount", "−$1.60", "Total", "$25.00"} {
			assert.Contains(t, body, want)
		}
		tb.axe(axe, "lm-order")
		tb.shot("linkmoney-5-order")
		tb.key("Pay $25.00")
		q := returned(t, tb)
		assert.Equal(t, "200", q.Get("status"))
		assert.Equal(t, "7", q.Get("order"), "the redirectUrl's own query is kept")
		cust, pay := q.Get("customerId"), q.Get("paymentId")
		require.Len(t, cust, 36)
		require.Len(t, pay, 36)
		tx := txStatus(t, pay)
		assert.Equal(t, linkmoney.TransactionStatus("AUTHORIZED"), tx.TransactionStatus)
		assert.Equal(t, cust, tx.CustomerId)
		c, err := lm.GetCustomerWithResponse(context.Background(), cust, lmBearer(lmToken(t, lm, linkmoney.TokenScopeLinkCore)))
		require.NoError(t, err)
		require.Equal(t, http.StatusOK, c.StatusCode())
		assert.Equal(t, "FinBank Profiles - B", c.JSON200.AccountDetails.FinancialInstitutionName)
		assert.Equal(t, []string{"customer.created", "customer.activated"}, eventsAbout(t, `"`+cust+`"`)[:2])
		assert.Equal(t, []string{"payment.created", "payment.authorized"}, eventsAbout(t, pay))
		n, bad := reqs.outside(sb.URL(), app)
		assert.Empty(t, bad)
		assert.GreaterOrEqual(t, n, 18, "documents, style sheets and scripts of six pages")
	})

	t.Run("LinkMoneyWrongCredentials", func(t *testing.T) {
		s := newLMSession(t, nil)
		tb := b.newTab(t)
		tb.lmOpen(s.SessionUrl)
		tb.clickTo("Continue", "Select your bank")
		tb.click("Finbank OAuth")
		tb.logIn("Finbank OAuth", "profile_522", "profile_08")
		tb.until("the error", "document.querySelector('[role=alert]')")
		tb.axe(axe, "lm-login-error")
		tb.fill("Password", "profile_522")
		tb.clickTo("Continue", "Choose an account")
		tb.click("Continue")
		q := returned(t, tb)
		assert.Equal(t, "200", q.Get("status"))
		assert.Empty(t, q.Get("paymentId"), "a session without a payment")
		assert.Len(t, q.Get("customerId"), 36)
	})

	t.Run("LinkMoneyProfile08", func(t *testing.T) {
		s := newLMSession(t, managed("25.00", "rk-ui-08"))
		tb := b.newTab(t)
		tb.lmLogin(s.SessionUrl, "FinBank Profiles - A", "profile_08")
		tb.clickTo("Continue", "Review and pay")
		tb.click("Pay $25.00")
		q := returned(t, tb)
		pay, cust := q.Get("paymentId"), q.Get("customerId")
		// The same customer through the payments API.
		pr, err := lm.CreatePaymentWithResponse(context.Background(), debit(cust, "10.00", "rk-api-08"), lmBearer(lmToken(t, lm, linkmoney.TokenScopeLinkPayment)))
		require.NoError(t, err)
		require.Equal(t, http.StatusOK, pr.StatusCode(), string(pr.Body))
		sb.Advance(4 * 24 * time.Hour)
		for _, id := range []string{pay, pr.JSON200.PaymentId} {
			tx := txStatus(t, id)
			assert.Equal(t, linkmoney.TransactionStatus("TERMINAL_FAILED"), tx.TransactionStatus, id)
			assert.Equal(t, "R01", tx.AchReturnCode, id)
		}
	})

	t.Run("LinkMoneyOver9000", func(t *testing.T) {
		s := newLMSession(t, managed("9000.01", "rk-ui-9001"))
		tb := b.newTab(t)
		tb.lmLogin(s.SessionUrl, "FinBank Profiles - A", "profile_522")
		tb.clickTo("Continue", "Review and pay")
		tb.clickTo("Pay $9,000.01", "Payment declined")
		tb.axe(axe, "lm-declined")
		tb.click("Continue")
		q := returned(t, tb)
		tx := txStatus(t, q.Get("paymentId"))
		assert.Equal(t, linkmoney.TransactionStatus("TERMINAL_FAILED"), tx.TransactionStatus)
	})

	t.Run("LinkMoneyExit", func(t *testing.T) {
		s := newLMSession(t, nil)
		tb := b.newTab(t)
		tb.lmOpen(s.SessionUrl)
		tb.clickTo("Continue", "Select your bank")
		tb.click("Close")
		q := returned(t, tb)
		assert.Equal(t, "204", q.Get("status"))
		assert.Empty(t, q.Get("customerId"))
		_, err := sb.CompleteSession(s.SessionKey)
		assert.NoError(t, err, "an exit completes nothing")
	})

	t.Run("LinkMoneyReusedSession", func(t *testing.T) {
		s := newLMSession(t, managed("12.00", "rk-ui-reuse"))
		tb := b.newTab(t)
		tb.lmLogin(s.SessionUrl, "FinBank Profiles - A", "profile_522")
		tb.clickTo("Continue", "Review and pay")
		form := tb.formOf()
		tb.click("Pay $12.00")
		q := returned(t, tb)
		before := len(sb.WebhookDeliveries())
		form.Set("action", "pay")
		r, body := postForm(t, sb.URL()+"/linkmoney/ui/", form)
		assert.Equal(t, http.StatusConflict, r.StatusCode)
		assert.Contains(t, body, "already completed")
		tb.navigate(s.SessionUrl)
		tb.heading("This page cannot continue")
		assert.Contains(t, tb.text(), "already completed")
		assert.Equal(t, before, len(sb.WebhookDeliveries()))
		// A form token of another flow does not fit this one.
		r, _ = postForm(t, sb.URL()+"/linkmoney/ui/", url.Values{"flow": {form.Get("flow")}, "token": {"forged"}, "action": {"pay"}})
		assert.Equal(t, http.StatusForbidden, r.StatusCode)
		assert.Len(t, q.Get("paymentId"), 36)
	})

	t.Run("LinkMoneyHostileNames", func(t *testing.T) {
		hostile := `<script>window.pwned=1</script><img src=x onerror="window.pwned=1">`
		s := newLMSession(t, func(r *linkmoney.SessionRequest) {
			managed("25.00", "rk-ui-hostile")(r)
			r.FirstName = "Jane" + hostile
			r.OrderDetails.Items[0].Description = "Widget" + hostile
		})
		tb := b.newTab(t)
		tb.lmOpen(s.SessionUrl)
		assert.Contains(t, tb.text(), "Jane"+hostile)
		tb.clickTo("Continue", "Select your bank")
		tb.searchThenClear(hostile, "window.pwned", "FinBank Profiles - A")
		tb.lmChooseBank("FinBank Profiles - A", "profile_522")
		tb.clickTo("Continue", "Review and pay")
		assert.Contains(t, tb.text(), "Widget"+hostile)
		tb.assertInert("markup in a name ran")
	})

	t.Run("LinkMoneyFlowExpires", func(t *testing.T) {
		s := newLMSession(t, nil)
		tb := b.newTab(t)
		tb.lmOpen(s.SessionUrl)
		sb.Advance(31 * time.Minute)
		tb.clickTo("Continue", "This page cannot continue")
		assert.Contains(t, tb.text(), "expired")
		// The session outlived its 30 minutes too; had the expired page
		// completed it, it would say so first.
		_, err := sb.CompleteSession(s.SessionKey)
		assert.ErrorIs(t, err, sandbox.ErrSessionExpired, "an expired page completes nothing")
	})

	t.Run("Relink", func(t *testing.T) {
		linkID := newLink(t, sb, mk, mkTok(), sessionRequest("user-relink"), sandbox.ConnectOptions{InstitutionID: "credentials_bank"})
		r, body := rawDo(t, http.MethodPost, sb.MoneyKit().BaseURL+"/links/"+linkID+"/reset", "", "", map[string]string{"Authorization": "Bearer " + mkTok()})
		require.Equal(t, http.StatusOK, r.StatusCode, string(body))
		tok := newSession(t, "user-relink", func(r *moneykit.CreateLinkSessionRequest) { r.ExistingLinkId = linkID })
		page, f := launch(t, "startRelink", tok, connectURL+"relink")
		f.heading("Share your data")
		f.click("Continue")
		f.logIn("Credentials Bank", "user_good", "pass_good")
		o := page.outcome()
		require.Equal(t, "success", o.Kind, "%s", o.A)
		assert.Contains(t, string(o.A), `"id":"credentials_bank"`, "relink's onSuccess gets the institution")
		assert.Equal(t, moneykit.PublicLinkState("connected"), getLink(t, mk, mkTok(), linkID).JSON200.State)
	})

	t.Run("AxeFindsViolations", func(t *testing.T) {
		if axe == "" {
			t.Skip("axe-core not fetched (make axe)")
		}
		// The check can fail: an unlabelled field and an image without
		// text are violations it reports.
		bad := httpServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			_, _ = io.WriteString(w, `<!doctype html><html lang="en"><title>bad</title><main><h1>Bad</h1><input name="q"><button></button></main></html>`)
		}))
		tb := b.newTab(t)
		tb.navigate(bad)
		assert.NotEmpty(t, tb.axeViolations(axe))
	})

	t.Run("READMEFrontEnd", func(t *testing.T) {
		// The README's front end, pointed at this sandbox, links a bank and
		// pays through the pages.
		readme, err := os.ReadFile("../../README.md")
		require.NoError(t, err)
		html := between(string(readme), "### The same flow in a browser", "```\n\nYour back end")
		html = between(html, "```html\n", "\n```")
		require.Contains(t, html, "new MoneyKit()")
		html = strings.ReplaceAll(html, "http://127.0.0.1:4010", sb.URL())
		site := strings.Replace(httpServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			_, _ = io.WriteString(w, html)
		})), "127.0.0.1", "localhost", 1)
		tok := createSession(t, mk, mkTok(), moneykit.CreateLinkSessionRequest{
			CustomerUser: moneykit.LinkSessionCustomerUser{Id: "user-readme"}, RedirectUri: site + "/",
		})
		s := newLMSession(t, func(r *linkmoney.SessionRequest) {
			managed("25.00", "rk-readme")(r)
			r.RedirectUrl = site + "/"
		})
		tb := b.newTab(t)
		tb.navigate(site + "/?token=" + url.QueryEscape(tok) + "&sessionUrl=" + url.QueryEscape(s.SessionUrl))
		tb.click("Link a bank")
		f := tb.frame(connectURL)
		f.heading("Share your data")
		f.clickTo("Continue", "Select your institution")
		f.clickTo("Instant Bank", "Choose accounts to share")
		f.click("Continue")
		tb.until("the link", "document.getElementById('out').textContent.indexOf('linked Instant Bank, exchange sandbox_exchange_') === 0")
		tb.clickTo("Pay by bank", "Pay by bank with Link Money")
		tb.clickTo("Continue", "Select your bank")
		tb.lmChooseBank("FinBank Profiles - A", "profile_522")
		tb.clickTo("Continue", "Review and pay")
		tb.click("Pay $25.00")
		tb.until("the payment", "document.getElementById('out').textContent.indexOf('paid: customer ') === 0")
	})

	t.Run("LinkMoneyHeaders", func(t *testing.T) {
		s := newLMSession(t, nil)
		r, _ := rawDo(t, http.MethodGet, s.SessionUrl, "", "", nil)
		csp := r.Header.Get("Content-Security-Policy")
		assert.Contains(t, csp, "frame-ancestors 'none'")
		assert.Contains(t, csp, "script-src 'self'")
		assert.NotContains(t, csp, "unsafe-inline")
		assert.Equal(t, "DENY", r.Header.Get("X-Frame-Options"))
	})
}

// postForm posts a form as a browser would (same origin).
func postForm(t *testing.T, u string, form url.Values) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, u, strings.NewReader(form.Encode()))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	r, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer r.Body.Close()
	b, err := io.ReadAll(r.Body)
	require.NoError(t, err)
	return r, string(b)
}

// getAccounts lists a link's account ids.
func getAccounts(t *testing.T, sb *sandbox.Sandbox, tok, linkID string) []string {
	t.Helper()
	r, b := rawDo(t, http.MethodGet, sb.MoneyKit().BaseURL+"/links/"+linkID+"/accounts", "", "", map[string]string{"Authorization": "Bearer " + tok})
	require.Equal(t, http.StatusOK, r.StatusCode, string(b))
	var out struct {
		Accounts []struct {
			AccountID string `json:"account_id"`
		} `json:"accounts"`
	}
	require.NoError(t, json.Unmarshal(b, &out))
	var ids []string
	for _, a := range out.Accounts {
		ids = append(ids, a.AccountID)
	}
	return ids
}

// userLinks counts a user's links.
func userLinks(t *testing.T, sb *sandbox.Sandbox, tok, user string) int {
	t.Helper()
	r, b := rawDo(t, http.MethodGet, sb.MoneyKit().BaseURL+"/users/"+user+"/links", "", "", map[string]string{"Authorization": "Bearer " + tok})
	require.Equal(t, http.StatusOK, r.StatusCode, string(b))
	var out struct {
		Links map[string]any `json:"links"`
	}
	require.NoError(t, json.Unmarshal(b, &out))
	return len(out.Links)
}

// clickTo clicks the button or link named name and waits for the page
// whose heading reads heading.
func (tb *tab) clickTo(name, heading string) {
	tb.t.Helper()
	tb.click(name)
	tb.heading(heading)
}

// logIn submits bank's login form, whose heading names bank.
func (tb *tab) logIn(bank, user, password string) {
	tb.t.Helper()
	tb.heading("Log in to " + bank)
	tb.fill("Username", user)
	tb.fill("Password", password)
	tb.click("Continue")
}

// searchThenClear searches the institutions for query, waits for the page
// to echo echoed, then clears the search and waits for bank to be listed.
func (tb *tab) searchThenClear(query, echoed, bank string) {
	tb.t.Helper()
	tb.fill("Search institutions", query)
	tb.click("Search")
	tb.until("the search echo", "document.body.innerText.indexOf("+jsString(echoed)+") >= 0")
	tb.fill("Search institutions", "")
	tb.click("Search")
	tb.until("the full list", "named("+jsString(bank)+").length === 1")
}

// lmOpen opens a Link Money session's page at its consent step.
func (tb *tab) lmOpen(sessionURL string) {
	tb.t.Helper()
	tb.navigate(sessionURL)
	tb.heading("Pay by bank with Link Money")
}

// lmChooseBank picks bank and logs in as user (whose password is its name),
// up to the account step.
func (tb *tab) lmChooseBank(bank, user string) {
	tb.t.Helper()
	tb.click(bank)
	tb.logIn(bank, user, user)
	tb.heading("Choose an account")
}

// lmLogin walks consent, bank and login with the mouse.
func (tb *tab) lmLogin(sessionURL, bank, user string) {
	tb.t.Helper()
	tb.lmOpen(sessionURL)
	tb.clickTo("Continue", "Select your bank")
	tb.lmChooseBank(bank, user)
}

// assertInert checks that markup in the page's text made no image and ran
// no script.
func (tb *tab) assertInert(msg string) {
	tb.t.Helper()
	imgs, err := js[int](tb, "document.querySelectorAll('img').length")
	require.NoError(tb.t, err)
	assert.Zero(tb.t, imgs)
	tb.assertNotPwned(msg)
}

// assertNotPwned checks that no injected script set window.pwned.
func (tb *tab) assertNotPwned(msg string) {
	tb.t.Helper()
	notRun, err := js[bool](tb, "window.pwned === undefined")
	require.NoError(tb.t, err)
	assert.True(tb.t, notRun, msg)
}
