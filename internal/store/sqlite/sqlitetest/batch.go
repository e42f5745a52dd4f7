// Package sqlitetest is test support for the SQLite engine and the store above it: it
// lines writes up so that they land in one group commit.
package sqlitetest

import (
	"fmt"
	"sync"
	"testing"
	"time"
)

// BatchOf runs first, then the others queued behind it so that all land in one batch,
// and returns each one's outcome (others in order of their index; a panic is reported
// as an error naming it).
//
// first must call hold inside its unit, before its own work: hold waits until queued()
// counts every other write waiting behind the running unit. The engine's and the store's
// tests each wrap it for their own unit type.
func BatchOf(t testing.TB, queued func() int, first func(hold func()) error, others ...func() error) (error, []error) {
	t.Helper()
	var firstErr error
	errs := make([]error, len(others))
	var wg sync.WaitGroup
	started := make(chan struct{})
	hold := func() {
		close(started)
		deadline := time.Now().Add(10 * time.Second)
		for queued() < len(others) {
			if time.Now().After(deadline) {
				t.Errorf("only %d writes queued, want %d", queued(), len(others))
				return
			}
			time.Sleep(time.Millisecond)
		}
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		firstErr = first(hold)
	}()
	<-started
	for i, fn := range others {
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() {
				if p := recover(); p != nil {
					errs[i] = fmt.Errorf("panic: %v", p)
				}
			}()
			errs[i] = fn()
		}()
	}
	wg.Wait()
	return firstErr, errs
}
