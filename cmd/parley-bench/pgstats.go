package main

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"
)

// pgStats counts the statements the server's database ran, from pg_stat_statements
// (-pg-stats: the server's PARLEY_DB on a PostgreSQL whose shared_preload_libraries
// loads it, pg_stat_statements.track = top). The counter is reset before an operation's
// timed window and read after it (and a settle pause for the background work its
// writes woke); the idle rate, measured first, is taken off.
type pgStats struct {
	db   *sql.DB
	idle float64 // statements a second with no requests
}

func openPGStats(ctx context.Context, url string) (*pgStats, error) {
	db, err := sql.Open("pgx", url)
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(1)
	if _, err := db.ExecContext(ctx, `CREATE EXTENSION IF NOT EXISTS pg_stat_statements`); err != nil {
		return nil, fmt.Errorf("pg_stat_statements: %w", err)
	}
	return &pgStats{db: db}, nil
}

func (p *pgStats) reset(ctx context.Context) error {
	_, err := p.db.ExecContext(ctx, `SELECT pg_stat_statements_reset()`)
	return err
}

// calls is the statements run in this database since the reset (this tool's own left
// out), and of them the foreign-key checks PostgreSQL runs inside an insert or update
// (its RI triggers' "SELECT 1 FROM ONLY … FOR KEY SHARE OF x"): pg_stat_statements lists
// them as statements, but they are no round trip of the server's.
func (p *pgStats) calls(ctx context.Context) (all, fk float64, err error) {
	err = p.db.QueryRowContext(ctx, `SELECT COALESCE(SUM(calls), 0),
			COALESCE(SUM(calls) FILTER (WHERE query LIKE 'SELECT % FROM ONLY %FOR KEY SHARE OF x'), 0)
		FROM pg_stat_statements
		WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
		AND query NOT LIKE '%pg_stat_statements%'`).Scan(&all, &fk)
	return all, fk, err
}

// measureIdle is the idle statement rate over d.
func (p *pgStats) measureIdle(ctx context.Context, d time.Duration) error {
	if err := p.reset(ctx); err != nil {
		return err
	}
	time.Sleep(d)
	n, _, err := p.calls(ctx)
	p.idle = n / d.Seconds()
	return err
}

const settle = 500 * time.Millisecond
