//go:build !race

package termsafe

import "testing"

// Allocation counts are meaningful only without the race detector (make test-alloc).
func TestStringCleanInputNoAlloc(t *testing.T) {
	in := "link_error.not_found"
	if n := testing.AllocsPerRun(100, func() { _ = String(in, 0) }); n != 0 {
		t.Fatalf("clean input allocated %v times", n)
	}
}
