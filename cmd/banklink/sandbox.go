package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/banklink/banklink/facade/sandbox"
)

// sandboxCmd is `banklink sandbox`: it serves both providers' sandbox, and
// its subcommands play the end user in a running one.
func sandboxCmd(a *app) *cobra.Command {
	var addr string
	var seed int64
	var clockStart string
	var noLimits, export, public bool
	var logLimit int
	c := &cobra.Command{
		Use:   "sandbox [--addr 127.0.0.1:4010] [--public] [--export] [--seed N] [--clock-start T]",
		Short: "Serve both providers' sandbox until interrupted, printing its environment",
		Long: `Serve a stateful sandbox of MoneyKit and Link Money until interrupted. It first prints
MONEYKIT_BASE_URL, MONEYKIT_CLIENT_ID, MONEYKIT_CLIENT_SECRET, LINKMONEY_BASE_URL,
LINKMONEY_CLIENT_ID, LINKMONEY_CLIENT_SECRET and LINKMONEY_MERCHANT_ID as NAME=value
lines, or with --export as "export NAME='value'" lines a POSIX shell can source.

The sandbox's credentials are public and it speaks plain http, so it listens on
loopback only: an --addr that is not a loopback IP or "localhost" is refused
unless --public is given, and then a warning is printed. The printed base URLs
name 127.0.0.1 when the sandbox listens on all interfaces, since banklink's
clients accept plain http only to loopback; the warning names the real address.

With --seed N (not 0) the sandbox is reproducible: two sandboxes started with the
same seed, given the same calls in the same order, hand out the same ids, tokens
and data. --clock-start pins the sandbox clock: it starts at the given time and
moves only through POST /_sandbox/clock/advance, so timestamps repeat as well.`,
		Example: `  banklink sandbox --export > sandbox.env &
  until grep -q LINKMONEY_MERCHANT_ID sandbox.env 2>/dev/null; do sleep 0.1; done
  . ./sandbox.env
  banklink moneykit link-sessions create --customer-user-id user-42 --redirect-uri https://app.example/oauth`,
		Args: subcommandArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			ctx := c.Context()
			loopback, err := sandbox.LoopbackAddr(addr)
			if err != nil {
				return usagef("sandbox: --addr: %v", err)
			}
			if !loopback && !public {
				return usagef("sandbox: --addr %s is not a loopback address; the sandbox has fixed, published credentials and no TLS, so anyone who can reach it can use it. Pass --public to serve it there anyway", addr)
			}
			cfg := sandbox.Config{Seed: seed, NoRateLimits: noLimits, RequestLogLimit: logLimit}
			if clockStart != "" {
				start, err := time.Parse(time.RFC3339, clockStart)
				if err != nil {
					return usagef("sandbox: --clock-start %q is not an RFC 3339 time such as 2026-01-02T00:00:00Z", clockStart)
				}
				cfg.ClockStart = start
			}
			sb := sandbox.New(cfg)
			ln, err := sb.Listen(ctx, addr)
			if err != nil {
				return fmt.Errorf("sandbox: %w", err)
			}
			if tcp, ok := ln.Addr().(*net.TCPAddr); ok && !tcp.IP.IsLoopback() && !public {
				// "localhost" resolved to something else.
				_ = ln.Close()
				return usagef("sandbox: --addr %s listens on %s, which is not loopback; pass --public to serve it there anyway", addr, ln.Addr())
			}
			if !loopback {
				fmt.Fprintf(a.err, "banklink: WARNING: sandbox listening on %s, reachable beyond this machine; its credentials are public and it speaks plain http\n", ln.Addr())
			}
			serveErr := make(chan error, 1)
			go func() { serveErr <- a.serveSandbox(ctx, sb, ln) }()
			for _, kv := range sandboxEnv(sb) {
				if export {
					name, value, _ := strings.Cut(kv, "=")
					kv = "export " + name + "=" + shellQuote(value)
				}
				fmt.Fprintln(a.out, kv)
			}
			fmt.Fprintln(a.err, "banklink: sandbox serving MoneyKit and Link Money; interrupt to stop")
			if err := <-serveErr; err != nil && !errors.Is(err, http.ErrServerClosed) && !errors.Is(err, context.Canceled) {
				return fmt.Errorf("sandbox: %w", err)
			}
			return nil
		},
	}
	f := c.Flags()
	f.StringVar(&addr, "addr", "127.0.0.1:4010", "address to listen on")
	f.Int64Var(&seed, "seed", 0, "make ids, tokens and data repeat: the same seed and the same calls give the same answers (0: random ids)")
	f.StringVar(&clockStart, "clock-start", "", "start the sandbox clock at this RFC 3339 time and move it only through POST /_sandbox/clock/advance")
	f.BoolVar(&noLimits, "no-rate-limits", false, "do not enforce the providers' published rate limits (for load tests)")
	f.IntVar(&logLimit, "request-log-limit", 10000, "keep only the newest N requests in the request log (0 keeps all, -1 none)")
	f.BoolVar(&export, "export", false, "print the environment as shell export lines")
	f.BoolVar(&public, "public", false, "allow an --addr that is not loopback, reachable from other machines (prints a warning)")
	c.AddCommand(sandboxConnectCmd(a), sandboxPayCmd(a))
	return c
}

// sandboxEnv is the environment a client of sb reads, with the merchant id
// the sandbox's Link Money-managed payments are paid to.
func sandboxEnv(sb *sandbox.Sandbox) []string {
	return append(sb.Env(), "LINKMONEY_MERCHANT_ID="+sandbox.LinkMoneyMerchantID)
}

// shellQuote quotes s for a POSIX shell.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// sandboxBase is the running sandbox's base URL for a provider: --base-url,
// else the provider's environment variable.
func (a *app) sandboxBase(cmd, prefix string) (string, error) {
	base := a.g.baseURL
	if base == "" {
		base = a.getenv(prefix + "_BASE_URL")
	}
	if base == "" {
		return "", usagef("%s: %s_BASE_URL (or --base-url) must point at a running sandbox", cmd, prefix)
	}
	return base, nil
}

func sandboxConnectCmd(a *app) *cobra.Command {
	var institution string
	var timeout time.Duration
	c := &cobra.Command{
		Use:     "connect <link_session_token>",
		Short:   "Play the end user in MoneyKit Connect and print the exchangeable token",
		Example: `  banklink sandbox connect "$LINK_SESSION_TOKEN" --institution-id instant_bank`,
		Args:    exactArgs("<link_session_token>"),
		RunE: func(c *cobra.Command, args []string) error {
			base, err := a.sandboxBase("sandbox connect", "MONEYKIT")
			if err != nil {
				return err
			}
			if timeout <= 0 {
				return usagef("sandbox connect: --timeout must be positive")
			}
			ctx, cancel := context.WithTimeout(c.Context(), timeout)
			defer cancel()
			token, err := sandbox.Connect(ctx, nil, base, args[0], sandbox.ConnectOptions{InstitutionID: institution})
			if err != nil {
				return err
			}
			fmt.Fprintln(a.out, token)
			return nil
		},
	}
	c.Flags().StringVar(&institution, "institution-id", "", "the institution the user picks (default instant_bank)")
	c.Flags().DurationVar(&timeout, "timeout", sandbox.DefaultConnectTimeout, "give up when the sandbox has not answered within this time")
	return c
}

func sandboxPayCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "pay <session_key>",
		Short: "Play the customer in Link Money's hosted UI and print customerId (and paymentId)",
		Long: `Complete a Link Money session in a running sandbox as the customer would, and print the new
customerId, with the paymentId of the payment a LINK_MANAGED_PAYMENT session makes.`,
		Example: `  banklink sandbox pay "$SESSION_KEY"`,
		Args:    exactArgs("<session_key>"),
		RunE: func(c *cobra.Command, args []string) error {
			base, err := a.sandboxBase("sandbox pay", "LINKMONEY")
			if err != nil {
				return err
			}
			res, err := sandbox.Pay(c.Context(), nil, base, args[0])
			if err != nil {
				return err
			}
			return printJSON(a.out, res)
		},
	}
}

// serveSandbox serves sb on ln until ctx ends, as sandbox.Serve does, with
// a server span per request when the OTEL_* variables ask for traces.
func (a *app) serveSandbox(ctx context.Context, sb *sandbox.Sandbox, ln net.Listener) error {
	if a.tel == nil {
		return sb.Serve(ctx, ln)
	}
	return sb.ServeWrapped(ctx, ln, a.tel.serverHandler)
}
