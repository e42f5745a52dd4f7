//go:build !unix

package main

// fdLimit is unknown here: PARLEY_MAX_CONNECTIONS is taken as given.
func fdLimit() int64 { return 0 }
