// Command benchtable reads `go test -bench` output on stdin and prints the
// summary of banklink's benchmarks as Markdown tables: for every operation
// and concurrency of BenchmarkOverhead the median ns/op, B/op and allocs/op
// of the raw, generated and facade clients (and the process CPU time per
// call, cpu-ns/op, when reported) with the generated/raw and facade/raw
// ratios, each target marked met or MISSED; then the connection
// count of BenchmarkConnectionReuse, the token requests per wave of
// BenchmarkTokenFanIn, the sandbox's in-process throughput and the medians
// of any other benchmark in the input.
//
// Every repeated run of a benchmark (-count, or several runs concatenated)
// is one sample; figures are medians over the samples, and ± is half the
// range of the samples relative to the median.
//
// The exit status is 1 when the input shows a failed run or a correctness
// target is missed (more than 64 connections, a token wave that did not
// cause exactly one token request); with -strict, also when a time or
// allocation target is missed.
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
)

func main() {
	strict := flag.Bool("strict", false, "exit 1 when a time or allocation target is missed, too")
	flag.Usage = func() {
		fmt.Fprintln(flag.CommandLine.Output(), "usage: go test -bench ... | benchtable [-strict]")
		flag.PrintDefaults()
	}
	flag.Parse()
	os.Exit(run(os.Stdin, os.Stdout, *strict))
}

func run(in io.Reader, out io.Writer, strict bool) int {
	res, err := parse(in)
	if err != nil {
		fmt.Fprintln(os.Stderr, "benchtable:", err)
		return 2
	}
	rep := res.report(out)
	switch {
	case len(res.failures) > 0 || rep.correctnessMissed > 0:
		return 1
	case strict && rep.perfMissed > 0:
		return 1
	}
	return 0
}
