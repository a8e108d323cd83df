// Command facadeget is the facade half of banklink's binary-size benchmark
// (make bench, BENCHMARKS.md): the smallest useful program that fetches one
// MoneyKit link through moneykit.Client. internal/sizecheck/rawget is the
// same program written against net/http.
//
// Usage: facadeget BASE_URL LINK_ID (credentials from MONEYKIT_CLIENT_ID and
// MONEYKIT_CLIENT_SECRET).
package main

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/banklink/banklink/facade"
	"github.com/banklink/banklink/facade/moneykit"
)

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

// run is the program; it returns the exit status.
func run(args []string, stdout, stderr io.Writer) int {
	if len(args) != 2 {
		fmt.Fprintln(stderr, "usage: facadeget BASE_URL LINK_ID")
		return 2
	}
	mk, err := moneykit.New(facade.WithBaseURL(args[0]))
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	link, err := mk.Links.Get(context.Background(), args[1])
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	fmt.Fprintln(stdout, link.LinkId, link.State)
	return 0
}
