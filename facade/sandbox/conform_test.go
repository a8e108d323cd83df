package sandbox_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/stretchr/testify/require"

	"github.com/banklink/banklink/facade/sandbox"
	"github.com/banklink/banklink/gen/linkmoney"
	"github.com/banklink/banklink/gen/linkmoney/linkmoneyspec"
	"github.com/banklink/banklink/gen/moneykit"
	"github.com/banklink/banklink/gen/moneykit/moneykitspec"
	"github.com/banklink/banklink/internal/opmeta"
)

// conformIDs are the resources one request names.
type conformIDs struct {
	link, account, txn, user, institution string
	customer, payment, subscription       string
}

// conformReq is one raw request to the sandbox.
type conformReq struct {
	method, path, ctype, body string
	header                    http.Header
}

// conformFixture holds what valid requests to every operation need.
type conformFixture struct {
	t                    *testing.T
	sb                   *sandbox.Sandbox
	mk                   *moneykit.ClientWithResponses
	lm                   *linkmoney.ClientWithResponses
	mkTok, lmCore, lmPay string
	ids                  conformIDs // a connected link with a webhook, an active customer, ...
	imported, gone       string     // an imported link; a deleted link
	denied               string     // a link whose user denied accounts
	erred                string     // a link in the error state
	n                    int
}

// injected lists the documented statuses no sandbox logic answers for the
// operation; the test has a fault answer them, which checks the body the
// sandbox writes for them. 429 and 5xx are injected for every operation:
// the sandbox's own limiter answers 429 through the same writer.
var injected = map[string][]int{
	"createLinkSession":   {403}, // settings this application may not use: every sandbox app may use all
	"getLink":             {410}, // a deleted link reads as state "deleted" until MoneyKit removes it
	"updateLink":          {403},
	"deleteLink":          {403},
	"resetLink":           {},
	"webhookTestLink":     {403},
	"getCustomer":         {400}, // Link Money documents 400 for a malformed customerId; banklink allows any
	"getCustomerAccounts": {400},
	"getTransaction":      {400},
	"releasePayment":      {400},
}

var badStateAllowed = map[string]bool{"updateLink": true, "deleteLink": true, "resetLink": true, "importTransactions": true}

// Every operation of both providers, driven to its success status and to
// each error status the spec documents for it; every response is checked
// against the spec by the package's response validator (see TestMain).
// An operation or status added to the spec without a way to reach it here
// fails this test.
func TestEveryOperationAnswersEachDocumentedStatus(t *testing.T) {
	f := newConformFixture(t)
	check := func(provider string, doc *openapi3.T, ops []opmeta.Operation) {
		for _, op := range ops {
			spec := doc.Paths.Find(op.Path).GetOperation(op.Method)
			require.NotNil(t, spec, op.ID)
			var statuses []int
			for code := range spec.Responses.Map() {
				n, err := strconv.Atoi(code)
				require.NoError(t, err, "%s: response %q", op.ID, code)
				statuses = append(statuses, n)
			}
			sort.Ints(statuses)
			for _, status := range statuses {
				t.Run(fmt.Sprintf("%s/%s/%d", provider, op.ID, status), func(t *testing.T) {
					got, body := f.provoke(t, op, status)
					require.Equal(t, status, got, "%s %s: %s", op.Method, op.Path, body)
				})
			}
		}
	}
	mkDoc, err := moneykitspec.GetSpec()
	require.NoError(t, err)
	lmDoc, err := linkmoneyspec.GetSpec()
	require.NoError(t, err)
	check("moneykit", mkDoc, moneykit.Operations[:])
	check("linkmoney", lmDoc, linkmoney.Operations[:])
	require.NoError(t, sandbox.ConformanceReport())
}

func newConformFixture(t *testing.T) *conformFixture {
	sb := sandbox.Start(t)
	f := &conformFixture{t: t, sb: sb, mk: mkClient(t, sb), lm: lmClient(t, sb)}
	f.mkTok = mkToken(t, f.mk, sb.MoneyKit())
	f.lmCore = lmToken(t, f.lm, linkmoney.TokenScopeLinkCore)
	f.lmPay = lmToken(t, f.lm, linkmoney.TokenScopeLinkPayment)

	req := fullSession("user-conform")
	req.Webhook = "https://app.example/hooks/moneykit"
	f.ids.link = newLink(t, sb, f.mk, f.mkTok, req, sandbox.ConnectOptions{})
	f.ids.user = "user-conform"
	f.ids.institution = "instant_bank"
	var accts struct {
		Accounts []struct {
			AccountID string `json:"account_id"`
		} `json:"accounts"`
	}
	f.getJSON("/moneykit/links/"+f.ids.link+"/accounts", &accts)
	require.NotEmpty(t, accts.Accounts)
	f.ids.account = accts.Accounts[0].AccountID
	var txns struct {
		Transactions []struct {
			TransactionID string `json:"transaction_id"`
			Pending       bool   `json:"pending"`
		} `json:"transactions"`
	}
	f.getJSON("/moneykit/links/"+f.ids.link+"/transactions", &txns)
	// A posted transaction: a refresh replaces the pending ones.
	for _, tx := range txns.Transactions {
		if !tx.Pending {
			f.ids.txn = tx.TransactionID
			break
		}
	}
	require.NotEmpty(t, f.ids.txn)

	f.imported = f.importLink()
	f.gone = newLink(t, sb, f.mk, f.mkTok, fullSession("user-conform-gone"), sandbox.ConnectOptions{})
	status, body := f.do(conformReq{method: "DELETE", path: "/moneykit/links/" + f.gone, header: f.mkAuth()})
	require.Equal(t, http.StatusNoContent, status, body)
	f.denied = newLink(t, sb, f.mk, f.mkTok, fullSession("user-conform-denied"), sandbox.ConnectOptions{DenyProducts: []string{"accounts"}})
	f.erred = newLink(t, sb, f.mk, f.mkTok, fullSession("user-conform-erred"), sandbox.ConnectOptions{FailWith: "auth_expired"})

	f.ids.customer = newCustomer(t, sb, f.lm)
	f.ids.payment = f.newPayment()
	f.ids.subscription = f.subscribe()
	return f
}

func (f *conformFixture) key(prefix string) string {
	f.n++
	return fmt.Sprintf("%s-%d", prefix, f.n)
}

func (f *conformFixture) do(r conformReq) (int, string) {
	f.t.Helper()
	req, err := http.NewRequest(r.method, f.sb.URL()+r.path, strings.NewReader(r.body))
	require.NoError(f.t, err)
	for k, v := range r.header {
		req.Header[k] = v
	}
	if r.ctype != "" {
		req.Header.Set("Content-Type", r.ctype)
	}
	res, err := http.DefaultClient.Do(req)
	require.NoError(f.t, err)
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	require.NoError(f.t, err)
	return res.StatusCode, string(b)
}

func (f *conformFixture) getJSON(path string, v any) {
	f.t.Helper()
	status, body := f.do(conformReq{method: "GET", path: path, header: f.mkAuth()})
	require.Equal(f.t, http.StatusOK, status, body)
	require.NoError(f.t, json.Unmarshal([]byte(body), v))
}

func (f *conformFixture) mkAuth() http.Header {
	return http.Header{"Authorization": {"Bearer " + f.mkTok}}
}

func (f *conformFixture) importLink() string {
	f.t.Helper()
	b, err := json.Marshal(importRequest(f.key("user-conform-imp")))
	require.NoError(f.t, err)
	status, body := f.do(conformReq{method: "POST", path: "/moneykit/links/import", ctype: "application/json", body: string(b), header: f.mkAuth()})
	require.Equal(f.t, http.StatusOK, status, body)
	var l struct {
		LinkID string `json:"link_id"`
	}
	require.NoError(f.t, json.Unmarshal([]byte(body), &l))
	return l.LinkID
}

func (f *conformFixture) newPayment() string {
	f.t.Helper()
	status, body := f.do(f.valid(linkmoney.Operations[linkmoney.OpCreatePayment], f.ids))
	require.Equal(f.t, http.StatusOK, status, body)
	var p struct {
		PaymentID string `json:"paymentId"`
	}
	require.NoError(f.t, json.Unmarshal([]byte(body), &p))
	return p.PaymentID
}

func (f *conformFixture) subscribe() string {
	f.t.Helper()
	status, body := f.do(f.valid(linkmoney.Operations[linkmoney.OpSubscribeWebhook], f.ids))
	require.Equal(f.t, http.StatusOK, status, body)
	var s struct {
		Key string `json:"subscriptionKey"`
	}
	require.NoError(f.t, json.Unmarshal([]byte(body), &s))
	return s.Key
}

// valid is a request op answers with its success status, for ids.
func (f *conformFixture) valid(op opmeta.Operation, ids conformIDs) conformReq {
	f.t.Helper()
	base := "/moneykit"
	if _, ok := linkmoneyOps[op.ID]; ok {
		base = "/linkmoney"
	}
	path := strings.NewReplacer(
		"{id}", url.PathEscape(pick(strings.HasPrefix(op.Path, "/users/"), ids.user, ids.link)),
		"{account_id}", ids.account, "{transaction_id}", ids.txn, "{institution_id}", ids.institution,
		"{customerId}", ids.customer, "{transactionId}", ids.payment,
	).Replace(op.Path)
	r := conformReq{method: op.Method, path: base + path, header: http.Header{}}
	switch op.Auth.Kind {
	case opmeta.AuthBearer:
		tok := f.mkTok
		if base == "/linkmoney" {
			tok = f.lmCore
			if strings.Contains(strings.Join(op.Auth.Scopes, " "), "Link-Payment") {
				tok = f.lmPay
			}
		}
		r.header.Set("Authorization", "Bearer "+tok)
	case opmeta.AuthBasic:
		if op.ID == "createSession" {
			r.header.Set("Authorization", basicHeader(sandbox.LinkMoneyClientID, sandbox.LinkMoneyClientSecret))
		}
	case opmeta.AuthAPIKeyHeader:
		r.header.Set(op.Auth.Header, sandbox.MoneyKitClientID)
	}
	js := func(v any) {
		b, err := json.Marshal(v)
		require.NoError(f.t, err)
		r.ctype, r.body = "application/json", string(b)
	}
	form := func(v url.Values) { r.ctype, r.body = "application/x-www-form-urlencoded", v.Encode() }
	switch op.ID {
	case "createAccessToken":
		form(url.Values{"grant_type": {"client_credentials"}, "client_id": {sandbox.MoneyKitClientID}, "client_secret": {sandbox.MoneyKitClientSecret}})
	case "createLinkSession":
		js(sessionRequest(f.key("user-conform-session")))
	case "exchangeToken":
		lst := createSession(f.t, f.mk, f.mkTok, sessionRequest(f.key("user-conform-exch")))
		exch, err := f.sb.CompleteLinkSession(lst, sandbox.ConnectOptions{})
		require.NoError(f.t, err)
		js(map[string]string{"exchangeable_token": exch})
	case "updateLink":
		js(map[string]any{"link_tags": []string{"conform"}})
	case "deleteLink", "resetLink":
		if ids.link == f.ids.link { // keep the shared link connected
			r.path = strings.Replace(r.path, ids.link, newLink(f.t, f.sb, f.mk, f.mkTok, sessionRequest(f.key("user-conform-del")), sandbox.ConnectOptions{}), 1)
		}
	case "importLink":
		js(importRequest(f.key("user-conform-imp")))
	case "importTransactions":
		if ids.link == f.ids.link {
			r.path = strings.Replace(r.path, ids.link, f.imported, 1)
		}
		js(map[string]any{"transactions": []moneykit.TransactionImportData{{AccountId: "ext-1", Amount: "2.50", Date: "2025-02-02", TransactionId: f.key("ext-txn")}}})
	case "refreshProducts":
		js(map[string]any{"products": []string{"transactions"}})
	case "updateTransactionEnrichment":
		js(map[string]string{"category": "food_and_drink"})
	case "webhookTestLink":
		js(map[string]string{"webhook_event": "link.state_changed", "webhook_idempotency_key": f.key("conform-hook")})
	case "createToken":
		form(url.Values{"grant_type": {"client_credentials"}, "client_id": {sandbox.LinkMoneyClientID}, "client_secret": {sandbox.LinkMoneyClientSecret}, "scope": {"Link-Core"}})
	case "createSession":
		js(lmSessionRequest())
	case "createPayment":
		js(debit(ids.customer, "12.34", f.key("conform-pay")))
	case "createRefund":
		js(map[string]any{"paymentId": ids.payment, "amount": amount("1.00"), "requestKey": f.key("conform-refund")})
	case "subscribeWebhook":
		js(map[string]any{"url": "https://merchant.example/hooks/linkmoney", "secretKey": "conform-secret", "subscriptionDetails": map[string]string{"type": "ALL"}})
	case "unsubscribeWebhook":
		sub := ids.subscription
		if sub == f.ids.subscription && sub != "" { // each success cancels its own
			sub = f.subscribe()
		}
		js(map[string]any{"subscriptionId": sub, "subscriptionDetails": map[string]string{"type": "ALL"}})
	case "releasePayment", "getTransaction":
		if op.ID == "releasePayment" && ids.payment == f.ids.payment {
			r.path = strings.Replace(r.path, ids.payment, f.newPayment(), 1)
		}
	}
	return r
}

// fullSession asks for every product at an institution that has them all.
func fullSession(user string) moneykit.CreateLinkSessionRequest {
	req := sessionRequest(user)
	p := &moneykit.ProductSettings{}
	req.Settings.Products = moneykit.ProductsSettings{AccountNumbers: p, Identity: p, Transactions: p, Investments: p}
	req.InstitutionId = "credentials_bank"
	return req
}

var linkmoneyOps = func() map[string]bool {
	m := map[string]bool{}
	for _, op := range linkmoney.Operations {
		m[op.ID] = true
	}
	return m
}()

func pick(c bool, a, b string) string {
	if c {
		return a
	}
	return b
}

func basicHeader(id, secret string) string {
	r, _ := http.NewRequest("GET", "http://x", nil)
	r.SetBasicAuth(id, secret)
	return r.Header.Get("Authorization")
}

// provoke sends op the request meant to answer status.
func (f *conformFixture) provoke(t *testing.T, op opmeta.Operation, status int) (int, string) {
	f.t = t
	ids := f.ids
	lm := linkmoneyOps[op.ID]
	inject := status == http.StatusTooManyRequests || status >= 500
	for _, s := range injected[op.ID] {
		inject = inject || s == status
	}
	if inject {
		f.sb.SetFaults(map[string]sandbox.Fault{op.ID: {Rate: 1, Statuses: []int{status}}})
		defer f.sb.SetFaults(nil)
		return f.do(f.valid(op, ids))
	}
	switch {
	case status < 300:
		return f.do(f.valid(op, ids))
	case status == http.StatusUnauthorized:
		r := f.valid(op, ids)
		switch {
		case op.ID == "createAccessToken" || op.ID == "createToken":
			v, err := url.ParseQuery(r.body)
			require.NoError(t, err)
			v.Set("client_secret", "wrong-secret")
			r.body = v.Encode()
		case op.Auth.Kind == opmeta.AuthAPIKeyHeader:
			r.header.Del(op.Auth.Header)
		case op.Auth.Kind == opmeta.AuthBasic:
			r.header.Set("Authorization", basicHeader(sandbox.LinkMoneyClientID, "wrong-secret"))
		default:
			r.header.Set("Authorization", "Bearer revoked-token")
		}
		return f.do(r)
	case status == http.StatusUnprocessableEntity && !lm:
		// A link in the error state answers link_error.bad_state to reads,
		// refreshes and webhook tests; it may be updated, reset and deleted.
		if strings.HasPrefix(op.Path, "/links/{id}") && !badStateAllowed[op.ID] {
			ids.link = f.erred // link_error.bad_state
			return f.do(f.valid(op, ids))
		}
		r := f.valid(op, ids)
		r.header.Set("MoneyKit-Version", "1999-01-01")
		return f.do(r)
	case status == http.StatusNotFound:
		ids.link, ids.customer, ids.payment = "mk_unknown00000000000000", "cust-unknown", "pay-unknown"
		ids.institution, ids.subscription = "no_such_bank", "sub-unknown"
		return f.do(f.valid(op, ids))
	case status == http.StatusGone:
		ids.link = f.gone
		return f.do(f.valid(op, ids))
	case status == http.StatusForbidden:
		ids.link = f.denied
		return f.do(f.valid(op, ids))
	case status == http.StatusBadRequest:
		r := f.valid(op, ids)
		switch op.ID {
		case "createAccessToken", "createToken":
			v, err := url.ParseQuery(r.body)
			require.NoError(t, err)
			v.Set("grant_type", "password")
			r.body = v.Encode()
		case "exchangeToken":
			r.body = `{"exchangeable_token":"not-a-token"}`
		case "webhookTestLink":
			r.path = strings.Replace(r.path, ids.link, newLink(t, f.sb, f.mk, f.mkTok, sessionRequest(f.key("user-conform-nohook")), sandbox.ConnectOptions{}), 1)
		default:
			require.NotEmpty(t, r.body, "%s: no way to answer 400", op.ID)
			r.body = "{}"
		}
		return f.do(r)
	}
	t.Fatalf("%s: no way to answer %d", op.ID, status)
	return 0, ""
}

// Link Money documents 200, 201 (the Refund API only), 400, 401, 404 and
// 500, and no 409, 422 or 429: the spec, and so the sandbox, answers no other.
func TestLinkMoneyStatusesAsDocumented(t *testing.T) {
	doc, err := linkmoneyspec.GetSpec()
	require.NoError(t, err)
	documented := map[int]bool{200: true, 201: true, 400: true, 401: true, 404: true, 500: true}
	for _, op := range linkmoney.Operations {
		for code := range doc.Paths.Find(op.Path).GetOperation(op.Method).Responses.Map() {
			n, err := strconv.Atoi(code)
			require.NoError(t, err)
			require.True(t, documented[n], "%s answers %d", op.ID, n)
			if n == http.StatusCreated {
				require.Equal(t, "createRefund", op.ID, "only the Refund API answers 201")
			}
		}
	}
	require.Equal(t, http.StatusCreated, linkmoney.Operations[linkmoney.OpCreateRefund].SuccessStatus)
}
