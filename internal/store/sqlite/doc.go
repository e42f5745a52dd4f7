// Package sqlite is the SQLite engine under the store: it opens the file, holds the
// connections, runs reads on a pool of readers and writes on one writer that commits
// concurrent writes in groups, and makes each commit durable with its own fsync of the
// WAL. It knows no table: the store (internal/store) writes all the SQL and reaches the
// engine through a small door, Read, Write (with the Batch a unit runs in), commit Hooks
// and Stats.
//
// # Held connections
//
// SQLite runs on connections the engine holds for its whole life rather than on
// database/sql's pool, because of prepared statements: database/sql prepares a query
// again on every call outside a *sql.Stmt, and SQLite's parser was a third of a read
// request's CPU. Each held connection keeps its statements prepared (at most 512; queries
// with IN lists have one text per list length). The pragmas every connection gets:
// busy_timeout, foreign_keys, and temp_store=MEMORY (each savepoint keeps a sub-journal,
// which would otherwise go to a temp file with a write per page); the writer's pool also
// sets journal_mode=WAL, and the readers' query_only.
//
// # Reads
//
// Read checks a reader out of the pool (Options.Readers of them, 8 by default: reads run
// in parallel up to that many) and runs the caller's function in one read transaction,
// one snapshot for all its statements. The transaction begins at the first statement: a
// read that the store's row caches answer whole runs no SQL at all (BEGIN and COMMIT were
// 6% of such a read's CPU). However the function ends, an error, a panic, a test's
// FailNow, the transaction ends before the connection goes back, and a connection that
// could not end it is replaced.
//
// # Group commit
//
// With synchronous=FULL every commit is an fsync, and SQLite admits one writer at a time
// (queuing in Go is cheaper than SQLITE_BUSY retries). So one goroutine, the writer, owns
// the one writer connection and runs the units of concurrent Write calls one after
// another inside one transaction, each under a savepoint of its own:
//
//   - A unit that returns an error, or panics, rolls back to its savepoint and undoes
//     itself alone; its caller gets the error (or the panic, raised again on the caller's
//     goroutine) at once, and the other units of the batch commit.
//   - A unit sees the changes of the units before it in its batch. They commit or fail
//     together, so what a unit read from an earlier unit is durable when it is.
//   - A unit's statements never see its caller's cancellation: SQLite answers an
//     interrupted write by rolling back the whole transaction, every other unit's work
//     with it. A Write whose context is already done when it is called never runs.
//   - The batch commits once no other Write is queued behind the unit that just ran, or
//     at 64 units, or once it is 10 ms old (Options.MaxBatchAge). Under eight busy
//     clients about five writes share each commit.
//   - Write returns nil only after the batch's commit is on disk: an acknowledged write
//     survives a crash or a power loss. If the commit fails, every unit of the batch
//     fails, and none of them was acknowledged.
//
// Units run on the writer's goroutine rather than each on its caller's under a mutex:
// with eight callers on two cores, a mutex handed the writer from one woken goroutine to
// the next, and the writer sat idle while each waited for a core.
//
// Hooks.BeforeCommit and Hooks.AfterCommit run on the writer goroutine around the COMMIT
// of each batch that kept a unit. The store uses them to drop from its row caches the
// rows the batch changed, which its units recorded in Batch.Data.
//
// # The WAL fsync, outside the writer
//
// SQLite would fsync the WAL inside COMMIT, while it holds the one writer, so no unit
// could run during the disk's wait. For FULL (and EXTRA) the writer connection commits
// with synchronous=NORMAL instead (the frames reach the WAL file, not the disk), and a
// second goroutine, the syncer, fsyncs the WAL file itself after the writer let go: the
// next batch runs while the previous one reaches the disk. Commits are numbered; one
// fsync covers every commit written before it began. The directory is fsynced once at
// Open so that the WAL file itself survives a power loss, and a checkpoint fsyncs the WAL
// before copying frames into the database file, as NORMAL keeps.
//
// A Read that may have seen a commit waits, before it returns, for that commit's fsync,
// so no answer and no event read from the database carries data that a power loss could
// take back. A failed fsync fails that write and every later one, reads included, until
// the process restarts: the kernel may have dropped the dirty pages, and a retry could
// report success for lost data (PostgreSQL does the same). With synchronous=NORMAL no
// fsync is made: a process crash loses nothing, a power loss may lose the last writes.
//
// # Stats
//
// Stats counts the units kept and the transactions they committed in (units per commit
// is how many acknowledged writes share one commit), and the fsyncs and their time (their
// mean is the disk's flush latency, which every write waits for). cmd/parley exports them
// on /metrics.
package sqlite
