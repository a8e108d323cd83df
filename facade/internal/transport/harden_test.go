package transport_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/banklink/banklink/facade"
	"github.com/banklink/banklink/facade/linkmoney"
	"github.com/banklink/banklink/facade/moneykit"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// requestsSeen is every request the fake saw, token requests included.
func (f *fakeAPI) requestsSeen() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := int(f.tokens.Load())
	for _, h := range f.hits {
		n += h
	}
	return n
}

func TestPathParameterOneSegment(t *testing.T) {
	f := newFakeAPI(t)
	mk, lm := f.moneyKit(), f.linkMoney()
	ctx := context.Background()
	calls := map[string]func(id string) error{
		"Links.Get": func(id string) error { _, err := mk.Links.Get(ctx, id); return err },
		"Links.Update": func(id string) error {
			_, err := mk.Links.Update(ctx, id, moneykit.NewLinkUpdate(moneykit.RemoveWebhook()))
			return err
		},
		"Links.Delete": func(id string) error { return mk.Links.Delete(ctx, id) },
		"Users.Links":  func(id string) error { _, err := mk.Users.Links(ctx, id); return err },
		"Customers.Get": func(id string) error {
			_, err := lm.Customers.Get(ctx, id)
			return err
		},
		"Customers.Accounts": func(id string) error {
			_, err := lm.Customers.Accounts(ctx, id)
			return err
		},
	}
	bad := []string{"", ".", "..", "mk_1/..", "../v1/accounts", `a\b`, "a?b=1", "a#b", "%2e%2e", "%2F", "a\nb", "a\x00b", "a\x7fb"}
	for name, call := range calls {
		for _, id := range bad {
			err := call(id)
			var ve *facade.ValidationError
			require.ErrorAs(t, err, &ve, "%s(%q)", name, id)
			assert.ErrorIs(t, err, facade.ErrInvalidRequest)
			require.NotEmpty(t, ve.Violations)
			v := ve.Violations[len(ve.Violations)-1]
			assert.Contains(t, []string{"path/id", "path/customerId"}, v.Path, "%s(%q) names the parameter", name, id)
			assert.Contains(t, []string{"required", "path_segment", "minLength", "pattern"}, v.Rule, "%s(%q)", name, id)
			assert.Contains(t, err.Error(), "nothing was sent")
		}
	}
	assert.Zero(t, f.requestsSeen(), "no request, not even for a token, reached the server")
}

func TestRedirectNeverFollowedOnCallersClient(t *testing.T) {
	var stolen atomic.Int64
	var stolenBodies atomic.Value
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		stolen.Add(1)
		b, _ := io.ReadAll(r.Body)
		stolenBodies.Store(string(b) + r.Header.Get("Authorization"))
		jsonReply(200, linkJSON)(w, r)
	}))
	t.Cleanup(target.Close)
	redirect := func(code int) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, target.URL+r.URL.Path, code)
		}
	}
	callers := &http.Client{} // follows redirects, re-sending bodies on 307/308
	ctx := context.Background()

	t.Run("api call", func(t *testing.T) {
		f := newFakeAPI(t)
		f.handle("GET /links/mk_1", redirect(http.StatusTemporaryRedirect))
		f.handle("POST /v1/payments", redirect(http.StatusPermanentRedirect))
		_, err := f.moneyKit(facade.WithHTTPClient(callers), facade.WithMaxRetries(0)).Links.Get(ctx, "mk_1")
		var apiErr *facade.Error
		require.ErrorAs(t, err, &apiErr)
		assert.Equal(t, http.StatusTemporaryRedirect, apiErr.StatusCode)
		_, err = f.linkMoney(facade.WithHTTPClient(callers), facade.WithMaxRetries(0)).Payments.Create(ctx, linkmoney.NewPayment("cus_1", "mer_1", linkmoney.USD(1234), linkmoney.WithClientReferenceID("order-9")))
		require.ErrorAs(t, err, &apiErr)
		assert.Equal(t, http.StatusPermanentRedirect, apiErr.StatusCode)
		assert.Equal(t, 1, f.hitCount("POST /v1/payments"), "the payment was sent once")
	})
	t.Run("token endpoint", func(t *testing.T) {
		f := newFakeAPI(t)
		f.handle("POST /auth/token", redirect(http.StatusTemporaryRedirect))
		_, err := f.moneyKit(facade.WithHTTPClient(callers), facade.WithMaxRetries(0)).Auth.Token(ctx)
		var apiErr *facade.Error
		require.ErrorAs(t, err, &apiErr)
		assert.Equal(t, http.StatusTemporaryRedirect, apiErr.StatusCode)
	})
	assert.Zero(t, stolen.Load(), "the redirect target received nothing: %v", stolenBodies.Load())
	assert.Nil(t, callers.CheckRedirect, "the caller's client is not modified")
}

func TestErrorBodyDecodedFieldByField(t *testing.T) {
	tests := []struct {
		name, body string
		status     int
		is         error
		code, msg  string
		errorID    int64
	}{
		{"errorId a string", `{"errorId":"e-17","errorCode":"DUPLICATE_REQUEST_KEY","errorMessage":"requestKey already used","errorSeverity":"ERROR"}`,
			400, facade.ErrDuplicateRequestKey, facade.CodeDuplicateRequestKey, "requestKey already used", 0},
		{"errorMessage an object", `{"errorId":17,"errorCode":"DUPLICATE_REQUEST_KEY","errorMessage":{"text":"x"}}`,
			400, facade.ErrDuplicateRequestKey, facade.CodeDuplicateRequestKey, "", 17},
		{"validation_errors an object", `{"error_code":"api_error.request.validation_failed","error_message":"bad amount","validation_errors":{"loc":"amount"}}`,
			422, facade.ErrValidationFailed, facade.CodeValidationFailed, "bad amount", 0},
		{"documentation_url a number", `{"error_code":"link_error.not_found","error_message":"no link","documentation_url":5,"link_error_code":[]}`,
			404, facade.ErrLinkNotFound, facade.CodeLinkNotFound, "no link", 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFakeAPI(t)
			f.handle("POST /v1/payments", jsonReply(tc.status, tc.body))
			_, err := f.linkMoney(facade.WithMaxRetries(0)).Payments.Create(context.Background(), linkmoney.NewPayment("cus_1", "mer_1", linkmoney.USD(100)))
			var apiErr *facade.Error
			require.ErrorAs(t, err, &apiErr)
			assert.ErrorIs(t, err, tc.is)
			assert.Equal(t, tc.code, apiErr.Code)
			assert.Equal(t, tc.msg, apiErr.Message)
			assert.Equal(t, tc.errorID, apiErr.ErrorID)
			assert.Equal(t, tc.body, string(apiErr.Body))
		})
	}
}

func TestUndecodableTokenResponseKeepsNoToken(t *testing.T) {
	const live = "tok-LIVE-0123456789"
	bodies := map[string]string{
		"wrong type":     `{"access_token":"` + live + `","token_type":"bearer","expires_in":"an hour"}`,
		"truncated":      `{"access_token":"` + live + `","token_type":"bea`,
		"nested":         `{"data":{"access_token":"` + live + `"},"expires_in":[]}`,
		"trailing bytes": `{"access_token":"` + live + `","expires_in":3600} garbage`,
		"other case":     `{"Access_Token":"` + live + `","expires_in":{}}`,
	}
	for name, body := range bodies {
		t.Run(name, func(t *testing.T) {
			f := newFakeAPI(t)
			f.handle("POST /auth/token", jsonReply(201, body))
			f.handle("POST /v1/tokens", jsonReply(200, body))
			var logs bytes.Buffer
			logger := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
			mk := f.moneyKit(facade.WithLogger(logger), facade.WithMaxRetries(0))
			lm := f.linkMoney(facade.WithLogger(logger), facade.WithMaxRetries(0))
			ctx := context.Background()
			_, e1 := mk.Auth.Token(ctx)
			_, e2 := mk.Links.Get(ctx, "mk_1")
			_, e3 := lm.Customers.Get(ctx, "cus_1")
			for _, err := range []error{e1, e2, e3} {
				require.Error(t, err)
				assert.NotContains(t, err.Error(), live)
				var apiErr *facade.Error
				require.ErrorAs(t, err, &apiErr)
				assert.Contains(t, []int{200, 201}, apiErr.StatusCode, "the token endpoint's 2xx")
				assert.NotContains(t, string(apiErr.Body), live)
				again, rerr := io.ReadAll(apiErr.Response.Body)
				require.NoError(t, rerr)
				assert.NotContains(t, string(again), live)
				assert.NotContains(t, fmt.Sprintf("%+v", apiErr), live)
			}
			assert.NotContains(t, logs.String(), live)
		})
	}
	t.Run("error answer", func(t *testing.T) {
		f := newFakeAPI(t)
		f.handle("POST /v1/tokens", jsonReply(400, `{"errorCode":"INVALID_GRANT","errorMessage":"bad","access_token":"`+live+`"}`))
		_, err := f.linkMoney(facade.WithMaxRetries(0)).Customers.Get(context.Background(), "cus_1")
		var apiErr *facade.Error
		require.ErrorAs(t, err, &apiErr)
		assert.Equal(t, "INVALID_GRANT", apiErr.Code, "the error fields are still decoded")
		assert.NotContains(t, string(apiErr.Body), live)
	})
	t.Run("other fields kept", func(t *testing.T) {
		f := newFakeAPI(t)
		f.handle("POST /auth/token", jsonReply(201, bodies["wrong type"]))
		_, err := f.moneyKit(facade.WithMaxRetries(0)).Auth.Token(context.Background())
		var apiErr *facade.Error
		require.ErrorAs(t, err, &apiErr)
		assert.JSONEq(t, `{"access_token":"REDACTED","token_type":"bearer","expires_in":"an hour"}`, string(apiErr.Body))
	})
}

func TestNoCredentialInErrorStrings(t *testing.T) {
	const pw = "hunter2-PASSWORD"
	for _, base := range []string{
		"https://user:" + pw + "@api.example/%zz",
		"https://user:" + pw + "/x@api.example",
		"http://user:" + pw + "@ho st",
		"https://user:" + pw + "@api.example",
		"http:user:" + pw + "@api.example",
	} {
		_, err := moneykit.New(facade.WithCredentials("id", "secret"), facade.WithBaseURL(base))
		require.Error(t, err, base)
		assert.NotContains(t, err.Error(), pw, base)
	}

	// A proxy setting that net/http cannot use comes back quoted in full
	// (httpproxy's "invalid proxy address %q"), password included.
	f := newFakeAPI(t)
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.Proxy = func(*http.Request) (*url.URL, error) {
		raw := "http://proxyuser:" + pw + "@proxy host:3128"
		_, perr := url.Parse(raw)
		return nil, fmt.Errorf("invalid proxy address %q: %v", raw, perr)
	}
	var logs bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	_, err := f.moneyKit(facade.WithHTTPClient(&http.Client{Transport: tr}), facade.WithLogger(logger)).Links.Get(context.Background(), "mk_1")
	var te *facade.TransportError
	require.ErrorAs(t, err, &te)
	assert.NotContains(t, err.Error(), pw)
	assert.Contains(t, err.Error(), "invalid proxy address", "the cause is still named")
	assert.NotContains(t, logs.String(), pw)
	assert.Contains(t, logs.String(), "REDACTED@")
}

func TestProviderTextBoundedInErrorString(t *testing.T) {
	hugeMsg := "\x1b]0;owned\x07\x1b[2J\x1b[31m" + strings.Repeat("A", 1_000_000) + "\r\n"
	hugeID := strings.Repeat("r", 512<<10) // under the default client's 1 MiB header bound
	f := newFakeAPI(t)
	f.handle("GET /links/mk_1", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Request-Id", hugeID)
		body := `{"error_code":"link_error.not_found\u001b[5m","error_message":` + jsonString(hugeMsg) + `}`
		jsonReply(404, body)(w, r)
	})
	var logs bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	_, err := f.moneyKit(facade.WithLogger(logger), facade.WithMaxRetries(0)).Links.Get(context.Background(), "mk_1")
	var apiErr *facade.Error
	require.ErrorAs(t, err, &apiErr)
	msg := err.Error()
	assert.Less(t, len(msg), 1500, "Error() is bounded")
	assert.NotContains(t, msg, "\x1b")
	assert.NotContains(t, msg, "\x07")
	assert.Contains(t, msg, "more bytes", "the cut is visible")
	// The raw text stays available.
	assert.True(t, hugeMsg == apiErr.Message, "Message is the provider's text, %d bytes", len(apiErr.Message))
	assert.True(t, hugeID == apiErr.RequestID, "RequestID is the header, %d bytes", len(apiErr.RequestID))
	assert.Less(t, logs.Len(), 4096, "the log line does not carry the 512 KiB request id")
}

// jsonString encodes s as a JSON string with \u escapes for control characters.
func jsonString(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r < 0x20:
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}
