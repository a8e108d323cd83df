package main

import (
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"

	"github.com/banklink/banklink/facade/sandbox"
)

var update = flag.Bool("update", false, "rewrite README.md's generated CLI reference")

const readmePath = "../../README.md"

// section returns the text between README markers <!-- BEGIN name… --> and <!-- END name -->.
func section(t *testing.T, readme, name string) (before, body, after string) {
	t.Helper()
	re := regexp.MustCompile(`(?s)(.*<!-- BEGIN ` + name + `[^>]*-->\n)(.*?)(<!-- END ` + name + ` -->.*)`)
	m := re.FindStringSubmatch(readme)
	require.NotNil(t, m, "README.md has the %s markers", name)
	return m[1], m[2], m[3]
}

// cliReference renders the command tree as the README's CLI reference.
func cliReference(root *cobra.Command) string {
	var b strings.Builder
	b.WriteString("| command | what it does | flags |\n|---|---|---|\n")
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		isGroup := strings.HasSuffix(c.Use, "<command>")
		if c.Runnable() && c.HasParent() && c.Name() != "help" && !isGroup {
			var flags []string
			c.LocalNonPersistentFlags().VisitAll(func(f *pflag.Flag) {
				if !f.Hidden && f.Name != "help" {
					flags = append(flags, "`--"+f.Name+"`")
				}
			})
			use := strings.TrimSuffix(c.UseLine(), " [flags]")
			b.WriteString("| `" + strings.ReplaceAll(use, "|", `\|`) + "` | " + strings.ReplaceAll(c.Short, "|", `\|`) + " | " + strings.Join(flags, " ") + " |\n")
		}
		for _, sub := range c.Commands() {
			if sub.IsAvailableCommand() && (c.Name() != "completion" || !c.HasParent()) {
				walk(sub)
			}
		}
	}
	walk(root)
	var globals []string
	root.PersistentFlags().VisitAll(func(f *pflag.Flag) {
		g := "`--" + f.Name + "` " + f.Usage
		if f.DefValue != "" && f.DefValue != "false" {
			g += " (default " + f.DefValue + ")"
		}
		globals = append(globals, g)
	})
	b.WriteString("\nGlobal flags, before or after the command: " + strings.Join(globals, "; ") + ".\n")
	b.WriteString("Every command answers `--help` (or `banklink help <command>`) with its flags and an example.\n")
	return b.String()
}

func TestREADMECLIReference(t *testing.T) {
	raw, err := os.ReadFile(readmePath)
	require.NoError(t, err)
	before, body, after := section(t, string(raw), "CLI REFERENCE")
	want := cliReference(testTree())
	if *update {
		require.NoError(t, os.WriteFile(readmePath, []byte(before+want+after), 0o644))
		return
	}
	assert.Equal(t, want, body, "README.md's CLI reference is stale: go test ./cmd/banklink -run TestREADMECLIReference -update")
	for _, cmd := range []string{"`banklink sandbox pay <session_key>`", "`banklink moneykit links get <link_id>`", "`banklink version`"} {
		assert.Contains(t, body, cmd)
	}
}

// unconfirmed collects the spec's x-banklink-unconfirmed facts.
func unconfirmed(t *testing.T) []string {
	t.Helper()
	raw, err := os.ReadFile("../../api/openapi.yaml")
	require.NoError(t, err)
	var doc yaml.Node
	require.NoError(t, yaml.Unmarshal(raw, &doc))
	var facts []string
	var walk func(n *yaml.Node)
	walk = func(n *yaml.Node) {
		for i, c := range n.Content {
			if n.Kind == yaml.MappingNode && i%2 == 0 && c.Value == "x-banklink-unconfirmed" {
				for _, f := range strings.Split(n.Content[i+1].Value, ";") {
					facts = append(facts, strings.TrimSpace(f))
				}
			}
			walk(c)
		}
	}
	walk(&doc)
	return facts
}

func TestREADMEUnconfirmedTable(t *testing.T) {
	raw, err := os.ReadFile(readmePath)
	require.NoError(t, err)
	_, body, _ := section(t, string(raw), "UNCONFIRMED")
	facts := unconfirmed(t)
	require.NotEmpty(t, facts)
	var cells []string
	for _, line := range strings.Split(strings.TrimSpace(body), "\n")[2:] {
		cols := strings.Split(line, "|")
		require.Len(t, cols, 5, "a row has where, fact and reading: %s", line)
		cells = append(cells, strings.TrimSpace(cols[2]))
		assert.NotEmpty(t, strings.TrimSpace(cols[3]), "a reading is given for %s", cols[2])
	}
	assert.ElementsMatch(t, facts, cells, "the README's table lists exactly the spec's x-banklink-unconfirmed facts")
	assert.Less(t, strings.Index(string(raw), "<!-- BEGIN UNCONFIRMED"), 2500, "the table is on the README's first screen")
}

// TestREADMEFirstCommands holds the README to "two commands on a fresh
// machine": its first shell command runs the demo and its second the checks.
func TestREADMEFirstCommands(t *testing.T) {
	raw, err := os.ReadFile(readmePath)
	require.NoError(t, err)
	var cmds []string
	inShell := false
	for _, line := range strings.Split(string(raw), "\n") {
		switch {
		case line == "```sh":
			inShell = true
		case strings.HasPrefix(line, "```"):
			inShell = false
		case inShell && len(cmds) < 2:
			cmd, _, _ := strings.Cut(line, "#")
			if cmd = strings.TrimSpace(cmd); cmd != "" {
				cmds = append(cmds, cmd)
			}
		}
	}
	assert.Equal(t, []string{"go run ./cmd/banklink demo", "make check"}, cmds)
}

// quickStart is the README's quick-start program.
func quickStart(t *testing.T) string {
	t.Helper()
	raw, err := os.ReadFile(readmePath)
	require.NoError(t, err)
	_, body, _ := section(t, string(raw), "QUICKSTART")
	code, ok := strings.CutPrefix(body, "```go\n")
	require.True(t, ok, "the quick start is a Go block")
	code, ok = strings.CutSuffix(code, "```\n")
	require.True(t, ok)
	return code
}

// TestREADMEQuickStart copies the README's quick start into a new module,
// as a reader would, and runs it against the sandbox. The module resolves
// banklink to this checkout and fetches what else it needs as a reader's
// would, through the configured module proxy (on a machine with an empty
// module cache that includes go.mod files nothing else has downloaded).
func TestREADMEQuickStart(t *testing.T) {
	repo, err := filepath.Abs("../..")
	require.NoError(t, err)
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "main.go"), []byte(quickStart(t)), 0o644))
	gomod := "module example.com/quickstart\n\ngo 1.26\n\nrequire github.com/banklink/banklink v0.0.0\n\nreplace github.com/banklink/banklink => " + repo + "\n"
	require.NoError(t, os.WriteFile(filepath.Join(dir, "go.mod"), []byte(gomod), 0o644))
	sum, err := os.ReadFile(filepath.Join(repo, "go.sum"))
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "go.sum"), sum, 0o644))

	sb := sandbox.Start(t)
	gobin := filepath.Join(runtime.GOROOT(), "bin", "go")
	cmd := exec.Command(gobin, "run", ".")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod", "GOWORK=off", "GOTOOLCHAIN=local")
	cmd.Env = append(cmd.Env, sb.Env()...)
	cmd.Env = append(cmd.Env, "LINKMONEY_MERCHANT_ID="+sandbox.LinkMoneyMerchantID)
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "the quick start builds and runs:\n%s", out)
	for _, want := range []string{" is connected\n", " was deleted; ask the user to link again\n",
		"customer paid in the hosted UI: true\n", "payment of 12.34 made\n"} {
		assert.Contains(t, string(out), want)
	}
	assert.Equal(t, 1, count(sb, "createPayment"), "the quick start made its payment")
	assert.Equal(t, 1, count(sb, "deleteLink"))
}
