package main

import (
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const fixture = "testdata/valid.yaml"

// readFixture returns the valid fixture spec.
func readFixture(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(fixture)
	require.NoError(t, err)
	return string(b)
}

// edit is one textual change to the fixture; old must occur exactly once.
type edit struct{ old, new string }

// apply returns src with every edit applied.
func apply(t *testing.T, src string, edits ...edit) string {
	t.Helper()
	for _, e := range edits {
		require.Equal(t, 1, strings.Count(src, e.old), "edit target %q must occur exactly once", e.old)
		src = strings.Replace(src, e.old, e.new, 1)
	}
	return src
}

// lineOf returns the line on which the unique occurrence of marker ends.
func lineOf(t *testing.T, src, marker string) int {
	t.Helper()
	require.Equal(t, 1, strings.Count(src, marker), "marker %q must occur exactly once", marker)
	i := strings.Index(src, marker) + len(marker)
	return strings.Count(src[:i], "\n") + 1 - boolInt(strings.HasSuffix(marker, "\n"))
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

func TestValidFixtureHasNoFindings(t *testing.T) {
	findings := checkSpec(fixture, []byte(readFixture(t)))
	assert.Empty(t, findings)
}

// TestBrokenSpecs breaks the valid fixture one way at a time and expects a
// finding with the exact JSON pointer and line of the problem.
func TestBrokenSpecs(t *testing.T) {
	const (
		getLink       = "/paths/~1links~1{link_id}/get"
		createPayment = "/paths/~1payments/post"
	)
	tests := []struct {
		name    string
		edits   []edit
		pointer string
		marker  string // the finding's line is where this text ends
		message string
	}{
		{
			name:    "missing operationId",
			edits:   []edit{{"      operationId: getLink\n", ""}},
			pointer: getLink,
			marker:  "/links/{link_id}:\n    get:",
			message: "operation has no operationId",
		},
		{
			name:    "missing summary",
			edits:   []edit{{"      summary: Create a Link Money payment.\n", ""}},
			pointer: createPayment,
			marker:  "/payments:\n    post:",
			message: "operation has no summary",
		},
		{
			name:    "missing operation security",
			edits:   []edit{{"      security:\n        - linkmoneyBearer: []\n", ""}},
			pointer: createPayment,
			marker:  "/payments:\n    post:",
			message: "operation does not declare security",
		},
		{
			name:    "schema example violates its schema",
			edits:   []edit{{"example: 1250", "example: lots"}},
			pointer: "/components/schemas/Amount/properties/value/example",
			marker:  "example: lots",
			message: "example does not match its schema",
		},
		{
			name:    "media type example violates its schema",
			edits:   []edit{{"value: 1250", "value: plenty"}},
			pointer: getLink + "/responses/200/content/application~1json/example/balance/value",
			marker:  "value: plenty",
			message: "example does not match its schema",
		},
		{
			name:    "parameter example violates its pattern",
			edits:   []edit{{"          pattern: '^[A-Z]{3}$'\n          example: USD", "          pattern: '^[A-Z]{3}$'\n          example: usd"}},
			pointer: "/components/schemas/Amount/properties/currency/example",
			marker:  "example: usd",
			message: "example does not match its schema",
		},
		{
			name:    "dangling $ref",
			edits:   []edit{{"$ref: '#/components/schemas/Link'", "$ref: '#/components/schemas/Lnik'"}},
			pointer: getLink + "/responses/200/content/application~1json/schema/$ref",
			marker:  "$ref: '#/components/schemas/Lnik'",
			message: `$ref "#/components/schemas/Lnik" does not resolve`,
		},
		{
			name:    "external $ref",
			edits:   []edit{{"$ref: '#/components/schemas/PaymentRequest'", "$ref: 'payment.yaml#/PaymentRequest'"}},
			pointer: createPayment + "/requestBody/content/application~1json/schema/$ref",
			marker:  "$ref: 'payment.yaml#/PaymentRequest'",
			message: "points outside the spec",
		},
		{
			name:    "operation without tags",
			edits:   []edit{{"      tags: [moneykit]\n", ""}},
			pointer: getLink,
			marker:  "/links/{link_id}:\n    get:",
			message: "operation has no tags; want exactly one provider tag (one of linkmoney, moneykit)",
		},
		{
			name:    "operation tagged with a non-provider tag",
			edits:   []edit{{"tags: [linkmoney]", "tags: [payments]"}},
			pointer: createPayment + "/tags/0",
			marker:  "tags: [payments]",
			message: `tag "payments" is not a provider tag`,
		},
		{
			name:    "operation with two tags",
			edits:   []edit{{"tags: [linkmoney]", "tags: [linkmoney, moneykit]"}},
			pointer: createPayment + "/tags",
			marker:  "tags: [linkmoney, moneykit]",
			message: "operation has 2 tags",
		},
		{
			name: "error response with another provider's error schema",
			edits: []edit{{
				"          description: Link Money failed.\n          content:\n            application/json:\n              schema:\n                $ref: '#/components/schemas/LinkMoneyError'",
				"          description: Link Money failed.\n          content:\n            application/json:\n              schema:\n                $ref: '#/components/schemas/MoneyKitError'",
			}},
			pointer: createPayment + "/responses/500/content/application~1json/schema",
			marker:  "          description: Link Money failed.\n          content:\n            application/json:\n              schema:",
			message: "error response 500 schema must be $ref #/components/schemas/LinkMoneyError",
		},
		{
			name: "error response with an inline schema",
			edits: []edit{{
				"              schema:\n                $ref: '#/components/schemas/LinkMoneyValidationError'",
				"              schema:\n                type: object\n                description: Ad hoc error.",
			}},
			pointer: createPayment + "/responses/422/content/application~1json/schema",
			marker:  "        '422':\n          description: The payment request was rejected.\n          content:\n            application/json:\n              schema:",
			message: "error response 422 schema must be $ref",
		},
		{
			name:    "error schema whose allOf does not include the provider error schema",
			edits:   []edit{{"        - $ref: '#/components/schemas/LinkMoneyError'", "        - $ref: '#/components/schemas/MoneyKitError'"}},
			pointer: createPayment + "/responses/422/content/application~1json/schema",
			marker:  "        '422':\n          description: The payment request was rejected.\n          content:\n            application/json:\n              schema:",
			message: "error response 422 schema must be $ref",
		},
		{
			name:    "error response reached through components/responses without content",
			edits:   []edit{{"      description: The MoneyKit resource does not exist.\n      content:\n        application/json:\n          schema:\n            $ref: '#/components/schemas/MoneyKitError'\n", "      description: The MoneyKit resource does not exist.\n"}},
			pointer: getLink + "/responses/404",
			marker:  "        '404':",
			message: "error response 404 (#/components/responses/MoneyKitNotFound) has no application/json schema",
		},
		{
			name:    "component property without description",
			edits:   []edit{{"          description: Free-text memo.\n", ""}},
			pointer: "/components/schemas/PaymentRequest/properties/memo",
			marker:  "        memo:",
			message: `property "memo" has no description`,
		},
		{
			name:    "nested inline property without description",
			edits:   []edit{{"              description: Offending request fields.\n", ""}},
			pointer: "/components/schemas/LinkMoneyValidationError/allOf/1/properties/fields",
			marker:  "            fields:",
			message: `property "fields" has no description`,
		},
		{
			name:    "operation-inline property without description",
			edits:   []edit{{"                    description: Link Money payment id.\n", ""}},
			pointer: createPayment + "/responses/201/content/application~1json/schema/properties/payment_id",
			marker:  "                  payment_id:",
			message: `property "payment_id" has no description`,
		},
		{
			name:    "$ref property whose target has no description",
			edits:   []edit{{"      description: A money amount in minor units.\n", ""}},
			pointer: "/components/schemas/Link/properties/balance",
			marker:  "\n        balance:",
			message: `property "balance" has no description`,
		},
		{
			name:    "missing x-banklink-retry",
			edits:   []edit{{"      x-banklink-retry: safe\n", ""}},
			pointer: getLink,
			marker:  "/links/{link_id}:\n    get:",
			message: "operation has no x-banklink-retry",
		},
		{
			name:    "bad x-banklink-retry value",
			edits:   []edit{{"x-banklink-retry: safe", "x-banklink-retry: sometimes"}},
			pointer: getLink + "/x-banklink-retry",
			marker:  "x-banklink-retry: sometimes",
			message: `x-banklink-retry "sometimes" is not one of safe, idempotency-key, single-use, unsafe`,
		},
		{
			name:    "idempotency key naming a property the body does not have",
			edits:   []edit{{"x-banklink-idempotency-key: idempotency_key", "x-banklink-idempotency-key: request_id"}},
			pointer: createPayment + "/x-banklink-idempotency-key",
			marker:  "x-banklink-idempotency-key: request_id",
			message: `x-banklink-idempotency-key "request_id" is not a top-level property of the request body schema #/components/schemas/PaymentRequest`,
		},
		{
			name:    "idempotency-key retry without a key",
			edits:   []edit{{"      x-banklink-idempotency-key: idempotency_key\n", ""}},
			pointer: createPayment + "/x-banklink-retry",
			marker:  "x-banklink-retry: idempotency-key",
			message: "requires x-banklink-idempotency-key",
		},
		{
			name:    "provider error schema that does not resolve",
			edits:   []edit{{"errorSchema: '#/components/schemas/MoneyKitError'", "errorSchema: '#/components/schemas/MoneyKitErr'"}},
			pointer: "/x-banklink-providers/moneykit/errorSchema",
			marker:  "errorSchema: '#/components/schemas/MoneyKitErr'",
			message: `errorSchema "#/components/schemas/MoneyKitErr" of provider "moneykit" does not resolve`,
		},
		{
			name:    "kin-openapi: unsupported schema type",
			edits:   []edit{{"        memo:\n          type: string", "        memo:\n          type: strin"}},
			pointer: "/components/schemas/PaymentRequest/properties/memo",
			marker:  "\n        memo:",
			message: `unsupported 'type' value "strin"`,
		},
		{
			name:    "kin-openapi: undefined security scheme",
			edits:   []edit{{"        - linkmoneyBearer: []", "        - nosuch: []"}},
			pointer: createPayment + "/security/0/nosuch",
			marker:  "- nosuch: []",
			message: `undefined security scheme "nosuch"`,
		},
		{
			name:    "kin-openapi: missing info title",
			edits:   []edit{{"  title: banklink specgen fixture\n", ""}},
			pointer: "/info",
			marker:  "info:",
			message: "value of title must be a non-empty string",
		},
		{
			name:    "kin-openapi: loader type error",
			edits:   []edit{{"        memo:\n          type: string", "        memo:\n          type: string\n          minLength: -1"}},
			pointer: "/components/schemas/PaymentRequest/properties/memo/minLength",
			marker:  "minLength: -1",
			message: "kin-openapi cannot load the spec",
		},
		{
			// Not one of specgen's own rules: kin-openapi's validator
			// finds it, and specgen still locates it.
			name:    "kin-openapi: path parameter not declared",
			edits:   []edit{{"        - name: link_id\n", "        - name: id\n"}},
			pointer: getLink,
			marker:  "/links/{link_id}:\n    get:",
			message: "must define exactly all path parameters",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := apply(t, readFixture(t), tt.edits...)
			findings := checkSpec(fixture, []byte(src))
			require.NotEmpty(t, findings, "the broken spec must be rejected")
			want := lineOf(t, src, tt.marker)
			for _, f := range findings {
				if f.Pointer == tt.pointer && strings.Contains(f.Message, tt.message) {
					assert.Equal(t, want, f.Line, "line of %s", f)
					assert.Equal(t, fixture, f.File)
					assert.True(t, strings.HasPrefix(f.String(), fixture+":"), f.String())
					return
				}
			}
			t.Errorf("no finding at %s containing %q; got:\n%s", tt.pointer, tt.message, render(findings))
		})
	}
}

// TestAllFindingsReported checks that specgen does not stop at the first
// problem and that every finding names a location.
func TestAllFindingsReported(t *testing.T) {
	src := apply(t, readFixture(t),
		edit{"      operationId: getLink\n", ""},
		edit{"example: 1250", "example: lots"},
		edit{"          description: Free-text memo.\n", ""},
		edit{"x-banklink-retry: safe", "x-banklink-retry: sometimes"},
		edit{"tags: [linkmoney]", "tags: [payments]"},
	)
	findings := checkSpec(fixture, []byte(src))
	want := []string{
		"operation has no operationId",
		"example does not match its schema",
		`property "memo" has no description`,
		`x-banklink-retry "sometimes"`,
		`tag "payments" is not a provider tag`,
	}
	for _, w := range want {
		assert.Contains(t, render(findings), w)
	}
	for _, f := range findings {
		assert.Positive(t, f.Line, f.String())
	}
	for i := 1; i < len(findings); i++ {
		assert.LessOrEqual(t, findings[i-1].Line, findings[i].Line, "findings are sorted by line")
	}
}

func TestMissingProvidersMap(t *testing.T) {
	src := readFixture(t)
	start := strings.Index(src, "x-banklink-providers:")
	end := strings.Index(src, "paths:")
	src = src[:start] + src[end:]
	assert.Contains(t, render(checkSpec(fixture, []byte(src))), "spec has no top-level x-banklink-providers map")
}

func TestYAMLSyntaxErrorHasLine(t *testing.T) {
	src := apply(t, readFixture(t), edit{"      summary: Fetch a MoneyKit link.\n", "      summary: [unclosed\n"})
	findings := checkSpec(fixture, []byte(src))
	require.Len(t, findings, 1)
	assert.Greater(t, findings[0].Line, 1, findings[0].String())
	assert.Contains(t, findings[0].Message, "cannot parse spec")
}

func TestPointerEscaping(t *testing.T) {
	assert.Equal(t, "/paths/~1links~1{id}/get", join("/paths", "/links/{id}", "get"))
	assert.Equal(t, "/a~0b", join("", "a~b"))
	assert.Equal(t, []string{"paths", "/links/{id}", "a~b"}, splitPointer("/paths/~1links~1{id}/a~0b"))
	f := Finding{File: "api/openapi.yaml", Line: 123, Pointer: "/paths/~1links~1{id}/get", Message: "operation has no operationId"}
	assert.Equal(t, "api/openapi.yaml:123: /paths/~1links~1{id}/get: operation has no operationId", f.String())
}

func render(fs []Finding) string {
	var b strings.Builder
	for _, f := range fs {
		b.WriteString(f.String())
		b.WriteByte('\n')
	}
	return b.String()
}

// TestDanglingRefReportedOnce checks that kin-openapi's loader error about
// a dangling $ref does not duplicate specgen's own, located finding.
func TestDanglingRefReportedOnce(t *testing.T) {
	src := apply(t, readFixture(t), edit{"$ref: '#/components/schemas/Link'", "$ref: '#/components/schemas/Lnik'"})
	findings := checkSpec(fixture, []byte(src))
	require.Len(t, findings, 1, render(findings))
	assert.Equal(t, lineOf(t, src, "$ref: '#/components/schemas/Lnik'"), findings[0].Line)
}

// TestBrokenExtensions: a misspelt or malformed x-banklink-* extension is a
// finding at its own line and pointer, before anything is generated.
func TestBrokenExtensions(t *testing.T) {
	const getLink = "/paths/~1links~1{link_id}/get"
	cases := []struct {
		name, marker, ptr, msg string
		edit                   edit
	}{
		{"misspelt key", "x-banklink-rate-limit:", getLink + "/x-banklink-rate-limit", "unknown extension x-banklink-rate-limit",
			edit{"      x-banklink-retry: safe\n      parameters:\n        - name: link_id", "      x-banklink-retry: safe\n      x-banklink-rate-limit: [{requests: 1, per: minute, key: link}]\n      parameters:\n        - name: link_id"}},
		{"bad limit key", "key: lnk", getLink + "/x-banklink-rate-limits/0/key", `key "lnk" is not one of`,
			edit{"      x-banklink-retry: safe\n      parameters:\n        - name: link_id", "      x-banklink-retry: safe\n      x-banklink-rate-limits:\n        - {requests: 1, per: minute, key: lnk}\n      parameters:\n        - name: link_id"}},
		{"bad limit period", "per: fortnight", getLink + "/x-banklink-rate-limits/0/per", `per "fortnight" is not one of`,
			edit{"      x-banklink-retry: safe\n      parameters:\n        - name: link_id", "      x-banklink-retry: safe\n      x-banklink-rate-limits:\n        - {requests: 1, per: fortnight, key: link}\n      parameters:\n        - name: link_id"}},
		{"bad bool", "x-banklink-pii: yes please", getLink + "/parameters/0/schema/x-banklink-pii", "must be true or false",
			edit{"          schema:\n            type: string\n          example: mk_link_123", "          schema:\n            type: string\n            x-banklink-pii: yes please\n          example: mk_link_123"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			src := apply(t, readFixture(t), tc.edit)
			findings := checkSpec(fixture, []byte(src))
			var hit *Finding
			for i, f := range findings {
				if f.Pointer == tc.ptr {
					hit = &findings[i]
				}
			}
			require.NotNil(t, hit, render(findings))
			assert.Contains(t, hit.Message, tc.msg)
			assert.Equal(t, lineOf(t, src, tc.marker), hit.Line)
		})
	}
}
