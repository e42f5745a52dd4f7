package main

import (
	"bufio"
	"bytes"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"strings"
)

// Garbage collector defaults for `parley serve`, each only when its standard Go variable
// is unset (GOGC and GOMEMLIMIT always win).
//
// Parley's live heap is small (tens of MB) and its requests allocate a lot, so with Go's
// default GOGC=100 the collector took 10-20% of a read's CPU (docs/performance.md).
// GOGC=300 lets the heap grow to four times the live data between collections.
//
// The soft memory limit comes from the machine: a fraction of the memory the process may
// use (its cgroup's limit when it has one, else physical memory). It used to be a fixed
// 100 MiB, which 5,000 idle MQTT clients (~300 MB) already exceeded: past the limit the
// collector runs back to back, and the node burnt both cores collecting a heap that
// did not shrink (docs/realtime.md, "Sizing a node"). The limit is soft: beyond it the
// collector runs often; it never fails an allocation.
const defaultGCPercent = 300

// memoryLimitShare is the part of the available memory the Go heap may grow to before
// the collector works harder. The rest is left to what lives outside the Go heap and
// still counts against the machine or the cgroup: SQLite's page caches (allocated by its
// C-to-Go runtime outside the Go heap), the kernel's page cache of the database file and
// the WAL (charged to the cgroup on cgroup v2), goroutine stacks being freed, and the
// ffmpeg/LiveKit processes a node may run beside it.
const memoryLimitShare = 0.75

// System files the memory limit is read from; tests point them at a directory of their own.
type memorySources struct {
	procSelfCgroup string // /proc/self/cgroup: which cgroup the process is in
	cgroupRoot     string // /sys/fs/cgroup: where the cgroup hierarchies are mounted
	procMeminfo    string // /proc/meminfo: physical memory
}

var systemMemory = memorySources{"/proc/self/cgroup", "/sys/fs/cgroup", "/proc/meminfo"}

func tuneGC(log *slog.Logger) {
	gc, limit := os.Getenv("GOGC"), os.Getenv("GOMEMLIMIT")
	if gc == "" {
		debug.SetGCPercent(defaultGCPercent)
		gc = strconv.Itoa(defaultGCPercent)
	}
	source := "GOMEMLIMIT"
	if limit == "" {
		avail, from := systemMemory.available()
		if avail == 0 {
			// Nothing says how much memory there is: Go's default (no limit).
			limit, source = "none", "unknown memory"
		} else {
			l := int64(float64(avail) * memoryLimitShare)
			debug.SetMemoryLimit(l)
			limit = strconv.FormatInt(l>>20, 10) + "MiB"
			source = strconv.FormatInt(int64(memoryLimitShare*100), 10) + "% of " + from + " (" +
				strconv.FormatUint(avail>>20, 10) + "MiB)"
		}
	}
	log.Info("garbage collector", "GOGC", gc, "GOMEMLIMIT", limit, "from", source)
}

// available returns the bytes of memory the process may use and where that figure came
// from: the smallest cgroup limit on its path (cgroup v2 memory.max, or v1
// memory.limit_in_bytes) when it is below physical memory, else physical memory; 0 when
// neither can be read.
func (m memorySources) available() (uint64, string) {
	physical := m.physical()
	limit := m.cgroupLimit()
	if limit > 0 && (physical == 0 || limit < physical) {
		return limit, "the cgroup memory limit"
	}
	if physical > 0 {
		return physical, "physical memory"
	}
	return 0, ""
}

// physical reads MemTotal from /proc/meminfo.
func (m memorySources) physical() uint64 {
	b, err := os.ReadFile(m.procMeminfo)
	if err != nil {
		return 0
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) >= 2 && f[0] == "MemTotal:" {
			kb, err := strconv.ParseUint(f[1], 10, 64)
			if err != nil {
				return 0
			}
			return kb << 10
		}
	}
	return 0
}

// cgroupLimit returns the smallest memory limit set on the process's cgroup or any of its
// ancestors (a parent's limit binds its children too), or 0 when none is set. In a
// container the cgroup path in /proc/self/cgroup may name a host path that the
// container's own mount does not have; the mount's root then is the process's cgroup.
func (m memorySources) cgroupLimit() uint64 {
	b, err := os.ReadFile(m.procSelfCgroup)
	if err != nil {
		return 0
	}
	var best uint64
	take := func(v uint64) {
		if v > 0 && (best == 0 || v < best) {
			best = v
		}
	}
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		// hierarchy-id:controllers:path; cgroup v2 is "0::path".
		parts := strings.SplitN(line, ":", 3)
		if len(parts) != 3 {
			continue
		}
		switch {
		case parts[0] == "0" && parts[1] == "":
			take(m.limitOnPath(m.cgroupRoot, parts[2], "memory.max"))
			take(m.limitOnPath(filepath.Join(m.cgroupRoot, "unified"), parts[2], "memory.max"))
		case hasController(parts[1], "memory"):
			take(m.limitOnPath(filepath.Join(m.cgroupRoot, "memory"), parts[2], "memory.limit_in_bytes"))
		}
	}
	return best
}

func hasController(list, name string) bool {
	for _, c := range strings.Split(list, ",") {
		if c == name {
			return true
		}
	}
	return false
}

// limitOnPath reads file in the cgroup directory at path under root and in each of its
// ancestors up to root, and returns the smallest limit found (0 for none).
func (m memorySources) limitOnPath(root, path, file string) uint64 {
	var best uint64
	dir := filepath.Clean("/" + path)
	for {
		if v := readLimit(filepath.Join(root, dir, file)); v > 0 && (best == 0 || v < best) {
			best = v
		}
		if dir == "/" {
			return best
		}
		dir = filepath.Dir(dir)
	}
}

// readLimit reads a cgroup memory limit file: a byte count, or "max" (v2) or a number
// near 2^63 (v1) for no limit, both answered as 0.
func readLimit(file string) uint64 {
	b, err := os.ReadFile(file)
	if err != nil {
		return 0
	}
	s := strings.TrimSpace(string(b))
	if s == "max" {
		return 0
	}
	v, err := strconv.ParseUint(s, 10, 64)
	if err != nil || v >= math.MaxInt64/2 {
		return 0
	}
	return v
}
