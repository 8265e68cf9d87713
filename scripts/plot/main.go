// Command plot draws benchmark results as one SVG: throughput by message
// size, and the latency distribution, for zmesh beside its anchors
// (libzmq, Redis).
//
//	go run ./scripts/plot -o docs/plots/vs-libzmq.svg docs/plots/vs-libzmq.txt docs/plots/zmesh-lat.jsonl
//
// It reads any number of files, each either
//
//   - JSON lines, one benchmark result an object: what `zmesh bench ...
//     --json` prints, plus an optional "tool" ("zmesh" if absent; "libzmq",
//     "redis" for anchors) and "label" (the series' name beside the tool;
//     the mechanism if absent). A throughput result has "size" (bytes) and
//     "msg_per_sec"; a latency result has "latency_us", round-trip
//     percentiles by name ("min", "p50", "p90", "p95", "p99", "p99.9", "max"),
//     or else "one_way_us", a mean one-way latency (drawn as a round trip,
//     twice that). Other fields are ignored; so are blank lines and lines
//     starting with #.
//   - or the markdown table a scripts/bench-vs-*.sh script prints: rows
//     "| case | anchor figure unit | zmesh figure unit | ratio |" whose
//     case names the series, the size ("16 B", "1 KiB", "64 KiB") and
//     thr or lat ("tcp 1 KiB thr"). The anchor is named by the header's
//     second column ("libzmq", "redis"). A lat row's figures are mean
//     one-way latencies in µs, as libzmq's remote_lat reports them.
//
// A file whose first line that is neither blank nor a # comment starts
// with '{' is read as JSON lines, anything else as a table.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
)

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "plot:", err)
		os.Exit(1)
	}
}

func run(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("plot", flag.ContinueOnError)
	out := fs.String("o", "bench.svg", "the SVG file to write")
	title := fs.String("title", "", "a title above both panels (default: none)")
	fs.SetOutput(stdout)
	fs.Usage = func() {
		fmt.Fprintln(stdout, "usage: go run ./scripts/plot [-o FILE.svg] [-title TEXT] RESULTS...")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		fs.Usage()
		return errors.New("no results file given")
	}
	var all results
	for _, name := range fs.Args() {
		b, err := os.ReadFile(name)
		if err != nil {
			return err
		}
		r, err := parse(name, b)
		if err != nil {
			return err
		}
		all.add(r)
	}
	if len(all.thr) == 0 && len(all.lat) == 0 {
		return errors.New("no throughput or latency result in the files given")
	}
	f, err := os.Create(*out)
	if err != nil {
		return err
	}
	if err := render(f, all, *title); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote %s: %d throughput series, %d latency series\n", *out, len(all.thr), len(all.lat))
	return nil
}
