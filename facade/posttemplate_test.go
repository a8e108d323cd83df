package facade

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/banklink/banklink/gen/linkmoney"
	"github.com/banklink/banklink/gen/moneykit"
)

// TestPostTemplateMatchesBuilder: a request made from a client's
// postTemplate is the one the generated builder makes, apart from carrying
// the caller's context.
func TestPostTemplateMatchesBuilder(t *testing.T) {
	for _, base := range []string{"http://127.0.0.1:4010", "https://api.example.com/v/prefix%2Fx/"} {
		mk, err := NewMoneyKit(WithCredentials("id", "secret"), WithBaseURL(base))
		require.NoError(t, err)
		lm, err := NewLinkMoney(WithCredentials("id", "secret"), WithBaseURL(base))
		require.NoError(t, err)
		for _, tc := range []struct {
			c     *client
			op    opIndex
			build func(server string, body io.Reader) (*http.Request, error)
		}{
			{mk.c, int(moneykit.OpCreateLinkSession), func(s string, b io.Reader) (*http.Request, error) {
				return moneykit.NewCreateLinkSessionRequestWithBody(s, nil, contentJSON, b)
			}},
			{mk.c, int(moneykit.OpExchangeToken), func(s string, b io.Reader) (*http.Request, error) {
				return moneykit.NewExchangeTokenRequestWithBody(s, nil, contentJSON, b)
			}},
			{lm.c, int(linkmoney.OpCreateSession), func(s string, b io.Reader) (*http.Request, error) {
				return linkmoney.NewCreateSessionRequestWithBody(s, contentJSON, b)
			}},
			{lm.c, int(linkmoney.OpCreatePayment), func(s string, b io.Reader) (*http.Request, error) {
				return linkmoney.NewCreatePaymentRequestWithBody(s, contentJSON, b)
			}},
			{lm.c, int(linkmoney.OpCreateRefund), func(s string, b io.Reader) (*http.Request, error) {
				return linkmoney.NewCreateRefundRequestWithBody(s, contentJSON, b)
			}},
		} {
			body := []byte(`{"a":1}`)
			want, err := tc.build(tc.c.baseURL, bytes.NewReader(body))
			require.NoError(t, err)
			type key struct{}
			ctx := context.WithValue(context.Background(), key{}, "v")
			got, err := tc.c.posts[tc.op].request(ctx, bytes.NewReader(body))
			require.NoError(t, err)
			name := base + " " + tc.c.op(tc.op).id
			assert.Equal(t, want.Method, got.Method, name)
			assert.Equal(t, want.URL, got.URL, name)
			assert.Equal(t, want.Host, got.Host, name)
			assert.Equal(t, want.Header, got.Header, name)
			assert.Equal(t, want.ContentLength, got.ContentLength, name)
			assert.Equal(t, "v", got.Context().Value(key{}), name)
			require.NotNil(t, got.GetBody, name)
			rb, err := got.GetBody()
			require.NoError(t, err)
			replay, _ := io.ReadAll(rb)
			assert.Equal(t, body, replay, name)
		}
	}
}
