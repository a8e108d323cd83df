package testkit

import (
	"bytes"
	"encoding/base64"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The credentials FakeAPI's clients use: planted so that a test can look
// for them in logs, errors and output.
const (
	ClientID     = "client_id_TESTID"
	ClientSecret = "s3cr3t-SECRETVALUE"
)

// PlantedCredentials are the forms the planted credentials take on the
// wire: the client secret, the Basic credential and the prefix of every
// token FakeAPI issues.
func PlantedCredentials() []string {
	return []string{ClientSecret, "tok-", base64.StdEncoding.EncodeToString([]byte(ClientID + ":" + ClientSecret))}
}

// AssertNoLeaks fails for every secret found in logs or in an error's message.
func AssertNoLeaks(t testing.TB, secrets []string, logs string, errs []error) {
	t.Helper()
	for _, s := range secrets {
		require.NotEmpty(t, s)
		assert.NotContains(t, logs, s, "a log line leaks %q", s)
		for _, e := range errs {
			assert.NotContains(t, e.Error(), s, "error %q leaks %q", e.Error(), s)
		}
	}
}

// SyncBuffer is a bytes.Buffer safe for concurrent writers: a log
// destination, or a command's output written by its goroutines.
type SyncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *SyncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *SyncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// Customer holds a customer's personal data, as tests plant it.
type Customer struct {
	FirstName, LastName, Email, Phone, Street, City, Postal string
	UserID                                                  string // MoneyKit's customer_user id
}

// Personal lists the customer's name, email, phone, street and city, in
// that order.
func (c Customer) Personal() []string {
	return []string{c.FirstName, c.LastName, c.Email, c.Phone, c.Street, c.City}
}

// PlantedCustomer is a customer whose every value is distinctive enough
// that finding it in a log line, an error or output can only be a leak. The
// sandbox accepts each value (a Michigan address).
var PlantedCustomer = Customer{
	FirstName: "Zebulonia",
	LastName:  "Quickfeatherstone",
	Email:     "zebulonia.qf@privacy-check.example",
	Phone:     "+15555550199",
	Street:    "742 Evergreenwood Terrace",
	City:      "Shelbyvillezz",
	Postal:    "49007",
	UserID:    "user-zebulonia.qf@privacy-check.example",
}
