package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/banklink/banklink/facade/redisfleet"
)

// streams are the program's standard input, output and error.
type streams struct {
	in       io.Reader
	out, err io.Writer
}

// app is what every command shares: the streams, the environment and the
// global flags.
type app struct {
	ctx context.Context
	streams
	getenv env
	g      globals

	// started is set once a command's own code runs: errors before that
	// are cobra's usage errors.
	started bool
	// secret caches what --client-secret-stdin read.
	secret *string
	// redis is the fleet --redis-url built, shared by the command's clients.
	redis *redisfleet.Fleet
	rdb   io.Closer // its Redis client, closed when the command ends
	// tel is the OpenTelemetry export the OTEL_* variables asked for (nil:
	// none).
	tel *telemetry
}

// newRoot builds the command tree. Adding a command is one function that
// returns a *cobra.Command and one AddCommand line here or in its group.
func newRoot(a *app) *cobra.Command {
	root := &cobra.Command{
		Use:   "banklink",
		Short: "Drive MoneyKit's and Link Money's bank-linking flows, or their sandbox",
		Long: `banklink drives MoneyKit's hosted bank linking and Link Money's pay by bank from the
command line, serves a local sandbox of both, and runs a demo of the whole story.

Credentials and base URLs come from MONEYKIT_CLIENT_ID, MONEYKIT_CLIENT_SECRET,
MONEYKIT_BASE_URL, LINKMONEY_CLIENT_ID, LINKMONEY_CLIENT_SECRET and LINKMONEY_BASE_URL;
the global flags override them. Results are JSON on stdout, errors go to stderr.
With OTEL_EXPORTER_OTLP_ENDPOINT (or the other standard OTEL_* variables) set, each
command exports its traces and metrics by OTLP over HTTP/protobuf.
Exit status: 0 ok, 1 API or network error, 2 bad usage or invalid input (nothing sent).`,
		Example: `  banklink demo
  banklink sandbox --export > sandbox.env &      # then source sandbox.env
  banklink --verbose moneykit links get mk_eqkWN34UEoa2NxyALG8pcV`,
		Version:           version(),
		SilenceErrors:     true,
		SilenceUsage:      true,
		Args:              subcommandArgs,
		RunE:              groupRun(a),
		PersistentPreRunE: func(c *cobra.Command, _ []string) error { a.started = true; a.tel.named(c); return nil },
	}
	root.SetIn(a.in)
	root.SetOut(a.out)
	root.SetErr(a.err)
	root.SetContext(a.ctx)
	root.SetVersionTemplate("banklink {{.Version}}\n")
	root.SetFlagErrorFunc(flagError)
	a.g.register(root.PersistentFlags())

	root.AddCommand(
		demoCmd(a),
		sandboxCmd(a),
		moneyKitCmd(a),
		linkMoneyCmd(a),
		webhooksCmd(a),
		mirrorCmd(a),
		versionCmd(a),
	)
	root.SetHelpCommand(helpCmd(a))
	// cobra's completion command, answering an unknown shell with exit 2.
	root.InitDefaultCompletionCmd()
	if comp, _, err := root.Find([]string{"completion"}); err == nil && comp != root {
		comp.Args, comp.RunE = subcommandArgs, groupRun(a)
		comp.Use = "completion bash|zsh|fish|powershell"
		comp.Example = `  source <(banklink completion bash)
  banklink completion zsh > "${fpath[1]}/_banklink"
  banklink completion fish > ~/.config/fish/completions/banklink.fish
  banklink completion powershell | Out-String | Invoke-Expression`
	}
	return root
}

// helpCmd is `banklink help [command]`: a command's usage on stdout, or an
// unknown command's suggestions and exit status 2.
func helpCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:     "help [command]",
		Short:   "Help about any command",
		Example: `  banklink help moneykit links get`,
		RunE: func(c *cobra.Command, args []string) error {
			target, rest, err := c.Root().Find(args)
			if err != nil {
				return usagef("%v", err)
			}
			if len(rest) > 0 {
				return subcommandArgs(target, rest)
			}
			target.InitDefaultHelpFlag()
			target.InitDefaultVersionFlag()
			return target.Help()
		},
	}
}

// group builds a command that only holds subcommands.
func group(a *app, use, short, example string, subs ...*cobra.Command) *cobra.Command {
	c := &cobra.Command{
		Use:     use + " <command>",
		Short:   short,
		Example: example,
		Args:    subcommandArgs,
		RunE:    groupRun(a),
	}
	c.AddCommand(subs...)
	return c
}

// groupRun answers a group's name given alone with its usage on stderr and
// exit status 2.
func groupRun(a *app) func(*cobra.Command, []string) error {
	return func(c *cobra.Command, _ []string) error {
		if !c.HasParent() {
			return usagef("a command is required; usage:\n\n%s", c.UsageString())
		}
		return usagef("%s needs a command; usage:\n\n%s", cmdName(c), c.UsageString())
	}
}

// subcommandArgs rejects a word that names no subcommand, suggesting the
// nearest ones.
func subcommandArgs(c *cobra.Command, args []string) error {
	if len(args) == 0 {
		return nil
	}
	if c.SuggestionsMinimumDistance <= 0 {
		c.SuggestionsMinimumDistance = 2
	}
	msg := fmt.Sprintf("unknown command %q for %q", args[0], c.CommandPath())
	if s := c.SuggestionsFor(args[0]); len(s) > 0 {
		msg += "\n\nDid you mean this?\n\t" + strings.Join(s, "\n\t")
	}
	return usagef("%s\n\nRun '%s --help' for usage.", msg, c.CommandPath())
}

// exactArgs requires the named positional arguments.
func exactArgs(names ...string) cobra.PositionalArgs {
	return func(c *cobra.Command, args []string) error {
		if len(args) != len(names) {
			if len(names) == 0 {
				return usagef("%s takes no arguments (got %q)\n\nRun '%s --help' for usage.", cmdName(c), args, c.CommandPath())
			}
			return usagef("%s needs %d argument(s): %s\n\nRun '%s --help' for usage.", cmdName(c), len(names), strings.Join(names, " "), c.CommandPath())
		}
		return nil
	}
}

// flagError turns a flag parsing error into a usage error that suggests
// the nearest flag and names the command's help.
func flagError(c *cobra.Command, err error) error {
	msg := fmt.Sprintf("%s: %v", cmdName(c), err)
	if name, ok := strings.CutPrefix(err.Error(), "unknown flag: --"); ok {
		var near []string
		c.Flags().VisitAll(func(f *pflag.Flag) {
			if !f.Hidden && (levenshtein(name, f.Name) <= 2 || strings.HasPrefix(f.Name, name)) {
				near = append(near, "--"+f.Name)
			}
		})
		if len(near) > 0 {
			msg += "\n\nDid you mean this?\n\t" + strings.Join(near, "\n\t")
		}
	}
	return usagef("%s\n\nRun '%s --help' for usage.", msg, c.CommandPath())
}

// cmdName names a command in messages that report already prefixes with
// "banklink: ": its path without the program's name.
func cmdName(c *cobra.Command) string {
	if !c.HasParent() {
		return c.Name()
	}
	return strings.TrimPrefix(c.CommandPath(), c.Root().Name()+" ")
}

// levenshtein is the edit distance between two flag names.
func levenshtein(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
}

// asUsage makes an error cobra returned before any command ran a usage error.
func asUsage(err error) error {
	var ue *usageError
	if errors.As(err, &ue) {
		return err
	}
	msg := err.Error()
	if strings.HasPrefix(msg, "unknown command") {
		msg += "\n\nRun 'banklink --help' for usage."
	}
	return &usageError{msg: msg}
}
