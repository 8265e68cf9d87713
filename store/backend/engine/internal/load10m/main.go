// Command load10m loads many small keys (10 M by default) into an engine
// volume and reports the process's memory (RSS) and the time of scans of
// 1 000 keys under a prefix: issue 18's scale targets (RSS under 512 MiB,
// a 1 000-key prefix scan under 10 ms). scripts/bench-10m-keys.sh runs it;
// it is not part of make test or make bench (it takes minutes).
//
//	go run ./store/backend/engine/internal/load10m -keys 10000000
package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/zmesh/zmesh/store/backend"
	"github.com/zmesh/zmesh/store/backend/engine"
	"github.com/zmesh/zmesh/store/hlc"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "load10m:", err)
		os.Exit(1)
	}
}

// keyOf is the i-th key: 1 000 keys under each prefix "p/NNNNN/".
func keyOf(i int) string { return fmt.Sprintf("p/%05d/%03d", i/1000, i%1000) }

func run() error {
	n := flag.Int("keys", 10_000_000, "keys to load (a multiple of 1000)")
	dir := flag.String("dir", "", "the engine's directory (default: a new temporary one, removed at the end)")
	writers := flag.Int("writers", 4, "goroutines applying puts")
	size := flag.Int("value", 16, "value size in bytes")
	limit := flag.Duration("limit", 11*time.Minute, "give up loading after this long")
	flag.Parse()
	if *n < 1000 || *n%1000 != 0 {
		return fmt.Errorf("-keys %d: want a multiple of 1000", *n)
	}
	if *dir == "" {
		d, err := os.MkdirTemp("", "load10m-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(d)
		*dir = d
	}
	ctx, cancel := context.WithTimeout(context.Background(), *limit)
	defer cancel()
	quiet := slog.New(slog.DiscardHandler)
	// sync: window: loading measures the engine's layout, not the disk's
	// fsyncs (synced puts from the server are bench-vs-redis.sh's job).
	cfg := engine.Config{Root: *dir, SyncWindow: 100 * time.Millisecond, Logger: quiet}
	s, err := engine.Open(cfg)
	if err != nil {
		return err
	}
	value := make([]byte, *size)
	// The keys arrive in a scattered order (a multiplicative permutation),
	// as from many clients, not sorted.
	const step = 7_919_993 // a prime not dividing any power of ten
	var next, done atomic.Int64
	var wg sync.WaitGroup
	errc := make(chan error, *writers)
	start := time.Now()
	for range *writers {
		wg.Go(func() {
			for {
				j := next.Add(1) - 1
				if j >= int64(*n) || ctx.Err() != nil {
					return
				}
				i := int((j * step) % int64(*n))
				e := backend.Entry{Key: keyOf(i), Value: value, Timestamp: hlc.Timestamp{Time: j + 1}}
				if _, err := s.Apply(ctx, e); err != nil {
					errc <- err
					return
				}
				if d := done.Add(1); d%1_000_000 == 0 {
					rss, _ := memory()
					fmt.Printf("loaded %d keys in %v, RSS %d MiB\n", d, time.Since(start).Round(time.Second), rss>>20)
				}
			}
		})
	}
	wg.Wait()
	close(errc)
	if err := <-errc; err != nil {
		s.Close(context.Background())
		return err
	}
	if ctx.Err() != nil {
		s.Close(context.Background())
		return fmt.Errorf("loaded only %d keys in %v", done.Load(), *limit)
	}
	load := time.Since(start)
	rss, peak := memory()
	fmt.Printf("loaded %d keys (%d B values, %d writers) in %v: %.0f puts/s; RSS %d MiB, peak RSS %d MiB\n",
		*n, *size, *writers, load.Round(time.Second), float64(*n)/load.Seconds(), rss>>20, peak>>20)
	scans(s, *n, "warm, right after loading")
	if err := s.Close(context.Background()); err != nil {
		return err
	}
	runtime.GC()
	start = time.Now()
	s, err = engine.Open(cfg)
	if err != nil {
		return err
	}
	defer s.Close(context.Background())
	fmt.Printf("reopened in %v\n", time.Since(start).Round(time.Millisecond))
	scans(s, *n, "after reopening (cold block cache)")
	du, _ := dirSize(*dir)
	rss, peak = memory()
	fmt.Printf("on disk %d MiB; RSS %d MiB, peak RSS %d MiB\n", du>>20, rss>>20, peak>>20)
	return nil
}

// scans times 50 scans of 1 000 keys under random prefixes and prints the
// spread.
func scans(s *engine.Store, n int, what string) {
	rng := rand.New(rand.NewPCG(18, 10))
	var times []time.Duration
	for range 50 {
		prefix := keyOf(rng.IntN(n/1000) * 1000)[:len("p/00000/")]
		count := 0
		t0 := time.Now()
		err := s.Scan(context.Background(), prefix, backend.ScanValues, func(backend.Entry) error { count++; return nil })
		times = append(times, time.Since(t0))
		if err != nil || count != 1000 {
			fmt.Printf("scan %s: %d keys, %v\n", prefix, count, err)
		}
	}
	slices.Sort(times)
	fmt.Printf("1000-key prefix scans (%s): min %v, median %v, p90 %v, max %v\n",
		what, times[0].Round(time.Microsecond), times[len(times)/2].Round(time.Microsecond),
		times[len(times)*9/10].Round(time.Microsecond), times[len(times)-1].Round(time.Microsecond))
}

// memory returns the process's resident set size and its peak, in bytes
// (Linux /proc/self/status; 0 elsewhere).
func memory() (rss, peak uint64) {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0, 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var kb uint64
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "VmRSS:"):
			fmt.Sscanf(strings.TrimPrefix(line, "VmRSS:"), "%d", &kb)
			rss = kb << 10
		case strings.HasPrefix(line, "VmHWM:"):
			fmt.Sscanf(strings.TrimPrefix(line, "VmHWM:"), "%d", &kb)
			peak = kb << 10
		}
	}
	return rss, peak
}

// dirSize is the size of the files in dir.
func dirSize(dir string) (int64, error) {
	ents, err := os.ReadDir(dir)
	var total int64
	for _, e := range ents {
		if fi, err := e.Info(); err == nil && !fi.IsDir() {
			total += fi.Size()
		}
	}
	return total, err
}
