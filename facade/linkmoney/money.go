package linkmoney

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	gen "github.com/banklink/banklink/gen/linkmoney"
)

// maxIntegerDigits bounds the dollars part so every Amount converts to int64 cents.
const maxIntegerDigits = 15

// USD is the amount of cents, as a two-place decimal: USD(1234) is 12.34 USD,
// sent as {"currency":"USD","value":12.34}. Negative cents give a negative
// amount, which request validation refuses.
func USD(cents int64) Amount {
	neg := cents < 0
	u := uint64(cents)
	if neg {
		u = -u
	}
	digits := strconv.FormatUint(u/100, 10)
	frac := u % 100
	var b strings.Builder
	b.Grow(len(digits) + 4)
	if neg {
		b.WriteByte('-')
	}
	b.WriteString(digits)
	b.WriteByte('.')
	b.WriteByte(byte('0' + frac/10))
	b.WriteByte(byte('0' + frac%10))
	return Amount{Currency: gen.AmountCurrencyUSD, Value: json.Number(b.String())}
}

// ParseUSD parses a positive decimal with at most two fraction digits ("12.34",
// "5", "0.5") into a USD amount that keeps the text exactly. It refuses
// exponents, signs, leading zeros, more than two fraction digits and zero.
func ParseUSD(decimal string) (Amount, error) {
	if _, err := centsOf(decimal); err != nil {
		return Amount{}, err
	}
	return Amount{Currency: gen.AmountCurrencyUSD, Value: json.Number(decimal)}, nil
}

// Cents converts an amount's value to integer cents, refusing values that are
// not a plain positive decimal with at most two fraction digits.
func Cents(a Amount) (int64, error) { return centsOf(string(a.Value)) }

func centsOf(s string) (int64, error) {
	fail := func(rule string) (int64, error) {
		return 0, fmt.Errorf("banklink: amount %q: %s", s, rule)
	}
	if s == "" {
		return fail("empty; want a decimal such as 12.34")
	}
	if s[0] == '-' || s[0] == '+' {
		return fail("must be a positive decimal without a sign")
	}
	whole, frac, hasDot := strings.Cut(s, ".")
	if whole == "" || !allDigits(whole) || (hasDot && (frac == "" || !allDigits(frac))) {
		if strings.ContainsAny(s, "eE") {
			return fail("exponents are not allowed; write the plain decimal")
		}
		return fail("not a decimal number (digits, optionally a '.' and up to two digits)")
	}
	if len(frac) > 2 {
		return fail("at most two decimal places (cents)")
	}
	if len(whole) > 1 && whole[0] == '0' {
		return fail("leading zeros are not allowed")
	}
	if len(whole) > maxIntegerDigits {
		return fail(fmt.Sprintf("more than %d integer digits", maxIntegerDigits))
	}
	w, err := strconv.ParseInt(whole, 10, 64)
	if err != nil {
		return 0, errors.Join(errors.New("banklink: amount out of range"), err)
	}
	var f int64
	switch len(frac) {
	case 1:
		f = int64(frac[0]-'0') * 10
	case 2:
		f = int64(frac[0]-'0')*10 + int64(frac[1]-'0')
	}
	c := w*100 + f
	if c == 0 {
		return fail("must be greater than zero")
	}
	return c, nil
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}
