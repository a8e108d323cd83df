package mirror

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"
)

// The migrations are SQL files embedded per dialect, numbered NNNN_name.sql,
// and applied in order inside one transaction that also records them in
// schema_migrations. See the package documentation for why this is not a
// migration library.
//
//go:embed migrations
var migrationFiles embed.FS

type migration struct {
	version int
	name    string
	sql     string
}

func loadMigrations(dir string) ([]migration, error) {
	entries, err := fs.ReadDir(migrationFiles, path.Join("migrations", dir))
	if err != nil {
		return nil, err
	}
	var out []migration
	for _, e := range entries {
		n, _, ok := strings.Cut(e.Name(), "_")
		v, err := strconv.Atoi(n)
		if !ok || err != nil || !strings.HasSuffix(e.Name(), ".sql") {
			return nil, fmt.Errorf("mirror: migration file %s: want NNNN_name.sql", e.Name())
		}
		b, err := migrationFiles.ReadFile(path.Join("migrations", dir, e.Name()))
		if err != nil {
			return nil, err
		}
		out = append(out, migration{version: v, name: e.Name(), sql: string(b)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].version < out[j].version })
	return out, nil
}

// SchemaVersion is the newest schema this banklink knows.
func SchemaVersion() int {
	ms, _ := loadMigrations("sqlite")
	return ms[len(ms)-1].version
}

// migrationLockKey is the Postgres advisory lock a migration holds (for its
// transaction only), so that fleet instances starting at once migrate one
// after another.
const migrationLockKey = 0x62616e6b6c696e6b // "banklink"

func (m *Mirror) migrate(ctx context.Context) error {
	ms, err := loadMigrations(m.dialect.name())
	if err != nil {
		return err
	}
	tx, err := m.db.BeginTx(ctx, nil)
	if err != nil {
		return m.openErr(err)
	}
	defer tx.Rollback()
	if pg, ok := m.dialect.(postgresDialect); ok {
		if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1)`, int64(migrationLockKey)); err != nil {
			return m.openErr(err)
		}
		if _, err := tx.ExecContext(ctx, `CREATE SCHEMA IF NOT EXISTS `+pg.schema); err != nil {
			return m.openErr(err)
		}
	}
	current, err := m.schemaVersion(ctx, tx)
	if err != nil {
		return m.openErr(err)
	}
	newest := ms[len(ms)-1].version
	if current > newest {
		return fmt.Errorf("%w: the database is at schema version %d, this banklink knows up to %d; upgrade banklink (nothing was changed)",
			ErrNewerSchema, current, newest)
	}
	if current == newest {
		return nil // nothing to write: a read-only replica opens too
	}
	if current < 0 {
		if _, err := tx.ExecContext(ctx, `CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)`); err != nil {
			return m.openErr(err)
		}
	}
	for _, mg := range ms {
		if mg.version <= current {
			continue
		}
		if _, err := tx.ExecContext(ctx, mg.sql); err != nil {
			return fmt.Errorf("mirror: migration %s: %w", mg.name, m.openErr(err))
		}
		if _, err := tx.ExecContext(ctx, m.dialect.rebind(`INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)`),
			mg.version, mg.name, m.now().Format(time.RFC3339Nano)); err != nil {
			return m.openErr(err)
		}
		m.log.InfoContext(ctx, "mirror: migrated", "version", mg.version, "name", mg.name)
	}
	if err := tx.Commit(); err != nil {
		return m.openErr(err)
	}
	return nil
}

// schemaVersion is the highest applied migration, 0 when none is, and -1
// when the version table does not exist yet.
func (m *Mirror) schemaVersion(ctx context.Context, tx *sql.Tx) (int, error) {
	var exists bool
	var err error
	switch d := m.dialect.(type) {
	case postgresDialect:
		err = tx.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM information_schema.tables WHERE table_schema = $1 AND table_name = 'schema_migrations')`, d.schema).Scan(&exists)
	default:
		var n int
		err = tx.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'`).Scan(&n)
		exists = n > 0
	}
	if err != nil || !exists {
		return -1, err
	}
	var v sql.NullInt64
	if err := tx.QueryRowContext(ctx, `SELECT max(version) FROM schema_migrations`).Scan(&v); err != nil {
		return 0, err
	}
	return int(v.Int64), nil
}

// openErr classifies a failure while opening or migrating.
func (m *Mirror) openErr(err error) error {
	if err == nil {
		return nil
	}
	s := strings.ToLower(err.Error())
	if strings.Contains(s, "readonly") || strings.Contains(s, "read-only") || strings.Contains(s, "read only") {
		return fmt.Errorf("%w: %v", ErrReadOnly, redactPG(err))
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	return fmt.Errorf("mirror: %s: %v", m.dialect.name(), redactPG(err))
}
