package main

import (
	"regexp"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestIfElseDropsEmptyBranches(t *testing.T) {
	req := []stmt{call("Required")}
	chk := []stmt{call("Enum", "value", "enum0")}
	assert.Nil(t, ifElse(`value == ""`, `value != ""`, nil, nil))
	assert.Equal(t, []stmt{{Kind: "if", Expr: `value != ""`, Body: chk}}, ifElse(`value == ""`, `value != ""`, nil, chk))
	assert.Equal(t, []stmt{{Kind: "if", Expr: `value == ""`, Body: req}}, ifElse(`value == ""`, `value != ""`, req, nil))
	assert.Equal(t, []stmt{{Kind: "if", Expr: `value == ""`, Body: req, Else: chk}}, ifElse(`value == ""`, `value != ""`, req, chk))
	assert.Nil(t, scoped(call("Push", `"x"`), nil))
}

// TestValidatorsHaveNoEmptyBlocks reads the validators generated from
// api/openapi.yaml: no block is empty, nothing is assigned to _ to keep the
// compiler quiet, and a parameter that is neither required nor constrained
// has no if at all.
func TestValidatorsHaveNoEmptyBlocks(t *testing.T) {
	out := specOutput(t)
	emptyBlock := regexp.MustCompile(`\{\n\t*\}`)
	for _, name := range []string{"moneykit/validate.gen.go", "linkmoney/validate.gen.go"} {
		code := string(out.gen[name])
		assert.NotEmpty(t, code, name)
		assert.Empty(t, emptyBlock.FindAllString(code, -1), "%s has empty blocks", name)
		assert.NotContains(t, code, "_ = c", name)
		assert.NotContains(t, code, "} else {\n\t\t}", name)
	}
	mk := string(out.gen["moneykit/validate.gen.go"])
	assert.Contains(t, mk, "\tcase \"MoneyKit-Version\":\n\t\tc.Param(\"header\", \"MoneyKit-Version\")\n\t\tif value != \"\" {\n\t\t\tc.Enum(value, enum0)\n\t\t}\n")
	assert.Contains(t, mk, "\tcase \"cursor\":\n\t\tc.Param(\"query\", \"cursor\")\n\tcase ")
	assert.Contains(t, mk, "\tcase \"id\":\n\t\tc.Param(\"path\", \"id\")\n\t\tif value == \"\" {\n\t\t\tc.Required()\n\t\t} else {\n\t\t\tc.Length(value, 1, -1)\n\t\t}\n")
	assert.Contains(t, mk, "func (r *OwnerEmail) validateAt(*reqcheck.Checker) {}\n")
}
