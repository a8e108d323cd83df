package testkit

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/banklink/banklink/facade"
)

// CheckRefusedBeforeSending requires err to be a *facade.ValidationError
// (facade.ErrInvalidRequest) whose message says nothing was sent and names
// each of want (paths and rules) and the rule of every violation, and
// requires f to have received nothing, not even a token request.
func CheckRefusedBeforeSending(t testing.TB, f *FakeAPI, err error, want ...string) {
	t.Helper()
	require.ErrorIs(t, err, facade.ErrInvalidRequest)
	var ve *facade.ValidationError
	require.True(t, errors.As(err, &ve), "%v is no *facade.ValidationError", err)
	require.NotEmpty(t, ve.Violations)
	msg := err.Error()
	assert.Contains(t, msg, "nothing was sent")
	for _, w := range want {
		assert.Contains(t, msg, w)
	}
	for _, v := range ve.Violations {
		assert.Contains(t, msg, v.Rule)
	}
	assert.Zero(t, f.RequestsSeen(), "nothing sent, not even a token request")
}

// Refusal is a call that breaks the spec, and the paths and rules its
// error must name.
type Refusal[C any] struct {
	Name  string
	Call  func(c C) error
	Rules []string
}

// CheckRefusals runs each refusal, as a subtest of its name, with a client
// (built by newClient) of a fresh FakeAPI, and checks it with
// CheckRefusedBeforeSending.
func CheckRefusals[C interface{ CloseIdleConnections() }](t *testing.T, newClient func(...facade.Option) (C, error), refusals []Refusal[C]) {
	t.Helper()
	for _, r := range refusals {
		t.Run(r.Name, func(t *testing.T) {
			f := NewProviderAPI(t, newClient)
			CheckRefusedBeforeSending(t, f.FakeAPI, r.Call(f.Client()), r.Rules...)
		})
	}
}
