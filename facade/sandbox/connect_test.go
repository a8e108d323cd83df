package sandbox_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/banklink/banklink/facade/sandbox"
	"github.com/banklink/banklink/gen/moneykit"
)

func TestConnectOverHTTP(t *testing.T) {
	sb := sandbox.Start(t)
	c := mkClient(t, sb)
	tok := mkToken(t, c, sb.MoneyKit())
	sessionToken := createSession(t, c, tok, sessionRequest("user-connect"))

	exch, err := sandbox.Connect(context.Background(), nil, sb.MoneyKit().BaseURL, sessionToken, sandbox.ConnectOptions{})
	require.NoError(t, err)
	require.NotEmpty(t, exch)
	res := exchange(t, c, tok, exch)
	require.NotNil(t, res.JSON201)
	assert.Equal(t, moneykit.PublicLinkStateConnected, res.JSON201.Link.State)

	_, err = sandbox.Connect(context.Background(), nil, sb.MoneyKit().BaseURL, sessionToken, sandbox.ConnectOptions{})
	require.ErrorContains(t, err, "HTTP 409", "a session completes once")
	_, err = sandbox.Connect(context.Background(), nil, sb.MoneyKit().BaseURL, "sandbox_unknown", sandbox.ConnectOptions{})
	require.ErrorContains(t, err, "HTTP 404")
	_, err = sandbox.Connect(context.Background(), nil, sb.URL(), sessionToken, sandbox.ConnectOptions{})
	require.ErrorContains(t, err, "/moneykit")
}
