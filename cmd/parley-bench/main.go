// Command parley-bench is Parley's load tool. It starts a server (or targets one), prepares
// users and channels, drives each operation with N concurrent clients for a fixed count or
// duration, and prints per operation: ops/s, latency percentiles, errors, and the server's
// CPU seconds per 1,000 operations. It also measures a trivial HTTP handler on the same
// machine in the same run and prints every throughput as a ratio to it, so that results
// compare across machines.
//
// It also prints the server's peak memory over the whole run and the machine's load
// averages; -profile saves the server's CPU profile of each operation. docs/performance.md
// explains the figures and holds the current ones.
//
//	go run ./cmd/parley-bench                       # start a SQLite server, run everything
//	go run ./cmd/parley-bench -ops get-channel -n 20000 -clients 8
//	go run ./cmd/parley-bench -duration 5s -members 300000 -json out.json
//	go run ./cmd/parley-bench -duration 5s -profile prof/
//	go run ./cmd/parley-bench -db postgres://postgres@127.0.0.1:5432/test?sslmode=disable
//	go run ./cmd/parley-bench -target http://127.0.0.1:8080 -api-key K -server-key S
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"time"
)

type options struct {
	target     string
	apiKey     string
	serverKey  string
	db         string
	clients    int
	count      int
	duration   time.Duration
	ops        string
	members    int
	jsonOut    string
	binary     string
	profileDir string
	pgStats    string
}

func main() {
	var o options
	flag.StringVar(&o.target, "target", "", "base URL of a running server; empty starts one")
	flag.StringVar(&o.apiKey, "api-key", "", "API key of the target server")
	flag.StringVar(&o.serverKey, "server-key", "", "server key of the target server")
	flag.StringVar(&o.db, "db", "", "PARLEY_DB for the started server (empty: SQLite in a temp dir)")
	flag.StringVar(&o.binary, "binary", "", "parley binary to start (empty: go build ./cmd/parley)")
	flag.IntVar(&o.clients, "clients", 8, "concurrent clients")
	flag.IntVar(&o.count, "n", 5000, "operations per operation kind (ignored with -duration)")
	flag.DurationVar(&o.duration, "duration", 0, "run each operation for this long instead of -n times")
	flag.StringVar(&o.ops, "ops", strings.Join(opNames(), ","), "operations to run, comma-separated")
	flag.IntVar(&o.members, "members", 0, "also run every operation on a channel with this many members (e.g. 300000)")
	flag.StringVar(&o.jsonOut, "json", "", "write the results as JSON to this file")
	flag.StringVar(&o.profileDir, "profile", "", "write the started server's CPU profile of each operation (and a heap profile at the end) into this directory; needs -duration")
	flag.StringVar(&o.pgStats, "pg-stats", "", "PostgreSQL URL of the server's database with pg_stat_statements loaded: count statements per call (use -clients 1)")
	flag.Parse()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, o); err != nil {
		fmt.Fprintln(os.Stderr, "parley-bench:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, o options) error {
	if o.profileDir != "" {
		if o.duration <= 0 || o.target != "" {
			return fmt.Errorf("-profile needs -duration and a server this tool starts")
		}
		if err := os.MkdirAll(o.profileDir, 0o755); err != nil {
			return err
		}
	}
	srv, err := startOrTarget(ctx, o)
	if err != nil {
		return err
	}
	defer srv.stop()

	if o.pgStats != "" {
		if srv.stats, err = openPGStats(ctx, o.pgStats); err != nil {
			return err
		}
		time.Sleep(3 * time.Second) // start-up work done
		if err := srv.stats.measureIdle(ctx, 10*time.Second); err != nil {
			return err
		}
		fmt.Printf("idle: %.2f statements a second\n", srv.stats.idle)
	}
	base := measureBaseline(ctx, o)
	fmt.Printf("%s\nload before the run: %s\n", machine(), loadAverage())
	fmt.Printf("trivial handler: %.0f req/s at %d clients (p50 %s, p99 %s, client+handler CPU %.2f s per 1k)\n\n", base.OpsPerSec, o.clients, ms(base.P50), ms(base.P99), base.ClientCPU1000)

	rep := report{Machine: machine(), LoadBefore: loadAverage(), Clients: o.clients, Baseline: base, Server: srv.describe()}
	for _, size := range channelSizes(o) {
		for _, name := range strings.Split(o.ops, ",") {
			op, ok := operations[strings.TrimSpace(name)]
			if !ok {
				return fmt.Errorf("unknown operation %q (have %s)", name, strings.Join(opNames(), ", "))
			}
			res, err := runOp(ctx, srv, o, op, size)
			if err != nil {
				return fmt.Errorf("%s: %w", op.name, err)
			}
			res.Ratio = res.OpsPerSec / base.OpsPerSec
			if base.P50 > 0 {
				res.P50Ratio = float64(res.P50) / float64(base.P50)
			}
			res.Target = checkTarget(res)
			rep.Results = append(rep.Results, res)
			printResult(res)
		}
	}
	rep.ServerMaxRSSMB = srv.maxRSSMB()
	rep.LoadAfter = loadAverage()
	fmt.Printf("\nserver peak memory over the whole run: %.0f MB\nload after the run: %s\n", rep.ServerMaxRSSMB, rep.LoadAfter)
	if o.profileDir != "" {
		if err := srv.fetchProfile(ctx, "heap", filepath.Join(o.profileDir, "heap.prof")); err != nil {
			return err
		}
		fmt.Printf("profiles in %s (go tool pprof -top %s/<operation>.prof)\n", o.profileDir, o.profileDir)
	}
	if o.jsonOut != "" {
		b, _ := json.MarshalIndent(rep, "", "  ")
		if err := os.WriteFile(o.jsonOut, b, 0o644); err != nil {
			return err
		}
	}
	return nil
}

func channelSizes(o options) []int {
	if o.members > 0 {
		return []int{0, o.members}
	}
	return []int{0}
}
