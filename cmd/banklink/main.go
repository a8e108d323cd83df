// Command banklink drives MoneyKit's and Link Money's hosted bank-linking flows
// from the command line, serves a local sandbox of both, and runs a demo of the
// whole story on an embedded sandbox with no set-up.
//
//	banklink demo [--json]
//	banklink sandbox [--addr 127.0.0.1:4010] [--export]
//	banklink sandbox connect <link_session_token>
//	banklink sandbox pay <session_key>
//	banklink moneykit link-sessions create --customer-user-id ID --redirect-uri URI [...]
//	banklink moneykit link-sessions exchange <exchangeable_token>
//	banklink moneykit links get|update|delete <link_id> [...]
//	banklink linkmoney sessions create --first-name F --last-name L --email E --redirect-url U [...]
//	banklink linkmoney payments create --customer-id ID --merchant-id ID --amount 12.34 [...]
//	banklink linkmoney refunds create --payment-id ID --amount 1.00 [...]
//	banklink mirror sync [--db sqlite:PATH|postgres://…] [link_id...]
//	banklink mirror serve [--db DSN] [--listen ADDR] [--reconcile 15m]
//	banklink mirror status [--db DSN]
//	banklink version | completion bash|zsh|fish|powershell | help [command]
//
// Credentials and base URLs come from MONEYKIT_CLIENT_ID, MONEYKIT_CLIENT_SECRET,
// MONEYKIT_BASE_URL, LINKMONEY_CLIENT_ID, LINKMONEY_CLIENT_SECRET and
// LINKMONEY_BASE_URL; the global --client-id, --client-secret-stdin and
// --base-url flags override them, before or after the command's name.
// Results are JSON on stdout; errors go to stderr.
//
// Exit status: 0 on success, 1 on an API or network error, 2 on bad usage or
// invalid input (rejected before anything is sent).
//
// With the standard OpenTelemetry variables set (OTEL_EXPORTER_OTLP_ENDPOINT,
// OTEL_SERVICE_NAME, ...; telemetry.go lists them), every command exports its
// traces and metrics by OTLP over HTTP/protobuf and flushes them before it
// exits; with none set, nothing is exported and no connection opened.
//
// The command tree is built on cobra: each command is one function returning
// a *cobra.Command, added to its parent in newRoot or its group's function.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], streams{in: os.Stdin, out: os.Stdout, err: os.Stderr}, os.Getenv)
	stop()
	os.Exit(code)
}

// Exit statuses.
const (
	exitOK    = 0
	exitAPI   = 1 // the provider or the network failed
	exitUsage = 2 // bad usage or invalid input; nothing was sent
)

// env reads an environment variable; tests pass their own.
type env func(string) string

// run is the whole program, with its inputs and outputs passed in.
func run(ctx context.Context, args []string, s streams, getenv env) int {
	ctx, tel, err := startTelemetry(ctx, getenv, s.err)
	if err != nil {
		return report(s.err, err)
	}
	a := &app{ctx: ctx, streams: s, getenv: getenv, tel: tel}
	code := a.execute(args)
	// The traces and metrics go out before the process exits.
	tel.end(code, s.err)
	return code
}

func (a *app) execute(args []string) int {
	defer func() {
		if a.rdb != nil {
			_ = a.rdb.Close()
		}
	}()
	root := newRoot(a)
	root.SetArgs(args)
	err := root.ExecuteContext(a.ctx)
	if err == nil {
		return exitOK
	}
	if !a.started {
		// cobra refused the command line (unknown command or flag, wrong
		// arguments) before any command ran.
		return report(a.err, asUsage(err))
	}
	return report(a.err, err)
}
