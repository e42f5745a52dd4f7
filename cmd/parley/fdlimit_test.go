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
		t.Skip(err)
	}
	if orig.Max < 600 {
		t.Skipf("hard limit %d too low to lower the soft one", orig.Max)
	}
	defer syscall.Setrlimit(syscall.RLIMIT_NOFILE, &orig)
	low := orig
	low.Cur = 512
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &low); err != nil {
		t.Skip(err)
	}
	soft, hard := raiseFDLimit()
	if soft != int64(orig.Max) || hard != int64(orig.Max) {
		t.Fatalf("after raiseFDLimit: soft %d hard %d, want both %d", soft, hard, orig.Max)
	}
	if got := fdLimit(); got != int64(orig.Max) {
		t.Fatalf("fdLimit %d, want %d", got, orig.Max)
	}
}
