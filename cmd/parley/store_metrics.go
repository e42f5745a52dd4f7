package main

import (
	"github.com/parley-chat/parley/internal/store"
	"github.com/prometheus/client_golang/prometheus"
)

// registerStoreMetrics exports the SQLite group commit's figures: units per commit is
// how many acknowledged writes share one fsync (zero on PostgreSQL).
func registerStoreMetrics(reg prometheus.Registerer, db *store.DB) {
	reg.MustRegister(
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "parley_store_write_units_total", Help: "Write units committed (SQLite group commit).",
		}, func() float64 { u, _ := db.WriteStats(); return float64(u) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "parley_store_commits_total", Help: "SQLite transactions committed for write units (group commit).",
		}, func() float64 { _, c := db.WriteStats(); return float64(c) }),
	)
}
