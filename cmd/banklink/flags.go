package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"

	"github.com/redis/go-redis/v9"
	"github.com/spf13/pflag"

	"github.com/banklink/banklink/facade"
	"github.com/banklink/banklink/facade/redisfleet"
	"github.com/banklink/banklink/internal/termsafe"
)

// usageError is bad usage or invalid input: exit status 2, nothing sent.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error {
	return &usageError{msg: fmt.Sprintf(format, args...)}
}

// globals are the flags every command accepts, before or after its name.
type globals struct {
	verbose      bool
	json         bool
	maxRetries   int
	baseURL      string
	clientID     string
	clientSecret string
	secretStdin  bool
	redisURL     string
}

func (g *globals) register(fs *pflag.FlagSet) {
	fs.BoolVar(&g.verbose, "verbose", false, "log every attempt to stderr (redacted)")
	fs.BoolVar(&g.json, "json", false, "print the demo's steps as JSON (the provider commands always print JSON)")
	fs.IntVar(&g.maxRetries, "max-retries", 2, "retries after the first attempt")
	fs.StringVar(&g.baseURL, "base-url", "", "override the provider's base URL (default $MONEYKIT_BASE_URL or $LINKMONEY_BASE_URL)")
	fs.StringVar(&g.clientID, "client-id", "", "override the provider's client id")
	fs.StringVar(&g.clientSecret, "client-secret", "", "override the provider's client secret (visible to other users; prefer the environment or --client-secret-stdin)")
	fs.BoolVar(&g.secretStdin, "client-secret-stdin", false, "read the provider's client secret from the first line of standard input")
	fs.StringVar(&g.redisURL, "redis-url", "", "share tokens, rate budgets and 429 cool-downs with other processes through this Redis (default $BANKLINK_REDIS_URL)")
}

// options turns the global flags and the provider's environment variables into
// facade options. Flags win over the environment.
func (a *app) options(prefix string) ([]facade.Option, error) {
	g := &a.g
	if g.maxRetries < 0 {
		return nil, usagef("--max-retries must be 0 or more")
	}
	id, secret, base := a.getenv(prefix+"_CLIENT_ID"), a.getenv(prefix+"_CLIENT_SECRET"), a.getenv(prefix+"_BASE_URL")
	if g.clientID != "" {
		id = g.clientID
	}
	switch {
	case g.secretStdin && g.clientSecret != "":
		return nil, usagef("--client-secret and --client-secret-stdin exclude each other")
	case g.secretStdin:
		s, err := a.readSecret()
		if err != nil {
			return nil, err
		}
		secret = s
	case g.clientSecret != "":
		fmt.Fprintf(a.err, "banklink: warning: --client-secret shows the secret to other users of this machine and keeps it in shell history; use %s_CLIENT_SECRET or --client-secret-stdin\n", prefix)
		secret = g.clientSecret
	}
	if g.baseURL != "" {
		base = g.baseURL
	}
	if id == "" || secret == "" {
		return nil, usagef("%s_CLIENT_ID and %s_CLIENT_SECRET (or --client-id and --client-secret-stdin) are required", prefix, prefix)
	}
	opts := []facade.Option{
		facade.WithCredentials(id, secret),
		facade.WithMaxRetries(g.maxRetries),
		facade.WithUserAgent("banklink-cli"),
	}
	if base != "" {
		opts = append(opts, facade.WithBaseURL(base))
	}
	fleet, err := a.fleet()
	if err != nil {
		return nil, err
	}
	if fleet != nil {
		opts = append(opts, facade.WithFleet(fleet))
	}
	if g.verbose {
		opts = append(opts, facade.WithLogger(slog.New(a.tel.logHandler(slog.NewTextHandler(a.err, &slog.HandlerOptions{Level: slog.LevelDebug, ReplaceAttr: termsafe.ReplaceAttr})))))
	}
	return append(opts, a.tel.clientOptions()...), nil
}

// redisPrefix is the key prefix the CLI's processes share in Redis.
const redisPrefix = "banklink"

// fleet returns the shared Redis stores named by --redis-url or
// BANKLINK_REDIS_URL, built once, or nil when neither is set.
func (a *app) fleet() (*redisfleet.Fleet, error) {
	if a.redis != nil {
		return a.redis, nil
	}
	u := a.g.redisURL
	if u == "" {
		u = a.getenv("BANKLINK_REDIS_URL")
	}
	if u == "" {
		return nil, nil
	}
	ro, err := redis.ParseURL(u)
	if err != nil {
		// The URL may carry a password: it is not repeated.
		return nil, usagef("--redis-url / BANKLINK_REDIS_URL: not a Redis URL (redis://[user:password@]host:port[/db] or rediss://...)")
	}
	var logger *slog.Logger
	if a.g.verbose {
		logger = slog.New(slog.NewTextHandler(a.err, &slog.HandlerOptions{ReplaceAttr: termsafe.ReplaceAttr}))
	}
	var fopts []redisfleet.Option
	if logger != nil {
		fopts = append(fopts, redisfleet.WithLogger(logger))
	}
	rdb := redis.NewClient(ro)
	f, err := redisfleet.New(rdb, redisPrefix, fopts...)
	if err != nil {
		_ = rdb.Close()
		return nil, err
	}
	a.redis, a.rdb = f, rdb
	return f, nil
}

// readSecret reads the client secret from the first line of standard input,
// once.
func (a *app) readSecret() (string, error) {
	if a.secret != nil {
		return *a.secret, nil
	}
	line, err := bufio.NewReader(io.LimitReader(a.in, 64<<10)).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", usagef("--client-secret-stdin: reading standard input: %v", err)
	}
	s := strings.TrimRight(line, "\r\n")
	if s == "" {
		return "", usagef("--client-secret-stdin: standard input is empty; pipe the secret in, e.g. from your secret manager")
	}
	a.secret = &s
	return s, nil
}

// multi collects a repeatable string flag.
type multi []string

func (m *multi) String() string     { return strings.Join(*m, ",") }
func (m *multi) Set(v string) error { *m = append(*m, v); return nil }
func (m *multi) Type() string       { return "string" }

// printJSON writes a result to stdout as indented JSON, leaving &, < and >
// as they are.
func printJSON(stdout io.Writer, v any) error {
	enc := json.NewEncoder(stdout)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

// report writes err to stderr readably and returns the exit status it deserves.
// It names the provider's error code; it never prints request bodies, secrets
// or tokens (the facade's errors do not carry them).
func report(stderr io.Writer, err error) int {
	if err == nil {
		return exitOK
	}
	code := reportErr(stderr, err)
	if key := facade.IdempotencyKeyOf(err); key != "" {
		// A payment or refund: the key it was sent with, so that it can be
		// retried safely, and whether it may have been executed.
		fmt.Fprintf(stderr, "request_key=%s\n", termsafe.String(key, 256))
		fmt.Fprintf(stderr, "outcome=%s\n", outcomeOf(err))
	}
	return code
}

// outcomeOf says what a failed payment or refund did: "accepted-earlier"
// (an earlier attempt was accepted; look it up), "refused" (the provider
// refused its only attempt, or nothing was sent), or "unknown" (an attempt
// may have reached the provider: retry with the same --request-key, which
// Link Money executes at most once).
func outcomeOf(err error) string {
	var ae *facade.Error
	var ve *facade.ValidationError
	switch {
	case errors.Is(err, facade.ErrAcceptedEarlier):
		return "accepted-earlier (an earlier attempt with this key was accepted; do not send it again)"
	case errors.As(err, &ve):
		return "refused (nothing was sent)"
	case errors.As(err, &ae) && ae.Attempts <= 1 && ae.StatusCode < 500 && ae.StatusCode != 429 && ae.StatusCode != 408:
		return "refused (the provider refused it)"
	}
	return "unknown (it may have been executed; retry with --request-key and the key above)"
}

// reportErr writes err itself and returns its exit status.
func reportErr(stderr io.Writer, err error) int {
	var ue *usageError
	var ve *facade.ValidationError
	var ae *facade.Error
	var te *facade.TransportError
	switch {
	case errors.Is(err, context.Canceled) && errors.As(err, &te):
		// Ctrl-C: not the provider's answer, whatever the last one was.
		fmt.Fprintf(stderr, "banklink: %s %s: interrupted after %d attempt(s)\n", te.Provider, te.Operation, te.Attempts)
		return exitAPI
	case errors.As(err, &ue):
		fmt.Fprintf(stderr, "banklink: %s\n", unprefixed(ue.msg))
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
		fmt.Fprintf(stderr, "banklink: %s\n", termsafe.String(unprefixed(err.Error()), 4*termsafe.DefaultMax))
		return exitAPI
	}
}

// unprefixed drops the "banklink: " that the facade's errors start with,
// wherever an error was wrapped into another, so a message carries the one
// prefix report writes.
func unprefixed(msg string) string {
	return strings.ReplaceAll(strings.TrimPrefix(msg, "banklink: "), ": banklink: ", ": ")
}
