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

// Connect plays the end user in MoneyKit Connect against a sandbox running in
// another process: moneyKitBaseURL is the sandbox's MONEYKIT_BASE_URL. It
// completes the link session and returns the exchangeable token. A nil client
// means one that gives up after DefaultConnectTimeout; ctx bounds the call in
// any case. The sandbox's refusals unwrap to the control
// API's errors (ErrUnknownSession, ErrSessionCompleted, ErrSessionExpired).
func Connect(ctx context.Context, client *http.Client, moneyKitBaseURL, linkSessionToken string, opt ConnectOptions) (string, error) {
	var out struct {
		ExchangeableToken string `json:"exchangeable_token"`
	}
	err := control(ctx, client, "connect", moneyKitBaseURL, "/moneykit", "/_sandbox/moneykit/connect", map[string]any{
		"link_session_token": linkSessionToken,
		"institution_id":     opt.InstitutionID,
		"deny_products":      opt.DenyProducts,
		"fail_with":          opt.FailWith,
	}, &out)
	return out.ExchangeableToken, err
}

// PayResult is what a customer's completion of a Link Money session made.
type PayResult struct {
	// CustomerID is the new customer.
	CustomerID string `json:"customerId"`
	// PaymentID is the payment a LINK_MANAGED_PAYMENT session makes from its
	// paymentDetails; empty for other sessions.
	PaymentID string `json:"paymentId,omitempty"`
}

// Pay plays the customer in Link Money's hosted UI against a sandbox running
// in another process, as CompleteSessionPayment does in process:
// linkMoneyBaseURL is the sandbox's LINKMONEY_BASE_URL. A session completes
// once. A nil client means one that gives up after DefaultConnectTimeout. The sandbox's refusals unwrap
// to the control API's errors (ErrUnknownSession, ErrSessionCompleted,
// ErrSessionExpired, ErrDuplicateRequestKey).
func Pay(ctx context.Context, client *http.Client, linkMoneyBaseURL, sessionKey string) (PayResult, error) {
	var out PayResult
	err := control(ctx, client, "pay", linkMoneyBaseURL, "/linkmoney", "/_sandbox/linkmoney/complete",
		map[string]string{"sessionKey": sessionKey}, &out)
	return out, err
}

// ControlError is a refusal of the sandbox's control API, seen through HTTP.
type ControlError struct {
	// Call is the helper that made the request, such as "connect" or "pay".
	Call string
	// StatusCode is the HTTP status the sandbox answered.
	StatusCode int
	// Message is the sandbox's explanation.
	Message string

	err error // the control API's error, when the message names one
}

func (e *ControlError) Error() string {
	return fmt.Sprintf("sandbox %s: HTTP %d: %s", e.Call, e.StatusCode, e.Message)
}

// Unwrap returns the control API's error (ErrUnknownSession and the like)
// that the sandbox answered with, if any.
func (e *ControlError) Unwrap() error { return e.err }

// controlErrors are the control API's errors a ControlError can unwrap to.
var controlErrors = []error{ErrUnknownSession, ErrSessionCompleted, ErrSessionExpired, ErrUnknownLink, ErrUnknownCustomer, ErrDuplicateRequestKey}

// DefaultConnectTimeout bounds Connect and Pay when they are given no HTTP
// client: a sandbox answers at once, so a silent server is a wrong address.
const DefaultConnectTimeout = 30 * time.Second

// defaultControlClient is the client Connect and Pay use when given none: it
// gives up after DefaultConnectTimeout and follows no redirects.
var defaultControlClient = &http.Client{
	Timeout:       DefaultConnectTimeout,
	CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
}

// control POSTs a JSON body to one of the sandbox's /_sandbox/ endpoints,
// found from a provider base URL ending in suffix, and decodes the answer.
func control(ctx context.Context, client *http.Client, call, baseURL, suffix, path string, in, out any) error {
	if client == nil {
		client = defaultControlClient
	}
	root, ok := strings.CutSuffix(strings.TrimRight(baseURL, "/"), suffix)
	if !ok {
		return fmt.Errorf("sandbox %s: %q is not a sandbox base URL for this call (it ends in %s)", call, baseURL, suffix)
	}
	body, err := json.Marshal(in)
	if err != nil {
		return fmt.Errorf("sandbox %s: %w", call, err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, root+path, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("sandbox %s: %w", call, err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("sandbox %s: %w", call, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return fmt.Errorf("sandbox %s: %w", call, err)
	}
	if resp.StatusCode != http.StatusOK {
		var refusal struct {
			Error string `json:"error"`
		}
		if json.Unmarshal(raw, &refusal) != nil || refusal.Error == "" {
			return &ControlError{Call: call, StatusCode: resp.StatusCode, Message: "unreadable body"}
		}
		ce := &ControlError{Call: call, StatusCode: resp.StatusCode, Message: strings.TrimPrefix(refusal.Error, "sandbox: ")}
		for _, known := range controlErrors {
			if refusal.Error == known.Error() {
				ce.err = known
			}
		}
		return ce
	}
	if err := json.Unmarshal(raw, out); err != nil {
		return fmt.Errorf("sandbox %s: HTTP %d with an unreadable body", call, resp.StatusCode)
	}
	return nil
}
