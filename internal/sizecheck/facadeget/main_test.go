package main

import (
	"bytes"
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/banklink/banklink/facade/moneykit"
	"github.com/banklink/banklink/facade/sandbox"
)

// The binary-size benchmark compares two programs that must do the same
// thing: both fetch a link the sandbox created and print its id and state.
func TestFetchesALinkFromTheSandbox(t *testing.T) {
	sb := sandbox.Start(t)
	sb.Setenv(t)
	mk, err := moneykit.New()
	require.NoError(t, err)
	defer mk.CloseIdleConnections()
	ctx := context.Background()
	ls, err := mk.LinkSessions.Create(ctx, moneykit.NewLinkSession("user-42", "https://app.example/oauth"))
	require.NoError(t, err)
	tok, err := sb.CompleteLinkSession(ls.LinkSessionToken, sandbox.ConnectOptions{})
	require.NoError(t, err)
	res, err := mk.LinkSessions.Exchange(ctx, tok)
	require.NoError(t, err)

	var out, errOut bytes.Buffer
	require.Equal(t, 0, run([]string{sb.MoneyKit().BaseURL, res.Link.LinkId}, &out, &errOut), errOut.String())
	assert.Equal(t, res.Link.LinkId+" connected\n", out.String())

	out.Reset()
	assert.Equal(t, 1, run([]string{sb.MoneyKit().BaseURL, "mk_no_such_link"}, &out, &errOut))
	assert.Empty(t, out.String())
}
