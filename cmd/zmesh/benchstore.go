package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/bits"
	"math/rand/v2"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/zmesh/zmesh/store"
)

func benchStoreUsage(w io.Writer) {
	fmt.Fprint(w, `usage: zmesh bench store put|get [--connect EP] [--callers N] [--size S] [--duration D] [--keys K] [--json]

Loads a storage server through the store client: N callers share one
client, each sending its next request as soon as the last one is answered,
for D. put writes S-byte values under K keys (bench/<n>); get first writes
the K keys once, then reads them at random. Prints the requests answered
per second, the latency percentiles (p50, p99, p99.9) and the errors.
Point it at any server (zmesh serve's default is tcp://127.0.0.1:7447).

`)
}

// benchStoreConfig is one `zmesh bench store` run.
type benchStoreConfig struct {
	op       string // put or get
	connect  string
	callers  int
	size     int
	keys     int
	duration time.Duration
	json     bool
}

// benchStoreResult is what a run measured; its JSON form is --json's.
type benchStoreResult struct {
	Op        string  `json:"op"`
	Callers   int     `json:"callers"`
	Size      int     `json:"size"`
	Keys      int     `json:"keys"`
	Seconds   float64 `json:"seconds"`
	Ops       uint64  `json:"ops"`
	OpsPerSec float64 `json:"ops_per_sec"`
	P50us     float64 `json:"p50_us"`
	P99us     float64 `json:"p99_us"`
	P999us    float64 `json:"p999_us"`
	Errors    uint64  `json:"errors"`
	// FirstError is the first error a request returned ("" if none).
	FirstError string `json:"first_error,omitempty"`
}

// runBenchStore is `zmesh bench store`; args follow "store".
func runBenchStore(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || (args[0] != "put" && args[0] != "get") {
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help") {
			benchStoreUsage(stdout)
			return nil
		}
		benchStoreUsage(stderr)
		return errUsage
	}
	cfg := benchStoreConfig{op: args[0]}
	set := flag.NewFlagSet("zmesh bench store "+cfg.op, flag.ContinueOnError)
	set.SetOutput(stderr)
	printUsage := func(w io.Writer) { benchStoreUsage(w); set.SetOutput(w); set.PrintDefaults(); set.SetOutput(stderr) }
	set.Usage = func() {} // printed below: on stdout for -h, on stderr after a mistake
	set.StringVar(&cfg.connect, "connect", store.DefaultEndpoint, "the storage server's endpoint")
	set.IntVar(&cfg.callers, "callers", 1, "concurrent callers sharing the client")
	set.IntVar(&cfg.size, "size", 64, "value size in bytes")
	set.IntVar(&cfg.keys, "keys", 10000, "distinct keys (bench/0 ... bench/K-1)")
	set.DurationVar(&cfg.duration, "duration", 5*time.Second, "how long to measure")
	set.BoolVar(&cfg.json, "json", false, "print the result as one JSON object")
	if err := set.Parse(args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			printUsage(stdout)
			return nil
		}
		printUsage(stderr)
		return errUsage
	}
	switch {
	case set.NArg() > 0:
		fmt.Fprintf(stderr, "zmesh bench store: unexpected arguments: %v\n", set.Args())
		return errUsage
	case cfg.callers < 1 || cfg.callers > 10000:
		fmt.Fprintf(stderr, "zmesh bench store: --callers %d: want 1 to 10000\n", cfg.callers)
		return errUsage
	case cfg.size < 0 || cfg.size > 16<<20:
		fmt.Fprintf(stderr, "zmesh bench store: --size %d: want 0 to 16777216 bytes\n", cfg.size)
		return errUsage
	case cfg.keys < 1:
		fmt.Fprintf(stderr, "zmesh bench store: --keys %d: want at least 1\n", cfg.keys)
		return errUsage
	case cfg.duration <= 0:
		fmt.Fprintf(stderr, "zmesh bench store: --duration %v: want more than 0\n", cfg.duration)
		return errUsage
	}
	c, err := store.Connect(cfg.connect, store.ClientOptions{Timeout: 10 * time.Second})
	if err != nil {
		return err
	}
	defer c.Close()
	res, err := benchStore(ctx, c, cfg)
	if err != nil {
		return err
	}
	if cfg.json {
		return json.NewEncoder(stdout).Encode(res)
	}
	_, err = fmt.Fprintf(stdout, "%s: %d callers, %d B values, %d keys, %.1fs: %.0f ops/s, p50 %.0f µs, p99 %.0f µs, p99.9 %.0f µs, %d errors\n",
		res.Op, res.Callers, res.Size, res.Keys, res.Seconds, res.OpsPerSec, res.P50us, res.P99us, res.P999us, res.Errors)
	if err == nil && res.FirstError != "" {
		_, err = fmt.Fprintf(stdout, "first error: %s\n", res.FirstError)
	}
	return err
}

// benchStore runs cfg against c. Each caller is a goroutine owned by this
// call, which waits for them all.
func benchStore(ctx context.Context, c *store.Client, cfg benchStoreConfig) (benchStoreResult, error) {
	value := make([]byte, cfg.size)
	for i := range value {
		value[i] = 'a' + byte(i%26)
	}
	keys := make([]string, cfg.keys)
	for i := range keys {
		keys[i] = "bench/" + strconv.Itoa(i)
	}
	if cfg.op == "get" {
		// From 64 callers at least: one caller's synced puts would take
		// longer than many a run.
		if err := preload(ctx, c, keys, value, max(cfg.callers, 64)); err != nil {
			return benchStoreResult{}, fmt.Errorf("write the keys to read: %w", err)
		}
	}
	// start is read before the deadline is set, so elapsed is never shorter
	// than the duration asked for.
	start := time.Now()
	runCtx, cancel := context.WithTimeout(ctx, cfg.duration)
	defer cancel()
	var (
		wg       sync.WaitGroup
		errs     atomic.Uint64
		firstErr sync.Once
		first    string
	)
	hists := make([]latencyHistogram, cfg.callers)
	for g := range cfg.callers {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(g), 18))
			h := &hists[g]
			for runCtx.Err() == nil {
				k := keys[rng.IntN(len(keys))]
				t0 := time.Now()
				var err error
				if cfg.op == "put" {
					err = c.Put(runCtx, k, value)
				} else {
					var got []store.Sample
					got, err = c.Get(runCtx, k)
					if err == nil && len(got) != 1 {
						err = fmt.Errorf("get %s: %d samples, want 1", k, len(got))
					}
				}
				if err != nil {
					if runCtx.Err() != nil {
						return // cut by the end of the run: not an error of the server's
					}
					errs.Add(1)
					firstErr.Do(func() { first = err.Error() })
					continue
				}
				h.add(time.Since(t0))
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	if err := ctx.Err(); err != nil {
		return benchStoreResult{}, err
	}
	var all latencyHistogram
	for i := range hists {
		all.merge(&hists[i])
	}
	us := func(q float64) float64 { return float64(all.quantile(q)) / 1e3 }
	return benchStoreResult{
		Op: cfg.op, Callers: cfg.callers, Size: cfg.size, Keys: cfg.keys,
		Seconds: elapsed.Seconds(), Ops: all.n, OpsPerSec: float64(all.n) / elapsed.Seconds(),
		P50us: us(0.50), P99us: us(0.99), P999us: us(0.999), Errors: errs.Load(), FirstError: first,
	}, nil
}

// preload writes every key once, from callers goroutines.
func preload(ctx context.Context, c *store.Client, keys []string, value []byte, callers int) error {
	var next atomic.Int64
	errc := make(chan error, callers)
	var wg sync.WaitGroup
	for range callers {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= len(keys) {
					return
				}
				if err := c.Put(ctx, keys[i], value); err != nil {
					errc <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errc)
	return <-errc // nil if none
}

// latencyHistogram counts latencies in log-linear buckets: for each power
// of two of nanoseconds, 64 buckets, so a percentile is known within
// 1/64 (1.6%). One per caller, merged at the end: no lock on the hot path.
type latencyHistogram struct {
	counts [64 * histSub]uint64
	n      uint64
}

const histSubBits = 6
const histSub = 1 << histSubBits

// bucket is the bucket of d nanoseconds.
func histBucket(ns uint64) int {
	if ns < histSub {
		return int(ns)
	}
	exp := bits.Len64(ns) - histSubBits // >= 1
	return exp*histSub + int(ns>>(exp-1)) - histSub
}

// histLow is the smallest value of bucket b.
func histLow(b int) uint64 {
	if b < histSub {
		return uint64(b)
	}
	exp := b / histSub
	return uint64(b%histSub+histSub) << (exp - 1)
}

func (h *latencyHistogram) add(d time.Duration) {
	ns := uint64(max(d, 0))
	h.counts[min(histBucket(ns), len(h.counts)-1)]++
	h.n++
}

func (h *latencyHistogram) merge(o *latencyHistogram) {
	for i, c := range o.counts {
		h.counts[i] += c
	}
	h.n += o.n
}

// quantile is the latency under which a fraction q of the samples lie (the
// low end of its bucket); 0 without samples.
func (h *latencyHistogram) quantile(q float64) time.Duration {
	if h.n == 0 {
		return 0
	}
	rank := uint64(q*float64(h.n-1)) + 1
	var seen uint64
	for b, c := range h.counts {
		seen += c
		if seen >= rank {
			return time.Duration(histLow(b))
		}
	}
	return time.Duration(histLow(len(h.counts) - 1))
}
