package sandbox_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/banklink/banklink/facade/sandbox"
	"github.com/banklink/banklink/gen/linkmoney"
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

func TestPayOverHTTP(t *testing.T) {
	ctx := context.Background()
	sb := sandbox.Start(t)
	lm := sb.LinkMoney()

	key := lmSessionKey(t, sb, true)
	res, err := sandbox.Pay(ctx, nil, lm.BaseURL, key)
	require.NoError(t, err)
	assert.NotEmpty(t, res.CustomerID)
	assert.NotEmpty(t, res.PaymentID, "a LINK_MANAGED_PAYMENT session makes its payment")
	c := lmClient(t, sb)
	rf, err := c.CreateRefundWithResponse(ctx, linkmoney.RefundRequest{PaymentId: res.PaymentID, Amount: amount("25.00"), RequestKey: "rk-pay-refund"},
		lmBearer(lmToken(t, c, linkmoney.TokenScopeLinkPayment)))
	require.NoError(t, err)
	assert.Equal(t, http.StatusCreated, rf.StatusCode(), "the payment exists: %s", rf.Body)

	_, err = sandbox.Pay(ctx, nil, lm.BaseURL, key)
	require.ErrorIs(t, err, sandbox.ErrSessionCompleted, "a session completes once")
	require.ErrorContains(t, err, "HTTP 409")
	assert.NotContains(t, err.Error(), "sandbox: sandbox", "one prefix")

	_, err = sandbox.Pay(ctx, nil, lm.BaseURL, "no-such-session")
	require.ErrorIs(t, err, sandbox.ErrUnknownSession)
	require.ErrorContains(t, err, "HTTP 404")

	plain, err := sandbox.Pay(ctx, nil, lm.BaseURL+"/", lmSessionKey(t, sb, false))
	require.NoError(t, err)
	assert.NotEmpty(t, plain.CustomerID)
	assert.Empty(t, plain.PaymentID, "a session without paymentDetails makes no payment")

	_, err = sandbox.Pay(ctx, nil, sb.MoneyKit().BaseURL, key)
	require.ErrorContains(t, err, "/linkmoney")
}

// lmSessionKey creates a Link Money session, LINK_MANAGED_PAYMENT of 25.00 when managed.
func lmSessionKey(t *testing.T, sb *sandbox.Sandbox, managed bool) string {
	t.Helper()
	req := lmSessionRequest()
	if managed {
		req.ExperienceId = linkmoney.ExperienceIDLINKMANAGEDPAYMENT
		req.PaymentDetails = linkmoney.PaymentDetails{Amount: amount("25.00"), RequestKey: "rk-pay-" + t.Name()}
	}
	res, err := lmClient(t, sb).CreateSessionWithResponse(context.Background(), req, basicOK())
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, res.StatusCode(), string(res.Body))
	return res.JSON200.SessionKey
}
