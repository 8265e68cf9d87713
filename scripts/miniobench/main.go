// Command miniobench is scripts/bench-vs-minio.sh's helper: the minio-go
// side of its table (a large put and get straight to MinIO, 1 MiB get
// latency), zmesh's 1 MiB get latency through store.Client, and a runner
// that times another command and reports its peak RSS.
//
//	miniobench put   -endpoint H:P -bucket B -key K -file F   # prints "secs peak_rss_kib"
//	miniobench get   -endpoint H:P -bucket B -key K -file F   # prints "secs peak_rss_kib"
//	miniobench lat   -endpoint H:P -bucket B -n N -size S     # prints "p50_ms p99_ms"
//	miniobench zlat  -connect tcp://H:P -key K -n N -size S   # prints "p50_ms p99_ms"
//	miniobench run   CMD ARGS...                              # prints "secs peak_rss_kib"
//
// The access and secret keys come from MINIO_ROOT_USER and
// MINIO_ROOT_PASSWORD.
package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/zmesh/zmesh/store"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: miniobench put|get|lat|zlat|run ...")
		os.Exit(2)
	}
	if err := run(context.Background(), os.Args[1], os.Args[2:]); err != nil {
		fmt.Fprintln(os.Stderr, "miniobench:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, mode string, args []string) error {
	if mode == "run" {
		return runCmd(args)
	}
	fs := flag.NewFlagSet(mode, flag.ContinueOnError)
	endpoint := fs.String("endpoint", "127.0.0.1:9000", "MinIO host:port")
	bucket := fs.String("bucket", "bench", "bucket")
	key := fs.String("key", "big", "object name or zmesh key")
	file := fs.String("file", "", "file to put from or get into")
	n := fs.Int("n", 200, "gets to time")
	size := fs.Int("size", 1<<20, "value size for the latency runs")
	connect := fs.String("connect", "tcp://127.0.0.1:7447", "zmesh server")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if mode == "zlat" {
		return zmeshLatency(ctx, *connect, *key, *n, *size)
	}
	c, err := minio.New(*endpoint, &minio.Options{
		Creds:        credentials.NewStaticV4(os.Getenv("MINIO_ROOT_USER"), os.Getenv("MINIO_ROOT_PASSWORD"), ""),
		BucketLookup: minio.BucketLookupPath,
	})
	if err != nil {
		return err
	}
	if err := c.MakeBucket(ctx, *bucket, minio.MakeBucketOptions{}); err != nil {
		if minio.ToErrorResponse(err).Code != "BucketAlreadyOwnedByYou" {
			return fmt.Errorf("make bucket: %w", err)
		}
	}
	start := time.Now()
	switch mode {
	case "put":
		f, err := os.Open(*file)
		if err != nil {
			return err
		}
		defer f.Close()
		st, err := f.Stat()
		if err != nil {
			return err
		}
		if _, err := c.PutObject(ctx, *bucket, *key, f, st.Size(), minio.PutObjectOptions{}); err != nil {
			return fmt.Errorf("put: %w", err)
		}
	case "get":
		obj, err := c.GetObject(ctx, *bucket, *key, minio.GetObjectOptions{})
		if err != nil {
			return fmt.Errorf("get: %w", err)
		}
		defer obj.Close()
		f, err := os.Create(*file)
		if err != nil {
			return err
		}
		if _, err := io.Copy(f, obj); err != nil {
			f.Close()
			return fmt.Errorf("get: %w", err)
		}
		if err := f.Close(); err != nil {
			return err
		}
	case "lat":
		val := randBytes(*size)
		name := *key + "-lat"
		if _, err := c.PutObject(ctx, *bucket, name, bytes.NewReader(val), int64(len(val)), minio.PutObjectOptions{}); err != nil {
			return fmt.Errorf("put: %w", err)
		}
		return timeGets(*n, func() error {
			obj, err := c.GetObject(ctx, *bucket, name, minio.GetObjectOptions{})
			if err != nil {
				return err
			}
			defer obj.Close()
			b, err := io.ReadAll(obj)
			if err == nil && !bytes.Equal(b, val) {
				err = errors.New("value differs")
			}
			return err
		})
	default:
		return fmt.Errorf("unknown mode %q", mode)
	}
	fmt.Printf("%.3f %d\n", time.Since(start).Seconds(), selfHWM())
	return nil
}

func zmeshLatency(ctx context.Context, connect, key string, n, size int) error {
	c, err := store.Connect(connect, store.ClientOptions{Timeout: 30 * time.Second})
	if err != nil {
		return err
	}
	defer c.Close()
	val := randBytes(size)
	key += "-lat"
	if err := c.Put(ctx, key, val); err != nil {
		return fmt.Errorf("put: %w", err)
	}
	return timeGets(n, func() error {
		s, err := c.Get(ctx, key)
		if err == nil && (len(s) != 1 || !bytes.Equal(s[0].Value, val)) {
			err = errors.New("value differs")
		}
		return err
	})
}

// timeGets runs get once to warm up, then n times, and prints the median
// and 99th percentile in milliseconds.
func timeGets(n int, get func() error) error {
	if err := get(); err != nil {
		return err
	}
	d := make([]float64, 0, n)
	for range n {
		t := time.Now()
		if err := get(); err != nil {
			return err
		}
		d = append(d, float64(time.Since(t).Microseconds())/1e3)
	}
	sort.Float64s(d)
	fmt.Printf("%.3f %.3f\n", d[len(d)/2], d[min(len(d)-1, len(d)*99/100)])
	return nil
}

func randBytes(n int) []byte {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return b
}

// runCmd runs args, passing its output through, and prints its wall time
// and peak RSS.
func runCmd(args []string) error {
	if len(args) == 0 {
		return errors.New("run: no command")
	}
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	start := time.Now()
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%s: %w", strings.Join(args, " "), err)
	}
	secs := time.Since(start).Seconds()
	ru, _ := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	var kib int64
	if ru != nil {
		kib = ru.Maxrss
	}
	fmt.Printf("%.3f %d\n", secs, kib)
	return nil
}

// selfHWM is this process's peak RSS in KiB (VmHWM), 0 if unknown.
func selfHWM() int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			k, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return k
		}
	}
	return 0
}
