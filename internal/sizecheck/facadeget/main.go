// Command facadeget is the facade half of banklink's binary-size benchmark
// (make bench, BENCHMARKS.md): the smallest useful program that fetches one
// MoneyKit link through facade.MoneyKit. internal/sizecheck/rawget is the
// same program written against net/http.
//
// Usage: facadeget BASE_URL LINK_ID (credentials from MONEYKIT_CLIENT_ID and
// MONEYKIT_CLIENT_SECRET).
package main

import (
	"context"
	"fmt"
	"os"

	"github.com/banklink/banklink/facade"
)

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: facadeget BASE_URL LINK_ID")
		os.Exit(2)
	}
	mk, err := facade.NewMoneyKit(facade.WithBaseURL(os.Args[1]))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	link, err := mk.Links.Get(context.Background(), os.Args[2])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Println(link.LinkId, link.State)
}
