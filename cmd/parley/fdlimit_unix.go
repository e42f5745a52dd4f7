//go:build unix

package main

import "syscall"

// fdLimit is the process's open-file limit, or 0 when unknown.
func fdLimit() int64 {
	var r syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &r); err != nil {
		return 0
	}
	return int64(r.Cur)
}

// raiseFDLimit lifts the open-file soft limit to the hard one and returns both, for the
// log. Since Go 1.19 the runtime does it on Linux before main runs (to the hard limit
// minus one, syscall/rlimit.go), but not on every system, and not when the limit was
// lowered after start; each connection is a descriptor, so the node's capacity is this.
func raiseFDLimit() (soft, hard int64) {
	var r syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &r); err != nil {
		return 0, 0
	}
	if r.Cur < r.Max {
		raised := r
		raised.Cur = r.Max
		if syscall.Setrlimit(syscall.RLIMIT_NOFILE, &raised) == nil {
			r = raised
		}
	}
	return int64(r.Cur), int64(r.Max)
}
