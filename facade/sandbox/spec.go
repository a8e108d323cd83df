package sandbox

import (
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"
	"unicode"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/routers"

	"github.com/banklink/banklink/gen/linkmoney/linkmoneyspec"
	"github.com/banklink/banklink/gen/moneykit/moneykitspec"
)

const (
	provMoneyKit  = "moneykit"
	provLinkMoney = "linkmoney"
	provSandbox   = "sandbox"

	mkBase = "/moneykit"
	lmBase = "/linkmoney"
)

// rateLimit is one entry of an operation's x-banklink-rate-limits.
type rateLimit struct {
	requests int
	per      time.Duration
	key      string // client, app, user or link
}

// opInfo is what the sandbox needs about one spec operation, compiled once.
type opInfo struct {
	provider   string
	id         string // the spec's operationId, e.g. "getLink"
	method     string
	path       string // the spec path, e.g. "/links/{id}"
	pattern    string // the ServeMux pattern the generated router registers
	route      *routers.Route
	hasBody    bool
	hasQuery   bool             // the operation takes query parameters, checked like a body
	bodySchema *openapi3.Schema // JSON body schema, if any
	security   []string         // schemes of the operation's requirement; nil if none is required
	scopes     []string         // OAuth scopes the requirement names
	limits     []rateLimit
	idemKey    string // x-banklink-idempotency-key
	pathParams []pathParam
}

type pathParam struct {
	name   string
	schema *openapi3.Schema
}

// compiledSpec is the operation table of both providers.
type compiledSpec struct {
	byPattern map[string]*opInfo
	byID      map[string]*opInfo
}

// loadSpec compiles the embedded specs once per process: they are immutable.
var loadSpec = sync.OnceValues(func() (*compiledSpec, error) {
	mk, err := moneykitspec.GetSpec()
	if err != nil {
		return nil, fmt.Errorf("moneykit: %w", err)
	}
	lm, err := linkmoneyspec.GetSpec()
	if err != nil {
		return nil, fmt.Errorf("linkmoney: %w", err)
	}
	cs := &compiledSpec{byPattern: map[string]*opInfo{}, byID: map[string]*opInfo{}}
	if err := cs.add(mk, provMoneyKit, mkBase); err != nil {
		return nil, err
	}
	if err := cs.add(lm, provLinkMoney, lmBase); err != nil {
		return nil, err
	}
	return cs, nil
})

// add compiles the operations of doc tagged with provider.
func (cs *compiledSpec) add(doc *openapi3.T, provider, base string) error {
	for _, path := range doc.Paths.InMatchingOrder() {
		item := doc.Paths.Value(path)
		for method, op := range item.Operations() {
			if !hasTag(op, provider) {
				continue
			}
			info := &opInfo{
				provider: provider,
				id:       op.OperationID,
				method:   method,
				path:     path,
				pattern:  method + " " + base + path,
				route:    &routers.Route{Spec: doc, Path: path, PathItem: item, Method: method, Operation: op},
			}
			for _, p := range op.Parameters {
				if p.Value != nil && p.Value.In == openapi3.ParameterInQuery {
					info.hasQuery = true
				}
			}
			if rb := op.RequestBody; rb != nil && rb.Value != nil {
				info.hasBody = true
				if mt := rb.Value.Content.Get("application/json"); mt != nil && mt.Schema != nil {
					info.bodySchema = mt.Schema.Value
				}
			}
			if op.Security != nil {
				for _, req := range *op.Security {
					if len(req) == 0 {
						// An empty requirement makes authentication optional.
						info.security, info.scopes = nil, nil
						break
					}
					if info.security == nil {
						for name, scopes := range req {
							info.security = append(info.security, name)
							info.scopes = append(info.scopes, scopes...)
						}
						sort.Strings(info.security)
					}
				}
			}
			limits, err := parseRateLimits(op.Extensions["x-banklink-rate-limits"])
			if err != nil {
				return fmt.Errorf("%s: x-banklink-rate-limits: %w", op.OperationID, err)
			}
			info.limits = limits
			if k, ok := op.Extensions["x-banklink-idempotency-key"].(string); ok {
				info.idemKey = k
			}
			params := append(openapi3.Parameters{}, item.Parameters...)
			params = append(params, op.Parameters...)
			for _, p := range params {
				if p.Value != nil && p.Value.In == openapi3.ParameterInPath && p.Value.Schema != nil {
					info.pathParams = append(info.pathParams, pathParam{name: p.Value.Name, schema: p.Value.Schema.Value})
				}
			}
			if _, dup := cs.byID[info.id]; dup {
				return fmt.Errorf("duplicate operationId %q", info.id)
			}
			cs.byID[info.id] = info
			cs.byPattern[info.pattern] = info
		}
	}
	return nil
}

func hasTag(op *openapi3.Operation, tag string) bool {
	for _, t := range op.Tags {
		if t == tag {
			return true
		}
	}
	return false
}

func parseRateLimits(ext any) ([]rateLimit, error) {
	if ext == nil {
		return nil, nil
	}
	list, ok := ext.([]any)
	if !ok {
		return nil, fmt.Errorf("not a list")
	}
	var out []rateLimit
	for _, e := range list {
		m, ok := e.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("entry is not an object")
		}
		n, ok := m["requests"].(float64)
		if !ok || n < 1 {
			return nil, fmt.Errorf("bad requests")
		}
		var per time.Duration
		switch m["per"] {
		case "second":
			per = time.Second
		case "minute":
			per = time.Minute
		case "hour":
			per = time.Hour
		default:
			return nil, fmt.Errorf("bad per %v", m["per"])
		}
		key, _ := m["key"].(string)
		switch key {
		case "client", "app", "user", "link":
		default:
			return nil, fmt.Errorf("bad key %q", key)
		}
		out = append(out, rateLimit{requests: int(n), per: per, key: key})
	}
	return out, nil
}

// normalizeOpID accepts both the spec's operationId ("getLink") and the Go
// method name ("GetLink").
func normalizeOpID(id string) string {
	if id == "" || id == "*" {
		return id
	}
	r := []rune(id)
	r[0] = unicode.ToLower(r[0])
	return string(r)
}

// allowedMethods lists the methods the spec defines for a path under base.
func (cs *compiledSpec) allowedMethods(urlPath string) []string {
	var out []string
	for _, op := range cs.byID {
		if matchPath(op.pattern[len(op.method)+1:], urlPath) {
			out = append(out, op.method)
		}
	}
	sort.Strings(out)
	return out
}

// matchPath matches a ServeMux-style path pattern with {wildcards} against a path.
func matchPath(pattern, path string) bool {
	ps := strings.Split(pattern, "/")
	xs := strings.Split(path, "/")
	if len(ps) != len(xs) {
		return false
	}
	for i := range ps {
		if strings.HasPrefix(ps[i], "{") {
			if xs[i] == "" {
				return false
			}
			continue
		}
		if ps[i] != xs[i] {
			return false
		}
	}
	return true
}
