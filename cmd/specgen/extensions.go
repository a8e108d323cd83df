package main

import (
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// extensionCheckers lists every x-banklink-* extension banklink reads, with
// the check of its value. Any other x-banklink-* key, and any value a check
// refuses, is a finding: a misspelt extension would otherwise be ignored by
// the generated operation table and validators.
var extensionCheckers = map[string]func(l *linter, v *yaml.Node, ptr string){
	"x-banklink-providers":       func(*linter, *yaml.Node, string) {}, // checked by readProviders
	"x-banklink-retry":           func(*linter, *yaml.Node, string) {}, // checked by checkRetry
	"x-banklink-idempotency-key": func(*linter, *yaml.Node, string) {}, // checked by checkRetry
	"x-banklink-rate-limits":     checkRateLimits,
	"x-banklink-decimal-places":  checkDecimalPlaces,
	"x-banklink-no-query":        checkBoolExt,
	"x-banklink-pii":             checkBoolExt,
	"x-banklink-requires":        checkRequires,
	"x-banklink-documented-format": func(l *linter, v *yaml.Node, ptr string) {
		if v.Kind != yaml.ScalarNode || v.Value == "" {
			l.add(ptr, "x-banklink-documented-format must name a format")
		}
	},
	"x-banklink-unconfirmed": func(l *linter, v *yaml.Node, ptr string) {
		if v.Kind != yaml.ScalarNode || v.Value == "" {
			l.add(ptr, "x-banklink-unconfirmed must say what is unconfirmed")
		}
	},
}

var (
	rateLimitPeriods = []string{"second", "minute", "hour", "day"}
	rateLimitKeys    = []string{"client", "app", "user", "link"}
)

// checkExtensionKeys walks the whole document for x-banklink-* keys.
func (l *linter) checkExtensionKeys(n *yaml.Node, ptr string, onPath map[*yaml.Node]bool) {
	if n == nil || onPath[n] {
		return
	}
	onPath[n] = true
	defer delete(onPath, n)
	switch n.Kind {
	case yaml.SequenceNode:
		for i, it := range n.Content {
			l.checkExtensionKeys(it, join(ptr, itoa(i)), onPath)
		}
	case yaml.MappingNode:
		for _, e := range entries(n) {
			key, v, vptr := e[0].Value, e[1], join(ptr, e[0].Value)
			if strings.HasPrefix(key, "x-banklink-") {
				check, ok := extensionCheckers[key]
				if !ok {
					l.add(vptr, "unknown extension %s (banklink reads %s)", key, strings.Join(knownExtensions(), ", "))
					continue
				}
				check(l, deref(v), vptr)
				continue
			}
			if key == "example" || key == "examples" || key == "enum" {
				continue
			}
			l.checkExtensionKeys(v, vptr, onPath)
		}
	}
}

func knownExtensions() []string {
	names := make([]string, 0, len(extensionCheckers))
	for k := range extensionCheckers {
		names = append(names, k)
	}
	slices.Sort(names)
	return names
}

func checkBoolExt(l *linter, v *yaml.Node, ptr string) {
	if v.Kind != yaml.ScalarNode || (v.Value != "true" && v.Value != "false") {
		l.add(ptr, "%s must be true or false", lastToken(ptr))
	}
}

func checkDecimalPlaces(l *linter, v *yaml.Node, ptr string) {
	n, err := strconv.Atoi(v.Value)
	if v.Kind != yaml.ScalarNode || err != nil || n < 0 {
		l.add(ptr, "x-banklink-decimal-places must be a non-negative integer")
	}
}

func checkRateLimits(l *linter, v *yaml.Node, ptr string) {
	if v.Kind != yaml.SequenceNode || len(v.Content) == 0 {
		l.add(ptr, "x-banklink-rate-limits must be a non-empty list of {requests, per, key}")
		return
	}
	for i, it := range v.Content {
		iptr := join(ptr, itoa(i))
		if !isMap(it) {
			l.add(iptr, "rate limit must be a map {requests, per, key}")
			continue
		}
		for _, e := range entries(it) {
			switch e[0].Value {
			case "requests", "per", "key":
			default:
				l.add(join(iptr, e[0].Value), "rate limit has unknown field %q (requests, per, key)", e[0].Value)
			}
		}
		if n, err := strconv.Atoi(str(it, "requests")); err != nil || n <= 0 {
			l.add(join(iptr, "requests"), "requests must be a positive integer")
		}
		if p := str(it, "per"); !slices.Contains(rateLimitPeriods, p) {
			l.add(join(iptr, "per"), "per %q is not one of %s", p, strings.Join(rateLimitPeriods, ", "))
		}
		if k := str(it, "key"); !slices.Contains(rateLimitKeys, k) {
			l.add(join(iptr, "key"), "key %q is not one of %s", k, strings.Join(rateLimitKeys, ", "))
		}
	}
}

func checkRequires(l *linter, v *yaml.Node, ptr string) {
	if v.Kind != yaml.SequenceNode || len(v.Content) == 0 {
		l.add(ptr, "x-banklink-requires must be a non-empty list of {if, then[, equals]}")
		return
	}
	props := map[string]bool{}
	for _, e := range entries(get(l.lookup(parent(ptr)), "properties")) {
		props[e[0].Value] = true
	}
	for i, it := range v.Content {
		iptr := join(ptr, itoa(i))
		if !isMap(it) {
			l.add(iptr, "rule must be a map {if, then[, equals]}")
			continue
		}
		for _, e := range entries(it) {
			switch e[0].Value {
			case "if", "then", "equals":
			default:
				l.add(join(iptr, e[0].Value), "rule has unknown field %q (if, then, equals)", e[0].Value)
			}
		}
		for _, f := range []string{"if", "then"} {
			name := str(it, f)
			if name == "" {
				l.add(iptr, "rule needs %s", f)
			} else if !props[name] {
				l.add(join(iptr, f), "%s names %q, which is not a property of this schema", f, name)
			}
		}
	}
}

func lastToken(ptr string) string {
	toks := splitPointer(ptr)
	if len(toks) == 0 {
		return ""
	}
	return toks[len(toks)-1]
}
