package linkmoney

import (
	"encoding/json"
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestUSD(t *testing.T) {
	for cents, want := range map[int64]string{
		1234: "12.34", 5: "0.05", 50: "0.50", 100: "1.00", 0: "0.00", 100000000: "1000000.00", -1: "-0.01", -1234: "-12.34",
		math.MaxInt64: "92233720368547758.07", math.MinInt64: "-92233720368547758.08",
	} {
		a := USD(cents)
		assert.Equal(t, json.Number(want), a.Value, cents)
		assert.Equal(t, "USD", string(a.Currency))
	}
	b, err := json.Marshal(USD(1234))
	require.NoError(t, err)
	assert.JSONEq(t, `{"value":12.34,"currency":"USD"}`, string(b))
	assert.Contains(t, string(b), `"value":12.34`, "exact text, never a float round trip")
}

func TestParseUSD(t *testing.T) {
	for in, cents := range map[string]int64{"12.34": 1234, "5": 500, "0.5": 50, "0.05": 5, "100.00": 10000, "999999999999999.99": 99999999999999999} {
		a, err := ParseUSD(in)
		require.NoError(t, err, in)
		assert.Equal(t, json.Number(in), a.Value, "text kept exactly")
		c, err := Cents(a)
		require.NoError(t, err)
		assert.Equal(t, cents, c, in)
	}
	for in, rule := range map[string]string{
		"1.234":               "two decimal places",
		"1e3":                 "exponent",
		"-1":                  "sign",
		"+1":                  "sign",
		"abc":                 "not a decimal",
		"":                    "empty",
		"1.":                  "not a decimal",
		".5":                  "not a decimal",
		"01":                  "leading zeros",
		"0":                   "greater than zero",
		"0.00":                "greater than zero",
		"1,00":                "not a decimal",
		" 1":                  "not a decimal",
		"NaN":                 "not a decimal",
		"1000000000000000.00": "integer digits",
	} {
		_, err := ParseUSD(in)
		require.Error(t, err, in)
		assert.Contains(t, err.Error(), rule, in)
	}
}

func TestCentsRoundTrip(t *testing.T) {
	for _, c := range []int64{1, 99, 100, 12345, 99999999999} {
		got, err := Cents(USD(c))
		require.NoError(t, err)
		assert.Equal(t, c, got)
	}
	_, err := Cents(USD(-5))
	assert.Error(t, err)
}
