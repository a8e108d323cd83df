package sandbox_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/banklink/banklink/facade/sandbox"
)

// script drives one sandbox with raw HTTP and keeps every answer, status and
// body byte for byte.
type script struct {
	t       *testing.T
	sb      *sandbox.Sandbox
	hc      *http.Client
	answers []string
}

func newScript(t *testing.T, cfg sandbox.Config) *script {
	sb, hc := startMem(t, cfg)
	return &script{t: t, sb: sb, hc: hc}
}

// call sends body (JSON, or a form when contentType says so) and decodes
// the answer into a map, which it returns.
func (s *script) call(method, path, contentType, body, auth string) map[string]any {
	s.t.Helper()
	req, err := http.NewRequest(method, s.sb.URL()+path, strings.NewReader(body))
	require.NoError(s.t, err)
	if body != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	if strings.HasPrefix(path, "/moneykit/") {
		req.Header.Set("MoneyKit-Version", "2023-02-18")
	}
	res, err := s.hc.Do(req)
	require.NoError(s.t, err)
	b, err := io.ReadAll(res.Body)
	_ = res.Body.Close()
	require.NoError(s.t, err)
	require.Less(s.t, res.StatusCode, 300, "%s %s: %s", method, path, b)
	s.answers = append(s.answers, fmt.Sprintf("%s %s -> %d %s", method, path, res.StatusCode, b))
	var m map[string]any
	if len(b) > 0 && b[0] == '{' {
		require.NoError(s.t, json.Unmarshal(b, &m))
	}
	return m
}

func (s *script) json(method, path, body, auth string) map[string]any {
	s.t.Helper()
	return s.call(method, path, "application/json", body, auth)
}

// run plays both providers' flows: tokens, a link with its data, a sync,
// a refresh and a resync, an import; a Link Money customer, a payment, a
// refund and their reads.
func (s *script) run() {
	mkAuth := "Bearer " + s.call("POST", "/moneykit/auth/token", "application/x-www-form-urlencoded",
		url.Values{"grant_type": {"client_credentials"}, "client_id": {sandbox.MoneyKitClientID}, "client_secret": {sandbox.MoneyKitClientSecret}}.Encode(), "")["access_token"].(string)
	for _, inst := range []string{"instant_bank", "credentials_bank"} {
		lst := s.json("POST", "/moneykit/link-session", `{"customer_user":{"id":"user-7"},"redirect_uri":"https://app.example/oauth","institution_id":"`+inst+`","settings":{"products":{"transactions":{"required":true},"identity":{"required":false},"account_numbers":{"required":false},"investments":{"required":false}}}}`, mkAuth)["link_session_token"].(string)
		exch := s.json("POST", "/_sandbox/moneykit/connect", `{"link_session_token":"`+lst+`"}`, "")["exchangeable_token"].(string)
		link := s.json("POST", "/moneykit/link-session/exchange-token", `{"exchangeable_token":"`+exch+`"}`, mkAuth)["link"].(map[string]any)["link_id"].(string)
		base := "/moneykit/links/" + link
		s.json("GET", base, "", mkAuth)
		s.json("GET", base+"/accounts", "", mkAuth)
		s.json("GET", base+"/accounts/numbers", "", mkAuth)
		s.json("GET", base+"/identity", "", mkAuth)
		s.json("GET", base+"/transactions?size=100", "", mkAuth)
		cursor := s.json("GET", base+"/transactions/sync?size=500", "", mkAuth)["cursor"].(map[string]any)["next"].(string)
		s.json("POST", "/_sandbox/clock/advance", `{"duration":"26h"}`, "")
		s.json("POST", base+"/products", `{"products":["transactions"]}`, mkAuth)
		s.json("GET", base+"/transactions/sync?size=500&cursor="+cursor, "", mkAuth)
		if inst == "credentials_bank" {
			s.json("GET", base+"/investments/holdings", "", mkAuth)
			s.json("GET", base+"/investments/transactions", "", mkAuth)
		}
	}
	s.json("GET", "/moneykit/users/user-7/accounts", "", mkAuth)
	s.json("GET", "/moneykit/auth/introspect", "", mkAuth)
	imported := s.json("POST", "/moneykit/links/import", `{"customer_user":{"id":"user-8"},"institution_id":"instant_bank","accounts":[{"account_id":"a1","name":"Checking","type":"depository.checking","balances":{"current":12.5}}],"transactions":[{"transaction_id":"t1","account_id":"a1","amount":"-3.10","date":"2025-12-30","description":"Coffee","type":"food_and_drinks"}]}`, mkAuth)
	s.json("GET", "/moneykit/links/"+imported["link_id"].(string)+"/transactions", "", mkAuth)

	lmToken := func(scope string) string {
		return "Bearer " + s.call("POST", "/linkmoney/v1/tokens", "application/x-www-form-urlencoded",
			url.Values{"grant_type": {"client_credentials"}, "client_id": {sandbox.LinkMoneyClientID}, "client_secret": {sandbox.LinkMoneyClientSecret}, "scope": {scope}}.Encode(), "")["access_token"].(string)
	}
	core, pay := lmToken("Link-Core"), lmToken("Link-Payment")
	basic := "Basic " + basicCreds()
	sess := s.json("POST", "/linkmoney/v2/sessions", `{"firstName":"Jane","lastName":"Doe","email":"jane.doe@example.com","redirectUrl":"https://merchant.example/return"}`, basic)
	cust := s.json("POST", "/_sandbox/linkmoney/complete", `{"sessionKey":"`+sess["sessionKey"].(string)+`"}`, "")["customerId"].(string)
	s.json("GET", "/linkmoney/v1/customers/"+cust, "", core)
	s.json("GET", "/linkmoney/v1/customers/"+cust+"/accounts", "", core)
	p := s.json("POST", "/linkmoney/v1/payments", `{"source":{"id":"`+cust+`","type":"CUSTOMER"},"destination":{"id":"merchant-1","type":"MERCHANT"},"amount":{"value":25.00,"currency":"USD"},"requestKey":"rk-1"}`, pay)
	s.json("POST", "/linkmoney/v1/refunds", `{"paymentId":"`+p["paymentId"].(string)+`","amount":{"value":5.00,"currency":"USD"},"requestKey":"rk-2"}`, pay)
	s.json("POST", "/_sandbox/clock/advance", `{"duration":"80h"}`, "")
	s.json("GET", "/linkmoney/v1/transactions/"+p["paymentId"].(string), "", pay)
}

func basicCreds() string {
	req, _ := http.NewRequest("GET", "http://x", nil)
	req.SetBasicAuth(sandbox.LinkMoneyClientID, sandbox.LinkMoneyClientSecret)
	return strings.TrimPrefix(req.Header.Get("Authorization"), "Basic ")
}

func scripted(t *testing.T, seed int64) []string {
	s := newScript(t, sandbox.Config{Seed: seed, ClockStart: time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC), NoRateLimits: true, TokenTTL: 1000 * time.Hour})
	s.run()
	return s.answers
}

// TestSeedReproduces: two sandboxes with the same seed and clock start,
// given the same calls, answer byte for byte the same, ids, tokens and
// data included; another seed gives other ids.
func TestSeedReproduces(t *testing.T) {
	a, b := scripted(t, 42), scripted(t, 42)
	require.Len(t, b, len(a))
	for i := range a {
		require.Equal(t, a[i], b[i], "answer %d", i)
	}

	c := scripted(t, 43)
	require.Len(t, c, len(a))
	ids := func(answers []string, field string) []string {
		var out []string
		for _, ans := range answers {
			for _, part := range strings.Split(ans, `"`+field+`":"`)[1:] {
				out = append(out, part[:strings.IndexByte(part, '"')])
			}
		}
		return out
	}
	for _, field := range []string{"link_id", "access_token", "sessionKey", "customerId", "paymentId"} {
		ia, ic := ids(a, field), ids(c, field)
		require.NotEmpty(t, ia, field)
		assert.Equal(t, len(ia), len(ic), field)
		for _, id := range ia {
			assert.NotContains(t, ic, id, "seed 43 handed out seed 42's %s", field)
		}
	}
}

// TestNoSeedIsRandom: without a seed, two sandboxes hand out different ids.
func TestNoSeedIsRandom(t *testing.T) {
	a, b := scripted(t, 0), scripted(t, 0)
	require.Len(t, b, len(a))
	assert.NotEqual(t, a[0], b[0], "two unseeded sandboxes issued the same token")
}

// TestClockStart: the clock starts where Config.ClockStart says and moves
// only when advanced.
func TestClockStart(t *testing.T) {
	start := time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC)
	sb := sandbox.New(sandbox.Config{ClockStart: start})
	assert.Equal(t, start, sb.Now())
	sb.Advance(time.Hour)
	assert.Equal(t, start.Add(time.Hour), sb.Now())
}
