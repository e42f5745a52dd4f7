package main

// The operator's database commands: `parley backup`, `parley restore`, `parley migrate`.
// They find the database the way `parley serve` does (PARLEY_DB, else parley.db in
// PARLEY_DATA_DIR) and run beside a serving node or instead of it.

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"

	"github.com/parley-chat/parley/internal/store"
)

// errUsage is a wrong command line: main exits 2 after the message.
var errUsage = errors.New("usage")

// storeFlags parses the two settings that say where the database is, checked as
// `parley serve` checks them, and returns the remaining arguments.
func storeFlags(name, usage string, args []string) (*config, []string, error) {
	c := &config{}
	s := newSettings(name)
	s.add(&textValue{p: &c.DataDir, checks: []func(string) error{nonEmpty}}, "data-dir", "PARLEY_DATA_DIR", "./data", "data directory holding parley.db")
	s.add(&textValue{p: &c.DB, checks: []func(string) error{database}}, "db", "PARLEY_DB", "", "database: empty for parley.db in the data dir, a file path, or a postgres:// URL")
	s.positional = usage
	if err := s.parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil, nil, flag.ErrHelp
		}
		fmt.Fprintln(os.Stderr, "parley:", err)
		return nil, nil, errUsage
	}
	return c, s.fs.Args(), nil
}

// sqliteCommand reads the command line of backup and restore: the SQLite database and
// the one file argument. On PostgreSQL it answers pgTools, which names the tools to use.
func sqliteCommand(name string, args []string, pgTools string) (c *config, target, file string, err error) {
	c, rest, err := storeFlags(name, "<file>", args)
	if err != nil {
		return nil, "", "", err
	}
	if len(rest) != 1 || rest[0] == "" {
		fmt.Fprintf(os.Stderr, "usage: parley %s [-data-dir dir] [-db path] <file>\n", name)
		return nil, "", "", errUsage
	}
	target = storeTarget(c)
	if store.IsPostgresURL(target) {
		return nil, "", "", errors.New("PARLEY_DB is PostgreSQL: " + pgTools)
	}
	return c, target, rest[0], nil
}

// backup writes a consistent copy of the SQLite database to a new file while the server
// keeps serving.
func backup(args []string) error {
	c, target, file, err := sqliteCommand("backup", args,
		"back it up with PostgreSQL's own tools, e.g. pg_dump -Fc -f parley.dump \"$PARLEY_DB\" (restore with pg_restore)")
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := store.BackupSQLite(ctx, target, file); err != nil {
		return err
	}
	st, err := os.Stat(file)
	if err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "parley: backup of %s written to %s (%d bytes, checked)\n", target, file, st.Size())
	fmt.Fprintf(os.Stderr, "parley: uploaded files are not in the database: copy %s as well\n", filepath.Join(c.DataDir, "files"))
	return nil
}

// restore replaces the SQLite database with a checked backup; it refuses while a server
// has the database open.
func restore(args []string) error {
	_, target, file, err := sqliteCommand("restore", args,
		"restore a pg_dump archive with pg_restore (e.g. pg_restore --clean -d \"$PARLEY_DB\" parley.dump), then run parley migrate")
	if err != nil {
		return err
	}
	if err := store.RestoreSQLite(context.Background(), file, target); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "parley: %s restored from %s\n", target, file)
	return nil
}

// migrate brings the database's schema up to this binary's, without serving: on
// PostgreSQL, run it once before rolling new nodes out.
func migrate(args []string) error {
	c, rest, err := storeFlags("migrate", "", args)
	if err != nil {
		return err
	}
	if len(rest) != 0 {
		fmt.Fprintln(os.Stderr, "usage: parley migrate [-data-dir dir] [-db path-or-url]")
		return errUsage
	}
	if !store.IsPostgresURL(c.DB) {
		if err := os.MkdirAll(c.DataDir, 0o750); err != nil {
			return err
		}
	}
	ctx := context.Background()
	db, err := store.Open(ctx, storeTarget(c), store.Options{})
	if err != nil {
		return err
	}
	defer db.Close()
	n, err := db.AppliedMigrations(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "parley: %s database migrated (%d migrations applied)\n", db.Dialect(), n)
	return nil
}
