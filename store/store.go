// Package store is calsync's local state: one SQLite database (modernc.org/sqlite, no cgo)
// holding activities, accounts, secrets, sync settings, links, cursors and the journal.
// The schema is a set of numbered SQL migrations embedded in the binary and applied at Open.
//
// Every query method takes a Handler, which is either the *sql.DB or a *sql.Tx, so callers
// compose several writes into one transaction with Store.Tx.
package store

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	_ "modernc.org/sqlite"

	"github.com/calsync/calsync/store/datadir"
)

//go:embed migrations/*.sql
var migrationFS embed.FS

// DBFileName is the database's name inside the data directory.
const DBFileName = datadir.DBFileName

// Handler is what queries run on: the database or a transaction.
type Handler interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// Store is an open calsync database.
type Store struct {
	DB   *sql.DB
	Dir  string
	Path string
	// Tightened lists the paths whose permissions Open narrowed (to tell the person once).
	Tightened []string
	// Keyring holds account secrets when set (the caller detects it: store/oskeyring);
	// nil keeps them in the database. KeyringNote says why there is none.
	Keyring     Keyring
	KeyringNote string
}

// Open opens (creating if needed) the database in dir and applies pending migrations.
// The directory must be private: datadir.Prepare creates it 0700, or tightens it only
// when it holds nothing but calsync's files, and refuses (a *datadir.Refusal saying why
// and what to do) an existing shared or foreign directory. The database files are always
// calsync's own and are narrowed to 0600.
func Open(ctx context.Context, dir string) (*Store, error) {
	if dir == "" {
		return nil, errors.New("store: no data directory")
	}
	var tightened []string
	prep, err := datadir.Prepare(dir)
	if err != nil {
		return nil, err
	}
	if prep.Tightened {
		tightened = append(tightened, dir)
	}
	path := filepath.Join(dir, DBFileName)
	// Create the file ourselves so it is never world-readable, not even for an instant.
	if f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600); err != nil {
		return nil, fmt.Errorf("open database %s: %w", path, err)
	} else {
		f.Close()
	}
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		if t, err := tighten(p, 0o600); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return nil, err
		} else if t {
			tightened = append(tightened, p)
		}
	}
	dsn := "file:" + path + "?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=foreign_keys(1)&_pragma=synchronous(NORMAL)&_txlock=immediate"
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("open database %s: %w", path, err)
	}
	s := &Store{DB: db, Dir: dir, Path: path, Tightened: tightened}
	if err := s.migrate(ctx); err != nil {
		db.Close()
		return nil, err
	}
	// WAL side files appear on first write; keep them private too.
	for _, p := range []string{path + "-wal", path + "-shm"} {
		_, _ = tighten(p, 0o600)
	}
	return s, nil
}

// Close closes the database.
func (s *Store) Close() error { return s.DB.Close() }

// tighten narrows path's permission bits to at most perm; it reports whether it changed them.
func tighten(path string, perm os.FileMode) (bool, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return false, err
	}
	if fi.Mode().Perm()&^perm == 0 {
		return false, nil
	}
	if err := os.Chmod(path, perm); err != nil {
		return false, fmt.Errorf("tighten permissions of %s: %w", path, err)
	}
	return true, nil
}

// Tx runs fn in one transaction: committed when fn returns nil, rolled back otherwise.
func (s *Store) Tx(ctx context.Context, fn func(h Handler) error) (err error) {
	tx, err := s.DB.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer func() {
		if p := recover(); p != nil {
			tx.Rollback()
			panic(p)
		}
		if err != nil {
			tx.Rollback()
		}
	}()
	if err = fn(tx); err != nil {
		return err
	}
	return tx.Commit()
}

type migration struct {
	version int
	name    string
	sql     string
}

func migrations() ([]migration, error) {
	entries, err := fs.ReadDir(migrationFS, "migrations")
	if err != nil {
		return nil, err
	}
	var ms []migration
	for _, e := range entries {
		num, _, ok := strings.Cut(e.Name(), "_")
		if !ok {
			return nil, fmt.Errorf("migration %s: name must be NNNN_what.sql", e.Name())
		}
		v, err := strconv.Atoi(num)
		if err != nil {
			return nil, fmt.Errorf("migration %s: %w", e.Name(), err)
		}
		b, err := migrationFS.ReadFile("migrations/" + e.Name())
		if err != nil {
			return nil, err
		}
		ms = append(ms, migration{version: v, name: e.Name(), sql: string(b)})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].version < ms[j].version })
	return ms, nil
}

// LatestSchemaVersion is the version a fully migrated database has.
func LatestSchemaVersion() int {
	ms, _ := migrations()
	if len(ms) == 0 {
		return 0
	}
	return ms[len(ms)-1].version
}

// SchemaVersion reads the database's schema version (PRAGMA user_version).
func (s *Store) SchemaVersion(ctx context.Context) (int, error) {
	var v int
	err := s.DB.QueryRowContext(ctx, "PRAGMA user_version").Scan(&v)
	return v, err
}

func (s *Store) migrate(ctx context.Context) error {
	ms, err := migrations()
	if err != nil {
		return err
	}
	cur, err := s.SchemaVersion(ctx)
	if err != nil {
		return fmt.Errorf("read schema version: %w", err)
	}
	if latest := LatestSchemaVersion(); cur > latest {
		return fmt.Errorf("database schema version %d is newer than this calsync (%d): upgrade calsync", cur, latest)
	}
	for _, m := range ms {
		if m.version <= cur {
			continue
		}
		err := s.Tx(ctx, func(h Handler) error {
			if _, err := h.ExecContext(ctx, m.sql); err != nil {
				return fmt.Errorf("migration %s: %w", m.name, err)
			}
			// PRAGMA does not take bind parameters; the version is our own integer.
			_, err := h.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", m.version))
			return err
		})
		if err != nil {
			return err
		}
	}
	return nil
}
