// Command rawget is the hand-written half of banklink's binary-size
// benchmark (make bench, BENCHMARKS.md): internal/sizecheck/facadeget's
// program with net/http and encoding/json only — a client-credentials
// token, then GET /links/{id}.
//
// Usage: rawget BASE_URL LINK_ID (credentials from MONEYKIT_CLIENT_ID and
// MONEYKIT_CLIENT_SECRET).
package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"
)

type link struct {
	LinkID            string          `json:"link_id"`
	State             string          `json:"state"`
	InstitutionID     string          `json:"institution_id"`
	InstitutionName   string          `json:"institution_name"`
	InstitutionAvatar string          `json:"institution_avatar"`
	AvailableProducts []string        `json:"available_products"`
	LinkTags          []string        `json:"link_tags"`
	Products          json.RawMessage `json:"products"`
	LastSyncedAt      string          `json:"last_synced_at"`
}

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

// run is the program; it returns the exit status.
func run(args []string, stdout, stderr io.Writer) int {
	if len(args) != 2 {
		fmt.Fprintln(stderr, "usage: rawget BASE_URL LINK_ID")
		return 2
	}
	base := strings.TrimRight(args[0], "/")
	hc := &http.Client{Timeout: 30 * time.Second}
	form := url.Values{"grant_type": {"client_credentials"},
		"client_id": {os.Getenv("MONEYKIT_CLIENT_ID")}, "client_secret": {os.Getenv("MONEYKIT_CLIENT_SECRET")}}
	req, _ := http.NewRequest(http.MethodPost, base+"/auth/token", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("MoneyKit-Version", "2023-02-18")
	resp, err := hc.Do(req)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	err = json.NewDecoder(resp.Body).Decode(&tok)
	resp.Body.Close()
	if err != nil || resp.StatusCode/100 != 2 {
		fmt.Fprintln(stderr, "token:", resp.Status, err)
		return 1
	}
	req, _ = http.NewRequest(http.MethodGet, base+"/links/"+url.PathEscape(args[1]), nil)
	req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
	req.Header.Set("MoneyKit-Version", "2023-02-18")
	req.Header.Set("Accept", "application/json")
	resp, err = hc.Do(req)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	defer resp.Body.Close()
	var l link
	if err := json.NewDecoder(resp.Body).Decode(&l); err != nil || resp.StatusCode/100 != 2 {
		fmt.Fprintln(stderr, "link:", resp.Status, err)
		return 1
	}
	fmt.Fprintln(stdout, l.LinkID, l.State)
	return 0
}
