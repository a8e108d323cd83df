package sandbox_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/banklink/banklink/facade/sandbox"
)

// TestTwoLines shows the sandbox in a user's test: two lines give the test a
// running fake of both providers and the environment a banklink client reads.
func TestTwoLines(t *testing.T) {
	sb := sandbox.Start(t)
	sb.Setenv(t)

	// From here on, code under test configured from the environment talks
	// to the sandbox. A raw token request stands in for it here.
	form := url.Values{
		"grant_type":    {"client_credentials"},
		"client_id":     {os.Getenv("MONEYKIT_CLIENT_ID")},
		"client_secret": {os.Getenv("MONEYKIT_CLIENT_SECRET")},
	}
	res, err := http.PostForm(os.Getenv("MONEYKIT_BASE_URL")+"/auth/token", form)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusCreated {
		t.Fatalf("token: %s", res.Status)
	}
	if got := sb.Requests(); len(got) != 1 || got[0].Operation != "createAccessToken" {
		t.Fatalf("request log: %+v", got)
	}
}

// Serving the handler yourself: tell the sandbox its URL with SetURL.
func ExampleSandbox_Handler() {
	sb := sandbox.New(sandbox.Config{})
	srv := httptest.NewServer(sb.Handler())
	defer srv.Close()
	sb.SetURL(srv.URL)

	res, err := http.Get(sb.MoneyKit().BaseURL + "/links/mk_eqkWN34UEoa2NxyALG8pcV")
	if err != nil {
		panic(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	fmt.Println(res.StatusCode, strings.TrimSpace(string(body)))
	// Output:
	// 401 {"error_code":"api_error.auth.unauthorized","error_message":"Missing bearer token."}
}

func ExampleSandbox_Env() {
	sb := sandbox.New(sandbox.Config{})
	sb.SetURL("http://127.0.0.1:8765")
	for _, kv := range sb.Env() {
		fmt.Println(kv)
	}
	// Output:
	// MONEYKIT_BASE_URL=http://127.0.0.1:8765/moneykit
	// MONEYKIT_CLIENT_ID=sandbox_client_id
	// MONEYKIT_CLIENT_SECRET=sandbox_client_secret
	// LINKMONEY_BASE_URL=http://127.0.0.1:8765/linkmoney
	// LINKMONEY_CLIENT_ID=lm_sandbox_client_id
	// LINKMONEY_CLIENT_SECRET=lm_sandbox_client_secret
}
