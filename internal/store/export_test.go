package store

import "io/fs"

// Migrations exposes the embedded migrations to the conformance suite.
func Migrations() fs.FS { return migrations }
