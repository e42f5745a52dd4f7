package main

import (
	"github.com/parley-chat/parley/internal/store"
	"github.com/prometheus/client_golang/prometheus"
)

// registerStoreMetrics exports the SQLite group commit's figures: units per commit is
// how many acknowledged writes share one commit, and fsync seconds over fsyncs the
// disk's latency that each write waits for (all zero on PostgreSQL).
func registerStoreMetrics(reg prometheus.Registerer, db *store.DB) {
	reg.MustRegister(
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "parley_store_write_units_total", Help: "Write units committed (SQLite group commit).",
		}, func() float64 { u, _ := db.WriteStats(); return float64(u) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "parley_store_commits_total", Help: "SQLite transactions committed for write units (group commit).",
		}, func() float64 { _, c := db.WriteStats(); return float64(c) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "parley_store_wal_fsyncs_total", Help: "fsyncs of the SQLite WAL that made commits durable.",
		}, func() float64 { n, _ := db.SyncStats(); return float64(n) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "parley_store_wal_fsync_seconds_total", Help: "Time spent in those fsyncs: divided by their count, the disk's flush latency, which every write waits for.",
		}, func() float64 { _, s := db.SyncStats(); return s }),
	)
}
