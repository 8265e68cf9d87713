package engine

// The measurements behind the choice of engine (see the package comment):
// the raw engines, Pebble and bbolt, on zmesh's workload, without this
// package's code around them. Run with
//
//	go test -run '^$' -bench Compare -benchtime 2s ./store/backend/engine
//
// Puts are durable: Pebble's Set with pebble.Sync (concurrent writers share
// WAL syncs), bbolt's DB.Batch (concurrent writers share a transaction and
// its fsyncs). "callers=64" runs 64 goroutines.

import (
	"context"
	"encoding/binary"
	"fmt"
	"path/filepath"
	"runtime"
	"sync/atomic"
	"testing"

	"github.com/cockroachdb/pebble/v2"
	"github.com/cockroachdb/pebble/v2/bloom"
	bolt "go.etcd.io/bbolt"
)

var compareBucket = []byte("b")

// compareKV is the little both engines have to offer for the comparison.
type compareKV interface {
	put(k, v []byte) error
	get(k []byte) ([]byte, error)
	scan(lo, hi []byte, fn func(k, v []byte)) error
	load(n int, key func(i int) []byte, v []byte) error
	close() error
}

type pebbleKV struct{ db *pebble.DB }

func (p pebbleKV) put(k, v []byte) error { return p.db.Set(k, v, pebble.Sync) }
func (p pebbleKV) get(k []byte) ([]byte, error) {
	v, c, err := p.db.Get(k)
	if err != nil {
		return nil, err
	}
	v = append([]byte(nil), v...)
	return v, c.Close()
}
func (p pebbleKV) scan(lo, hi []byte, fn func(k, v []byte)) error {
	it, err := p.db.NewIter(&pebble.IterOptions{LowerBound: lo, UpperBound: hi})
	if err != nil {
		return err
	}
	for it.First(); it.Valid(); it.Next() {
		fn(it.Key(), it.Value())
	}
	return it.Close()
}
func (p pebbleKV) load(n int, key func(int) []byte, v []byte) error {
	b := p.db.NewBatch()
	for i := range n {
		b.Set(key(i), v, nil)
		if b.Len() > 4<<20 {
			if err := b.Commit(pebble.NoSync); err != nil {
				return err
			}
			b = p.db.NewBatch()
		}
	}
	if err := b.Commit(pebble.Sync); err != nil {
		return err
	}
	// Settle the tree, as a store that has been running does, so that
	// background compactions do not run during the measurement.
	return p.db.Compact(context.Background(), []byte{0}, []byte{0xff}, true)
}
func (p pebbleKV) close() error { return p.db.Close() }

type boltKV struct{ db *bolt.DB }

func (p boltKV) put(k, v []byte) error {
	return p.db.Batch(func(tx *bolt.Tx) error { return tx.Bucket(compareBucket).Put(k, v) })
}
func (p boltKV) get(k []byte) (out []byte, err error) {
	err = p.db.View(func(tx *bolt.Tx) error {
		out = append([]byte(nil), tx.Bucket(compareBucket).Get(k)...)
		return nil
	})
	return out, err
}
func (p boltKV) scan(lo, hi []byte, fn func(k, v []byte)) error {
	return p.db.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(compareBucket).Cursor()
		for k, v := c.Seek(lo); k != nil && string(k) < string(hi); k, v = c.Next() {
			fn(k, v)
		}
		return nil
	})
}
func (p boltKV) load(n int, key func(int) []byte, v []byte) error {
	for start := 0; start < n; start += 100_000 {
		err := p.db.Update(func(tx *bolt.Tx) error {
			b := tx.Bucket(compareBucket)
			b.FillPercent = 0.9 // keys arrive in order
			for i := start; i < min(n, start+100_000); i++ {
				if err := b.Put(key(i), v); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}
func (p boltKV) close() error { return p.db.Close() }

func openCompare(b *testing.B, engine string) compareKV {
	dir := b.TempDir()
	switch engine {
	case "pebble":
		cache := pebble.NewCache(DefaultCacheSize) // as the volume's default
		defer cache.Unref()
		opts := &pebble.Options{Cache: cache, Logger: quietPebble{}}
		for i := range opts.Levels {
			opts.Levels[i].FilterPolicy = bloom.FilterPolicy(10) // as the volume does
		}
		db, err := pebble.Open(dir, opts)
		if err != nil {
			b.Fatal(err)
		}
		return pebbleKV{db}
	case "bbolt":
		db, err := bolt.Open(filepath.Join(dir, "bolt.db"), 0o600, nil)
		if err != nil {
			b.Fatal(err)
		}
		if err := db.Update(func(tx *bolt.Tx) error { _, err := tx.CreateBucket(compareBucket); return err }); err != nil {
			b.Fatal(err)
		}
		return boltKV{db}
	}
	panic(engine)
}

var compareEngines = []string{"pebble", "bbolt"}

// compareKey is key i of the preloaded set: 1000 groups of 1000 keys
// ("g0042/k000123"), as a storage's key space under prefixes.
func compareKey(i int) []byte { return fmt.Appendf(nil, "g%04d/k%06d", i/1000, i%1000) }

// BenchmarkComparePut: durable puts of 64 B values to distinct keys from 1
// and 64 goroutines.
func BenchmarkComparePut(b *testing.B) {
	for _, engine := range compareEngines {
		for _, callers := range []int{1, 64} {
			b.Run(fmt.Sprintf("%s/callers=%d", engine, callers), func(b *testing.B) {
				kv := openCompare(b, engine)
				defer kv.close()
				val := make([]byte, 64)
				var n atomic.Uint64
				b.SetParallelism(max(1, callers/runtime.GOMAXPROCS(0)))
				b.ReportAllocs()
				b.ResetTimer()
				if callers == 1 {
					for i := 0; b.Loop(); i++ {
						if err := kv.put(binary.BigEndian.AppendUint64([]byte("p/"), uint64(i)), val); err != nil {
							b.Fatal(err)
						}
					}
				} else {
					b.RunParallel(func(pb *testing.PB) {
						for pb.Next() {
							if err := kv.put(binary.BigEndian.AppendUint64([]byte("p/"), n.Add(1)), val); err != nil {
								b.Error(err)
								return
							}
						}
					})
				}
				b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "puts/s")
			})
		}
	}
}

// BenchmarkCompareReadOneMillion loads 1M keys with 64 B values, then
// measures gets of random keys (64 goroutines) and the scan of the 1000
// keys under one prefix.
func BenchmarkCompareReadOneMillion(b *testing.B) {
	const n = 1_000_000
	val := make([]byte, 64)
	for _, engine := range compareEngines {
		kv := openCompare(b, engine)
		if err := kv.load(n, compareKey, val); err != nil {
			b.Fatal(err)
		}
		b.Run(engine+"/get/callers=64", func(b *testing.B) {
			b.SetParallelism(max(1, 64/runtime.GOMAXPROCS(0)))
			b.ReportAllocs()
			var seed atomic.Uint64
			b.RunParallel(func(pb *testing.PB) {
				x := seed.Add(0x9e3779b97f4a7c15)
				for pb.Next() {
					x ^= x << 13
					x ^= x >> 7
					x ^= x << 17
					v, err := kv.get(compareKey(int(x % n)))
					if err != nil || len(v) != 64 {
						b.Errorf("get: %d bytes, %v", len(v), err)
						return
					}
				}
			})
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "gets/s")
		})
		b.Run(engine+"/scan1000", func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				g := i * 7919 % 1000
				lo, hi := fmt.Appendf(nil, "g%04d/", g), fmt.Appendf(nil, "g%04d0", g)
				count := 0
				if err := kv.scan(lo, hi, func(k, v []byte) { count++ }); err != nil || count != 1000 {
					b.Fatalf("scan: %d keys, %v", count, err)
				}
			}
		})
		kv.close()
	}
}
