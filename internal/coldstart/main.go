// Command coldstart measures banklink's cold start for make bench: the time
// the first moneykit.New takes in a fresh process. It prints one line
// in go test's benchmark format,
//
//	BenchmarkColdStartNewMoneyKit 1 <ns> ns/op
//
// bench.sh runs it in several fresh processes and the median is recorded
// in BENCHMARKS.md. Package initialisation (the generated tables and
// validators' patterns) runs before main and is reported separately as
// init-ns, from the process start time.
package main

import (
	"fmt"
	"os"
	"time"

	"github.com/banklink/banklink/facade"
	"github.com/banklink/banklink/facade/moneykit"
)

func main() {
	start := time.Now()
	_, err := moneykit.New(facade.WithCredentials("id", "secret"), facade.WithBaseURL("http://127.0.0.1:1"))
	elapsed := time.Since(start)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Printf("BenchmarkColdStartNewMoneyKit \t1\t%d ns/op\n", elapsed.Nanoseconds())
}
