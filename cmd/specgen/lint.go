package main

import (
	"slices"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"
)

// httpMethods are the operation keys of an OpenAPI path item.
var httpMethods = []string{"get", "put", "post", "delete", "options", "head", "patch", "trace"}

// retryClasses are the allowed values of x-banklink-retry. They tell the
// banklink client whether it may retry an operation on its own:
//
//   - safe: no side effects, retry freely;
//   - idempotency-key: retry only with the same idempotency key, which is
//     the request body property named by x-banklink-idempotency-key;
//   - single-use: the request consumes a one-time credential, never retry;
//   - unsafe: has side effects and no idempotency support, never retry.
var retryClasses = []string{"safe", "idempotency-key", "single-use", "unsafe"}

// literalKeys hold example or enumeration data, never references.
var literalKeys = map[string]bool{"example": true, "enum": true, "const": true}

// nameMapKeys hold maps whose keys are user-chosen names rather than OpenAPI
// keywords, so a property called "example" is not mistaken for one.
var nameMapKeys = map[string]bool{
	"properties": true, "patternProperties": true, "schemas": true, "responses": true,
	"parameters": true, "headers": true, "requestBodies": true, "securitySchemes": true,
	"links": true, "callbacks": true, "paths": true, "content": true, "$defs": true,
	"encoding": true, "pathItems": true, "webhooks": true,
}

// linter applies banklink's own rules to the YAML tree of a spec.
type linter struct {
	*spec
	findings []Finding
	// providers maps each provider tag to the resolved JSON pointer of its
	// error schema, as declared in x-banklink-providers.
	providers map[string]string
	// dangling holds every local $ref that does not resolve.
	dangling map[string]bool
}

// lint runs all of banklink's own rules and returns the findings.
func lint(s *spec) *linter {
	l := &linter{spec: s, providers: map[string]string{}, dangling: map[string]bool{}}
	l.readProviders()
	l.checkRefs(s.root, "", false, map[*yaml.Node]bool{})
	l.checkOperations()
	l.checkDescriptions()
	l.checkExtensionKeys(s.root, "", map[*yaml.Node]bool{})
	return l
}

func (l *linter) add(ptr, format string, args ...any) {
	l.findings = append(l.findings, l.finding(ptr, format, args...))
}

// providerNames lists the declared provider tags, sorted, for messages.
func (l *linter) providerNames() string {
	names := make([]string, 0, len(l.providers))
	for n := range l.providers {
		names = append(names, n)
	}
	sort.Strings(names)
	return strings.Join(names, ", ")
}

// readProviders reads the top-level x-banklink-providers map.
func (l *linter) readProviders() {
	const ptr = "/x-banklink-providers"
	pv := get(l.root, "x-banklink-providers")
	if pv == nil {
		l.add("", "spec has no top-level x-banklink-providers map (provider tag -> errorSchema)")
		return
	}
	if !isMap(pv) || len(pv.Content) == 0 {
		l.add(ptr, "x-banklink-providers must be a non-empty map of provider tag -> {errorSchema: $ref}")
		return
	}
	for _, e := range entries(pv) {
		name, p := e[0].Value, join(ptr, e[0].Value)
		ref := str(e[1], "errorSchema")
		if ref == "" {
			l.add(p, "provider %q has no errorSchema", name)
			continue
		}
		target, tptr := l.resolveRef(ref)
		if target == nil || !strings.HasPrefix(tptr, "/components/schemas/") {
			l.add(join(p, "errorSchema"), "errorSchema %q of provider %q does not resolve to a component schema", ref, name)
			continue
		}
		l.providers[name] = tptr
	}
}

// checkRefs reports every $ref that is external or does not resolve.
// nameMap is true when n's keys are names rather than OpenAPI keywords.
func (l *linter) checkRefs(n *yaml.Node, ptr string, nameMap bool, onPath map[*yaml.Node]bool) {
	n = deref(n)
	if n == nil || onPath[n] {
		return
	}
	onPath[n] = true
	defer delete(onPath, n)
	switch n.Kind {
	case yaml.SequenceNode:
		for i, it := range n.Content {
			l.checkRefs(it, join(ptr, itoa(i)), false, onPath)
		}
	case yaml.MappingNode:
		for _, e := range entries(n) {
			key, v, vptr := e[0].Value, e[1], join(ptr, e[0].Value)
			if !nameMap {
				switch {
				case key == "$ref":
					l.checkRef(v, vptr)
					continue
				case strings.HasPrefix(key, "x-") || literalKeys[key]:
					continue
				case key == "examples":
					// Media type and parameter examples are Example
					// Objects that may be references; their values and
					// 3.1 schema examples are data.
					for _, ex := range entries(v) {
						if r := get(ex[1], "$ref"); r != nil {
							l.checkRef(r, join(vptr, ex[0].Value, "$ref"))
						}
					}
					continue
				}
			}
			l.checkRefs(v, vptr, !nameMap && nameMapKeys[key] && isMap(v), onPath)
		}
	}
}

// checkRef checks one $ref value located at ptr.
func (l *linter) checkRef(v *yaml.Node, ptr string) {
	if v.Kind != yaml.ScalarNode || v.Value == "" {
		l.add(ptr, "$ref must be a non-empty string")
		return
	}
	ref := v.Value
	if !strings.HasPrefix(ref, "#") {
		l.add(ptr, "$ref %q points outside the spec; the spec must be self-contained", ref)
		return
	}
	if target, _ := l.resolveRef(ref); target == nil {
		l.dangling[ref] = true
		l.add(ptr, "$ref %q does not resolve within the spec", ref)
	}
}

// follow resolves a chain of $refs starting at n (located at ptr). It
// returns the first node without a $ref and its pointer, or nil when a
// reference dangles or loops.
func (l *linter) follow(n *yaml.Node, ptr string) (*yaml.Node, string) {
	for range 32 {
		ref := str(n, "$ref")
		if ref == "" {
			return n, ptr
		}
		if n, ptr = l.resolveRef(ref); n == nil {
			return nil, ""
		}
	}
	return nil, ""
}

// operation is one operation of the spec.
type operation struct {
	node *yaml.Node
	ptr  string
}

// operations lists every operation in document order.
func (l *linter) operations() []operation {
	var ops []operation
	for _, pe := range entries(get(l.root, "paths")) {
		item, _ := l.follow(pe[1], join("/paths", pe[0].Value))
		for _, me := range entries(item) {
			if slices.Contains(httpMethods, me[0].Value) && isMap(me[1]) {
				ops = append(ops, operation{me[1], join("/paths", pe[0].Value, me[0].Value)})
			}
		}
	}
	return ops
}

// checkOperations applies the per-operation rules.
func (l *linter) checkOperations() {
	for _, op := range l.operations() {
		if str(op.node, "operationId") == "" {
			l.add(op.ptr, "operation has no operationId")
		}
		if str(op.node, "summary") == "" {
			l.add(op.ptr, "operation has no summary")
		}
		if s := get(op.node, "security"); s == nil || s.Tag == "!!null" {
			l.add(op.ptr, "operation does not declare security (write `security: []` for an unauthenticated operation)")
		}
		provider := l.checkProviderTag(op)
		l.checkRetry(op)
		if provider != "" {
			l.checkErrorResponses(op, provider)
		}
	}
}

// checkProviderTag checks that op has exactly one tag and that it is a
// provider tag. It returns the provider, or "" when there is none.
func (l *linter) checkProviderTag(op operation) string {
	tags := items(get(op.node, "tags"))
	switch {
	case len(tags) == 0:
		l.add(op.ptr, "operation has no tags; want exactly one provider tag (one of %s)", l.providerNames())
		return ""
	case len(tags) > 1:
		l.add(join(op.ptr, "tags"), "operation has %d tags; want exactly one provider tag (one of %s)", len(tags), l.providerNames())
		return ""
	}
	tag := tags[0].Value
	if _, ok := l.providers[tag]; !ok {
		l.add(join(op.ptr, "tags", "0"), "tag %q is not a provider tag (one of %s)", tag, l.providerNames())
		return ""
	}
	return tag
}

// checkRetry checks x-banklink-retry and x-banklink-idempotency-key.
func (l *linter) checkRetry(op operation) {
	retry := get(op.node, "x-banklink-retry")
	rptr := join(op.ptr, "x-banklink-retry")
	key := str(op.node, "x-banklink-idempotency-key")
	kptr := join(op.ptr, "x-banklink-idempotency-key")
	switch {
	case retry == nil:
		l.add(op.ptr, "operation has no x-banklink-retry (one of %s)", strings.Join(retryClasses, ", "))
		return
	case !slices.Contains(retryClasses, retry.Value):
		l.add(rptr, "x-banklink-retry %q is not one of %s", retry.Value, strings.Join(retryClasses, ", "))
		return
	case retry.Value != "idempotency-key":
		if has(op.node, "x-banklink-idempotency-key") {
			l.add(kptr, "x-banklink-idempotency-key is set but x-banklink-retry is %q, not idempotency-key", retry.Value)
		}
		return
	case key == "":
		l.add(rptr, "x-banklink-retry: idempotency-key requires x-banklink-idempotency-key naming a request body property")
		return
	}
	props, schemaPtr, ok := l.requestBodyProperties(op)
	if !ok {
		l.add(kptr, "x-banklink-idempotency-key %q: operation has no application/json request body schema", key)
		return
	}
	if !props[key] {
		l.add(kptr, "x-banklink-idempotency-key %q is not a top-level property of the request body schema #%s", key, schemaPtr)
	}
}

// requestBodyProperties returns the top-level property names of op's JSON
// request body schema (including those contributed through allOf) and the
// pointer of that schema.
func (l *linter) requestBodyProperties(op operation) (map[string]bool, string, bool) {
	body, bptr := l.follow(get(op.node, "requestBody"), join(op.ptr, "requestBody"))
	schema := get(get(get(body, "content"), "application/json"), "schema")
	if schema == nil {
		return nil, "", false
	}
	schema, sptr := l.follow(schema, join(bptr, "content", "application/json", "schema"))
	if schema == nil {
		return nil, "", false
	}
	props := map[string]bool{}
	var collect func(n *yaml.Node, ptr string, depth int)
	collect = func(n *yaml.Node, ptr string, depth int) {
		if n, ptr = l.follow(n, ptr); n == nil || depth > 16 {
			return
		}
		for _, e := range entries(get(n, "properties")) {
			props[e[0].Value] = true
		}
		for i, it := range items(get(n, "allOf")) {
			collect(it, join(ptr, "allOf", itoa(i)), depth+1)
		}
	}
	collect(schema, sptr, 0)
	return props, sptr, true
}

// checkErrorResponses checks that every 4xx and 5xx response of op uses its
// provider's error schema.
func (l *linter) checkErrorResponses(op operation, provider string) {
	errPtr := l.providers[provider]
	for _, e := range entries(get(op.node, "responses")) {
		code := e[0].Value
		if !isErrorStatus(code) {
			continue
		}
		rptr := join(op.ptr, "responses", code)
		resp, tptr := l.follow(e[1], rptr)
		if resp == nil {
			continue // the dangling $ref is reported by checkRefs
		}
		via := ""
		if tptr != rptr {
			via = " (#" + tptr + ")"
		}
		schema := get(get(get(resp, "content"), "application/json"), "schema")
		if schema == nil {
			l.add(rptr, "error response %s%s has no application/json schema; want $ref #%s", code, via, errPtr)
			continue
		}
		if !l.derivesFrom(str(schema, "$ref"), errPtr, 0) {
			at := join(tptr, "content", "application/json", "schema")
			if via != "" {
				at = rptr // the provider is a property of the operation
			}
			l.add(at, "error response %s%s schema must be $ref #%s or $ref a component schema whose allOf includes it (or a oneOf of such schemas)", code, via, errPtr)
		}
	}
}

// derivesFrom reports whether ref is the error schema at errPtr, or names a
// schema whose allOf (transitively) references it.
func (l *linter) derivesFrom(ref, errPtr string, depth int) bool {
	if ref == "" || depth > 16 {
		return false
	}
	target, tptr := l.resolveRef(ref)
	if target == nil {
		return false
	}
	if tptr == errPtr {
		return true
	}
	if r := str(target, "$ref"); r != "" {
		return l.derivesFrom(r, errPtr, depth+1)
	}
	for _, it := range items(get(target, "allOf")) {
		if l.derivesFrom(str(it, "$ref"), errPtr, depth+1) {
			return true
		}
	}
	// A oneOf of error schemas (MoneyKit's 401 bodies) derives from the
	// error schema when every branch does.
	if branches := items(get(target, "oneOf")); len(branches) > 0 {
		for _, it := range branches {
			if !l.derivesFrom(str(it, "$ref"), errPtr, depth+1) {
				return false
			}
		}
		return true
	}
	return false
}

// isErrorStatus reports whether a response key is a 4xx or 5xx status code
// or range ("404", "4XX").
func isErrorStatus(code string) bool {
	if len(code) != 3 || (code[0] != '4' && code[0] != '5') {
		return false
	}
	rest := strings.ToUpper(code[1:])
	if rest == "XX" {
		return true
	}
	return rest[0] >= '0' && rest[0] <= '9' && rest[1] >= '0' && rest[1] <= '9'
}

// checkDescriptions requires a description on every schema property, in
// components and inline in operations.
func (l *linter) checkDescriptions() {
	w := &schemaWalker{l: l, seen: map[*yaml.Node]bool{}}
	comps := get(l.root, "components")
	for _, e := range entries(get(comps, "schemas")) {
		w.schema(e[1], join("/components/schemas", e[0].Value))
	}
	for _, e := range entries(get(comps, "parameters")) {
		w.parameter(e[1], join("/components/parameters", e[0].Value))
	}
	for _, e := range entries(get(comps, "headers")) {
		w.parameter(e[1], join("/components/headers", e[0].Value))
	}
	for _, e := range entries(get(comps, "requestBodies")) {
		w.content(e[1], join("/components/requestBodies", e[0].Value))
	}
	for _, e := range entries(get(comps, "responses")) {
		w.response(e[1], join("/components/responses", e[0].Value))
	}
	for _, pe := range entries(get(l.root, "paths")) {
		pptr := join("/paths", pe[0].Value)
		for i, p := range items(get(pe[1], "parameters")) {
			w.parameter(p, join(pptr, "parameters", itoa(i)))
		}
	}
	for _, op := range l.operations() {
		for i, p := range items(get(op.node, "parameters")) {
			w.parameter(p, join(op.ptr, "parameters", itoa(i)))
		}
		w.content(get(op.node, "requestBody"), join(op.ptr, "requestBody"))
		for _, e := range entries(get(op.node, "responses")) {
			w.response(e[1], join(op.ptr, "responses", e[0].Value))
		}
	}
}

// schemaWalker visits schemas for checkDescriptions. References are not
// followed: their targets are visited where they are defined.
type schemaWalker struct {
	l    *linter
	seen map[*yaml.Node]bool
}

// parameter visits a parameter or header object.
func (w *schemaWalker) parameter(n *yaml.Node, ptr string) {
	if has(n, "$ref") {
		return
	}
	w.schema(get(n, "schema"), join(ptr, "schema"))
	w.content(n, ptr)
}

// response visits a response object: its content and headers.
func (w *schemaWalker) response(n *yaml.Node, ptr string) {
	if has(n, "$ref") {
		return
	}
	w.content(n, ptr)
	for _, e := range entries(get(n, "headers")) {
		w.parameter(e[1], join(ptr, "headers", e[0].Value))
	}
}

// content visits the schemas of the content map of n.
func (w *schemaWalker) content(n *yaml.Node, ptr string) {
	if has(n, "$ref") {
		return
	}
	for _, e := range entries(get(n, "content")) {
		w.schema(get(e[1], "schema"), join(ptr, "content", e[0].Value, "schema"))
	}
}

// schema visits a schema and everything nested in it.
func (w *schemaWalker) schema(n *yaml.Node, ptr string) {
	if !isMap(n) || has(n, "$ref") || w.seen[n] {
		return
	}
	w.seen[n] = true
	for _, e := range entries(get(n, "properties")) {
		pptr := join(ptr, "properties", e[0].Value)
		if !w.described(e[1]) {
			w.l.add(pptr, "property %q has no description", e[0].Value)
		}
		w.schema(e[1], pptr)
	}
	for _, kw := range []string{"items", "not", "additionalProperties"} {
		w.schema(get(n, kw), join(ptr, kw))
	}
	for _, kw := range []string{"allOf", "oneOf", "anyOf", "prefixItems"} {
		for i, it := range items(get(n, kw)) {
			w.schema(it, join(ptr, kw, itoa(i)))
		}
	}
}

// described reports whether a property schema has a description, either
// its own, next to its $ref, or on the schema its $ref chain leads to.
func (w *schemaWalker) described(n *yaml.Node) bool {
	for range 32 {
		if str(n, "description") != "" {
			return true
		}
		ref := str(n, "$ref")
		if ref == "" {
			return false
		}
		if n, _ = w.l.resolveRef(ref); n == nil {
			return true // dangling: reported by checkRefs, not here
		}
	}
	return false
}
