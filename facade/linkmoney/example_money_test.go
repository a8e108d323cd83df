package linkmoney_test

import (
	"encoding/json"
	"fmt"

	"github.com/banklink/banklink/facade/linkmoney"
)

func ExampleUSD() {
	b, _ := json.Marshal(linkmoney.USD(1234))
	fmt.Println(string(b))
	// Output:
	// {"currency":"USD","value":12.34}
}

func ExampleParseUSD() {
	a, err := linkmoney.ParseUSD("12.5")
	fmt.Println(a.Value, err)
	cents, _ := linkmoney.Cents(a)
	fmt.Println(cents)

	_, err = linkmoney.ParseUSD("1.234")
	fmt.Println(err)
	// Output:
	// 12.5 <nil>
	// 1250
	// banklink: amount "1.234": at most two decimal places (cents)
}
