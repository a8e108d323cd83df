package sandbox_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/banklink/banklink/internal/testkit"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The customer pages are tested in Debian's chromium, driven through the
// DevTools protocol: a person's view of them (headings, labels, button
// names, the keyboard) is what the tests use to find their way. One
// browser serves every subtest; each subtest has its own browser context
// (no shared storage).

// chromiumPath finds the browser: BANKLINK_CHROMIUM, else chromium on PATH.
// Under CI=true a missing browser fails the test; elsewhere it skips.
func chromiumPath(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("BANKLINK_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	msg := "the browser tests need Chromium: install the Debian package chromium (apt-get install chromium) or set BANKLINK_CHROMIUM"
	if testkit.UnderCI() {
		t.Fatal(msg)
	}
	t.Skip(msg)
	return ""
}

// browser is one Chromium process shared by a test's subtests.
type browser struct {
	ctx context.Context
}

func startBrowser(t *testing.T) *browser {
	t.Helper()
	path := chromiumPath(t)
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.WindowSize(1000, 900),
		// Nothing but loopback resolves: a page that reached for a CDN
		// would fail (and the network check below would name it).
		chromedp.Flag("host-resolver-rules", "MAP * ~NOTFOUND, EXCLUDE 127.0.0.1, EXCLUDE localhost"),
		chromedp.Flag("lang", "en-US"),
	)
	actx, acancel := chromedp.NewExecAllocator(context.Background(), opts...)
	// The protocol client's own complaints (events of frames it does not
	// track) are not the pages' failures; the tests assert what matters.
	bctx, bcancel := chromedp.NewContext(actx, chromedp.WithErrorf(func(string, ...any) {}))
	// Start the browser now: the first run on the browser context starts it
	// (a derived context would stop it when done).
	if err := chromedp.Do(bctx, chromedp.Navigate("about:blank")); err != nil {
		bcancel()
		acancel()
		t.Fatalf("starting %s: %v", path, err)
	}
	t.Cleanup(func() {
		_ = chromedp.Cancel(bctx)
		bcancel()
		acancel()
	})
	return &browser{ctx: bctx}
}

// tab is one page (or one attached iframe) of the browser.
type tab struct {
	t   *testing.T
	ctx context.Context
}

// newTab opens a tab in a fresh browser context, bounded by a deadline.
func (b *browser) newTab(t *testing.T) *tab {
	t.Helper()
	ctx, cancel := chromedp.NewContext(b.ctx, chromedp.WithNewBrowserContext())
	ctx, cancelT := context.WithTimeout(ctx, 15*time.Second)
	t.Cleanup(func() { cancelT(); cancel() })
	require.NoError(t, chromedp.Do(ctx, chromedp.Navigate("about:blank")))
	return &tab{t: t, ctx: ctx}
}

// requests records every request URL a tab (and the frames attached to
// it) sends.
type requests struct {
	mu   sync.Mutex
	urls []string
}

func (r *requests) listen(t *testing.T, ctx context.Context) {
	t.Helper()
	require.NoError(t, chromedp.Listen(ctx, func(ev any) {
		if e, ok := ev.(*network.EventRequestWillBeSent); ok {
			r.mu.Lock()
			r.urls = append(r.urls, e.Request.URL)
			r.mu.Unlock()
		}
	}))
}

// outside lists the requests that went to none of the given origins.
func (r *requests) outside(origins ...string) (n int, bad []string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, u := range r.urls {
		if strings.HasPrefix(u, "about:") || strings.HasPrefix(u, "data:") {
			continue
		}
		ok := false
		for _, o := range origins {
			if strings.HasPrefix(u, o+"/") || u == o {
				ok = true
			}
		}
		if !ok {
			bad = append(bad, u)
		}
	}
	return len(r.urls), bad
}

func (tb *tab) navigate(u string) {
	tb.t.Helper()
	require.NoError(tb.t, chromedp.Do(tb.ctx, chromedp.Navigate(u)))
}

func userGesture(p *runtime.EvaluateParams) { v := true; p.UserGesture = &v }

// js runs a script in the tab's page, as a user gesture, and returns its
// value; helpers defines find, named and the like (see pageHelpers).
func js[T any](tb *tab, script string) (T, error) {
	return chromedp.Run(tb.ctx, chromedp.Evaluate[T](pageHelpers+"\n"+script, userGesture))
}

// pageHelpers finds elements as a person does: buttons and links by their
// text, fields by their label's text.
const pageHelpers = `
var norm = function (s) { return (s || "").replace(/\s+/g, " ").trim(); };
var visible = function (el) { return !!(el.offsetWidth || el.offsetHeight || el.getClientRects().length); };
var named = function (name) {
  var els = Array.prototype.slice.call(document.querySelectorAll("button, a[href]"));
  return els.filter(function (el) { return visible(el) && norm(el.textContent) === name; });
};
var labelled = function (text) {
  var ls = Array.prototype.slice.call(document.querySelectorAll("label")).filter(function (l) { return norm(l.textContent) === text; });
  return ls.length === 1 ? ls[0].control : null;
};`

// until polls a condition in the page until it holds or the tab's
// deadline passes; a page being replaced counts as "not yet".
func (tb *tab) until(what, cond string) {
	tb.t.Helper()
	var last string
	for {
		ok, err := js[bool](tb, "!!("+cond+")")
		if err == nil && ok {
			return
		}
		if err != nil {
			last = err.Error()
		}
		select {
		case <-tb.ctx.Done():
			body, _ := js[string](tb, "document.body ? document.body.innerText : ''")
			tb.t.Fatalf("waiting for %s: %v (last error %q); page text: %q", what, tb.ctx.Err(), last, body)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// heading waits for the page's h1 to read want.
// The page must have loaded too: its deferred script posts the page's
// messages, and a click before it ran would lose them.
func (tb *tab) heading(want string) {
	tb.t.Helper()
	tb.until("heading "+want, "(function(){var h=document.querySelector('h1');return document.readyState==='complete'&&!!h&&norm(h.textContent)==="+jsString(want)+";})()")
}

// click clicks the one visible button or link named name.
func (tb *tab) click(name string) {
	tb.t.Helper()
	n, err := js[int](tb, "(function(){var m=named("+jsString(name)+");if(m.length===1){m[0].click();}return m.length;})()")
	require.NoError(tb.t, err)
	require.Equal(tb.t, 1, n, "buttons or links named %q", name)
}

// fill types value into the field labelled label.
func (tb *tab) fill(label, value string) {
	tb.t.Helper()
	ok, err := js[bool](tb, "(function(){var c=labelled("+jsString(label)+");if(!c)return false;c.value="+jsString(value)+";return true;})()")
	require.NoError(tb.t, err)
	require.True(tb.t, ok, "one field labelled %q", label)
}

// choose sets the checkbox or radio button whose label reads name.
func (tb *tab) choose(name string, on bool) {
	tb.t.Helper()
	ok, err := js[bool](tb, fmt.Sprintf("(function(){var c=labelled(%s);if(!c)return false;if(c.checked!==%t)c.click();return true;})()", jsString(name), on))
	require.NoError(tb.t, err)
	require.True(tb.t, ok, "one choice labelled %q", name)
}

func (tb *tab) text() string {
	tb.t.Helper()
	s, err := js[string](tb, "document.body.innerText")
	require.NoError(tb.t, err)
	return s
}

func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// frame attaches to the Connect iframe of the front end's page.
func (tb *tab) frame(prefix string) *tab {
	tb.t.Helper()
	for {
		infos, err := chromedp.Targets(tb.ctx)
		require.NoError(tb.t, err)
		if os.Getenv("DEBUG_TARGETS") != "" {
			for _, info := range infos {
				tb.t.Logf("target %s %s", info.Type, info.URL)
			}
			src, _ := js[string](tb, "document.documentElement.outerHTML")
			tb.t.Log(src)
		}
		for _, info := range infos {
			if info.Type == "iframe" && strings.HasPrefix(info.URL, prefix) {
				ctx, cancel := chromedp.NewContext(tb.ctx, chromedp.WithTargetID(info.TargetID))
				tb.t.Cleanup(cancel)
				require.NoError(tb.t, chromedp.Do(ctx, chromedp.Evaluate[chromedp.Void]("0")))
				return &tab{t: tb.t, ctx: ctx}
			}
		}
		select {
		case <-tb.ctx.Done():
			for _, info := range infos {
				tb.t.Logf("target %s %s", info.Type, info.URL)
			}
			tb.t.Fatalf("no iframe at %s", prefix)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// screenshots, when BANKLINK_SCREENSHOTS names a directory, saves a PNG of
// the tab as name.png (make screenshots).
func (tb *tab) shot(name string) {
	tb.t.Helper()
	dir := os.Getenv("BANKLINK_SCREENSHOTS")
	if dir == "" {
		return
	}
	png, err := chromedp.Run(tb.ctx, chromedp.CaptureScreenshot())
	require.NoError(tb.t, err)
	require.NoError(tb.t, os.MkdirAll(dir, 0o755))
	require.NoError(tb.t, os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644))
}

// frontEnd is a test application on its own loopback origin: its page
// loads the sandbox's connect.js, as a real front end loads MoneyKit's.
func frontEnd(t *testing.T, sandboxURL string) string {
	t.Helper()
	page := `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Front end</title>
<script src="` + sandboxURL + `/moneykit/connect/connect.js"></script></head>
<body><main><h1>Front end</h1><p id="out"></p></main>
<script>
window.outcome = null; window.events = [];
var mk = new MoneyKit({ applicationName: "Front end" });
var done = function (kind) { return function (a, b) { window.outcome = { kind: kind, a: a === undefined ? null : a, b: b === undefined ? null : b }; }; };
var onEvent = function (e) { window.events.push(e); };
window.startLink = function (tok) { mk.link(tok, done("success"), done("exit"), onEvent); };
window.startRelink = function (tok) { mk.relink(tok, done("success"), done("exit"), onEvent); };
if (location.pathname === "/oauth-return") { mk.continue(location.href, done("success"), done("exit"), onEvent); }
</script></body></html>`
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		if r.URL.Path == "/favicon.ico" {
			http.NotFound(w, r)
			return
		}
		_, _ = w.Write([]byte(page))
	}))
	t.Cleanup(srv.Close)
	// Another site than the sandbox's 127.0.0.1, as a real front end is:
	// Chrome runs Connect's iframe in its own process.
	return strings.Replace(srv.URL, "127.0.0.1", "localhost", 1)
}

// outcome is what the front end's callbacks received.
type outcome struct {
	Kind string          `json:"kind"`
	A    json.RawMessage `json:"a"`
	B    json.RawMessage `json:"b"`
}

func (tb *tab) outcome() outcome {
	tb.t.Helper()
	tb.until("the front end's callback", "window.outcome")
	s, err := js[string](tb, "JSON.stringify(window.outcome)")
	require.NoError(tb.t, err)
	var o outcome
	require.NoError(tb.t, json.Unmarshal([]byte(s), &o))
	return o
}

// formOf reads the flow id and token of the page's forms, to replay a post.
func (tb *tab) formOf() url.Values {
	tb.t.Helper()
	s, err := js[string](tb, `JSON.stringify({flow: document.querySelector("input[name=flow]").value, token: document.querySelector("input[name=token]").value})`)
	require.NoError(tb.t, err)
	var m map[string]string
	require.NoError(tb.t, json.Unmarshal([]byte(s), &m))
	return url.Values{"flow": {m["flow"]}, "token": {m["token"]}}
}

// key moves the focus with Tab to the button or link named name, as a
// keyboard user does, and presses Enter.
func (tb *tab) key(name string) {
	tb.t.Helper()
	tb.focus(name)
	tb.press("\r")
}

// focus presses Tab until the focused element is the button or link named
// name (at most 40 times).
func (tb *tab) focus(name string) {
	tb.t.Helper()
	tb.tabTo("the control named "+name, "document.activeElement && named("+jsString(name)+").indexOf(document.activeElement) >= 0")
}

// typeInto tabs to the field labelled label and types value.
func (tb *tab) typeInto(label, value string) {
	tb.t.Helper()
	tb.tabTo("the field labelled "+label, "document.activeElement === labelled("+jsString(label)+")")
	tb.press(value)
}

func (tb *tab) tabTo(what, cond string) {
	tb.t.Helper()
	tb.until("the page", "document.readyState === 'complete'")
	for i := 0; i < 40; i++ {
		ok, err := js[bool](tb, "!!("+cond+")")
		require.NoError(tb.t, err)
		if ok {
			return
		}
		tb.press("\t")
	}
	tb.t.Fatalf("Tab never reached %s", what)
}

func (tb *tab) press(keys string) {
	tb.t.Helper()
	require.NoError(tb.t, chromedp.Do(tb.ctx, chromedp.KeyEvent(keys)))
}

// loadAxe reads axe-core (fetched by make axe into testdata, or named by
// BANKLINK_AXE). Under CI=true it must be there; elsewhere the
// accessibility checks are skipped with a message when it is not.
func loadAxe(t *testing.T) string {
	t.Helper()
	path := os.Getenv("BANKLINK_AXE")
	if path == "" {
		path = filepath.Join("testdata", "axe.min.js")
	}
	b, err := os.ReadFile(path)
	if err != nil {
		msg := fmt.Sprintf("axe-core not found at %s: run make axe (npm pack axe-core) to check the pages' accessibility", path)
		if testkit.UnderCI() {
			t.Fatal(msg)
		}
		t.Log(msg)
		return ""
	}
	return string(b)
}

// axe runs axe-core on the page and fails on any serious or critical
// violation.
func (tb *tab) axe(src, name string) {
	tb.t.Helper()
	if src == "" {
		return
	}
	assert.Empty(tb.t, tb.axeViolations(src), "axe-core on %s", name)
}

// axeViolations lists axe-core's serious and critical violations on the page.
func (tb *tab) axeViolations(src string) []string {
	tb.t.Helper()
	_, err := chromedp.Run(tb.ctx, chromedp.Evaluate[*runtime.RemoteObject](src))
	require.NoError(tb.t, err, "injecting axe-core")
	out, err := chromedp.Run(tb.ctx, chromedp.Evaluate[[]string](`axe.run(document, {resultTypes: ["violations"]}).then(function (r) {
  return r.violations.filter(function (v) { return v.impact === "serious" || v.impact === "critical"; })
    .map(function (v) { return v.impact + " " + v.id + ": " + v.nodes.map(function (n) { return n.target.join(" "); }).join(", "); });
})`, chromedp.EvalAwaitPromise))
	require.NoError(tb.t, err, "running axe-core")
	return out
}
