package mirror_test

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/banklink/banklink/facade/mirror"
	"github.com/banklink/banklink/internal/testkit"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
)

// envPostgres names the Postgres the tests use (.ci/with-postgres sets it).
const envPostgres = "BANKLINK_TEST_POSTGRES"

// postgresDSN is the test Postgres, or skips the test (fails it under
// CI=true) when there is none.
func postgresDSN(t testing.TB) string {
	t.Helper()
	dsn := os.Getenv(envPostgres)
	if dsn == "" {
		if testkit.UnderCI() {
			t.Fatalf("%s is not set: run the tests under .ci/with-postgres (CI=true requires Postgres)", envPostgres)
		}
		t.Skipf("%s is not set: install the Debian package postgresql and run under .ci/with-postgres", envPostgres)
	}
	return dsn
}

var schemaSeq atomic.Int64

var nonIdent = regexp.MustCompile(`[^a-z0-9_]+`)

// testDB is one database a test runs against: a SQLite file in the test's
// temporary directory, or a fresh schema in the test Postgres.
type testDB struct {
	dialect string
	dsn     string
	schema  string
}

func (d testDB) open(t testing.TB, opts ...mirror.Option) *mirror.Mirror {
	t.Helper()
	if d.schema != "" {
		opts = append(opts, mirror.WithSchema(d.schema))
	}
	m, err := mirror.Open(context.Background(), d.dsn, opts...)
	if err != nil {
		t.Fatalf("Open(%s): %v", d.dialect, err)
	}
	t.Cleanup(func() { m.Close() })
	return m
}

func newSQLite(t testing.TB) testDB {
	return testDB{dialect: "sqlite", dsn: "sqlite:" + filepath.Join(t.TempDir(), "mirror.db")}
}

func newPostgres(t testing.TB) testDB {
	dsn := postgresDSN(t)
	name := strings.ToLower(t.Name())
	name = nonIdent.ReplaceAllString(name, "_")
	if len(name) > 40 {
		name = name[:40]
	}
	schema := fmt.Sprintf("t%d_%s", schemaSeq.Add(1), name)
	cc, err := pgx.ParseConfig(dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		c, err := pgx.ConnectConfig(ctx, cc)
		if err != nil {
			return
		}
		defer c.Close(ctx)
		c.Exec(ctx, `DROP SCHEMA IF EXISTS `+schema+` CASCADE`)
	})
	return testDB{dialect: "postgres", dsn: dsn, schema: schema}
}

// bothDBs runs fn against SQLite and against Postgres.
func bothDBs(t *testing.T, fn func(t *testing.T, db testDB)) {
	t.Run("sqlite", func(t *testing.T) { fn(t, newSQLite(t)) })
	t.Run("postgres", func(t *testing.T) { fn(t, newPostgres(t)) })
}

// storedTxns reads a link's transactions as rows comparable with
// fakeMK.view.
func storedTxns(t testing.TB, m *mirror.Mirror, linkID string) map[string]txnRow {
	t.Helper()
	q := `SELECT transaction_id, link_id, account_id, amount, type, currency, date, COALESCE(datetime, ''), description, raw_description, category, pending FROM transactions WHERE link_id = ?`
	if m.Dialect() == "postgres" {
		q = `SELECT transaction_id, link_id, account_id, amount::text, type, currency, to_char(date, 'YYYY-MM-DD'),
COALESCE(to_char(datetime AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'), ''), description, raw_description, category, pending FROM transactions WHERE link_id = $1`
	}
	rows, err := m.DB().Query(q, linkID)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]txnRow{}
	for rows.Next() {
		var id string
		var r txnRow
		if err := rows.Scan(&id, &r.LinkID, &r.AccountID, &r.Amount, &r.Type, &r.Currency, &r.Date, &r.Datetime,
			&r.Description, &r.RawDescription, &r.Category, &r.Pending); err != nil {
			t.Fatal(err)
		}
		if r.Datetime != "" {
			tm, err := time.Parse(time.RFC3339Nano, r.Datetime)
			if err != nil {
				t.Fatalf("datetime %q: %v", r.Datetime, err)
			}
			r.Datetime = tm.UTC().Format(time.RFC3339)
		}
		if _, dup := out[id]; dup {
			t.Fatalf("transaction %s stored twice", id)
		}
		out[id] = r
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// diffTxns describes how got differs from want ("" when equal).
func diffTxns(want, got map[string]txnRow) string {
	var b strings.Builder
	n := 0
	for id, w := range want {
		g, ok := got[id]
		switch {
		case !ok:
			fmt.Fprintf(&b, "missing %s (pending=%v)\n", id, w.Pending)
		case g != w:
			fmt.Fprintf(&b, "differs %s:\n  want %+v\n  got  %+v\n", id, w, g)
		default:
			continue
		}
		if n++; n > 10 {
			return b.String() + "…"
		}
	}
	for id, g := range got {
		if _, ok := want[id]; !ok {
			fmt.Fprintf(&b, "extra %s (pending=%v)\n", id, g.Pending)
			if n++; n > 10 {
				return b.String() + "…"
			}
		}
	}
	return b.String()
}

func count(t testing.TB, db *sql.DB, q string, args ...any) int {
	t.Helper()
	var n int
	if err := db.QueryRow(q, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return n
}

// rebind writes ? placeholders as $N for Postgres.
func rebind(m dbHolder, q string) string {
	if m.Dialect() != "postgres" {
		return q
	}
	var b strings.Builder
	n := 0
	for _, c := range q {
		if c == '?' {
			n++
			fmt.Fprintf(&b, "$%d", n)
			continue
		}
		b.WriteRune(c)
	}
	return b.String()
}

func countM(t testing.TB, m dbHolder, q string, args ...any) int {
	t.Helper()
	return count(t, m.DB(), rebind(m, q), args...)
}

// emptyTables deletes every row the mirror holds.
func emptyTables(t testing.TB, m *mirror.Mirror) {
	t.Helper()
	for _, tbl := range []string{"links", "accounts", "transactions", "pending_staged", "payments", "refunds", "webhook_events"} {
		if _, err := m.DB().Exec(`DELETE FROM ` + tbl); err != nil {
			t.Fatal(err)
		}
	}
}

// openRaw opens the test database with database/sql only, bypassing
// Open's migrations, for inspecting a database Open refused.
func (d testDB) openRaw(t testing.TB) *rawMirror {
	t.Helper()
	var db *sql.DB
	var err error
	if d.dialect == "sqlite" {
		db, err = sql.Open("sqlite", strings.TrimPrefix(d.dsn, "sqlite:"))
	} else {
		cc, perr := pgx.ParseConfig(d.dsn)
		if perr != nil {
			t.Fatal(perr)
		}
		cc.RuntimeParams["search_path"] = d.schema
		db = stdlib.OpenDB(*cc)
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return &rawMirror{db: db, dialect: d.dialect}
}

// dbHolder is a *mirror.Mirror or a rawMirror.
type dbHolder interface {
	DB() *sql.DB
	Dialect() string
}

type rawMirror struct {
	db      *sql.DB
	dialect string
}

func (r *rawMirror) DB() *sql.DB     { return r.db }
func (r *rawMirror) Dialect() string { return r.dialect }
