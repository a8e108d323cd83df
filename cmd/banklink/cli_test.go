package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/banklink/banklink/facade"
	"github.com/banklink/banklink/facade/linkmoney"
	"github.com/banklink/banklink/facade/moneykit"
	"github.com/banklink/banklink/facade/sandbox"
)

// commands lists every visible command of the tree, root first.
func commands(c *cobra.Command) []*cobra.Command {
	out := []*cobra.Command{c}
	for _, sub := range c.Commands() {
		if sub.IsAvailableCommand() || sub.Name() == "help" {
			out = append(out, commands(sub)...)
		}
	}
	return out
}

// path is a command's words after the program's name.
func path(c *cobra.Command) []string {
	return strings.Fields(strings.TrimPrefix(c.CommandPath(), "banklink"))
}

func testTree() *cobra.Command {
	root := newRoot(&app{ctx: context.Background(), streams: streams{in: strings.NewReader(""), out: io.Discard, err: io.Discard}, getenv: func(string) string { return "" }})
	root.InitDefaultHelpCmd()
	return root
}

func TestEveryCommandHasHelpWithFlagsAndExample(t *testing.T) {
	cmds := commands(testTree())
	require.Greater(t, len(cmds), 20, "the whole tree is walked")
	for _, c := range cmds {
		args := path(c)
		t.Run(strings.Join(append([]string{"banklink"}, args...), " "), func(t *testing.T) {
			code, out, errOut := cli(t, nil, append(args, "--help")...)
			require.Equal(t, exitOK, code, errOut)
			assert.Contains(t, out, "Usage:")
			assert.Contains(t, out, "banklink", "the usage names the command")
			c.LocalFlags().VisitAll(func(f *pflag.Flag) {
				if !f.Hidden {
					assert.Contains(t, out, "--"+f.Name, "--help lists the command's flags")
				}
			})
			assert.Contains(t, out, "--verbose", "--help lists the global flags")
			if c.Parent() == nil || c.Parent().Name() != "completion" && c.Name() != "help" {
				assert.Contains(t, out, "Examples:", "every command shows an example")
			}

			code, viaHelp, errOut := cli(t, nil, append([]string{"help"}, args...)...)
			require.Equal(t, exitOK, code, errOut)
			assert.Equal(t, out, viaHelp, "banklink help <command> prints the same usage")
		})
	}
}

func TestGlobalFlagsInEitherPosition(t *testing.T) {
	sb := sandbox.Start(t, sandbox.Config{Faults: map[string]sandbox.Fault{
		"getLink": {Rate: 1, Statuses: []int{503}},
	}})
	noBase := []string{"MONEYKIT_CLIENT_ID=" + sandbox.MoneyKitClientID, "MONEYKIT_CLIENT_SECRET=" + sandbox.MoneyKitClientSecret}
	base := sb.MoneyKit().BaseURL
	for _, args := range [][]string{
		{"--verbose", "--max-retries", "1", "--base-url", base, "moneykit", "links", "get", "mk_anything0000000000000"},
		{"moneykit", "--verbose", "links", "--max-retries=1", "get", "mk_anything0000000000000", "--base-url", base},
		{"moneykit", "links", "get", "mk_anything0000000000000", "--verbose", "--max-retries", "1", "--base-url=" + base},
	} {
		before := count(sb, "getLink")
		code, out, errOut := cli(t, noBase, args...)
		assert.Equal(t, exitAPI, code, errOut)
		assert.Empty(t, out)
		assert.Contains(t, errOut, "HTTP 503", "--base-url reached the sandbox: %v", args)
		assert.Contains(t, errOut, "level=DEBUG", "--verbose logs each attempt: %v", args)
		assert.Equal(t, 2, count(sb, "getLink")-before, "--max-retries 1 makes two attempts: %v", args)
		requireNoSecrets(t, errOut)
	}

	// --json applies to the demo in either position.
	for _, args := range [][]string{{"--json", "demo"}, {"demo", "--json"}} {
		code, out, errOut := cli(t, nil, args...)
		require.Equal(t, exitOK, code, errOut)
		var doc struct{ OK bool }
		require.NoError(t, json.Unmarshal([]byte(out), &doc), "%v: %s", args, out)
		assert.True(t, doc.OK)
	}
}

func TestVerboseBeforeTheCommandAgainstSandbox(t *testing.T) {
	sb := sandbox.Start(t)
	env := append(sb.Env(), "LINKMONEY_MERCHANT_ID="+sandbox.LinkMoneyMerchantID)
	linkID := connectedLink(t, env)
	code, out, errOut := cli(t, env, "--verbose", "moneykit", "links", "get", linkID)
	require.Equal(t, exitOK, code, errOut)
	assert.Contains(t, out, `"state": "connected"`)
	assert.Contains(t, errOut, "GET")
	requireNoSecrets(t, out, errOut)
}

// connectedLink makes a connected link through the CLI and returns its id.
func connectedLink(t *testing.T, env []string) string {
	t.Helper()
	code, out, errOut := cli(t, env, "moneykit", "link-sessions", "create", "--customer-user-id", "user-cli-9", "--redirect-uri", "https://app.example/oauth")
	require.Equal(t, exitOK, code, errOut)
	var sess struct {
		LinkSessionToken string `json:"link_session_token"`
	}
	require.NoError(t, json.Unmarshal([]byte(out), &sess))
	code, out, errOut = cli(t, env, "sandbox", "connect", sess.LinkSessionToken)
	require.Equal(t, exitOK, code, errOut)
	code, out, errOut = cli(t, env, "moneykit", "link-sessions", "exchange", strings.TrimSpace(out))
	require.Equal(t, exitOK, code, errOut)
	var ex struct {
		Link struct {
			LinkID string `json:"link_id"`
		} `json:"link"`
	}
	require.NoError(t, json.Unmarshal([]byte(out), &ex))
	require.NotEmpty(t, ex.Link.LinkID)
	return ex.Link.LinkID
}

func TestUnknownCommandsAndFlagsSuggest(t *testing.T) {
	sb := sandbox.Start(t)
	for _, tc := range []struct {
		args    []string
		unknown string
		suggest string
	}{
		{[]string{"monykit", "links", "get", "mk_1"}, `unknown command "monykit"`, "\tmoneykit"},
		{[]string{"moneykit", "lnks", "get", "mk_1"}, `unknown command "lnks"`, "\tlinks"},
		{[]string{"linkmoney", "paymnts", "create"}, `unknown command "paymnts"`, "\tpayments"},
		{[]string{"sandbox", "conect", "tok"}, `unknown command "conect"`, "\tconnect"},
		{[]string{"--verbos", "moneykit", "links", "get", "mk_1"}, "unknown flag: --verbos", "\t--verbose"},
		{[]string{"moneykit", "links", "update", "mk_1", "--remove-webhok"}, "unknown flag: --remove-webhok", "\t--remove-webhook"},
		{[]string{"moneykit", "link-sessions", "create", "--customer-user", "u"}, "unknown flag: --customer-user", "\t--customer-user-id"},
	} {
		code, out, errOut := cli(t, sb.Env(), tc.args...)
		assert.Equal(t, exitUsage, code, "%v: %s", tc.args, errOut)
		assert.Empty(t, out)
		assert.Contains(t, errOut, tc.unknown)
		assert.Contains(t, errOut, "Did you mean this?\n"+tc.suggest)
		assert.Contains(t, errOut, "--help' for usage")
		assert.Equal(t, 1, strings.Count(errOut, "banklink:"), "one prefix: %s", errOut)
	}
	assert.Empty(t, sb.Requests(), "nothing is sent for a mistyped command line")

	// A group named alone prints its usage and exits 2.
	code, out, errOut := cli(t, nil, "moneykit", "links")
	assert.Equal(t, exitUsage, code)
	assert.Empty(t, out)
	assert.Contains(t, errOut, "Available Commands:")
	assert.Contains(t, errOut, "delete")
}

func TestCompletionScripts(t *testing.T) {
	for shell, marker := range map[string]string{
		"bash":       "__start_banklink",
		"zsh":        "#compdef banklink",
		"fish":       "complete -c banklink",
		"powershell": "Register-ArgumentCompleter",
	} {
		code, out, errOut := cli(t, nil, "completion", shell)
		require.Equal(t, exitOK, code, "%s: %s", shell, errOut)
		assert.Contains(t, out, marker, shell)
		assert.Greater(t, len(out), 1000, shell)
	}
	code, _, _ := cli(t, nil, "completion", "tcsh")
	assert.Equal(t, exitUsage, code)

	// The scripts complete through the hidden __complete command: it knows the tree.
	code, out, _ := cli(t, nil, "__complete", "moneykit", "li")
	require.Equal(t, exitOK, code)
	assert.Contains(t, out, "link-sessions")
	assert.Contains(t, out, "links")
}

func TestClientSecretStdin(t *testing.T) {
	sb := sandbox.Start(t)
	noSecret := []string{"MONEYKIT_BASE_URL=" + sb.MoneyKit().BaseURL, "MONEYKIT_CLIENT_ID=" + sandbox.MoneyKitClientID}
	create := []string{"moneykit", "link-sessions", "create", "--customer-user-id", "user-stdin", "--redirect-uri", "https://app.example/oauth"}

	code, out, errOut := cliIn(t, noSecret, sandbox.MoneyKitClientSecret+"\n", append([]string{"--client-secret-stdin"}, create...)...)
	require.Equal(t, exitOK, code, errOut)
	assert.Contains(t, out, "link_session_token")
	assert.NotContains(t, errOut, "warning")
	requireNoSecrets(t, out, errOut)
	require.Equal(t, 1, count(sb, "createLinkSession"))

	// The secret read is the one used: a wrong one is refused by the provider.
	code, _, errOut = cliIn(t, noSecret, "not-the-secret", append(create, "--client-secret-stdin")...)
	assert.Equal(t, exitAPI, code, errOut)
	assert.NotContains(t, errOut, "not-the-secret")

	// Empty input, or both ways at once, is bad usage and sends nothing.
	sent := len(sb.Requests())
	code, _, errOut = cliIn(t, noSecret, "", append(create, "--client-secret-stdin")...)
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, errOut, "--client-secret-stdin")
	code, _, errOut = cliIn(t, noSecret, "x\n", append(create, "--client-secret-stdin", "--client-secret", "y")...)
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, errOut, "exclude each other")
	assert.Len(t, sb.Requests(), sent)

	// --client-secret still works, with a warning that does not repeat the secret.
	code, _, errOut = cli(t, noSecret, append(create, "--client-secret", sandbox.MoneyKitClientSecret)...)
	require.Equal(t, exitOK, code, errOut)
	assert.Contains(t, errOut, "warning: --client-secret")
	assert.Contains(t, errOut, "MONEYKIT_CLIENT_SECRET or --client-secret-stdin")
	requireNoSecrets(t, errOut)
}

// startSandboxCommand runs `banklink sandbox --addr 127.0.0.1:0 extra...` and
// returns its first n output lines; the sandbox stops with the test.
func startSandboxCommand(t *testing.T, n int, extra ...string) []string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	done := make(chan int, 1)
	var stderr bytes.Buffer
	go func() {
		done <- run(ctx, append([]string{"sandbox", "--addr", "127.0.0.1:0"}, extra...), streams{in: strings.NewReader(""), out: pw, err: &stderr}, func(string) string { return "" })
		pw.Close()
	}()
	t.Cleanup(func() {
		cancel()
		go func() { _, _ = io.Copy(io.Discard, pr) }()
		select {
		case code := <-done:
			assert.Equal(t, exitOK, code, stderr.String())
		case <-time.After(10 * time.Second):
			t.Error("sandbox did not stop after interrupt")
		}
	})
	sc := bufio.NewScanner(pr)
	var lines []string
	for len(lines) < n && sc.Scan() {
		lines = append(lines, sc.Text())
	}
	require.Len(t, lines, n)
	return lines
}

func TestSandboxExportLinesEvaluateInSh(t *testing.T) {
	sh, err := exec.LookPath("sh")
	require.NoError(t, err, "a POSIX sh is needed")
	lines := startSandboxCommand(t, 7, "--export")
	names := []string{"MONEYKIT_BASE_URL", "MONEYKIT_CLIENT_ID", "MONEYKIT_CLIENT_SECRET",
		"LINKMONEY_BASE_URL", "LINKMONEY_CLIENT_ID", "LINKMONEY_CLIENT_SECRET", "LINKMONEY_MERCHANT_ID"}
	for i, l := range lines {
		require.True(t, strings.HasPrefix(l, "export "+names[i]+"='"), l)
	}

	file := filepath.Join(t.TempDir(), "sandbox.env")
	require.NoError(t, os.WriteFile(file, []byte(strings.Join(lines, "\n")+"\n"), 0o600))
	script := `. "$1" && sh -c 'for n in ` + strings.Join(names, " ") + `; do eval "printf \"%s=%s\\n\" \$n \"\$$n\""; done'`
	cmd := exec.Command(sh, "-c", script, "sh", file)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH")}
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, string(out))
	got := strings.Split(strings.TrimSpace(string(out)), "\n")
	require.Len(t, got, 7, string(out))
	env := map[string]string{}
	for i, kv := range got {
		k, v, _ := strings.Cut(kv, "=")
		assert.Equal(t, names[i], k, "exported to child processes")
		env[k] = v
	}
	assert.Equal(t, sandbox.MoneyKitClientID, env["MONEYKIT_CLIENT_ID"])
	assert.Equal(t, sandbox.LinkMoneyMerchantID, env["LINKMONEY_MERCHANT_ID"])
	assert.True(t, strings.HasPrefix(env["MONEYKIT_BASE_URL"], "http://127.0.0.1:"), env["MONEYKIT_BASE_URL"])

	// The evaluated environment drives the CLI against the served sandbox.
	var environ []string
	for k, v := range env {
		environ = append(environ, k+"="+v)
	}
	code, out2, errOut := cli(t, environ, "moneykit", "link-sessions", "create", "--customer-user-id", "user-export", "--redirect-uri", "https://app.example/oauth")
	require.Equal(t, exitOK, code, errOut)
	assert.Contains(t, out2, "link_session_token")
}

func TestSandboxPayCompletesASession(t *testing.T) {
	sb := sandbox.Start(t)
	env := append(sb.Env(), "LINKMONEY_MERCHANT_ID="+sandbox.LinkMoneyMerchantID)
	session := func(extra ...string) string {
		code, out, errOut := cli(t, env, append([]string{"linkmoney", "sessions", "create", "--first-name", "Jane", "--last-name", "Doe",
			"--email", "jane.pay@example.com", "--redirect-url", "https://merchant.example/return"}, extra...)...)
		require.Equal(t, exitOK, code, errOut)
		var s struct {
			SessionKey string `json:"sessionKey"`
		}
		require.NoError(t, json.Unmarshal([]byte(out), &s))
		return s.SessionKey
	}

	managed := session("--amount", "25.00")
	code, out, errOut := cli(t, env, "sandbox", "pay", managed)
	require.Equal(t, exitOK, code, errOut)
	var paid struct {
		CustomerID string `json:"customerId"`
		PaymentID  string `json:"paymentId"`
	}
	require.NoError(t, json.Unmarshal([]byte(out), &paid), out)
	assert.Len(t, paid.CustomerID, 36)
	assert.Len(t, paid.PaymentID, 36, "a LINK_MANAGED_PAYMENT session makes its payment")
	requireNoSecrets(t, out, errOut)

	// The payment is real: it can be refunded, and the refund names its own id.
	code, out, errOut = cli(t, env, "linkmoney", "refunds", "create", "--payment-id", paid.PaymentID, "--amount", "5.00")
	require.Equal(t, exitOK, code, errOut)
	var refund map[string]any
	require.NoError(t, json.Unmarshal([]byte(out), &refund))
	assert.NotEmpty(t, refund["refundId"])
	assert.NotContains(t, refund, "paymentId")

	// The customer pays with the merchant id the sandbox exported.
	code, out, errOut = cli(t, env, "linkmoney", "payments", "create", "--customer-id", paid.CustomerID, "--amount", "1.00")
	require.Equal(t, exitOK, code, errOut)
	assert.Contains(t, out, "paymentId")

	// A session completes once; an unknown one is named.
	code, _, errOut = cli(t, env, "sandbox", "pay", managed)
	assert.Equal(t, exitAPI, code)
	assert.Contains(t, errOut, "HTTP 409")
	assert.Equal(t, 1, strings.Count(errOut, "banklink:"), errOut)
	code, _, errOut = cli(t, env, "sandbox", "pay", "no-such-session")
	assert.Equal(t, exitAPI, code)
	assert.Contains(t, errOut, "unknown session")

	// A session without paymentDetails makes a customer and no payment.
	code, out, errOut = cli(t, env, "--base-url", sb.LinkMoney().BaseURL, "sandbox", "pay", session())
	require.Equal(t, exitOK, code, errOut)
	assert.Contains(t, out, "customerId")
	assert.NotContains(t, out, "paymentId")

	code, _, errOut = cli(t, nil, "sandbox", "pay", "k")
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, errOut, "LINKMONEY_BASE_URL")
}

func TestOutputFixes(t *testing.T) {
	sb := sandbox.Start(t)
	env := sb.Env()
	linkID := connectedLink(t, env)

	code, out, errOut := cli(t, env, "moneykit", "links", "update", linkID, "--tag", "a", "--webhook", "https://app.example/hook?a=1&b=2")
	require.Equal(t, exitOK, code, errOut)
	assert.Contains(t, out, `"https://app.example/hook?a=1&b=2"`, "& is not escaped")
	assert.NotContains(t, out, `\u0026`)
	assert.Contains(t, out, `"link_tags"`)
	assert.NotContains(t, out, `"tags"`, "the deprecated copy of link_tags is left out")

	code, _, errOut = cli(t, env, "linkmoney", "payments", "create", "--customer-id", "c", "--merchant-id", "m", "--amount", "12.345")
	assert.Equal(t, exitUsage, code)
	assert.Equal(t, 1, strings.Count(errOut, "banklink:"), "one prefix: %s", errOut)

	code, out, errOut = cli(t, nil, "demo", "--json")
	require.Equal(t, exitOK, code, errOut)
	var doc struct {
		Steps []struct {
			Detail map[string]any `json:"detail"`
		} `json:"steps"`
	}
	require.NoError(t, json.Unmarshal([]byte(out), &doc))
	amounts := 0
	for _, s := range doc.Steps {
		for k, v := range s.Detail {
			if k == "amount" || k == "total" {
				_, isString := v.(string)
				assert.True(t, isString, "%s is a string like the others: %v", k, v)
				amounts++
			}
		}
	}
	assert.Equal(t, 3, amounts)
}

func TestVersion(t *testing.T) {
	for _, args := range [][]string{{"--version"}, {"version"}} {
		code, out, errOut := cli(t, nil, args...)
		require.Equal(t, exitOK, code, errOut)
		assert.Equal(t, "banklink "+facade.Version+"\n", out, "a test binary has no module version")
	}
	installed := &debug.BuildInfo{Main: debug.Module{Path: modulePath, Version: "v0.3.1"}}
	assert.Equal(t, "0.3.1", versionOf(installed, true), "go install records the module version")
	devel := &debug.BuildInfo{Main: debug.Module{Path: modulePath, Version: "(devel)"}}
	assert.Equal(t, facade.Version, versionOf(devel, true))
	other := &debug.BuildInfo{Main: debug.Module{Path: "example.com/app", Version: "v9.0.0"}}
	assert.Equal(t, facade.Version, versionOf(other, true), "another module's version is not banklink's")
	assert.Equal(t, facade.Version, versionOf(nil, false))
}

func TestChangelogTopReleaseIsVersion(t *testing.T) {
	raw, err := os.ReadFile("../../CHANGELOG.md")
	require.NoError(t, err)
	var top string
	for _, line := range strings.Split(string(raw), "\n") {
		if rest, ok := strings.CutPrefix(line, "## ["); ok {
			name, _, _ := strings.Cut(rest, "]")
			if !strings.EqualFold(name, "Unreleased") {
				top = name
				break
			}
		}
	}
	require.NotEmpty(t, top, "CHANGELOG.md has a release entry")
	assert.Equal(t, facade.Version, top, "facade.Version names CHANGELOG.md's top release")
	_, out, _ := cli(t, nil, "--version")
	assert.Equal(t, "banklink "+top+"\n", out)
	assert.Contains(t, string(raw), "["+top+"]: ", "the entry links its release")
}

func TestHelpForAnUnknownCommandSuggests(t *testing.T) {
	code, out, errOut := cli(t, nil, "help", "moneykit", "lnks")
	assert.Equal(t, exitUsage, code)
	assert.Empty(t, out)
	assert.Contains(t, errOut, `unknown command "lnks" for "banklink moneykit"`)
	assert.Contains(t, errOut, "Did you mean this?\n\tlinks")

	code, out, _ = cli(t, nil, "help")
	assert.Equal(t, exitOK, code)
	assert.Contains(t, out, "Available Commands:")
}

func TestReshapedResultsKeepFieldOrder(t *testing.T) {
	var link moneykit.Link
	require.NoError(t, json.Unmarshal([]byte(`{"link_id":"mk_1","link_tags":["a"],"tags":["a"],"webhook":"https://h.example/?a=1&b=2"}`), &link))
	o, err := linkView(&link)
	require.NoError(t, err)
	raw, err := o.MarshalJSON()
	require.NoError(t, err)
	plain, err := marshal(&link)
	require.NoError(t, err)
	want := strings.Replace(string(plain), `,"tags":["a"]`, "", 1)
	require.NotEqual(t, string(plain), want, "the plain encoding has the duplicate")
	assert.Equal(t, want, string(raw), "only the duplicate is dropped; order and & are kept")

	require.NoError(t, json.Unmarshal([]byte(`{"tags":["legacy"]}`), &link))
	o, err = linkView(&link)
	require.NoError(t, err)
	raw, err = o.MarshalJSON()
	require.NoError(t, err)
	assert.Contains(t, string(raw), `"tags":["legacy"]`, "tags that differ from link_tags are shown")

	var refund linkmoney.Refund
	require.NoError(t, json.Unmarshal([]byte(`{"paymentId":"r-1","clientReferenceId":"ref"}`), &refund))
	o, err = refundView(&refund)
	require.NoError(t, err)
	raw, err = o.MarshalJSON()
	require.NoError(t, err)
	assert.Equal(t, `{"clientReferenceId":"ref","refundId":"r-1"}`, string(raw))

	_, err = toObject([]int{1})
	assert.Error(t, err, "only objects are reshaped")
}
