//go:build unix

package main

import (
	"syscall"
	"testing"
)

// A soft open-file limit below the hard one is raised to it.
func TestFDLimitRaisedToHardLimit(t *testing.T) {
	var orig syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &orig); err != nil {
		t.Skipf("this system has no RLIMIT_NOFILE to read (%v); runs on Linux and other Unix systems", err)
	}
	if orig.Max < 600 {
		t.Skipf("hard open-file limit %d is too low to lower the soft one below it; runs where `ulimit -Hn` is at least 600", orig.Max)
	}
	defer syscall.Setrlimit(syscall.RLIMIT_NOFILE, &orig)
	low := orig
	low.Cur = 512
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &low); err != nil {
		t.Skipf("this process may not lower its soft open-file limit (%v); runs where setrlimit is allowed", err)
	}
	soft, hard := raiseFDLimit()
	if soft != int64(orig.Max) || hard != int64(orig.Max) {
		t.Fatalf("after raiseFDLimit: soft %d hard %d, want both %d", soft, hard, orig.Max)
	}
	if got := fdLimit(); got != int64(orig.Max) {
		t.Fatalf("fdLimit %d, want %d", got, orig.Max)
	}
}
