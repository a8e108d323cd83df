package facade

import (
	"time"

	"github.com/banklink/banklink/internal/timestamp"
)

// Timestamp is the type of every field the providers document as a
// date-time, in requests and responses alike: a Link's LastSyncedAt, a
// product's RefreshedAt, a Link Money customer's CreationDate.
//
// It decodes RFC 3339 and also the offset-less form MoneyKit shows in its
// examples ("2023-02-16T09:14:11"), which it takes as UTC. It re-encodes
// exactly the text it received, so a stored or forwarded value is not
// rewritten; Time returns the instant and String the text. The zero
// Timestamp is "not set": IsZero reports true and it is left out of
// requests.
type Timestamp = timestamp.Time

// TimestampError reports text that is neither RFC 3339 nor the offset-less
// form. It never quotes the text.
type TimestampError = timestamp.Error

// NewTimestamp returns the Timestamp for t, which encodes as RFC 3339
// (time.RFC3339Nano), for request fields such as
// linkmoney.CustomerProfile.AccountCreationDate.
func NewTimestamp(t time.Time) Timestamp { return timestamp.New(t) }

// ParseTimestamp reads s as a provider timestamp: RFC 3339, or
// "2006-01-02T15:04:05[.fraction]" without an offset, taken as UTC. Other
// text gives a *TimestampError.
func ParseTimestamp(s string) (Timestamp, error) { return timestamp.Parse(s) }
