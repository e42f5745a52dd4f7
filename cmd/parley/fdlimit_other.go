//go:build !unix

package main

// fdLimit is unknown here: PARLEY_MAX_CONNECTIONS is taken as given.
func fdLimit() int64 { return 0 }

// raiseFDLimit has nothing to raise here.
func raiseFDLimit() (soft, hard int64) { return 0, 0 }
