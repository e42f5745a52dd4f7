package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"runtime"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// result is one operation's figures.
type result struct {
	Op             string        `json:"op"`
	ChannelMembers int           `json:"channelMembers,omitempty"`
	Ops            int           `json:"ops"`
	Errors         int           `json:"errors"`
	Status5xx      int           `json:"status5xx"`
	Seconds        float64       `json:"seconds"`
	OpsPerSec      float64       `json:"opsPerSec"`
	P50            time.Duration `json:"p50Ns"`
	P90            time.Duration `json:"p90Ns"`
	P99            time.Duration `json:"p99Ns"`
	Max            time.Duration `json:"maxNs"`
	CPUPer1000     float64       `json:"serverCpuSecondsPer1000Ops"`
	Ratio          float64       `json:"ratioToTrivialHandler"`
	FirstError     string        `json:"firstError,omitempty"`
}

type report struct {
	Machine        string   `json:"machine"`
	Server         string   `json:"server"`
	Clients        int      `json:"clients"`
	Baseline       result   `json:"trivialHandler"`
	Results        []result `json:"results"`
	ServerMaxRSSMB float64  `json:"serverPeakRssMB"`
}

func machine() string {
	host, _ := os.Hostname()
	return fmt.Sprintf("%s %s/%s, %d CPUs, %s", host, runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), runtime.Version())
}

// drive calls do with indexes 0..n-1 (or until the duration ends) from `clients`
// goroutines and measures every call.
func drive(ctx context.Context, clients, n int, d time.Duration, do func(ctx context.Context, i int) error) result {
	var next atomic.Int64
	var mu sync.Mutex
	var lat []time.Duration
	var errs, fives int
	var firstErr string
	deadline := time.Time{}
	if d > 0 {
		deadline = time.Now().Add(d)
		n = 1 << 30
	}
	start := time.Now()
	var wg sync.WaitGroup
	for c := 0; c < clients; c++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			local := make([]time.Duration, 0, n/clients+1)
			le, lf := 0, 0
			lfirst := ""
			for ctx.Err() == nil {
				i := int(next.Add(1) - 1)
				if i >= n || (!deadline.IsZero() && time.Now().After(deadline)) {
					break
				}
				t0 := time.Now()
				err := do(ctx, i)
				local = append(local, time.Since(t0))
				if err != nil {
					le++
					var se *statusError
					if errors.As(err, &se) && se.status >= 500 {
						lf++
					}
					if lfirst == "" {
						lfirst = err.Error()
					}
				}
			}
			mu.Lock()
			lat = append(lat, local...)
			errs += le
			fives += lf
			if firstErr == "" {
				firstErr = lfirst
			}
			mu.Unlock()
		}()
	}
	wg.Wait()
	el := time.Since(start)
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	r := result{Ops: len(lat), Errors: errs, Status5xx: fives, Seconds: el.Seconds(), FirstError: firstErr}
	if len(lat) > 0 {
		r.OpsPerSec = float64(len(lat)) / el.Seconds()
		pct := func(p float64) time.Duration { return lat[min(len(lat)-1, int(p*float64(len(lat))))] }
		r.P50, r.P90, r.P99, r.Max = pct(0.50), pct(0.90), pct(0.99), lat[len(lat)-1]
	}
	return r
}

// measureBaseline drives a handler that does nothing, on this machine, with the same
// client, so that every figure can be read as a ratio to it.
func measureBaseline(ctx context.Context, o options) result {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return result{Op: "trivial-handler"}
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"ok":true}`))
	})}
	go srv.Serve(ln)
	defer srv.Close()
	s := &server{base: "http://" + ln.Addr().String(), http: newClient(o.clients * 2)}
	n := o.count * 4
	r := drive(ctx, o.clients, n, o.duration, func(ctx context.Context, i int) error {
		return s.call(ctx, "GET", "/", "", nil, nil)
	})
	r.Op = "trivial-handler"
	r.Ratio = 1
	return r
}

func runOp(ctx context.Context, s *server, o options, op operation, members int) (result, error) {
	n := o.count
	if op.scale > 0 {
		n = max(1, n/op.scale)
	}
	st, err := op.setup(ctx, s, n, members)
	if err != nil {
		return result{}, fmt.Errorf("setup: %w", err)
	}
	cpu0 := s.cpuSeconds()
	r := drive(ctx, o.clients, n, o.duration, func(ctx context.Context, i int) error { return op.do(ctx, s, st, i) })
	cpu := s.cpuSeconds() - cpu0
	r.Op, r.ChannelMembers = op.name, members
	if r.Ops > 0 {
		r.CPUPer1000 = cpu / float64(r.Ops) * 1000
	}
	return r, nil
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2fms", float64(d.Microseconds())/1000) }

var headerOnce sync.Once

func printResult(r result) {
	headerOnce.Do(func() {
		fmt.Printf("%-22s %9s %7s %9s %9s %9s %9s %9s %7s %6s %7s\n", "operation", "members", "ops", "ops/s", "p50", "p90", "p99", "max", "errors", "cpu/1k", "ratio")
	})
	members := "-"
	if r.ChannelMembers > 0 {
		members = fmt.Sprint(r.ChannelMembers)
	}
	fmt.Printf("%-22s %9s %7d %9.0f %9s %9s %9s %9s %7d %6.2f %7.3f\n", r.Op, members, r.Ops, r.OpsPerSec, ms(r.P50), ms(r.P90), ms(r.P99), ms(r.Max), r.Errors, r.CPUPer1000, r.Ratio)
	if r.FirstError != "" {
		fmt.Printf("    first error: %s\n", strings.TrimSpace(r.FirstError))
	}
}
