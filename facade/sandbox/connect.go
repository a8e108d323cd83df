package sandbox

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// DefaultConnectTimeout bounds Connect when it is given no HTTP client: a
// sandbox answers at once, so a silent server is a wrong address.
const DefaultConnectTimeout = 30 * time.Second

// Connect plays the end user in MoneyKit Connect against a sandbox running in
// another process: moneyKitBaseURL is the sandbox's MONEYKIT_BASE_URL. It
// completes the link session and returns the exchangeable token. A nil client
// means one that gives up after DefaultConnectTimeout and follows no
// redirects; ctx bounds the call in any case.
func Connect(ctx context.Context, client *http.Client, moneyKitBaseURL, linkSessionToken string, opt ConnectOptions) (string, error) {
	if client == nil {
		client = &http.Client{
			Timeout:       DefaultConnectTimeout,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		}
	}
	root, ok := strings.CutSuffix(strings.TrimRight(moneyKitBaseURL, "/"), "/moneykit")
	if !ok {
		return "", fmt.Errorf("sandbox: %q is not a sandbox MoneyKit base URL (it ends in /moneykit)", moneyKitBaseURL)
	}
	body, err := json.Marshal(map[string]any{
		"link_session_token": linkSessionToken,
		"institution_id":     opt.InstitutionID,
		"deny_products":      opt.DenyProducts,
		"fail_with":          opt.FailWith,
	})
	if err != nil {
		return "", err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, root+"/_sandbox/moneykit/connect", bytes.NewReader(body))
	if err != nil {
		return "", fmt.Errorf("sandbox: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return "", fmt.Errorf("sandbox connect: %w", err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return "", fmt.Errorf("sandbox connect: %w", err)
	}
	var out struct {
		ExchangeableToken string `json:"exchangeable_token"`
		Error             string `json:"error"`
	}
	if err := json.Unmarshal(raw, &out); err != nil {
		return "", fmt.Errorf("sandbox connect: HTTP %d with an unreadable body", resp.StatusCode)
	}
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("sandbox connect: HTTP %d: %s", resp.StatusCode, out.Error)
	}
	return out.ExchangeableToken, nil
}
