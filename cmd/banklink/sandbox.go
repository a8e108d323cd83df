package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"

	"github.com/banklink/banklink/facade/sandbox"
)

// runSandbox handles `banklink sandbox [--addr A]` and
// `banklink sandbox connect <link_session_token>`.
func runSandbox(ctx context.Context, args []string, stdout, stderr io.Writer, getenv env) int {
	if len(args) > 0 && args[0] == "connect" {
		return runSandboxConnect(ctx, args[1:], stdout, stderr, getenv)
	}
	fs := flag.NewFlagSet("sandbox", flag.ContinueOnError)
	addr := fs.String("addr", "127.0.0.1:4010", "address to listen on")
	seed := fs.Int64("seed", 1, "seed for fault injection")
	noLimits := fs.Bool("no-rate-limits", false, "do not enforce the providers' published rate limits (for load tests)")
	logLimit := fs.Int("request-log-limit", 10000, "keep only the newest N requests in the request log (0 keeps all, -1 none)")
	public := fs.Bool("public", false, "allow --addr to be a non-loopback address, reachable from other machines")
	pos, err := parse(fs, args)
	if err != nil {
		return report(stderr, err)
	}
	if err := wantArgs("sandbox", pos); err != nil {
		return report(stderr, err)
	}
	loopback, err := sandbox.LoopbackAddr(*addr)
	if err != nil {
		return report(stderr, usagef("sandbox: --addr: %v", err))
	}
	if !loopback && !*public {
		return report(stderr, usagef("sandbox: --addr %s is not a loopback address; the sandbox has fixed, published credentials and no TLS, so anyone who can reach it can use it. Pass --public to serve it there anyway", *addr))
	}
	sb := sandbox.New(sandbox.Config{Seed: *seed, NoRateLimits: *noLimits, RequestLogLimit: *logLimit})
	ln, err := sb.Listen(ctx, *addr)
	if err != nil {
		return report(stderr, fmt.Errorf("sandbox: %w", err))
	}
	if tcp, ok := ln.Addr().(*net.TCPAddr); ok && !tcp.IP.IsLoopback() && !*public {
		// "localhost" resolved to something else.
		_ = ln.Close()
		return report(stderr, usagef("sandbox: --addr %s listens on %s, which is not loopback; pass --public to serve it there anyway", *addr, ln.Addr()))
	}
	if !loopback {
		fmt.Fprintf(stderr, "banklink: WARNING: sandbox listening on %s, reachable beyond this machine; its credentials are public and it speaks plain http\n", ln.Addr())
	}
	serveErr := make(chan error, 1)
	go func() { serveErr <- sb.Serve(ctx, ln) }()
	for _, kv := range sb.Env() {
		fmt.Fprintln(stdout, kv)
	}
	fmt.Fprintln(stderr, "banklink: sandbox serving MoneyKit and Link Money; interrupt to stop")
	if err := <-serveErr; err != nil && !errors.Is(err, http.ErrServerClosed) && !errors.Is(err, context.Canceled) {
		return report(stderr, fmt.Errorf("sandbox: %w", err))
	}
	return exitOK
}

// runSandboxConnect plays the end user in Connect against the sandbox at
// MONEYKIT_BASE_URL and prints the exchangeable token.
func runSandboxConnect(ctx context.Context, args []string, stdout, stderr io.Writer, getenv env) int {
	fs := flag.NewFlagSet("sandbox connect", flag.ContinueOnError)
	base := fs.String("base-url", "", "the sandbox's MoneyKit base URL (default $MONEYKIT_BASE_URL)")
	institution := fs.String("institution-id", "", "the institution the user picks (default instant_bank)")
	timeout := fs.Duration("timeout", sandbox.DefaultConnectTimeout, "give up when the sandbox has not answered within this time")
	pos, err := parse(fs, args)
	if err != nil {
		return report(stderr, err)
	}
	if err := wantArgs("sandbox connect", pos, "<link_session_token>"); err != nil {
		return report(stderr, err)
	}
	if *base == "" {
		*base = getenv("MONEYKIT_BASE_URL")
	}
	if *base == "" {
		return report(stderr, usagef("sandbox connect: MONEYKIT_BASE_URL (or --base-url) must point at a running sandbox"))
	}
	if *timeout <= 0 {
		return report(stderr, usagef("sandbox connect: --timeout must be positive"))
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	token, err := sandbox.Connect(ctx, nil, *base, pos[0], sandbox.ConnectOptions{InstitutionID: *institution})
	if err != nil {
		return report(stderr, err)
	}
	fmt.Fprintln(stdout, token)
	return exitOK
}
