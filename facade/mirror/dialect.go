package mirror

import (
	"database/sql"
	"strconv"
	"strings"
	"time"
)

// dialect holds what differs between SQLite and Postgres. The SQL text is
// shared: both speak INSERT … ON CONFLICT … DO UPDATE, and queries are
// written with ? placeholders that rebind turns into $N for Postgres.
type dialect interface {
	name() string
	rebind(q string) string
	// ts is a timestamp as the driver stores it: RFC 3339 UTC text for
	// SQLite, time.Time for Postgres (timestamptz).
	ts(t time.Time) any
	// scanTS reads a timestamp column scanned into any.
	scanTS(v any) time.Time
}

type sqliteDialect struct{}

func (sqliteDialect) name() string           { return "sqlite" }
func (sqliteDialect) rebind(q string) string { return q }
func (sqliteDialect) ts(t time.Time) any     { return t.UTC().Format(tsLayout) }
func (sqliteDialect) scanTS(v any) time.Time { return parseTS(v) }

// tsLayout is RFC 3339 in UTC with fixed milliseconds, so that stored
// timestamps sort as text.
const tsLayout = "2006-01-02T15:04:05.000Z"

type postgresDialect struct{ schema string }

func (postgresDialect) name() string { return "postgres" }
func (postgresDialect) rebind(q string) string {
	var b strings.Builder
	n := 0
	for i := 0; i < len(q); i++ {
		if q[i] == '?' {
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteByte(q[i])
	}
	return b.String()
}
func (postgresDialect) ts(t time.Time) any     { return t.UTC() }
func (postgresDialect) scanTS(v any) time.Time { return parseTS(v) }

func parseTS(v any) time.Time {
	switch x := v.(type) {
	case time.Time:
		return x.UTC()
	case string:
		t, err := time.Parse(time.RFC3339Nano, x)
		if err == nil {
			return t.UTC()
		}
	case []byte:
		return parseTS(string(x))
	}
	return time.Time{}
}

// nullable turns "" into NULL.
func nullable(s string) sql.NullString { return sql.NullString{String: s, Valid: s != ""} }
