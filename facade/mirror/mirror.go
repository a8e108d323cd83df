package mirror

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	_ "modernc.org/sqlite" // registers the "sqlite" database/sql driver
)

// EnvDB names the environment variable banklink mirror reads as the default
// for --db.
const EnvDB = "BANKLINK_MIRROR_DB"

// DefaultSchema is the Postgres schema the mirror's tables live in.
const DefaultSchema = "banklink"

// Errors Open returns. Each is wrapped with what went wrong in words; test
// with errors.Is.
var (
	// ErrUnknownScheme: the DSN is neither sqlite:PATH nor postgres://….
	ErrUnknownScheme = errors.New("mirror: unknown database scheme")
	// ErrUnreachable: the database could not be reached or opened.
	ErrUnreachable = errors.New("mirror: database unreachable")
	// ErrReadOnly: the database refuses writes (a read-only SQLite file).
	ErrReadOnly = errors.New("mirror: database is read-only")
	// ErrNewerSchema: the database was migrated by a newer banklink.
	ErrNewerSchema = errors.New("mirror: database schema is newer than this banklink")
	// ErrInvalidOption: an Option's value breaks its rule (WithSchema,
	// WithPageSize).
	ErrInvalidOption = errors.New("mirror: invalid option")
)

// Option configures Open.
type Option func(*config)

type config struct {
	pageSize int
	schema   string
	logger   *slog.Logger
	now      func() time.Time
}

// WithSchema sets the Postgres schema the tables live in (default
// "banklink"). It must be a plain lower-case identifier. SQLite ignores it.
func WithSchema(name string) Option { return func(c *config) { c.schema = name } }

// WithPageSize sets how many changes a sync asks MoneyKit for per page,
// 1 to 500 (default 500, MoneyKit's maximum). Smaller pages mean smaller
// transactions and more calls.
func WithPageSize(n int) Option { return func(c *config) { c.pageSize = n } }

// WithLogger sends the mirror's log (link ids, counts, skipped products,
// errors; never a secret or a customer's data) to l. The default discards.
func WithLogger(l *slog.Logger) Option { return func(c *config) { c.logger = l } }

// WithClock sets the clock the mirror stamps synced_at, updated_at and
// received_at with (default time.Now); the stamps are stored in UTC.
func WithClock(now func() time.Time) Option { return func(c *config) { c.now = now } }

// Mirror is a database kept current with MoneyKit links and Link Money
// payments. It is safe for concurrent use, and several processes may share
// one database (see the package documentation for the locking rules).
type Mirror struct {
	db      *sql.DB
	dialect dialect
	cfg     config
	log     *slog.Logger

	// linkMu serialises syncs of one link inside this process (both
	// databases); across processes Postgres uses an advisory lock and
	// SQLite the compare-and-set on the stored cursor.
	linkMu sync.Mutex
	links  map[string]*linkGate

	// failpoint, set by tests only, fails a sync at a named step.
	failpoint func(step string) error
	pageSize  int
}

var schemaName = regexp.MustCompile(`^[a-z_][a-z0-9_]{0,62}$`)

// Open opens the database dsn names, runs the mirror's migrations and
// returns the Mirror. dsn is "sqlite:PATH" (the file is created if missing)
// or "postgres://…" / "postgresql://…" (a libpq URL, as pgx reads it).
//
// Open changes nothing when it fails: an unknown scheme, an unreachable
// server, a read-only file or a schema written by a newer banklink are
// reported (ErrUnknownScheme, ErrUnreachable, ErrReadOnly, ErrNewerSchema)
// before or instead of any write; a migration runs in one transaction.
func Open(ctx context.Context, dsn string, opts ...Option) (*Mirror, error) {
	cfg := config{schema: DefaultSchema, now: time.Now, pageSize: PageSize}
	for _, o := range opts {
		if o != nil {
			o(&cfg)
		}
	}
	if cfg.pageSize < 1 || cfg.pageSize > PageSize {
		return nil, fmt.Errorf("%w: page size %d: must be 1 to %d", ErrInvalidOption, cfg.pageSize, PageSize)
	}
	if !schemaName.MatchString(cfg.schema) {
		return nil, fmt.Errorf("%w: schema %q: must be a lower-case identifier (a-z, 0-9, _; at most 63)", ErrInvalidOption, cfg.schema)
	}
	log := cfg.logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	m := &Mirror{cfg: cfg, log: log, links: map[string]*linkGate{}, pageSize: cfg.pageSize}

	scheme, rest, _ := strings.Cut(dsn, ":")
	switch strings.ToLower(scheme) {
	case "sqlite":
		if err := m.openSQLite(ctx, rest); err != nil {
			return nil, err
		}
	case "postgres", "postgresql":
		if err := m.openPostgres(ctx, dsn); err != nil {
			return nil, err
		}
	default:
		if dsn == "" {
			return nil, fmt.Errorf("%w: no database given: pass --db or set %s to sqlite:PATH or postgres://…", ErrUnknownScheme, EnvDB)
		}
		// Only the scheme is echoed: the rest may hold a password.
		return nil, fmt.Errorf("%w %q: the database must be sqlite:PATH or postgres://…", ErrUnknownScheme, safeScheme(scheme))
	}
	if err := m.migrate(ctx); err != nil {
		m.db.Close()
		return nil, err
	}
	return m, nil
}

func safeScheme(s string) string {
	if len(s) > 20 || strings.ContainsAny(s, "@/") {
		return "…"
	}
	return s
}

func (m *Mirror) openSQLite(ctx context.Context, path string) error {
	path = strings.TrimPrefix(path, "//")
	if path == "" {
		return fmt.Errorf("%w: sqlite: needs a file path, as in sqlite:banklink.db", ErrUnknownScheme)
	}
	if strings.ContainsAny(path, "?#") {
		return fmt.Errorf("mirror: sqlite:%s: the path may not contain ? or #", path)
	}
	// A read-only file (or directory) is refused before SQLite is asked:
	// SQLite would otherwise open it and fail only at the first write.
	if fi, err := os.Stat(path); err == nil {
		if fi.IsDir() {
			return fmt.Errorf("mirror: sqlite:%s is a directory", path)
		}
		if fi.Mode().Perm()&0o222 == 0 {
			return fmt.Errorf("%w: sqlite:%s: the file's mode (%v) allows no writes", ErrReadOnly, path, fi.Mode().Perm())
		}
		f, err := os.OpenFile(path, os.O_RDWR, 0)
		if err != nil {
			return fmt.Errorf("%w: sqlite:%s cannot be opened for writing: %v", ErrReadOnly, path, pathErr(err))
		}
		f.Close()
	} else if !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("%w: sqlite:%s: %v", ErrUnreachable, path, pathErr(err))
	} else if _, err := os.Stat(filepath.Dir(path)); err != nil {
		return fmt.Errorf("%w: sqlite:%s: directory %s: %v", ErrUnreachable, path, filepath.Dir(path), pathErr(err))
	}
	// WAL lets readers (banklink mirror status, the user's queries) run
	// beside a sync; busy_timeout waits for another process's write
	// transaction instead of failing; immediate transactions take the
	// write lock at BEGIN, so two writers never deadlock on an upgrade.
	q := url.Values{}
	q.Add("_pragma", "busy_timeout(10000)")
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "synchronous(NORMAL)")
	q.Add("_pragma", "foreign_keys(ON)")
	q.Set("_txlock", "immediate")
	q.Set("_time_format", "sqlite")
	db, err := sql.Open("sqlite", "file:"+path+"?"+q.Encode())
	if err != nil {
		return fmt.Errorf("%w: sqlite:%s: %v", ErrUnreachable, path, err)
	}
	// One connection: SQLite writes one transaction at a time anyway, and
	// one connection keeps a process from queueing on its own lock.
	db.SetMaxOpenConns(1)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return fmt.Errorf("%w: sqlite:%s: %v", ErrUnreachable, path, err)
	}
	m.db, m.dialect = db, sqliteDialect{}
	return nil
}

func pathErr(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

func (m *Mirror) openPostgres(ctx context.Context, dsn string) error {
	cc, err := pgx.ParseConfig(dsn)
	if err != nil {
		// pgx's parse errors do not repeat the password; still, name only
		// the rule.
		return fmt.Errorf("%w: the postgres:// DSN does not parse: %v", ErrUnknownScheme, redactPG(err))
	}
	if cc.RuntimeParams == nil {
		cc.RuntimeParams = map[string]string{}
	}
	cc.RuntimeParams["search_path"] = m.cfg.schema
	cc.RuntimeParams["timezone"] = "UTC"
	if cc.ConnectTimeout == 0 {
		cc.ConnectTimeout = 10 * time.Second
	}
	where := net.JoinHostPort(cc.Host, fmt.Sprint(cc.Port))
	db := stdlib.OpenDB(*cc)
	db.SetMaxOpenConns(16)
	db.SetMaxIdleConns(8)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return fmt.Errorf("%w: postgres at %s: %v", ErrUnreachable, where, redactPG(err))
	}
	m.db, m.dialect = db, postgresDialect{schema: m.cfg.schema}
	return nil
}

// redactPG keeps a pgx error's message but drops anything that looks like
// a password assignment.
func redactPG(err error) string {
	s := err.Error()
	return pgPassword.ReplaceAllString(s, "password=…")
}

var pgPassword = regexp.MustCompile(`password=\S+`)

// DB is the mirror's database handle, for the user's own queries. On
// Postgres its connections have search_path set to the mirror's schema.
func (m *Mirror) DB() *sql.DB { return m.db }

// Dialect is "sqlite" or "postgres".
func (m *Mirror) Dialect() string { return m.dialect.name() }

// Close closes the database.
func (m *Mirror) Close() error { return m.db.Close() }

func (m *Mirror) now() time.Time { return m.cfg.now().UTC() }
