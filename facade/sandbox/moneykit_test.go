package sandbox_test

import (
	"context"
	"encoding/base64"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/oapi-codegen/nullable"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/banklink/banklink/facade/sandbox"
	"github.com/banklink/banklink/gen/moneykit"
)

func TestMoneyKitTokenCredentials(t *testing.T) {
	sb := sandbox.Start(t)
	c := mkClient(t, sb)
	ctx := context.Background()
	params := &moneykit.CreateAccessTokenParams{MoneyKitVersion: mkVersion}

	t.Run("form", func(t *testing.T) {
		res, err := c.CreateAccessTokenWithFormdataBodyWithResponse(ctx, params, moneykit.CreateAccessTokenRequest{
			ClientId: ptr(sandbox.MoneyKitClientID), ClientSecret: ptr(sandbox.MoneyKitClientSecret),
		})
		require.NoError(t, err)
		require.Equal(t, http.StatusCreated, res.StatusCode())
		assert.NotEmpty(t, res.JSON201.AccessToken)
		assert.Equal(t, "bearer", res.JSON201.TokenType)
		assert.Equal(t, 3600, res.JSON201.ExpiresIn)
	})
	t.Run("basic", func(t *testing.T) {
		res, err := c.CreateAccessTokenWithFormdataBodyWithResponse(ctx, params, moneykit.CreateAccessTokenRequest{
			GrantType: ptr(moneykit.CreateAccessTokenRequestGrantType("client_credentials")),
		}, func(_ context.Context, r *http.Request) error {
			r.SetBasicAuth(sandbox.MoneyKitClientID, sandbox.MoneyKitClientSecret)
			return nil
		})
		require.NoError(t, err)
		assert.Equal(t, http.StatusCreated, res.StatusCode(), string(res.Body))
	})
	t.Run("wrong secret", func(t *testing.T) {
		res, err := c.CreateAccessTokenWithFormdataBodyWithResponse(ctx, params, moneykit.CreateAccessTokenRequest{
			ClientId: ptr(sandbox.MoneyKitClientID), ClientSecret: ptr("nope"),
		})
		require.NoError(t, err)
		require.Equal(t, http.StatusUnauthorized, res.StatusCode())
		assert.Equal(t, moneykit.APIErrorAuthUnauthorizedResponseErrorCode("api_error.auth.unauthorized"), res.JSON401.ErrorCode)
	})
	t.Run("grant type", func(t *testing.T) {
		res, err := c.CreateAccessTokenWithFormdataBodyWithResponse(ctx, params, moneykit.CreateAccessTokenRequest{
			ClientId: ptr(sandbox.MoneyKitClientID), ClientSecret: ptr(sandbox.MoneyKitClientSecret),
			GrantType: ptr(moneykit.CreateAccessTokenRequestGrantType("refresh_token")),
		})
		require.NoError(t, err)
		require.Equal(t, http.StatusBadRequest, res.StatusCode())
		assert.Equal(t, "Invalid grant_type", res.JSON400.ErrorMessage)
		assert.Equal(t, moneykit.APIErrorAuthUnauthorizedResponseErrorCode("api_error.auth.unauthorized"), res.JSON400.ErrorCode)
	})
}

func TestMoneyKitTokenExpiryOnFakeClock(t *testing.T) {
	cfg, _ := fakeClockConfig()
	cfg.TokenTTL = 30 * time.Second
	sb := sandbox.Start(t, cfg)
	c := mkClient(t, sb)
	res, err := c.CreateAccessTokenWithFormdataBodyWithResponse(context.Background(), nil, moneykit.CreateAccessTokenRequest{
		ClientId: ptr(sandbox.MoneyKitClientID), ClientSecret: ptr(sandbox.MoneyKitClientSecret),
	})
	require.NoError(t, err)
	require.Equal(t, 30, res.JSON201.ExpiresIn)
	tok := res.JSON201.AccessToken

	lst := createSession(t, c, tok, sessionRequest("user-expiry"))
	assert.True(t, strings.HasPrefix(lst, "sandbox_"), lst)

	sb.Advance(29 * time.Second)
	createSession(t, c, tok, sessionRequest("user-expiry"))

	sb.Advance(time.Second)
	r2, err := c.CreateLinkSessionWithResponse(context.Background(), nil, sessionRequest("user-expiry"), bearer(tok))
	require.NoError(t, err)
	require.Equal(t, http.StatusUnauthorized, r2.StatusCode())
	expired, err := r2.JSON401.AsAPIErrorAuthExpiredAccessTokenResponse()
	require.NoError(t, err)
	assert.Equal(t, moneykit.APIErrorAuthExpiredAccessTokenResponseErrorCodeApiErrorAuthExpiredAccessToken, expired.ErrorCode)
	assert.Equal(t, "Access token expired", expired.ErrorMessage)

	// A fresh token works again.
	createSession(t, c, mkToken(t, c, sb.MoneyKit()), sessionRequest("user-expiry"))
}

func TestMoneyKitMissingOrUnknownToken(t *testing.T) {
	sb := sandbox.Start(t)
	c := mkClient(t, sb)
	for name, editors := range map[string][]moneykit.RequestEditorFn{
		"missing": nil,
		"unknown": {bearer("mk_sandbox_not_a_token")},
		"basic": {func(_ context.Context, r *http.Request) error {
			r.SetBasicAuth(sandbox.MoneyKitClientID, sandbox.MoneyKitClientSecret)
			return nil
		}},
	} {
		t.Run(name, func(t *testing.T) {
			res, err := c.GetLinkWithResponse(context.Background(), "mk_x", nil, editors...)
			require.NoError(t, err)
			require.Equal(t, http.StatusUnauthorized, res.StatusCode())
			unauth, err := res.JSON401.AsAPIErrorAuthUnauthorizedResponse()
			require.NoError(t, err)
			assert.Equal(t, moneykit.APIErrorAuthUnauthorizedResponseErrorCodeApiErrorAuthUnauthorized, unauth.ErrorCode)
		})
	}
}

func TestMoneyKitVersionHeader(t *testing.T) {
	sb := sandbox.Start(t)
	c := mkClient(t, sb)
	tok := mkToken(t, c, sb.MoneyKit())
	// Absent is fine.
	res, err := c.CreateLinkSessionWithResponse(context.Background(), nil, sessionRequest("user-version"), bearer(tok))
	require.NoError(t, err)
	assert.Equal(t, http.StatusCreated, res.StatusCode())

	bad := moneykit.SupportedVersion("2024-01-01")
	res, err = c.CreateLinkSessionWithResponse(context.Background(), &moneykit.CreateLinkSessionParams{MoneyKitVersion: &bad}, sessionRequest("user-version"), bearer(tok))
	require.NoError(t, err)
	require.Equal(t, http.StatusUnprocessableEntity, res.StatusCode())
	require.NotNil(t, res.JSON422)
	assert.Equal(t, moneykit.APIErrorValidationFailedResponseErrorCode("api_error.request.validation_failed"), res.JSON422.ErrorCode)
	require.Len(t, res.JSON422.ValidationErrors, 1)
	assert.Equal(t, []any{"header", "MoneyKit-Version"}, (res.JSON422.ValidationErrors)[0].Location)
}

func TestMoneyKitLinkFlow(t *testing.T) {
	sb := sandbox.Start(t)
	c := mkClient(t, sb)
	tok := mkToken(t, c, sb.MoneyKit())
	req := sessionRequest("user-flow")
	req.Webhook = "https://app.example/hooks/moneykit"
	req.LinkTags = []string{"checkout"}
	req.Settings = moneykit.LinkSessionSettingOverrides{Products: moneykit.ProductsSettings{
		Transactions: &moneykit.ProductSettings{Required: ptr(true)},
	}}
	lst := createSession(t, c, tok, req)
	assert.True(t, strings.HasPrefix(lst, "sandbox_"))

	exch, err := sb.CompleteLinkSession(lst, sandbox.ConnectOptions{})
	require.NoError(t, err)
	require.NotEmpty(t, exch)

	// Before the exchange the link waits for it.
	ul, err := c.GetUserLinksWithResponse(context.Background(), "user-flow", nil, bearer(tok))
	require.NoError(t, err)
	require.Len(t, ul.JSON200.Links, 1)
	for _, l := range ul.JSON200.Links {
		assert.Equal(t, moneykit.PublicLinkStateAwaitingTokenExchange, l.State)
	}

	res := exchange(t, c, tok, exch)
	require.Equal(t, http.StatusCreated, res.StatusCode(), string(res.Body))
	l := res.JSON201.Link
	assert.Equal(t, l.LinkId, res.JSON201.LinkId)
	assert.Regexp(t, regexp.MustCompile(`^mk_[0-9A-Za-z]{22}$`), l.LinkId)
	assert.Equal(t, moneykit.PublicLinkStateConnected, l.State)
	assert.Equal(t, "instant_bank", l.InstitutionId)
	assert.Equal(t, "Instant Bank", l.InstitutionName)
	assert.Equal(t, "https://app.example/hooks/moneykit", l.Webhook)
	assert.Equal(t, []string{"checkout"}, l.LinkTags)
	assert.False(t, l.Products.Accounts.RefreshedAt.IsZero(), "the accounts product was refreshed at link time")
	assert.False(t, l.Products.Transactions.RefreshedAt.IsZero(), "the transactions product was refreshed at link time")
	assert.True(t, l.Products.Transactions.HasHistory, "has_history is required by MoneyKit's SDKs")
	assert.Contains(t, string(res.Body), `"has_history":true`)
	assert.Zero(t, l.Products.Identity, "an ungranted product decodes as the zero value")
	assert.ElementsMatch(t, []moneykit.Product{"account_numbers", "identity"}, l.AvailableProducts)

	got := getLink(t, c, tok, l.LinkId)
	require.Equal(t, http.StatusOK, got.StatusCode())
	assert.Equal(t, l.LinkId, got.JSON200.LinkId)
	assert.Equal(t, moneykit.PublicLinkStateConnected, got.JSON200.State)

	// The exchangeable token is single-use.
	again := exchange(t, c, tok, exch)
	require.Equal(t, http.StatusBadRequest, again.StatusCode())
	assert.Equal(t, moneykit.LinkSessionErrorInvalidTokenExchangeResponseErrorCode("link_session_error.invalid_token_exchange"), again.JSON400.ErrorCode)

	// A link session completes once.
	_, err = sb.CompleteLinkSession(lst, sandbox.ConnectOptions{})
	assert.ErrorIs(t, err, sandbox.ErrSessionCompleted)
	_, err = sb.CompleteLinkSession("sandbox_unknown", sandbox.ConnectOptions{})
	assert.ErrorIs(t, err, sandbox.ErrUnknownSession)

	ul, err = c.GetUserLinksWithResponse(context.Background(), "user-flow", nil, bearer(tok))
	require.NoError(t, err)
	require.Contains(t, ul.JSON200.Links, l.LinkId)
	assert.Equal(t, moneykit.PublicLinkStateConnected, ul.JSON200.Links[l.LinkId].State)
	empty, err := c.GetUserLinksWithResponse(context.Background(), "user-nobody", nil, bearer(tok))
	require.NoError(t, err)
	assert.Empty(t, empty.JSON200.Links)
}

func TestMoneyKitInstitutions(t *testing.T) {
	sb := sandbox.Start(t)
	c := mkClient(t, sb)
	tok := mkToken(t, c, sb.MoneyKit())

	req := sessionRequest("user-inst")
	req.InstitutionId = "credentials_bank"
	id := newLink(t, sb, c, tok, req, sandbox.ConnectOptions{})
	l := getLink(t, c, tok, id).JSON200
	assert.Equal(t, "Credentials Bank", l.InstitutionName)

	// The user picks the institution when the session names none.
	id = newLink(t, sb, c, tok, sessionRequest("user-inst"), sandbox.ConnectOptions{InstitutionID: "oauth_bank"})
	assert.Equal(t, "OAuth Bank", getLink(t, c, tok, id).JSON200.InstitutionName)

	// But not a different one than the session's.
	lst := createSession(t, c, tok, req)
	_, err := sb.CompleteLinkSession(lst, sandbox.ConnectOptions{InstitutionID: "oauth_bank"})
	assert.Error(t, err)

	for _, inst := range []string{"forbidden", "c7318ff7-257c-490e-8242-03a815b223b7"} {
		req.InstitutionId = inst
		res, err := c.CreateLinkSessionWithResponse(context.Background(), nil, req, bearer(tok))
		require.NoError(t, err)
		require.Equal(t, http.StatusForbidden, res.StatusCode())
		assert.Equal(t, moneykit.LinkSessionErrorForbiddenConfigResponseErrorCode("link_session_error.forbidden_config"), res.JSON403.ErrorCode)
	}
}

func TestMoneyKitReconnect(t *testing.T) {
	sb := sandbox.Start(t)
	c := mkClient(t, sb)
	tok := mkToken(t, c, sb.MoneyKit())
	req := sessionRequest("user-relink")
	req.Webhook = "https://app.example/old"
	req.LinkTags = []string{"old"}
	id := newLink(t, sb, c, tok, req, sandbox.ConnectOptions{})
	require.NoError(t, sb.SetLinkState(id, "error", "auth_expired"))

	// Reconnect without webhook, with new tags: the webhook is removed.
	re := sessionRequest("user-relink")
	re.ExistingLinkId = id
	re.LinkTags = []string{"new"}
	lst := createSession(t, c, tok, re)
	exch, err := sb.CompleteLinkSession(lst, sandbox.ConnectOptions{})
	require.NoError(t, err)
	assert.Empty(t, exch, "a relink returns no exchangeable token")
	l := getLink(t, c, tok, id)
	require.Equal(t, http.StatusOK, l.StatusCode(), string(l.Body))
	assert.Equal(t, moneykit.PublicLinkStateConnected, l.JSON200.State)
	assert.Zero(t, l.JSON200.Webhook)
	assert.Equal(t, []string{"new"}, l.JSON200.LinkTags)

	// Unknown and deleted links cannot be reconnected.
	re.ExistingLinkId = "mk_doesnotexist"
	res, err := c.CreateLinkSessionWithResponse(context.Background(), nil, re, bearer(tok))
	require.NoError(t, err)
	assert.Equal(t, http.StatusForbidden, res.StatusCode())
}

func TestMoneyKitLinkErrors(t *testing.T) {
	sb := sandbox.Start(t)
	c := mkClient(t, sb)
	tok := mkToken(t, c, sb.MoneyKit())
	ctx := context.Background()

	t.Run("not found", func(t *testing.T) {
		res := getLink(t, c, tok, "mk_doesnotexist")
		require.Equal(t, http.StatusNotFound, res.StatusCode())
		assert.Equal(t, moneykit.LinkErrorNotFoundResponseErrorCode("link_error.not_found"), res.JSON404.ErrorCode)
		assert.Equal(t, "Link not found.", res.JSON404.ErrorMessage)
		del, err := c.DeleteLinkWithResponse(ctx, "mk_doesnotexist", nil, bearer(tok))
		require.NoError(t, err)
		assert.Equal(t, http.StatusNotFound, del.StatusCode())
	})
	t.Run("deleted", func(t *testing.T) {
		id := newLink(t, sb, c, tok, sessionRequest("user-del"), sandbox.ConnectOptions{})
		del, err := c.DeleteLinkWithResponse(ctx, id, nil, bearer(tok))
		require.NoError(t, err)
		require.Equal(t, http.StatusNoContent, del.StatusCode())
		res := getLink(t, c, tok, id)
		require.Equal(t, http.StatusOK, res.StatusCode())
		assert.Equal(t, moneykit.PublicLinkStateDeleted, res.JSON200.State)
		del, err = c.DeleteLinkWithResponse(ctx, id, nil, bearer(tok))
		require.NoError(t, err)
		require.Equal(t, http.StatusGone, del.StatusCode())
		assert.Equal(t, moneykit.LinkErrorDeletedResponseErrorCode("link_error.deleted"), del.JSON410.ErrorCode)
		upd, err := c.UpdateLinkWithResponse(ctx, id, nil, moneykit.UpdateLinkRequest{LinkTags: &moneykit.LinkTags{"x"}}, bearer(tok))
		require.NoError(t, err)
		assert.Equal(t, http.StatusGone, upd.StatusCode())
		ul, err := c.GetUserLinksWithResponse(ctx, "user-del", nil, bearer(tok))
		require.NoError(t, err)
		assert.NotContains(t, ul.JSON200.Links, id)
	})
	t.Run("bad state", func(t *testing.T) {
		id := newLink(t, sb, c, tok, sessionRequest("user-bad"), sandbox.ConnectOptions{FailWith: "invalid_credentials"})
		res := getLink(t, c, tok, id)
		require.Equal(t, http.StatusUnprocessableEntity, res.StatusCode())
		bad, err := res.JSON422.AsLinkErrorBadStateResponse()
		require.NoError(t, err)
		assert.Equal(t, moneykit.LinkErrorBadStateResponseErrorCode("link_error.bad_state"), bad.ErrorCode)
		assert.Equal(t, "invalid_credentials", bad.LinkErrorCode)

		require.NoError(t, sb.SetLinkState(id, "connected", ""))
		assert.Equal(t, http.StatusOK, getLink(t, c, tok, id).StatusCode())
		require.NoError(t, sb.SetLinkState(id, "error", "auth_expired"))
		bad, err = getLink(t, c, tok, id).JSON422.AsLinkErrorBadStateResponse()
		require.NoError(t, err)
		assert.Equal(t, "auth_expired", bad.LinkErrorCode)
		assert.Error(t, sb.SetLinkState(id, "error", ""))
		assert.Error(t, sb.SetLinkState(id, "sleeping", ""))
		assert.ErrorIs(t, sb.SetLinkState("mk_nope", "connected", ""), sandbox.ErrUnknownLink)
	})
	t.Run("accounts denied", func(t *testing.T) {
		id := newLink(t, sb, c, tok, sessionRequest("user-deny"), sandbox.ConnectOptions{DenyProducts: []string{"accounts"}})
		res := getLink(t, c, tok, id)
		require.Equal(t, http.StatusForbidden, res.StatusCode())
		assert.Equal(t, moneykit.LinkErrorForbiddenActionResponseErrorCode("link_error.forbidden_action"), res.JSON403.ErrorCode)
		assert.Equal(t, "Accounts access not permitted", res.JSON403.ErrorMessage)
		// Denying another product only leaves it out.
		id = newLink(t, sb, c, tok, sessionRequest("user-deny"), sandbox.ConnectOptions{DenyProducts: []string{"identity"}})
		assert.Equal(t, http.StatusOK, getLink(t, c, tok, id).StatusCode())
	})
	t.Run("other application", func(t *testing.T) {
		id := newLink(t, sb, c, tok, sessionRequest("user-other"), sandbox.ConnectOptions{})
		other := mkToken(t, c, sb.MoneyKitOtherApp())
		res := getLink(t, c, other, id)
		require.Equal(t, http.StatusUnauthorized, res.StatusCode())
		access, err := res.JSON401.AsLinkErrorUnauthorizedAccessResponse()
		require.NoError(t, err)
		assert.Equal(t, moneykit.LinkErrorUnauthorizedAccessResponseErrorCodeLinkErrorUnauthorizedAccess, access.ErrorCode)
		ul, err := c.GetUserLinksWithResponse(ctx, "user-other", nil, bearer(other))
		require.NoError(t, err)
		assert.Empty(t, ul.JSON200.Links)

		// Another application's exchangeable token does not exchange.
		lst := createSession(t, c, tok, sessionRequest("user-other"))
		exch, err := sb.CompleteLinkSession(lst, sandbox.ConnectOptions{})
		require.NoError(t, err)
		assert.Equal(t, http.StatusBadRequest, exchange(t, c, other, exch).StatusCode())
		assert.Equal(t, http.StatusCreated, exchange(t, c, tok, exch).StatusCode())
	})
}

func TestMoneyKitUpdateLink(t *testing.T) {
	sb := sandbox.Start(t)
	c := mkClient(t, sb)
	tok := mkToken(t, c, sb.MoneyKit())
	ctx := context.Background()
	req := sessionRequest("user-patch")
	req.Webhook = "https://app.example/a"
	id := newLink(t, sb, c, tok, req, sandbox.ConnectOptions{})

	// Tags only: the webhook stays.
	res, err := c.UpdateLinkWithResponse(ctx, id, nil, moneykit.UpdateLinkRequest{LinkTags: &moneykit.LinkTags{"t1", "t2"}}, bearer(tok))
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, res.StatusCode(), string(res.Body))
	assert.Equal(t, "https://app.example/a", res.JSON200.Webhook)
	assert.Equal(t, []string{"t1", "t2"}, res.JSON200.LinkTags)

	// A new webhook.
	res, err = c.UpdateLinkWithResponse(ctx, id, nil, moneykit.UpdateLinkRequest{Webhook: nullable.NewNullableWithValue("https://app.example/b")}, bearer(tok))
	require.NoError(t, err)
	assert.Equal(t, "https://app.example/b", res.JSON200.Webhook)

	// An explicit null removes it.
	res, err = c.UpdateLinkWithResponse(ctx, id, nil, moneykit.UpdateLinkRequest{Webhook: nullable.NewNullNullable[string]()}, bearer(tok))
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, res.StatusCode(), string(res.Body))
	assert.Zero(t, res.JSON200.Webhook)
	assert.NotContains(t, string(res.Body), `"webhook"`)
	assert.Equal(t, []string{"t1", "t2"}, res.JSON200.LinkTags)

	// Invalid tags fail validation.
	res, err = c.UpdateLinkWithResponse(ctx, id, nil, moneykit.UpdateLinkRequest{LinkTags: &moneykit.LinkTags{"-bad"}}, bearer(tok))
	require.NoError(t, err)
	require.Equal(t, http.StatusUnprocessableEntity, res.StatusCode())
	// PATCH's 422 is declared as link_error.bad_state: clients decode on error_code.
	m := mkErrorOf(t, res.Body)
	assert.Equal(t, "api_error.request.validation_failed", m["error_code"])
	assert.Equal(t, []any{"body", "link_tags", float64(0)}, m["validation_errors"].([]any)[0].(map[string]any)["location"])
}

func TestMoneyKitRateLimitPerLink(t *testing.T) {
	cfg, _ := fakeClockConfig()
	sb := sandbox.Start(t, cfg)
	c := mkClient(t, sb)
	tok := mkToken(t, c, sb.MoneyKit())
	id := newLink(t, sb, c, tok, sessionRequest("user-rate"), sandbox.ConnectOptions{})
	other := newLink(t, sb, c, tok, sessionRequest("user-rate"), sandbox.ConnectOptions{})

	for i := range 15 {
		require.Equal(t, http.StatusOK, getLink(t, c, tok, id).StatusCode(), "request %d", i+1)
		sb.Advance(time.Second)
	}
	res := getLink(t, c, tok, id)
	require.Equal(t, http.StatusTooManyRequests, res.StatusCode())
	assert.Equal(t, moneykit.APIErrorRateLimitExceededResponseErrorCode("api_error.rate_limit_exceeded"), res.JSON429.ErrorCode)
	assert.Equal(t, "Rate limit exceeded", res.JSON429.ErrorMessage)
	// The first request was 15s ago, so its slot frees in 45s.
	assert.Equal(t, "45", res.HTTPResponse.Header.Get("Retry-After"))

	// The limit is per link.
	assert.Equal(t, http.StatusOK, getLink(t, c, tok, other).StatusCode())

	sb.Advance(44 * time.Second)
	assert.Equal(t, http.StatusTooManyRequests, getLink(t, c, tok, id).StatusCode())
	sb.Advance(time.Second)
	assert.Equal(t, http.StatusOK, getLink(t, c, tok, id).StatusCode())
	// The window slides: the next slot frees a second later (rejected
	// requests were not counted).
	res = getLink(t, c, tok, id)
	assert.Equal(t, http.StatusTooManyRequests, res.StatusCode())
	assert.Equal(t, "1", res.HTTPResponse.Header.Get("Retry-After"))
	sb.Advance(time.Second)
	assert.Equal(t, http.StatusOK, getLink(t, c, tok, id).StatusCode())
}

func TestMoneyKitRateLimitPatchAndUser(t *testing.T) {
	cfg, _ := fakeClockConfig()
	sb := sandbox.Start(t, cfg)
	c := mkClient(t, sb)
	tok := mkToken(t, c, sb.MoneyKit())
	id := newLink(t, sb, c, tok, sessionRequest("user-rate2"), sandbox.ConnectOptions{})
	for range 4 {
		res, err := c.UpdateLinkWithResponse(context.Background(), id, nil, moneykit.UpdateLinkRequest{LinkTags: &moneykit.LinkTags{"a"}}, bearer(tok))
		require.NoError(t, err)
		require.Equal(t, http.StatusOK, res.StatusCode())
	}
	res, err := c.UpdateLinkWithResponse(context.Background(), id, nil, moneykit.UpdateLinkRequest{LinkTags: &moneykit.LinkTags{"a"}}, bearer(tok))
	require.NoError(t, err)
	assert.Equal(t, http.StatusTooManyRequests, res.StatusCode())
	assert.Equal(t, "60", res.HTTPResponse.Header.Get("Retry-After"))

	// 20 link sessions per minute per user (one was made above).
	for range 19 {
		createSession(t, c, tok, sessionRequest("user-rate2"))
	}
	ls, err := c.CreateLinkSessionWithResponse(context.Background(), nil, sessionRequest("user-rate2"), bearer(tok))
	require.NoError(t, err)
	assert.Equal(t, http.StatusTooManyRequests, ls.StatusCode())
	createSession(t, c, tok, sessionRequest("user-rate3"))
}

func TestMoneyKitNoRateLimits(t *testing.T) {
	sb := sandbox.Start(t, sandbox.Config{NoRateLimits: true})
	c := mkClient(t, sb)
	tok := mkToken(t, c, sb.MoneyKit())
	id := newLink(t, sb, c, tok, sessionRequest("user-nolimit"), sandbox.ConnectOptions{})
	for range 40 {
		require.Equal(t, http.StatusOK, getLink(t, c, tok, id).StatusCode())
	}
}

func TestMoneyKitJWKS(t *testing.T) {
	sb := sandbox.Start(t)
	c := mkClient(t, sb)
	res, err := c.GetJWKSWithResponse(context.Background(), nil, func(_ context.Context, r *http.Request) error {
		r.Header.Set("X-Client-Id", sandbox.MoneyKitClientID)
		return nil
	})
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, res.StatusCode())
	require.Len(t, res.JSON200.Keys, 1)
	k := res.JSON200.Keys[0]
	assert.Equal(t, "EC", k.Kty)
	assert.Equal(t, "P-256", k.Crv)
	assert.Equal(t, "sig", k.Use)
	assert.Equal(t, "ES256", k.Alg)
	assert.NotEmpty(t, k.Kid)
	for _, coord := range []string{k.X, k.Y} {
		b, err := base64.RawURLEncoding.DecodeString(coord)
		require.NoError(t, err)
		assert.Len(t, b, 32)
	}

	res, err = c.GetJWKSWithResponse(context.Background(), nil)
	require.NoError(t, err)
	assert.Equal(t, http.StatusUnauthorized, res.StatusCode())
	res, err = c.GetJWKSWithResponse(context.Background(), nil, func(_ context.Context, r *http.Request) error {
		r.Header.Set("X-Client-Id", "someone_else")
		return nil
	})
	require.NoError(t, err)
	assert.Equal(t, http.StatusUnauthorized, res.StatusCode())
}

func TestMoneyKitValidationShape(t *testing.T) {
	sb := sandbox.Start(t)
	c := mkClient(t, sb)
	tok := mkToken(t, c, sb.MoneyKit())
	base := sb.MoneyKit().BaseURL

	secret := "jane.secret@example.com"
	body := `{"customer_user":{"id":"ab","email":{"address":"` + secret + `@"}},"redirect_uri":"https://app.example/cb?q=1"}`
	res, b := rawDo(t, http.MethodPost, base+"/link-session", "application/json", body, map[string]string{"Authorization": "Bearer " + tok})
	require.Equal(t, http.StatusUnprocessableEntity, res.StatusCode, string(b))
	m := mkErrorOf(t, b)
	assert.Equal(t, "api_error.request.validation_failed", m["error_code"])
	assert.Equal(t, "Request validation error", m["error_message"])
	errs := m["validation_errors"].([]any)
	locs := map[string]string{}
	for _, e := range errs {
		em := e.(map[string]any)
		var parts []string
		for _, p := range em["location"].([]any) {
			parts = append(parts, p.(string))
		}
		locs[strings.Join(parts, ".")] = em["type"].(string)
		assert.NotEmpty(t, em["message"])
	}
	assert.Equal(t, "string_too_short", locs["body.customer_user.id"], string(b))
	assert.Contains(t, locs, "body.customer_user.email.address", string(b))
	assert.NotContains(t, string(b), secret, "validation errors must not echo request values")
	assert.NotContains(t, string(b), "jane")

	// Missing required fields and malformed JSON.
	res, b = rawDo(t, http.MethodPost, base+"/link-session", "application/json", `{}`, map[string]string{"Authorization": "Bearer " + tok})
	require.Equal(t, http.StatusUnprocessableEntity, res.StatusCode)
	assert.Contains(t, string(b), `"missing"`)
	assert.Contains(t, string(b), `["body","customer_user"]`)
	res, b = rawDo(t, http.MethodPost, base+"/link-session", "application/json", `{"customer_user":`, map[string]string{"Authorization": "Bearer " + tok})
	require.Equal(t, http.StatusUnprocessableEntity, res.StatusCode)
	assert.Equal(t, "api_error.request.validation_failed", mkErrorOf(t, b)["error_code"])
	res, _ = rawDo(t, http.MethodPost, base+"/link-session", "text/plain", `hello`, map[string]string{"Authorization": "Bearer " + tok})
	require.Equal(t, http.StatusUnprocessableEntity, res.StatusCode)

	// A redirect_uri with a query string breaks x-banklink-no-query.
	res, b = rawDo(t, http.MethodPost, base+"/link-session", "application/json",
		`{"customer_user":{"id":"user-42"},"redirect_uri":"https://app.example/cb?q=secret"}`, map[string]string{"Authorization": "Bearer " + tok})
	require.Equal(t, http.StatusUnprocessableEntity, res.StatusCode)
	assert.Contains(t, string(b), `["body","redirect_uri"]`)
	assert.NotContains(t, string(b), "q=secret")

	// Path parameters are checked too (users ids are 4 to 150 characters).
	ul, err := c.GetUserLinksWithResponse(context.Background(), "abc", nil, bearer(tok))
	require.NoError(t, err)
	require.Equal(t, http.StatusUnprocessableEntity, ul.StatusCode())
	assert.Contains(t, string(ul.Body), `["path","id"]`)
}

func TestMoneyKitUnroutedPaths(t *testing.T) {
	sb := sandbox.Start(t)
	res, b := rawDo(t, http.MethodGet, sb.MoneyKit().BaseURL+"/nope", "", "", nil)
	assert.Equal(t, http.StatusNotFound, res.StatusCode)
	assert.Equal(t, "api_error.not_found", mkErrorOf(t, b)["error_code"])
	res, _ = rawDo(t, http.MethodPut, sb.MoneyKit().BaseURL+"/links/mk_1", "", "", nil)
	assert.Equal(t, http.StatusMethodNotAllowed, res.StatusCode)
	assert.Equal(t, "DELETE, GET, PATCH", res.Header.Get("Allow"))
	res, b = rawDo(t, http.MethodGet, sb.LinkMoney().BaseURL+"/v9/nope", "", "", nil)
	assert.Equal(t, http.StatusNotFound, res.StatusCode)
	assert.Contains(t, string(b), `"errorCode":"NOT_FOUND"`)
}

func TestMoneyKitConnectOverHTTP(t *testing.T) {
	sb := sandbox.Start(t)
	c := mkClient(t, sb)
	tok := mkToken(t, c, sb.MoneyKit())
	lst := createSession(t, c, tok, sessionRequest("user-http"))
	res, b := postJSON(t, sb.URL()+"/_sandbox/moneykit/connect", map[string]any{"link_session_token": lst, "institution_id": "oauth_bank"})
	require.Equal(t, http.StatusOK, res.StatusCode, string(b))
	var out struct {
		ExchangeableToken string `json:"exchangeable_token"`
	}
	require.NoError(t, jsonUnmarshal(b, &out))
	ex := exchange(t, c, tok, out.ExchangeableToken)
	require.Equal(t, http.StatusCreated, ex.StatusCode())
	assert.Equal(t, "oauth_bank", ex.JSON201.Link.InstitutionId)

	res, _ = postJSON(t, sb.URL()+"/_sandbox/moneykit/connect", map[string]any{"link_session_token": lst})
	assert.Equal(t, http.StatusConflict, res.StatusCode)
	res, _ = postJSON(t, sb.URL()+"/_sandbox/moneykit/connect", map[string]any{"link_session_token": "sandbox_nope"})
	assert.Equal(t, http.StatusNotFound, res.StatusCode)
	res, _ = postJSON(t, sb.URL()+"/_sandbox/moneykit/connect", map[string]any{"bogus": 1})
	assert.Equal(t, http.StatusBadRequest, res.StatusCode)

	id := ex.JSON201.Link.LinkId
	res, b = postJSON(t, sb.URL()+"/_sandbox/moneykit/links/"+url.PathEscape(id)+"/state", map[string]any{"state": "error", "error_code": "auth_expired"})
	require.Equal(t, http.StatusNoContent, res.StatusCode, string(b))
	assert.Equal(t, http.StatusUnprocessableEntity, getLink(t, c, tok, id).StatusCode())
}

func TestMoneyKitTokenRateLimitPerClient(t *testing.T) {
	cfg, _ := fakeClockConfig()
	sb := sandbox.Start(t, cfg)
	c := mkClient(t, sb)
	for range 300 {
		mkToken(t, c, sb.MoneyKit())
	}
	res, err := c.CreateAccessTokenWithFormdataBodyWithResponse(context.Background(), nil, moneykit.CreateAccessTokenRequest{
		ClientId: ptr(sandbox.MoneyKitClientID), ClientSecret: ptr(sandbox.MoneyKitClientSecret),
	})
	require.NoError(t, err)
	require.Equal(t, http.StatusTooManyRequests, res.StatusCode())
	assert.Equal(t, "60", res.HTTPResponse.Header.Get("Retry-After"))
	// Another client id has its own window.
	mkToken(t, c, sb.MoneyKitOtherApp())
	sb.Advance(time.Minute)
	mkToken(t, c, sb.MoneyKit())
}

func TestMoneyKitJWKSWithBearer(t *testing.T) {
	sb := sandbox.Start(t)
	c := mkClient(t, sb)
	res, err := c.GetJWKSWithResponse(context.Background(), nil, bearer(mkToken(t, c, sb.MoneyKit())))
	require.NoError(t, err)
	assert.Equal(t, http.StatusOK, res.StatusCode(), "the deprecated Authorization header still works")
}

func TestMoneyKitDateTimeReading(t *testing.T) {
	sb := sandbox.Start(t)
	c := mkClient(t, sb)
	tok := mkToken(t, c, sb.MoneyKit())
	send := func(verifiedAt string) *moneykit.CreateLinkSessionResult {
		body := `{"customer_user":{"id":"user-dates","email":{"address":"a@example.com","customer_verified_at":"` + verifiedAt + `"}},"redirect_uri":"https://app.example/oauth"}`
		res, err := c.CreateLinkSessionWithBodyWithResponse(context.Background(), nil, "application/json", strings.NewReader(body), bearer(tok))
		require.NoError(t, err)
		return res
	}
	for _, ok := range []string{"2023-02-16T09:14:11", "2023-02-16T09:14:11Z", "2023-02-16T09:14:11.25-05:00"} {
		assert.Equal(t, http.StatusCreated, send(ok).StatusCode(), "%s is a date-time as the spec reads it", ok)
	}
	res := send("16/02/2023")
	require.Equal(t, http.StatusUnprocessableEntity, res.StatusCode(), string(res.Body))
	require.Len(t, res.JSON422.ValidationErrors, 1)
	assert.Equal(t, []any{"body", "customer_user", "email", "customer_verified_at"}, res.JSON422.ValidationErrors[0].Location)
}
