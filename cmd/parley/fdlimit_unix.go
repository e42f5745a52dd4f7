//go:build unix

package main

import "syscall"

// fdLimit is the process's open-file limit (Go raises the soft limit to the hard one at
// start), or 0 when unknown.
func fdLimit() int64 {
	var r syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &r); err != nil {
		return 0
	}
	return int64(r.Cur)
}
