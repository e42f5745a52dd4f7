package main

import (
	"log/slog"
	"os"
	"runtime/debug"
	"strconv"
)

// Garbage collector defaults for `parley serve`, each only when its standard Go variable
// is unset (GOGC and GOMEMLIMIT always win).
//
// Parley's live heap is small (tens of MB) and its requests allocate a lot, so with Go's
// default GOGC=100 the collector took 10-20% of a read's CPU (docs/performance.md).
// GOGC=300 lets the heap grow to four times the live data between collections; the soft
// limit makes the collector work harder instead once the heap nears it, so that memory
// stays within the documented bound. Raise GOMEMLIMIT on a server whose working set is
// larger (it is a soft limit: beyond it the collector runs often, it does not fail).
const (
	defaultGCPercent   = 300
	defaultMemoryLimit = 100 << 20
)

func tuneGC(log *slog.Logger) {
	gc, limit := os.Getenv("GOGC"), os.Getenv("GOMEMLIMIT")
	if gc == "" {
		debug.SetGCPercent(defaultGCPercent)
		gc = strconv.Itoa(defaultGCPercent)
	}
	if limit == "" {
		debug.SetMemoryLimit(defaultMemoryLimit)
		limit = strconv.Itoa(defaultMemoryLimit>>20) + "MiB"
	}
	log.Info("garbage collector", "GOGC", gc, "GOMEMLIMIT", limit)
}
