// Command parley is the Parley server: the Amity chat and live-room API on one binary.
//
//	parley serve     run the server (settings from flags or PARLEY_* variables)
//	parley backup    copy the SQLite database to a file while the server runs
//	parley restore   replace the SQLite database with a backup (server stopped)
//	parley migrate   bring the database schema up to date without serving
//	parley version   print the version and how the binary was built
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
)

func main() {
	if len(os.Args) < 2 {
		usage(os.Stderr)
		os.Exit(2)
	}
	switch os.Args[1] {
	case "serve":
		err := serve(os.Args[2:])
		var bad configError
		switch {
		case errors.Is(err, flag.ErrHelp):
			// -h: the usage is printed; asking for it is no failure.
		case errors.As(err, &bad):
			fmt.Fprintln(os.Stderr, "parley:", err)
			os.Exit(2) // as the flag package does for a bad flag
		case err != nil:
			fmt.Fprintln(os.Stderr, "parley:", err)
			os.Exit(1)
		}
	case "backup", "restore", "migrate":
		run := map[string]func([]string) error{"backup": backup, "restore": restore, "migrate": migrate}[os.Args[1]]
		if err := run(os.Args[2:]); errors.Is(err, errUsage) {
			os.Exit(2)
		} else if err != nil && !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "parley:", err)
			os.Exit(1)
		}
	case "version", "-version", "--version":
		fmt.Println(versionText())
	case "help", "-h", "-help", "--help":
		usage(os.Stdout)
	default:
		fmt.Fprintf(os.Stderr, "parley: unknown command %q\n", os.Args[1])
		usage(os.Stderr)
		os.Exit(2)
	}
}

func usage(w io.Writer) {
	fmt.Fprintln(w, `usage: parley <command> [flags]

commands:
  serve     run the server; 'parley serve -h' lists its settings
  backup    <file>: copy the SQLite database to a new file, online and consistent
  restore   <file>: replace the SQLite database with a checked backup (server stopped)
  migrate   apply the database migrations (PostgreSQL: once, before rolling out nodes)
  version   print the version and how the binary was built`)
}
