package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/spf13/cobra"

	"github.com/banklink/banklink/facade/sandbox"
)

// sandboxCmd is `banklink sandbox`: it serves both providers' sandbox, and
// its subcommands play the end user in a running one.
func sandboxCmd(a *app) *cobra.Command {
	var addr string
	var seed int64
	var noLimits, export bool
	var logLimit int
	c := &cobra.Command{
		Use:   "sandbox [--addr 127.0.0.1:4010] [--export]",
		Short: "Serve both providers' sandbox until interrupted, printing its environment",
		Long: `Serve a stateful sandbox of MoneyKit and Link Money until interrupted. It first prints
MONEYKIT_BASE_URL, MONEYKIT_CLIENT_ID, MONEYKIT_CLIENT_SECRET, LINKMONEY_BASE_URL,
LINKMONEY_CLIENT_ID, LINKMONEY_CLIENT_SECRET and LINKMONEY_MERCHANT_ID as NAME=value
lines, or with --export as "export NAME='value'" lines a POSIX shell can source.`,
		Example: `  banklink sandbox --export > sandbox.env &
  until grep -q LINKMONEY_MERCHANT_ID sandbox.env 2>/dev/null; do sleep 0.1; done
  . ./sandbox.env
  banklink moneykit link-sessions create --customer-user-id user-42 --redirect-uri https://app.example/oauth`,
		Args: subcommandArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			ctx := c.Context()
			sb := sandbox.New(sandbox.Config{Seed: seed, NoRateLimits: noLimits, RequestLogLimit: logLimit})
			ln, err := sb.Listen(ctx, addr)
			if err != nil {
				return fmt.Errorf("sandbox: %w", err)
			}
			serveErr := make(chan error, 1)
			go func() { serveErr <- sb.Serve(ctx, ln) }()
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
	f.Int64Var(&seed, "seed", 1, "seed for fault injection")
	f.BoolVar(&noLimits, "no-rate-limits", false, "do not enforce the providers' published rate limits (for load tests)")
	f.IntVar(&logLimit, "request-log-limit", 10000, "keep only the newest N requests in the request log (0 keeps all, -1 none)")
	f.BoolVar(&export, "export", false, "print the environment as shell export lines")
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
			token, err := sandbox.Connect(c.Context(), nil, base, args[0], sandbox.ConnectOptions{InstitutionID: institution})
			if err != nil {
				return err
			}
			fmt.Fprintln(a.out, token)
			return nil
		},
	}
	c.Flags().StringVar(&institution, "institution-id", "", "the institution the user picks (default instant_bank)")
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
