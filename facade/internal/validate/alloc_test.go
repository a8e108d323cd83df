//go:build !race

package validate

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Allocation counts mean nothing under -race (sync.Pool drops items at
// random), so this test is built only without it; `make check` runs the
// allocation tests in a second pass without -race.
func TestBodyValidDoesNotAllocate(t *testing.T) {
	for _, bb := range validBenchBodies(t) {
		require.Nil(t, bb.rules.Body(bb.op, bb.body), bb.name)
		allocs := testing.AllocsPerRun(200, func() { bb.rules.Body(bb.op, bb.body) })
		assert.LessOrEqual(t, allocs, float64(maxValidAllocs), "%s: %v allocs per valid body", bb.name, allocs)
	}
}
