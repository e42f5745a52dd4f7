package main

import (
	"bytes"
	"log/slog"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"testing"
)

// fakeMachine lays out /proc/self/cgroup, /proc/meminfo and a cgroup mount in a test
// directory; files maps paths under the directory to their contents.
func fakeMachine(t *testing.T, files map[string]string) memorySources {
	t.Helper()
	dir := t.TempDir()
	for name, body := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return memorySources{
		procSelfCgroup: filepath.Join(dir, "proc/self/cgroup"),
		cgroupRoot:     filepath.Join(dir, "sys/fs/cgroup"),
		procMeminfo:    filepath.Join(dir, "proc/meminfo"),
	}
}

const meminfo16GiB = "MemTotal:       16777216 kB\nMemFree:         1000000 kB\n"

func TestMemoryAvailable(t *testing.T) {
	for _, c := range []struct {
		name  string
		files map[string]string
		want  uint64
		from  string
	}{
		{"cgroup v2 limit", map[string]string{
			"proc/self/cgroup": "0::/system.slice/parley.service\n",
			"proc/meminfo":     meminfo16GiB,
			"sys/fs/cgroup/system.slice/parley.service/memory.max": "2147483648\n",
			"sys/fs/cgroup/system.slice/memory.max":                "max\n",
		}, 2 << 30, "the cgroup memory limit"},
		{"a parent cgroup's smaller limit binds", map[string]string{
			"proc/self/cgroup": "0::/kubepods/pod1/parley\n",
			"proc/meminfo":     meminfo16GiB,
			"sys/fs/cgroup/kubepods/pod1/parley/memory.max": "max\n",
			"sys/fs/cgroup/kubepods/pod1/memory.max":        "536870912\n",
		}, 512 << 20, "the cgroup memory limit"},
		// A container sees a host path in /proc/self/cgroup that its own mount lacks:
		// the mount's root holds its limit.
		{"cgroup v1 limit", map[string]string{
			"proc/self/cgroup": "5:devices:/\n4:memory:/docker/abc123\n0::/\n",
			"proc/meminfo":     meminfo16GiB,
			"sys/fs/cgroup/memory/memory.limit_in_bytes": "1073741824\n",
		}, 1 << 30, "the cgroup memory limit"},
		// This machine's own layout: cgroup v1 with the "no limit" value near 2^63.
		{"no limit: physical memory", map[string]string{
			"proc/self/cgroup": "4:memory:/process_api/9a78\n0::/\n",
			"proc/meminfo":     meminfo16GiB,
			"sys/fs/cgroup/memory/process_api/9a78/memory.limit_in_bytes": "9223372036854771712\n",
			"sys/fs/cgroup/memory/memory.limit_in_bytes":                  "9223372036854771712\n",
		}, 16 << 30, "physical memory"},
		{"a limit above physical memory binds nothing", map[string]string{
			"proc/self/cgroup":             "0::/big\n",
			"proc/meminfo":                 meminfo16GiB,
			"sys/fs/cgroup/big/memory.max": "68719476736\n",
		}, 16 << 30, "physical memory"},
		{"nothing readable", nil, 0, ""},
	} {
		got, from := fakeMachine(t, c.files).available()
		if got != c.want || from != c.from {
			t.Errorf("%s: available = %d from %q, want %d from %q", c.name, got, from, c.want, c.from)
		}
	}
}

func TestTuneGCSetsTheLimitFromTheMachine(t *testing.T) {
	t.Setenv("GOGC", "")
	t.Setenv("GOMEMLIMIT", "")
	old := systemMemory
	systemMemory = fakeMachine(t, map[string]string{
		"proc/self/cgroup":                "0::/parley\n",
		"proc/meminfo":                    meminfo16GiB,
		"sys/fs/cgroup/parley/memory.max": "4294967296\n",
	})
	prevLimit, prevGC := debug.SetMemoryLimit(-1), debug.SetGCPercent(100)
	t.Cleanup(func() {
		systemMemory = old
		debug.SetMemoryLimit(prevLimit)
		debug.SetGCPercent(prevGC)
	})
	var logged bytes.Buffer
	tuneGC(slog.New(slog.NewTextHandler(&logged, nil)))
	if got, want := debug.SetMemoryLimit(-1), int64(3<<30); got != want {
		t.Fatalf("memory limit = %d, want 3 GiB (75%% of the cgroup's 4 GiB)", got)
	}
	if got := debug.SetGCPercent(defaultGCPercent); got != defaultGCPercent {
		t.Fatalf("GOGC = %d, want %d", got, defaultGCPercent)
	}
	if s := logged.String(); !strings.Contains(s, "GOMEMLIMIT=3072MiB") || !strings.Contains(s, "cgroup memory limit") {
		t.Fatalf("log does not say the limit and where it came from: %s", s)
	}

	// GOMEMLIMIT set by the operator wins: tuneGC leaves the limit alone.
	t.Setenv("GOMEMLIMIT", "123MiB")
	debug.SetMemoryLimit(123 << 20)
	tuneGC(slog.New(slog.NewTextHandler(&logged, nil)))
	if got := debug.SetMemoryLimit(-1); got != 123<<20 {
		t.Fatalf("memory limit = %d after GOMEMLIMIT=123MiB, want it untouched", got)
	}
}
