// Command zmesh runs zmesh's tools: the storage server and its client
// commands, key generation, and the benchmark tool.
//
//	zmesh bench thr --bind tcp://127.0.0.1:5555 --count 1000000 --size 16
//	zmesh bench thr --connect tcp://127.0.0.1:5555 --count 1000000 --size 16
//	zmesh bench lat --bind tcp://127.0.0.1:5556
//	zmesh bench lat --connect tcp://127.0.0.1:5556 --count 100000
//
// Run "zmesh help" for every command, "zmesh help CMD" or "zmesh CMD -h"
// for one; help goes to stdout and exits 0. The client commands (put, get,
// del, watch) read $ZMESH_CONNECT and $ZMESH_CONFIG. Exit codes: 0 success,
// 1 failure (a plain key that get does not find included), 2 a mistake on
// the command line.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

// command is one subcommand.
type command struct {
	name, summary string
	run           func(ctx context.Context, args []string, stdout, stderr io.Writer) error
}

func commands() []command {
	return []command{
		{"bench", "measure throughput (thr) or latency (lat) between two zmesh processes", runBench},
		{"keygen", "print a new CURVE (or --noise) key pair in Z85", runKeygen},
		{"serve", "run a storage server (built-in default configuration, or -c config.yaml)", runServe},
		{"convert", "convert a volume directory from the fs layout to the engine (zmesh convert --from fs --to engine DIR)", runConvert},
		{"put", "store a value under a key on a storage server", runPut},
		{"get", "print the stored keys a key expression matches", runGet},
		{"del", "delete the keys a key expression matches", runDelete},
		{"watch", "print the changes of the keys a key expression matches, as they happen", runWatch},
		{"version", "print the version", func(_ context.Context, _ []string, out, _ io.Writer) error {
			_, err := fmt.Fprintln(out, "zmesh", version)
			return err
		}},
	}
}

const version = "0.1.0-dev"

// errUsage marks a command-line mistake: the usage has been printed.
var errUsage = errors.New("usage")

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

// run runs the command args name and returns the exit code: 0 for
// success (help included), 1 for a failure, 2 for a command-line mistake.
// Help, asked with -h, -help or --help anywhere before "--", goes to
// stdout.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		usage(stderr)
		return 2
	}
	switch args[0] {
	case "help", "-h", "-help", "--help":
		if len(args) > 1 && args[0] == "help" {
			return run(ctx, []string{args[1], "-h"}, stdout, stderr)
		}
		usage(stdout)
		return 0
	case "--version", "-version", "-v":
		fmt.Fprintln(stdout, "zmesh", version)
		return 0
	}
	for _, c := range commands() {
		if c.name != args[0] {
			continue
		}
		errOut := stderr
		if wantsHelp(args[1:]) {
			errOut = stdout // the flag package prints the usage there
		}
		err := c.run(ctx, args[1:], stdout, errOut)
		switch {
		case err == nil, errors.Is(err, flag.ErrHelp):
			return 0
		case errors.Is(err, errUsage) && errOut == stdout:
			return 0 // help was asked for, and the usage printed (bench -h)
		case errors.Is(err, errUsage):
			return 2
		default:
			fmt.Fprintf(stderr, "zmesh %s: %v\n", c.name, err)
			return 1
		}
	}
	fmt.Fprintf(stderr, "zmesh: unknown command %q\n\n", args[0])
	usage(stderr)
	return 2
}

// wantsHelp says whether -h, -help or --help is among the flags of args
// (before a "--").
func wantsHelp(args []string) bool {
	for _, a := range args {
		if a == "--" {
			return false
		}
		if isHelp(a) {
			return true
		}
	}
	return false
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: zmesh <command> [flags]\n\ncommands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-8s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, "\nRun zmesh <command> -h (or zmesh help <command>) for a command's flags;")
	fmt.Fprintln(w, "zmesh --version prints the version. Client commands read $ZMESH_CONNECT and")
	fmt.Fprintln(w, "$ZMESH_CONFIG (see zmesh put -h). zmesh is BSD-3-Clause licensed (LICENSE).")
}
