package mirror_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/banklink/banklink/facade/mirror"
)

func TestOpenRefusesBadInputAndChangesNothing(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		dsn  string
		want error
	}{
		{"", mirror.ErrUnknownScheme},
		{"mysql://root:hunter2@db/x", mirror.ErrUnknownScheme},
		{"banklink.db", mirror.ErrUnknownScheme},
		{"sqlite:", mirror.ErrUnknownScheme},
		{"postgres://u:hunter2@127.0.0.1:1/db?connect_timeout=2", mirror.ErrUnreachable},
		{"sqlite:" + filepath.Join(t.TempDir(), "no", "such", "dir", "m.db"), mirror.ErrUnreachable},
	} {
		m, err := mirror.Open(ctx, tc.dsn)
		if !errors.Is(err, tc.want) {
			if m != nil {
				m.Close()
			}
			t.Fatalf("Open(%q) = %v; want %v", tc.dsn, err, tc.want)
		}
		if strings.Contains(err.Error(), "hunter2") {
			t.Fatalf("Open(%q): the error repeats the password: %v", tc.dsn, err)
		}
	}
	if _, err := mirror.Open(ctx, "sqlite:"+filepath.Join(t.TempDir(), "m.db"), mirror.WithSchema("Bad-Name")); !errors.Is(err, mirror.ErrInvalidOption) || !strings.Contains(err.Error(), "schema") {
		t.Fatalf("a bad schema name gave %v; want ErrInvalidOption naming the schema rule", err)
	}
	if _, err := mirror.Open(ctx, "sqlite:"+filepath.Join(t.TempDir(), "m.db"), mirror.WithPageSize(0)); !errors.Is(err, mirror.ErrInvalidOption) || !strings.Contains(err.Error(), "page size") {
		t.Fatalf("a page size of 0 gave %v; want ErrInvalidOption naming the page size", err)
	}
}

func TestOpenReadOnlySQLiteFileIsRefusedUnchanged(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "ro.db")
	m, err := mirror.Open(ctx, "sqlite:"+path)
	if err != nil {
		t.Fatal(err)
	}
	m.Close()
	os.Remove(path + "-wal")
	os.Remove(path + "-shm")
	before, _ := os.ReadFile(path)
	if err := os.Chmod(path, 0o444); err != nil {
		t.Fatal(err)
	}
	_, err = mirror.Open(ctx, "sqlite:"+path)
	if !errors.Is(err, mirror.ErrReadOnly) {
		t.Fatalf("Open(read-only file) = %v; want ErrReadOnly", err)
	}
	after, _ := os.ReadFile(path)
	if !bytes.Equal(before, after) {
		t.Fatal("the read-only file changed")
	}
	if _, err := os.Stat(path + "-wal"); err == nil {
		t.Fatal("a WAL file was created beside the read-only database")
	}
}

func TestOpenRefusesASchemaFromANewerBanklink(t *testing.T) {
	bothDBs(t, func(t *testing.T, db testDB) {
		ctx := context.Background()
		m := db.open(t)
		newer := mirror.SchemaVersion() + 1
		if _, err := m.DB().Exec(rebind(m, `INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, 'future.sql', 'x')`), newer); err != nil {
			t.Fatal(err)
		}
		if _, err := m.DB().Exec(rebind(m, `INSERT INTO links (link_id) VALUES (?)`), "mk_keep"); err != nil {
			t.Fatal(err)
		}
		m.Close()

		opts := []mirror.Option{}
		if db.schema != "" {
			opts = append(opts, mirror.WithSchema(db.schema))
		}
		_, err := mirror.Open(ctx, db.dsn, opts...)
		if !errors.Is(err, mirror.ErrNewerSchema) || !strings.Contains(err.Error(), "upgrade banklink") {
			t.Fatalf("Open = %v; want ErrNewerSchema telling to upgrade", err)
		}
		// Unchanged: the same rows, the same versions.
		raw := db.openRaw(t)
		if n := countM(t, raw, `SELECT count(*) FROM schema_migrations`); n != 2 {
			t.Fatalf("%d schema_migrations rows; want the 2 there were", n)
		}
		if n := countM(t, raw, `SELECT count(*) FROM links WHERE link_id = 'mk_keep'`); n != 1 {
			t.Fatal("the links row is gone")
		}
	})
}

func TestMigrationsRunOnceAndConcurrently(t *testing.T) {
	bothDBs(t, func(t *testing.T, db testDB) {
		// Four instances opening a new database at once: one migrates, the
		// others find it done.
		errs := make(chan error, 4)
		for range 4 {
			go func() {
				opts := []mirror.Option{}
				if db.schema != "" {
					opts = append(opts, mirror.WithSchema(db.schema))
				}
				m, err := mirror.Open(context.Background(), db.dsn, opts...)
				if err == nil {
					m.Close()
				}
				errs <- err
			}()
		}
		for range 4 {
			if err := <-errs; err != nil {
				t.Fatal(err)
			}
		}
		m := db.open(t)
		if n := countM(t, m, `SELECT count(*) FROM schema_migrations`); n != mirror.SchemaVersion() {
			t.Fatalf("%d migrations recorded; want %d", n, mirror.SchemaVersion())
		}
	})
}
