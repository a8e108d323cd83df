package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strings"

	"github.com/banklink/banklink/facade"
	"github.com/banklink/banklink/internal/termsafe"
)

// usageError is bad usage or invalid input: exit status 2, nothing sent.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error {
	return &usageError{msg: fmt.Sprintf(format, args...)}
}

// globals are the flags every command accepts.
type globals struct {
	verbose      bool
	maxRetries   int
	baseURL      string
	clientID     string
	clientSecret string
}

func (g *globals) register(fs *flag.FlagSet) {
	fs.BoolVar(&g.verbose, "verbose", false, "log every attempt to stderr (redacted)")
	fs.IntVar(&g.maxRetries, "max-retries", 2, "retries after the first attempt")
	fs.StringVar(&g.baseURL, "base-url", "", "override the provider's base URL")
	fs.StringVar(&g.clientID, "client-id", "", "override the provider's client id")
	fs.StringVar(&g.clientSecret, "client-secret", "", "override the provider's client secret")
}

// options turns the global flags and the provider's environment variables into
// facade options. Flags win over the environment.
func (g *globals) options(stderr io.Writer, getenv env, prefix string) ([]facade.Option, error) {
	if g.maxRetries < 0 {
		return nil, usagef("--max-retries must be 0 or more")
	}
	id, secret, base := getenv(prefix+"_CLIENT_ID"), getenv(prefix+"_CLIENT_SECRET"), getenv(prefix+"_BASE_URL")
	if g.clientID != "" {
		id = g.clientID
	}
	if g.clientSecret != "" {
		secret = g.clientSecret
	}
	if g.baseURL != "" {
		base = g.baseURL
	}
	if id == "" || secret == "" {
		return nil, usagef("%s_CLIENT_ID and %s_CLIENT_SECRET (or --client-id and --client-secret) are required", prefix, prefix)
	}
	opts := []facade.Option{
		facade.WithCredentials(id, secret),
		facade.WithMaxRetries(g.maxRetries),
		facade.WithUserAgent("banklink-cli"),
	}
	if base != "" {
		opts = append(opts, facade.WithBaseURL(base))
	}
	if g.verbose {
		opts = append(opts, facade.WithLogger(slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelDebug, ReplaceAttr: termsafe.ReplaceAttr}))))
	}
	return opts, nil
}

// multi collects a repeatable string flag.
type multi []string

func (m *multi) String() string     { return strings.Join(*m, ",") }
func (m *multi) Set(v string) error { *m = append(*m, v); return nil }

// parse parses flags that may come before, between or after the positional
// arguments, and returns the positional ones.
func parse(fs *flag.FlagSet, args []string) ([]string, error) {
	fs.SetOutput(io.Discard)
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, usagef("%s: %v", fs.Name(), err)
		}
		if fs.NArg() == 0 {
			return positional, nil
		}
		positional = append(positional, fs.Arg(0))
		args = fs.Args()[1:]
	}
}

// wantArgs checks the number of positional arguments.
func wantArgs(cmd string, got []string, names ...string) error {
	if len(got) != len(names) {
		return usagef("%s needs %d argument(s): %s", cmd, len(names), strings.Join(names, " "))
	}
	return nil
}

// printJSON writes a result to stdout as indented JSON.
func printJSON(stdout io.Writer, v any) error {
	enc := json.NewEncoder(stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// report writes err to stderr readably and returns the exit status it deserves.
// It names the provider's error code; it never prints request bodies, secrets
// or tokens (the facade's errors do not carry them).
func report(stderr io.Writer, err error) int {
	if err == nil {
		return exitOK
	}
	var ue *usageError
	var ve *facade.ValidationError
	var ae *facade.Error
	switch {
	case errors.As(err, &ue):
		fmt.Fprintf(stderr, "banklink: %s\n", strings.TrimPrefix(ue.msg, "banklink: "))
		return exitUsage
	case errors.As(err, &ve):
		fmt.Fprintf(stderr, "banklink: invalid request for %s, nothing was sent:\n", ve.Operation)
		for _, v := range ve.Violations {
			fmt.Fprintf(stderr, "  %s: %s (%s)\n", termsafe.String(v.Path, 0), termsafe.String(v.Message, 0), v.Rule)
		}
		return exitUsage
	case errors.As(err, &ae):
		// Code, message and link error code are the provider's text: shown
		// without control characters or escapes, and bounded.
		fmt.Fprintf(stderr, "banklink: %s %s failed: HTTP %d", ae.Provider, ae.Operation, ae.StatusCode)
		if ae.Code != "" {
			fmt.Fprintf(stderr, " %s", termsafe.String(ae.Code, 128))
		}
		if ae.Message != "" {
			fmt.Fprintf(stderr, ": %s", termsafe.String(ae.Message, termsafe.DefaultMax))
		}
		if ae.LinkErrorCode != "" {
			fmt.Fprintf(stderr, " (link_error_code %s)", termsafe.String(ae.LinkErrorCode, 128))
		}
		if ae.RetryAfter > 0 {
			fmt.Fprintf(stderr, " (retry after %s)", ae.RetryAfter)
		}
		fmt.Fprintln(stderr)
		return exitAPI
	default:
		fmt.Fprintf(stderr, "banklink: %s\n", termsafe.String(strings.TrimPrefix(err.Error(), "banklink: "), 4*termsafe.DefaultMax))
		return exitAPI
	}
}
