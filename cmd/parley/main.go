// Command parley is the Parley server: the Amity chat and live-room API on one binary.
//
//	parley serve     run the server (settings from flags or PARLEY_* variables)
//	parley version   print the version
package main

import (
	"fmt"
	"os"
)

var version = "dev"

func main() {
	if len(os.Args) < 2 {
		usage()
		os.Exit(2)
	}
	switch os.Args[1] {
	case "serve":
		if err := serve(os.Args[2:]); err != nil {
			fmt.Fprintln(os.Stderr, "parley:", err)
			os.Exit(1)
		}
	case "version":
		fmt.Println(version)
	case "help", "-h", "--help":
		usage()
	default:
		fmt.Fprintf(os.Stderr, "parley: unknown command %q\n", os.Args[1])
		usage()
		os.Exit(2)
	}
}

func usage() {
	fmt.Fprintln(os.Stderr, `usage: parley <command> [flags]

commands:
  serve     run the server; 'parley serve -h' lists its settings
  version   print the version`)
}
