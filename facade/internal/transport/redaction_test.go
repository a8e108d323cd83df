package transport_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/banklink/banklink/facade"
	"github.com/banklink/banklink/facade/linkmoney"
	"github.com/banklink/banklink/facade/moneykit"
)

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestNoSecretsOrPIIInLogsOrErrors(t *testing.T) {
	const (
		email  = "jane.private@example.com"
		phone  = "+15555550123"
		first  = "Janeprivate"
		last   = "Doeprivate"
		street = "1 Secret Street"
		userID = "user-jane.private@example.com"
	)
	secrets := []string{testClientSecret, "tok-", base64.StdEncoding.EncodeToString([]byte(testClientID + ":" + testClientSecret)),
		email, phone, first, last, street, userID, "Authorization", "Bearer", "Basic "}

	f := newFakeAPI(t)
	f.handle("POST /link-session", sequence(
		jsonReply(401, `{"error_code":"api_error.auth.expired_access_token","error_message":"Access token expired"}`),
		jsonReply(201, `{"link_session_token":"lst"}`)))
	f.handle("POST /link-session/exchange-token", jsonReply(400, `{"error_code":"link_session_error.invalid_token_exchange","error_message":"Invalid token for link."}`))
	f.handle("GET /users/"+userID+"/links", sequence(jsonReply(503, `{}`), jsonReply(200, `{"links":{}}`)))
	f.handle("PATCH /links/mk_1", jsonReply(200, linkJSON))
	f.handle("POST /v2/sessions", sequence(jsonReply(500, `{"errorCode":"INTERNAL_SERVER_ERROR","errorMessage":"Please reach out to Support"}`)))
	f.handle("POST /v1/payments", sequence(jsonReply(503, `{}`), jsonReply(200, `{"paymentId":"p1","paymentStatus":"PENDING"}`)))
	f.handle("GET /v1/customers/c1", jsonReply(200, `{"id":"c1","firstName":"`+first+`","email":"`+email+`"}`))

	var buf syncBuffer
	logger := slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	mk := f.moneyKit(facade.WithLogger(logger))
	lm := f.linkMoney(facade.WithLogger(logger))
	ctx := context.Background()
	var errs []error
	keep := func(err error) {
		if err != nil {
			errs = append(errs, err)
		}
	}

	_, err := mk.LinkSessions.Create(ctx, moneykit.NewLinkSession(userID, "https://app.example/oauth", moneykit.WithCustomerEmail(email), moneykit.WithCustomerPhone(phone)))
	require.NoError(t, err)
	_, err = mk.LinkSessions.Exchange(ctx, "exchangeable-"+email)
	require.Error(t, err)
	keep(err)
	_, err = mk.Users.Links(ctx, userID)
	require.NoError(t, err)
	_, err = mk.Links.Update(ctx, "mk_1", moneykit.NewLinkUpdate(moneykit.SetWebhook("https://hooks.example/"+email)))
	require.NoError(t, err)
	_, err = lm.Sessions.Create(ctx, linkmoney.NewSession(linkmoney.SessionCustomer{FirstName: first, LastName: last, Email: email, Phone: phone}, "https://m.example/r",
		linkmoney.WithBillingAddress(linkmoney.Address{StreetAddress: street, City: "Springfield", StateOrProvince: "IL", Country: "US"})))
	require.Error(t, err)
	keep(err)
	_, err = lm.Payments.Create(ctx, linkmoney.NewPayment("c1", "m1", linkmoney.USD(100)))
	require.NoError(t, err)
	_, err = lm.Customers.Get(ctx, "c1")
	require.NoError(t, err)

	// A transport failure and a validation failure carrying PII.
	dead, err := moneykit.New(facade.WithCredentials(testClientID, testClientSecret), facade.WithBaseURL("http://"+closedAddr(t)), facade.WithLogger(logger), facade.WithWait((&waits{}).wait))
	require.NoError(t, err)
	_, err = dead.Users.Links(ctx, userID)
	require.Error(t, err)
	keep(err)
	_, err = lm.Sessions.Create(ctx, linkmoney.NewSession(linkmoney.SessionCustomer{FirstName: first, LastName: last, Email: "not-an-email " + email}, "relative/"+street))
	keep(err)

	logs := buf.String()
	require.Contains(t, logs, `"path":"/link-session"`)
	require.Contains(t, logs, `"path":"/users/{id}/links"`)
	require.Contains(t, logs, `"status":503`)
	require.Contains(t, logs, `"decision":"retry"`)
	require.Contains(t, logs, `"attempt":2`)
	require.Contains(t, logs, "refreshing")
	for _, s := range secrets {
		assert.NotContains(t, logs, s, "log leaks %q", s)
		for _, e := range errs {
			assert.NotContains(t, e.Error(), s, "error %q leaks %q", e.Error(), s)
		}
	}
	assert.Len(t, errs, 4)
}

func TestNoLoggingByDefault(t *testing.T) {
	f := newFakeAPI(t)
	f.handle("GET /links/mk_1", jsonReply(200, linkJSON))
	var buf syncBuffer
	slog.SetDefault(slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug})))
	defer slog.SetDefault(slog.New(slog.NewTextHandler(&bytes.Buffer{}, nil)))
	_, err := f.moneyKit().Links.Get(context.Background(), "mk_1")
	require.NoError(t, err)
	assert.Empty(t, buf.String())
	// A logger above debug level costs nothing and writes nothing.
	_, err = f.moneyKit(facade.WithLogger(slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelInfo})))).Links.Get(context.Background(), "mk_1")
	require.NoError(t, err)
	assert.Empty(t, buf.String())
}

func TestRedactedRequestInError(t *testing.T) {
	f := newFakeAPI(t)
	f.handle("POST /v2/sessions", jsonReply(400, `{"errorCode":"BAD"}`))
	_, err := f.linkMoney().Sessions.Create(context.Background(), linkmoney.NewSession(linkmoney.SessionCustomer{FirstName: "A", LastName: "B", Email: "a@example.com"}, "https://m.example/r"))
	var apiErr *facade.Error
	require.ErrorAs(t, err, &apiErr)
	req := apiErr.Response.Request
	assert.Equal(t, "REDACTED", req.Header.Get("Authorization"))
	assert.Nil(t, req.Body)
	assert.Nil(t, req.GetBody)
	assert.True(t, strings.HasSuffix(req.URL.Path, "/v2/sessions"))
	_ = http.MethodPost
}
