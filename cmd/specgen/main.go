// Command specgen is the one tool for banklink's OpenAPI spec.
//
// It validates api/openapi.yaml with kin-openapi, applies banklink's own
// rules (operation ids, summaries, provider tags, security, error schemas,
// property descriptions, retry classes, references and examples), and then
// generates one Go package per provider with oapi-codegen:
// gen/moneykit/moneykit.gen.go and gen/linkmoney/linkmoney.gen.go, with the
// operation table and request validators beside them. For each provider's
// facade package it writes facade/<provider>/models.gen.go: a type alias of
// every model and enum of gen/<provider> and a Go-style constant for every
// enum value (moneykit.ProductTransactions), except the names the package's
// hand-written files declare.
//
// Usage:
//
//	go run ./cmd/specgen [-spec api/openapi.yaml] [-out gen] [-facade facade] [-check]
//
// Every finding is printed as "file:line: /json/pointer: message" and makes
// specgen exit with status 1. With -check nothing is written: the generated
// files are compared with those on disk and every missing, stale or extra
// file is reported instead.
package main

//go:generate go run . -spec ../../api/openapi.yaml -out ../../gen -facade ../../facade

import (
	"flag"
	"fmt"
	"io"
	"os"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run is specgen's entry point; it returns the process exit status.
func run(args []string, stdout, stderr io.Writer) int {
	flags := flag.NewFlagSet("specgen", flag.ContinueOnError)
	flags.SetOutput(stderr)
	specPath := flags.String("spec", "api/openapi.yaml", "path of the OpenAPI spec")
	outDir := flags.String("out", "gen", "directory that holds the generated provider packages")
	facadeDir := flags.String("facade", "facade", "directory that holds the provider facade packages, for their models.gen.go")
	check := flags.Bool("check", false, "validate and compare the generated code with the files on disk; write nothing")
	if err := flags.Parse(args); err != nil {
		return 2
	}
	if flags.NArg() > 0 {
		fmt.Fprintf(stderr, "specgen: unexpected arguments: %q\n", flags.Args())
		return 2
	}

	data, err := os.ReadFile(*specPath)
	if err != nil {
		fmt.Fprintf(stderr, "specgen: %v\n", err)
		return 1
	}
	if findings := checkSpec(*specPath, data); len(findings) > 0 {
		for _, f := range findings {
			fmt.Fprintln(stderr, f)
		}
		fmt.Fprintf(stderr, "specgen: %d finding(s) in %s\n", len(findings), *specPath)
		return 1
	}

	files, err := generate(data, *facadeDir)
	if err != nil {
		// Generation errors carry no position; pin them to the document.
		fmt.Fprintln(stderr, Finding{File: *specPath, Line: 1, Message: "generate: " + err.Error()})
		return 1
	}
	report, err := sync(*outDir, files.gen, []string{"*/*.gen.go", "*/*/*.gen.go"}, *check)
	if err == nil {
		var more []string
		more, err = sync(*facadeDir, files.facade, []string{"*/models.gen.go"}, *check)
		report = append(report, more...)
	}
	for _, line := range report {
		if *check {
			fmt.Fprintln(stderr, line)
		} else {
			fmt.Fprintln(stdout, "specgen: "+line)
		}
	}
	if err != nil {
		fmt.Fprintf(stderr, "specgen: %v\n", err)
		return 1
	}
	if *check && len(report) > 0 {
		fmt.Fprintf(stderr, "specgen: %d generated file(s) out of date in %s and %s\n", len(report), *outDir, *facadeDir)
		return 1
	}
	return 0
}
