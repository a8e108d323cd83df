package otelbanklink_test

import (
	"fmt"
	"strings"
	"testing"

	"go.opentelemetry.io/otel/attribute"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

// sweep fails the test if any secret appears in any span the rig recorded:
// its name, status, attributes, events, links and resource, and the
// instrumentation scope.
func sweep(t *testing.T, r *rig, secrets []string) {
	t.Helper()
	spans := r.ended()
	if len(spans) == 0 {
		t.Fatal("sweep: no spans recorded")
	}
	for _, s := range spans {
		for _, text := range spanTexts(s) {
			for _, secret := range secrets {
				if secret != "" && strings.Contains(text, secret) {
					// The secret itself is not printed.
					t.Errorf("span %q carries a planted secret (%d bytes) in %q", s.Name(), len(secret), redactAll(text, secrets))
				}
			}
		}
	}
}

func spanTexts(s sdktrace.ReadOnlySpan) []string {
	out := []string{s.Name(), s.Status().Description, s.InstrumentationScope().Name}
	kvs := func(prefix string, list []attribute.KeyValue) {
		for _, kv := range list {
			out = append(out, fmt.Sprintf("%s %s=%s", prefix, kv.Key, kv.Value.Emit()))
		}
	}
	kvs("attr", s.Attributes())
	for _, e := range s.Events() {
		out = append(out, "event "+e.Name)
		kvs("event "+e.Name, e.Attributes)
	}
	for _, l := range s.Links() {
		kvs("link", l.Attributes)
	}
	if res := s.Resource(); res != nil {
		kvs("resource", res.Attributes())
	}
	return out
}

func redactAll(s string, secrets []string) string {
	for _, secret := range secrets {
		if secret != "" {
			s = strings.ReplaceAll(s, secret, "[secret]")
		}
	}
	return s
}
