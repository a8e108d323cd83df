package sandbox

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"sort"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/stretchr/testify/require"

	"github.com/banklink/banklink/gen/linkmoney"
	"github.com/banklink/banklink/gen/linkmoney/linkmoneyspec"
	"github.com/banklink/banklink/gen/moneykit"
	"github.com/banklink/banklink/gen/moneykit/moneykitspec"
	"github.com/banklink/banklink/internal/opmeta"
)

// The differential test: the validators specgen generates (Validate on
// every request type) and the sandbox's request validation (kin-openapi's
// openapi3filter plus its own reading of the x-banklink-* rules) are built
// independently from the same spec. On every request body example in the
// spec, and on a corpus of mutations of each, they must agree whether the
// request is valid.

type validator interface{ Validate() error }

// diffBodies maps every operation with a JSON request body to its generated
// request type and a concrete path. A new operation with a body fails the
// test until it is listed here.
var diffBodies = map[string]struct {
	path string
	body func() validator
}{
	"createLinkSession":           {"/link-session", func() validator { return new(moneykit.CreateLinkSessionRequest) }},
	"exchangeToken":               {"/link-session/exchange-token", func() validator { return new(moneykit.ExchangeTokenRequest) }},
	"updateLink":                  {"/links/mk_1", func() validator { return new(moneykit.UpdateLinkRequest) }},
	"createSession":               {"/v2/sessions", func() validator { return new(linkmoney.SessionRequest) }},
	"createPayment":               {"/v1/payments", func() validator { return new(linkmoney.PaymentRequest) }},
	"createRefund":                {"/v1/refunds", func() validator { return new(linkmoney.RefundRequest) }},
	"importLink":                  {"/links/import", func() validator { return new(moneykit.ImportLinkRequest) }},
	"importTransactions":          {"/links/mk_1/import/transactions", func() validator { return new(moneykit.ImportTransactionsRequest) }},
	"refreshProducts":             {"/links/mk_1/products", func() validator { return new(moneykit.RefreshProductsRequest) }},
	"updateTransactionEnrichment": {"/links/mk_1/transactions/tx_1/enrichment", func() validator { return new(moneykit.BudCategory) }},
	"webhookTestLink":             {"/webhooks/test/link/mk_1", func() validator { return new(moneykit.WebhookTestLinkRequest) }},
	"subscribeWebhook":            {"/v1/webhook/subscribe", func() validator { return new(linkmoney.WebhookSubscribeRequest) }},
	"unsubscribeWebhook":          {"/v1/webhook/unsubscribe", func() validator { return new(linkmoney.WebhookUnsubscribeRequest) }},
}

type diffOp struct {
	id, method, path string
	schema           *openapi3.Schema
	body             func() validator
}

func diffOps(t testing.TB) []diffOp {
	var out []diffOp
	for _, get := range []func() (*openapi3.T, error){moneykitspec.GetSwagger, linkmoneyspec.GetSwagger} {
		doc, err := get()
		require.NoError(t, err)
		for _, item := range doc.Paths.Map() {
			for method, op := range item.Operations() {
				if op.RequestBody == nil || op.RequestBody.Value.Content.Get("application/json") == nil {
					continue
				}
				reg, ok := diffBodies[op.OperationID]
				require.True(t, ok, "operation %s has a JSON body but no entry in diffBodies", op.OperationID)
				out = append(out, diffOp{op.OperationID, method, reg.path,
					op.RequestBody.Value.Content.Get("application/json").Schema.Value, reg.body})
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].id < out[j].id })
	return out
}

// example builds a value from the schema's examples: the schema's own
// example when it has one, else an object of its properties' examples.
func example(s *openapi3.Schema, depth int) (any, bool) {
	if s == nil || depth > 8 {
		return nil, false
	}
	if s.Example != nil {
		return s.Example, true
	}
	props := map[string]*openapi3.SchemaRef{}
	var collect func(s *openapi3.Schema)
	collect = func(s *openapi3.Schema) {
		for n, p := range s.Properties {
			props[n] = p
		}
		for _, m := range s.AllOf {
			if m.Value != nil {
				if m.Value.Example != nil && len(s.AllOf) == 1 {
					props = nil
					return
				}
				collect(m.Value)
			}
		}
	}
	if len(s.AllOf) == 1 && s.AllOf[0].Value != nil && s.AllOf[0].Value.Example != nil && len(s.Properties) == 0 {
		return s.AllOf[0].Value.Example, true
	}
	collect(s)
	if len(props) > 0 {
		obj := map[string]any{}
		for n, p := range props {
			if v, ok := example(p.Value, depth+1); ok {
				obj[n] = v
			}
		}
		return obj, true
	}
	if s.Items != nil {
		if v, ok := example(s.Items.Value, depth+1); ok {
			return []any{v}, true
		}
	}
	return nil, false
}

// mutation is one change to a request: at a JSON path, delete the value or
// replace it.
type mutation struct {
	path  []string
	del   bool
	value any
	name  string
}

var stringVariants = []any{"", "x", strings.Repeat("x", 200), "-bad tag!", "https://a.example/p?q=1",
	"not a uri", "a@b", "ZZZ_NOT_IN_ENUM", "2023-02-16T09:14:11", "USD", "LINK_MANAGED_PAYMENT", nil}

var numberVariants = []any{json.Number("1.234"), json.Number("-1"), json.Number("0"), json.Number("12.34"), nil}

// mutations lists the changes to try on v: at every path, deletion, null
// and the variants of the value's kind.
func mutations(v any, at []string, out *[]mutation) {
	here := append([]string(nil), at...)
	switch x := v.(type) {
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			p := append(append([]string(nil), here...), k)
			*out = append(*out, mutation{path: p, del: true, name: "delete"})
			mutations(x[k], p, out)
		}
	case []any:
		*out = append(*out, mutation{path: here, value: []any{}, name: "empty array"})
		for i, e := range x {
			mutations(e, append(append([]string(nil), here...), fmt.Sprint(i)), out)
		}
	case string:
		for _, s := range stringVariants {
			*out = append(*out, mutation{path: here, value: s, name: fmt.Sprintf("%.20q", s)})
		}
	case json.Number, float64:
		for _, n := range numberVariants {
			*out = append(*out, mutation{path: here, value: n, name: fmt.Sprint(n)})
		}
	}
}

// apply returns a deep copy of v with m applied.
func apply(v any, m mutation) any {
	if len(m.path) == 0 {
		return m.value
	}
	switch x := v.(type) {
	case map[string]any:
		c := make(map[string]any, len(x))
		for k, e := range x {
			c[k] = e
		}
		k := m.path[0]
		if len(m.path) == 1 && m.del {
			delete(c, k)
			return c
		}
		c[k] = apply(x[k], mutation{path: m.path[1:], del: m.del, value: m.value})
		return c
	case []any:
		c := append([]any(nil), x...)
		var i int
		fmt.Sscan(m.path[0], &i)
		if i < len(c) {
			c[i] = apply(c[i], mutation{path: m.path[1:], del: m.del, value: m.value})
		}
		return c
	}
	return v
}

// sandboxAccepts runs the sandbox's request validation on body.
func sandboxAccepts(t testing.TB, s *Sandbox, op diffOp, body []byte) (bool, []violation) {
	info := s.spec.byID[op.id]
	require.NotNil(t, info, op.id)
	r := httptest.NewRequest(strings.ToUpper(op.method), "http://sandbox.invalid"+op.path, bytes.NewReader(body))
	r.Header.Set("Content-Type", "application/json")
	for _, p := range info.pathParams {
		// The concrete path's last parameter segment.
		parts := strings.Split(op.path, "/")
		tmpl := strings.Split(info.path, "/")
		for i := range tmpl {
			if tmpl[i] == "{"+p.name+"}" && i < len(parts) {
				r.SetPathValue(p.name, parts[i])
			}
		}
	}
	vs := s.validate(r, info, &reqState{body: body})
	return len(vs) == 0, vs
}

// compare decodes data into the operation's generated type, marshals it
// back (the bytes banklink would send), and requires both validators to
// agree on them. It reports whether the case was comparable.
func compare(t testing.TB, s *Sandbox, op diffOp, data []byte, what string) bool {
	v := op.body()
	if err := json.Unmarshal(data, v); err != nil {
		return false // the Go type cannot hold this request; no client can send it
	}
	sent, err := json.Marshal(v)
	require.NoError(t, err)
	genErr := v.Validate()
	ok, vs := sandboxAccepts(t, s, op, sent)
	if (genErr == nil) != ok {
		t.Errorf("%s %s: generated Validate says %v, sandbox (openapi3filter) says %v", op.id, what, errText(genErr), vs)
	}
	return true
}

func errText(err error) string {
	if err == nil {
		return "valid"
	}
	return err.Error()
}

func TestDifferentialValidation(t *testing.T) {
	s := New(Config{})
	compared := 0
	for _, op := range diffOps(t) {
		seed, ok := example(op.schema, 0)
		require.True(t, ok, "%s: the spec has no example for the request body", op.id)
		base, err := json.Marshal(seed)
		require.NoError(t, err)
		var tree any
		dec := json.NewDecoder(bytes.NewReader(base))
		dec.UseNumber()
		require.NoError(t, dec.Decode(&tree))
		require.True(t, compare(t, s, op, base, "spec example"), "%s: the spec example does not decode into the generated type", op.id)
		var ms []mutation
		mutations(tree, nil, &ms)
		for _, m := range ms {
			data, err := json.Marshal(apply(tree, m))
			require.NoError(t, err)
			if compare(t, s, op, data, "/"+strings.Join(m.path, "/")+" "+m.name) {
				compared++
			}
		}
	}
	// The corpus must exercise both sides; a broken mutator would compare nothing.
	require.Greater(t, compared, 300)
}

// FuzzDifferentialValidation mutates the spec examples with fuzzed values at
// fuzzed paths; both validators must agree on every request.
func FuzzDifferentialValidation(f *testing.F) {
	f.Add(uint8(0), uint8(0), "x", false)
	f.Add(uint8(3), uint8(2), "https://a.example/?q", false)
	f.Add(uint8(4), uint8(1), "1.234", true)
	s := New(Config{})
	ops := diffOps(f)
	f.Fuzz(func(t *testing.T, opIdx, pathIdx uint8, value string, asNumber bool) {
		op := ops[int(opIdx)%len(ops)]
		seed, _ := example(op.schema, 0)
		base, _ := json.Marshal(seed)
		var tree any
		dec := json.NewDecoder(bytes.NewReader(base))
		dec.UseNumber()
		require.NoError(t, dec.Decode(&tree))
		var ms []mutation
		mutations(tree, nil, &ms)
		if len(ms) == 0 {
			return
		}
		m := ms[int(pathIdx)%len(ms)]
		m.del = false
		m.value = value
		if asNumber {
			m.value = json.Number(value)
		}
		data, err := json.Marshal(apply(tree, m))
		if err != nil {
			return // not a JSON number
		}
		compare(t, s, op, data, "/"+strings.Join(m.path, "/")+" fuzzed")
	})
}

// TestDifferentialPathParameters compares each operation's generated path
// parameter check (opmeta.Operation.CheckParam) with the sandbox's.
func TestDifferentialPathParameters(t *testing.T) {
	s := New(Config{})
	values := []string{"x", "ab", "abcd", "mk_1", "user-42", strings.Repeat("u", 150), strings.Repeat("u", 151),
		"-starts-with-dash", "has space", "ünïcode", "a/b", "%2F"}
	checked := 0
	for _, table := range [][]opmeta.Operation{moneykit.Operations[:], linkmoney.Operations[:]} {
		for _, op := range table {
			info := s.spec.byID[op.ID]
			require.NotNil(t, info, op.ID)
			require.Len(t, op.PathParams, len(info.pathParams), op.ID)
			for _, p := range info.pathParams {
				for _, v := range values {
					gen := op.CheckParam(p.name, v)
					sb := checkString(p.schema, v)
					if (gen == nil) != (sb == nil) {
						t.Errorf("%s path parameter %s, value %q: generated says %v, sandbox says %v", op.ID, p.name, v, errText(gen), sb)
					}
					checked++
				}
			}
		}
	}
	require.Greater(t, checked, 50)
}
