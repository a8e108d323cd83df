// Command banklink drives MoneyKit's and Link Money's hosted bank-linking flows
// from the command line, serves a local sandbox of both, and runs a demo of the
// whole story on an embedded sandbox with no set-up.
//
//	banklink demo [--json]
//	banklink sandbox [--addr 127.0.0.1:4010]
//	banklink sandbox connect <link_session_token>
//	banklink moneykit link-sessions create --customer-user-id ID --redirect-uri URI [...]
//	banklink moneykit link-sessions exchange <exchangeable_token>
//	banklink moneykit links get|update|delete <link_id> [...]
//	banklink moneykit webhooks trigger <link_id> --event link.state_changed
//	banklink linkmoney sessions create --first-name F --last-name L --email E --redirect-url U [...]
//	banklink linkmoney payments create --customer-id ID --merchant-id ID --amount 12.34 [...]
//	banklink linkmoney refunds create --payment-id ID --amount 1.00 [...]
//	banklink linkmoney webhooks subscribe|unsubscribe [...]
//	banklink webhooks listen --provider moneykit|linkmoney [--addr A] [--path P] [--secret S]
//
// Credentials and base URLs come from MONEYKIT_CLIENT_ID, MONEYKIT_CLIENT_SECRET,
// MONEYKIT_BASE_URL, LINKMONEY_CLIENT_ID, LINKMONEY_CLIENT_SECRET and
// LINKMONEY_BASE_URL; the --client-id, --client-secret and --base-url flags
// override them. Results are JSON on stdout; errors go to stderr.
//
// Exit status: 0 on success, 1 on an API or network error, 2 on bad usage or
// invalid input (rejected before anything is sent).
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr, os.Getenv)
	stop()
	os.Exit(code)
}

// Exit statuses.
const (
	exitOK    = 0
	exitAPI   = 1 // the provider or the network failed
	exitUsage = 2 // bad usage or invalid input; nothing was sent
)

const usage = `usage: banklink <command> [flags]

commands:
  demo [--json]                                   run the whole link flow on an embedded sandbox
  sandbox [--addr 127.0.0.1:4010]                 serve both providers' sandbox until interrupted
  sandbox connect <link_session_token>            play the end user in a running sandbox
  moneykit link-sessions create --customer-user-id ID --redirect-uri URI
           [--institution-id ID] [--existing-link-id ID] [--webhook URL] [--tag T]...
  moneykit link-sessions exchange <exchangeable_token>
  moneykit links get <link_id>
  moneykit links update <link_id> [--webhook URL | --remove-webhook] [--tag T]...
  moneykit links delete <link_id>
  moneykit webhooks trigger <link_id> [--event link.state_changed] [--idempotency-key K]
  linkmoney sessions create --first-name F --last-name L --email E --redirect-url U
           [--product PAY|VERIFY] [--amount 12.34 --request-key K]
  linkmoney payments create --customer-id ID --merchant-id ID --amount 12.34
           [--request-key K] [--soft-descriptor S] [--client-reference-id R]
  linkmoney refunds create --payment-id ID --amount 1.00 [--request-key K]
  linkmoney webhooks subscribe --url U --secret S
  linkmoney webhooks unsubscribe --subscription-key K
  webhooks listen --provider moneykit|linkmoney [--addr 127.0.0.1:4020] [--path /webhook] [--secret S]
                                                  print verified deliveries as JSON lines

global flags (any command):
  --verbose          log every attempt to stderr (redacted)
  --max-retries N    retries after the first attempt (default 2)
  --base-url URL     override the provider's base URL
  --client-id ID     override the provider's client id
  --client-secret S  override the provider's client secret
`

// env reads an environment variable; tests pass their own.
type env func(string) string

// run is the whole program, with its inputs and outputs passed in.
func run(ctx context.Context, args []string, stdout, stderr io.Writer, getenv env) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return exitUsage
	}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "demo":
		return runDemo(ctx, rest, stdout, stderr)
	case "sandbox":
		return runSandbox(ctx, rest, stdout, stderr, getenv)
	case "moneykit":
		return runMoneyKit(ctx, rest, stdout, stderr, getenv)
	case "linkmoney":
		return runLinkMoney(ctx, rest, stdout, stderr, getenv)
	case "webhooks":
		return runWebhooks(ctx, rest, stdout, stderr, getenv)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return exitOK
	default:
		fmt.Fprintf(stderr, "banklink: unknown command %q\n\n%s", cmd, usage)
		return exitUsage
	}
}
