package sandbox_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/banklink/banklink/facade/sandbox"
	"github.com/banklink/banklink/gen/moneykit"
)

// moneyKeys are the fields that carry an amount of money in the sandbox's
// MoneyKit answers.
var moneyKeys = map[string]bool{
	"current": true, "available": true, "limit": true, "amount": true, "price": true,
	"value": true, "cost_basis": true, "fees": true, "close_price": true,
}

var centsText = regexp.MustCompile(`^-?[0-9]+(\.[0-9]{1,2})?$`)

// moneyIn walks a JSON document, numbers kept as their text, and returns
// every money field's literal as "path=text".
func moneyIn(t *testing.T, raw []byte) []string {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var doc any
	require.NoError(t, dec.Decode(&doc))
	var out []string
	var walk func(path string, v any)
	walk = func(path string, v any) {
		switch v := v.(type) {
		case map[string]any:
			for k, x := range v {
				if moneyKeys[k] && !strings.HasSuffix(path, ".enrichment.category") && !strings.HasSuffix(path, ".enrichment.subcategory") {
					switch x := x.(type) {
					case json.Number:
						out = append(out, path+"."+k+"="+string(x))
					case string:
						out = append(out, path+"."+k+"="+x)
					}
				}
				walk(path+"."+k, x)
			}
		case []any:
			for i, x := range v {
				walk(fmt.Sprintf("%s[%d]", path, i), x)
			}
		}
	}
	walk("", doc)
	return out
}

// TestAmountsAreExactToTheCent reads every account, transaction, holding
// and investment transaction of many links, and checks the raw JSON text of
// every amount: at most two decimals, no float noise such as
// 5460.5599999999995.
func TestAmountsAreExactToTheCent(t *testing.T) {
	sb := sandbox.Start(t, sandbox.Config{NoRateLimits: true})
	c := mkClient(t, sb)
	tok := mkToken(t, c, sb.MoneyKit())
	get := func(path string) []byte {
		t.Helper()
		req, err := http.NewRequest(http.MethodGet, sb.MoneyKit().BaseURL+path, nil)
		require.NoError(t, err)
		req.Header.Set("Authorization", "Bearer "+tok)
		res, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer res.Body.Close()
		b, err := io.ReadAll(res.Body)
		require.NoError(t, err)
		require.Equal(t, http.StatusOK, res.StatusCode, "%s: %s", path, b)
		return b
	}
	var amounts, bad int
	check := func(path string) {
		t.Helper()
		for _, m := range moneyIn(t, get(path)) {
			amounts++
			_, text, _ := bytes.Cut([]byte(m), []byte("="))
			if !centsText.Match(text) {
				bad++
				assert.Fail(t, "an amount is not exact to the cent", "%s: %s", path, m)
			}
		}
	}
	const links = 40
	for i := range links {
		inst := []string{"instant_bank", "credentials_bank", "oauth_bank"}[i%3]
		req := sessionRequest(fmt.Sprintf("user-cents-%d", i))
		req.Settings = allProducts()
		req.InstitutionId = inst
		id := newLink(t, sb, c, tok, req, sandbox.ConnectOptions{})
		base := "/links/" + id
		check(base + "/accounts")
		if i%8 >= 2 {
			continue // balances differ per link; the transactions' rules do not
		}
		check(base + "/transactions?size=500")
		check(base + "/transactions/sync?size=500")
		if inst == "credentials_bank" {
			check(base + "/investments/holdings")
			check(base + "/investments/transactions?size=100")
		}
	}
	// Imported balances are kept to the cent too.
	imp, err := c.ImportLinkWithResponse(ctxb, &moneykit.ImportLinkParams{MoneyKitVersion: mkVersion}, moneykit.ImportLinkRequest{
		CustomerUser: moneykit.LinkSessionCustomerUser{Id: "user-cents-import"}, InstitutionId: "instant_bank",
		Accounts: []moneykit.AccountImportData{{AccountId: "ext-1", Name: "Checking", Type: "depository.checking",
			Balances: moneykit.AccountBalances{Current: ptr(0.1 + 0.2), Available: ptr(5460.5599999999995), Limit: ptr(1000.004)}}},
		Transactions: []moneykit.TransactionImportData{},
	}, bearer(tok))
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, imp.StatusCode(), string(imp.Body))
	raw := get("/links/" + imp.JSON200.LinkId + "/accounts")
	assert.Contains(t, string(raw), `"balances":{"available":5460.56,"currency":"USD","current":0.3,"limit":1000}`)
	check("/links/" + imp.JSON200.LinkId + "/accounts")

	t.Logf("%d amounts over %d links, %d not exact to the cent", amounts, links, bad)
	assert.Greater(t, amounts, 5000, "the check read the amounts")
}
