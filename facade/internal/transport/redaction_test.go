package transport_test

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/banklink/banklink/facade"
	"github.com/banklink/banklink/facade/linkmoney"
	"github.com/banklink/banklink/facade/moneykit"
	"github.com/banklink/banklink/internal/testkit"
)

func TestNoSecretsOrPIIInLogsOrErrors(t *testing.T) {
	cust := testkit.PlantedCustomer
	secrets := append(testkit.PlantedCredentials(), cust.Email, cust.Phone, cust.FirstName, cust.LastName, cust.Street, cust.UserID, "Authorization", "Bearer", "Basic ")

	f := newFakeAPI(t)
	f.Handle("POST /link-session", sequence(
		testkit.JSONReply(401, `{"error_code":"api_error.auth.expired_access_token","error_message":"Access token expired"}`),
		testkit.JSONReply(201, `{"link_session_token":"lst"}`)))
	f.Handle("POST /link-session/exchange-token", testkit.JSONReply(400, `{"error_code":"link_session_error.invalid_token_exchange","error_message":"Invalid token for link."}`))
	f.Handle("GET /users/"+cust.UserID+"/links", sequence(testkit.JSONReply(503, `{}`), testkit.JSONReply(200, `{"links":{}}`)))
	f.Handle("PATCH /links/mk_1", testkit.JSONReply(200, testkit.LinkJSON))
	f.Handle("POST /v2/sessions", sequence(testkit.JSONReply(500, `{"errorCode":"INTERNAL_SERVER_ERROR","errorMessage":"Please reach out to Support"}`)))
	f.Handle("POST /v1/payments", sequence(testkit.JSONReply(503, `{}`), testkit.JSONReply(200, `{"paymentId":"p1","paymentStatus":"PENDING"}`)))
	f.Handle("GET /v1/customers/c1", testkit.JSONReply(200, `{"id":"c1","firstName":"`+cust.FirstName+`","email":"`+cust.Email+`"}`))

	var buf testkit.SyncBuffer
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

	_, err := mk.LinkSessions.Create(ctx, moneykit.NewLinkSession(cust.UserID, "https://app.example/oauth", moneykit.WithCustomerEmail(cust.Email), moneykit.WithCustomerPhone(cust.Phone)))
	require.NoError(t, err)
	_, err = mk.LinkSessions.Exchange(ctx, "exchangeable-"+cust.Email)
	require.Error(t, err)
	keep(err)
	_, err = mk.Users.Links(ctx, cust.UserID)
	require.NoError(t, err)
	_, err = mk.Links.Update(ctx, "mk_1", moneykit.NewLinkUpdate(moneykit.SetWebhook("https://hooks.example/"+cust.Email)))
	require.NoError(t, err)
	_, err = lm.Sessions.Create(ctx, linkmoney.NewSession(linkmoney.SessionCustomer{FirstName: cust.FirstName, LastName: cust.LastName, Email: cust.Email, Phone: cust.Phone}, "https://m.example/r",
		linkmoney.WithBillingAddress(linkmoney.Address{StreetAddress: cust.Street, City: "Springfield", StateOrProvince: "IL", Country: "US"})))
	require.Error(t, err)
	keep(err)
	_, err = lm.Payments.Create(ctx, linkmoney.NewPayment("c1", "m1", linkmoney.USD(100)))
	require.NoError(t, err)
	_, err = lm.Customers.Get(ctx, "c1")
	require.NoError(t, err)

	// A transport failure and a validation failure carrying PII.
	dead, err := moneykit.New(facade.WithCredentials(testkit.ClientID, testkit.ClientSecret), facade.WithBaseURL("http://"+closedAddr(t)), facade.WithLogger(logger), facade.WithWait((&waits{}).wait))
	require.NoError(t, err)
	_, err = dead.Users.Links(ctx, cust.UserID)
	require.Error(t, err)
	keep(err)
	_, err = lm.Sessions.Create(ctx, linkmoney.NewSession(linkmoney.SessionCustomer{FirstName: cust.FirstName, LastName: cust.LastName, Email: "not-an-email " + cust.Email}, "relative/"+cust.Street))
	keep(err)

	logs := buf.String()
	require.Contains(t, logs, `"path":"/link-session"`)
	require.Contains(t, logs, `"path":"/users/{id}/links"`)
	require.Contains(t, logs, `"status":503`)
	require.Contains(t, logs, `"decision":"retry"`)
	require.Contains(t, logs, `"attempt":2`)
	require.Contains(t, logs, "refreshing")
	testkit.AssertNoLeaks(t, secrets, logs, errs)
	assert.Len(t, errs, 4)
}

func TestNoLoggingByDefault(t *testing.T) {
	f := newFakeAPI(t)
	f.Handle("GET /links/mk_1", testkit.JSONReply(200, testkit.LinkJSON))
	var buf testkit.SyncBuffer
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
	f.Handle("POST /v2/sessions", testkit.JSONReply(400, `{"errorCode":"BAD"}`))
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
