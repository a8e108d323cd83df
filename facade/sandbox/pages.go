package sandbox

import (
	"bytes"
	"crypto/subtle"
	"embed"
	"encoding/json"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// The customer pages: MoneyKit Connect (connectui.go) and Link Money's
// hosted UI (lmui.go), served by the sandbox itself so that a front end can
// run its whole flow against it, offline. They are server-rendered
// html/template pages with one small script and one style sheet, all
// embedded; every page sends a Content-Security-Policy that allows nothing
// but the sandbox's own origin (no inline script, no inline style), and
// every form post carries a token bound to the flow it belongs to.

//go:embed pages
var pagesFS embed.FS

const (
	connectPath = mkBase + "/connect/"
	lmUIPath    = lmBase + "/ui/"

	// flowTTL is how long a page flow (and the token its forms carry)
	// stays usable after it was opened, on the sandbox clock.
	flowTTL = 30 * time.Minute

	// sessionTTL is how long a MoneyKit link session or a Link Money
	// session can be completed after it was made, on the sandbox clock.
	// Neither provider documents a lifetime (Link Money calls its session
	// keys short-lived): unconfirmed, the page flow's 30 minutes.
	sessionTTL = 30 * time.Minute
)

// pageTemplates are the two providers' pages, each with the shared layout.
var pageTemplates = func() map[string]*template.Template {
	base := template.Must(template.ParseFS(pagesFS, "pages/layout.html"))
	out := map[string]*template.Template{}
	for _, name := range []string{"connect", "linkmoney"} {
		out[name] = template.Must(template.Must(base.Clone()).ParseFS(pagesFS, "pages/"+name+".html"))
	}
	return out
}()

// pagesState holds the flows of the pages, by flow id. Its lock is taken
// before, never while holding, the sandbox's s.mu.
type pagesState struct {
	mu      sync.Mutex
	connect map[string]*connectFlow
	lm      map[string]*lmFlow
}

// uiPage is what the layout renders.
type uiPage struct {
	Provider string // "MoneyKit Connect" or "Link Money"
	Heading  string
	Step     string // the step template to render
	Action   string // where the page's forms post
	Static   string // the path of the embedded assets
	Flow     string
	Token    string
	Error    string // shown above the step, as an alert
	// Origin is the front end's origin, to which Connect posts its
	// messages; Messages is the JSON list it posts when the page loads.
	Origin   string
	Messages string
	// Navigate is an http(s) URL the page opens when it loads (the
	// return to the front end), also offered as a link.
	Navigate string
	// ExitError is the Connect error code the Close button reports.
	ExitError string
	Data      any
}

// cspFor is the Content-Security-Policy of every page: its own origin
// only, no inline script or style, framed by frameAncestors ('none' or
// one origin).
func cspFor(frameAncestors string) string {
	return "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; " +
		"form-action 'self'; base-uri 'none'; frame-ancestors " + frameAncestors
}

// renderPage writes p with the provider's templates and security headers.
func renderPage(w http.ResponseWriter, status int, tmpl string, frameAncestors string, p uiPage) {
	var buf bytes.Buffer
	if err := pageTemplates[tmpl].ExecuteTemplate(&buf, "layout", p); err != nil {
		http.Error(w, "sandbox: rendering the page failed", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Security-Policy", cspFor(frameAncestors))
	if frameAncestors == "'none'" {
		h.Set("X-Frame-Options", "DENY")
	}
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// messagesJSON encodes the messages a Connect page posts to its front end.
func messagesJSON(msgs ...any) string {
	b, err := json.Marshal(msgs)
	if err != nil {
		return "[]"
	}
	return string(b)
}

// registerPages adds the pages' routes.
func (s *Sandbox) registerPages(mux *http.ServeMux) {
	static, err := fs.Sub(pagesFS, "pages/static")
	if err != nil {
		panic(err)
	}
	files := http.FileServerFS(static)
	serveStatic := func(prefix string) http.Handler {
		return http.StripPrefix(prefix, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("X-Content-Type-Options", "nosniff")
			w.Header().Set("Cache-Control", "no-cache")
			files.ServeHTTP(w, r)
		}))
	}
	mux.Handle("GET "+connectPath+"static/", serveStatic(connectPath+"static/"))
	mux.Handle("GET "+lmUIPath+"static/", serveStatic(lmUIPath+"static/"))
	mux.HandleFunc("GET "+connectPath+"connect.js", func(w http.ResponseWriter, r *http.Request) {
		b, _ := pagesFS.ReadFile("pages/connect.js")
		w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		w.Header().Set("Cache-Control", "no-cache")
		_, _ = w.Write(b)
	})
	mux.HandleFunc("GET "+connectPath+"start", s.connectOpen("start"))
	mux.HandleFunc("GET "+connectPath+"relink", s.connectOpen("relink"))
	mux.HandleFunc("GET "+connectPath+"continue", s.connectContinue)
	mux.HandleFunc("POST "+connectPath+"step", s.connectStep)
	mux.HandleFunc("GET "+connectPath+"oauth", s.oauthAuthorize)
	mux.HandleFunc("POST "+connectPath+"oauth", s.oauthDecide)
	mux.HandleFunc("GET "+lmUIPath+"{$}", s.lmOpen)
	mux.HandleFunc("POST "+lmUIPath+"{$}", s.lmStep)
}

// pagesRoot is the sandbox's root URL as the browser reaches it: URL, or,
// for a handler served without SetURL, the request's own host.
func (s *Sandbox) pagesRoot(r *http.Request) string {
	if u := s.URL(); u != "" {
		return u
	}
	if r == nil {
		return ""
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

// webURL parses an absolute http or https URL, refusing every other scheme
// (javascript:, data:) so that no merchant-supplied URL can run script.
func webURL(raw string) (*url.URL, bool) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil {
		return nil, false
	}
	return u, true
}

// webOrigin reads a front end's origin ("https://app.example",
// "http://127.0.0.1:8080"): an http(s) URL with nothing but a host.
func webOrigin(raw string) (string, bool) {
	u, ok := webURL(raw)
	if !ok || (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" ||
		strings.ContainsAny(u.Host, " '\";,") {
		return "", false
	}
	return u.Scheme + "://" + u.Host, true
}

// withQuery returns u with the given query parameters added (kept pairs
// in order, existing parameters kept).
func withQuery(u *url.URL, kv ...string) string {
	c := *u
	q := c.Query()
	for i := 0; i+1 < len(kv); i += 2 {
		q.Set(kv[i], kv[i+1])
	}
	c.RawQuery = q.Encode()
	return c.String()
}

// tokenMatches compares a posted form token with the flow's in constant time.
func tokenMatches(posted, want string) bool {
	return want != "" && subtle.ConstantTimeCompare([]byte(posted), []byte(want)) == 1
}

// flowRand draws the pages' handles from crypto/rand even in a seeded
// sandbox: a form token must not be guessable from the seed.
var flowRand = &idSource{}

// newFlowID and newFlowToken make the opaque handles of a flow: its id
// (in the form and the OAuth state) and the token its forms carry.
func newFlowID() string    { return "flow_" + flowRand.base62(24) }
func newFlowToken() string { return flowRand.base62(32) }

// formValue reads a posted field, at most 512 bytes of it.
func formValue(r *http.Request, name string) string {
	v := r.PostFormValue(name)
	if len(v) > 512 {
		v = v[:512]
	}
	return v
}
