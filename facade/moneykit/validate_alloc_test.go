//go:build !race

package moneykit

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Allocation counts mean nothing under -race, so this runs in the non-race
// pass (make test-alloc).
func TestValidateAllocatesNothingForAValidRequest(t *testing.T) {
	v := NewLinkSession("user-42", "https://app.example/oauth", WithLinkTags("a", "b"))
	require.NoError(t, v.Validate())
	assert.Zero(t, testing.AllocsPerRun(100, func() { _ = v.Validate() }))
}
