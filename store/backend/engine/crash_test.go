package engine

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/zmesh/zmesh/store/backend"
	"github.com/zmesh/zmesh/store/backend/backendtest"
	"github.com/zmesh/zmesh/store/hlc"
)

// The durability test runs the test binary again as a writer (crashEnv
// names its directory, crashStartEnv its first write number), kills it with
// SIGKILL while it writes, and checks what a reopened store holds.
//
// The writer runs crashWriters goroutines, so that writes share log syncs
// as a server's do; goroutine g makes writes start+g, start+g+crashWriters,
// ... Write i is a delete of the key of write i-crashWriters when
// crashIsDelete(i), else a put of crashKey(i); every write also puts the
// hot key, which many goroutines rewrite.
const (
	crashEnv      = "ZMESH_ENGINE_CRASH_DIR"
	crashStartEnv = "ZMESH_ENGINE_CRASH_START"
	crashHotKey   = "hot/key"
	crashWriters  = 8
	crashBase     = 1_800_000_000_000_000_000
)

func crashKey(i int) string { return fmt.Sprintf("crash/%d/%d", i%8, i) }

func crashIsDelete(i int) bool { return (i/crashWriters)%4 == 3 }

func crashTimestamp(i int) hlc.Timestamp {
	return hlc.Timestamp{Time: int64(crashBase + i), Source: hlc.ID{0: 0xc}}
}

func crashValue(i int) []byte {
	rng := rand.New(rand.NewPCG(uint64(i), 99))
	v := make([]byte, 1+rng.IntN(4<<10))
	for j := range v {
		v[j] = byte(rng.Uint32())
	}
	return v
}

func crashPut(key string, i int) backend.Entry {
	return backend.Entry{Key: key, Value: crashValue(i), Encoding: strconv.Itoa(i), Timestamp: crashTimestamp(i)}
}

// crashChild is the writer: it prints "ok i" once write i and its hot-key
// put returned applied. It never returns.
func crashChild() {
	start, err := strconv.Atoi(os.Getenv(crashStartEnv))
	if err != nil {
		fmt.Println("start:", err)
		os.Exit(2)
	}
	s, err := Open(Config{Root: os.Getenv(crashEnv)})
	if err != nil {
		fmt.Println("open:", err)
		os.Exit(2)
	}
	ctx := context.Background()
	var out sync.Mutex
	var wg sync.WaitGroup
	for g := range crashWriters {
		wg.Go(func() {
			for i := start + g; i < start+1_000_000; i += crashWriters {
				e := crashPut(crashKey(i), i)
				if crashIsDelete(i) {
					e = backend.Entry{Key: crashKey(i - crashWriters), Deleted: true, Timestamp: crashTimestamp(i)}
				}
				ok, err := s.Apply(ctx, e)
				if err != nil || !ok {
					fmt.Println("apply:", i, ok, err)
					os.Exit(2)
				}
				if _, err := s.Apply(ctx, crashPut(crashHotKey, i)); err != nil {
					fmt.Println("apply hot:", err)
					os.Exit(2)
				}
				out.Lock()
				fmt.Fprintf(os.Stdout, "ok %d\n", i) // one write(2): once out, the parent may rely on it
				out.Unlock()
			}
		})
	}
	wg.Wait()
	os.Exit(0)
}

func TestDurabilityUnderSIGKILL(t *testing.T) {
	backendtest.RunCrash(t, backendtest.Crash{DirEnv: crashEnv, StartEnv: crashStartEnv, Rounds: 4,
		FirstKill: 200, KillStep: 150, DelayStep: 300 * time.Microsecond, Check: checkCrashedStore})
}

// checkCrashedStore reopens dir and checks it: every acknowledged put and
// delete is there, intact; every entry present is exactly some write; the
// hot key holds a write at least as new as the newest acknowledged one. It
// returns the highest write number found.
func checkCrashedStore(t *testing.T, dir string, acked map[int]bool) int {
	t.Helper()
	s := openDir(t, dir)
	defer backendtest.MustClose(t, s)
	ctx := context.Background()
	highest, hot := -1, -1
	err := s.Scan(ctx, "", backend.ScanValues, func(e backend.Entry) error {
		i := int(e.Timestamp.Time - crashBase)
		switch {
		case e.Deleted:
			if !crashIsDelete(i) || e.Key != crashKey(i-crashWriters) || e.Timestamp != crashTimestamp(i) {
				return fmt.Errorf("tombstone %q at %v is no write", e.Key, e.Timestamp)
			}
		case e.Key != crashHotKey && (e.Key != crashKey(i) || crashIsDelete(i)):
			return fmt.Errorf("entry %q claims to be write %d", e.Key, i)
		case e.Timestamp != crashTimestamp(i) || e.Encoding != strconv.Itoa(i) || string(e.Value) != string(crashValue(i)):
			return fmt.Errorf("entry %q (write %d) is damaged: %d bytes, ts %v", e.Key, i, len(e.Value), e.Timestamp)
		}
		if e.Key == crashHotKey {
			hot = i
		}
		highest = max(highest, i)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	newestAck := -1
	for i := range acked {
		newestAck = max(newestAck, i)
		key, want := crashKey(i), crashPut(crashKey(i), i)
		if crashIsDelete(i) {
			key, want = crashKey(i-crashWriters), backend.Entry{Key: crashKey(i - crashWriters), Deleted: true, Timestamp: crashTimestamp(i)}
		}
		e, ok, err := s.Get(ctx, key)
		if err != nil || !ok {
			t.Fatalf("acknowledged write %d lost: %v, %v", i, ok, err)
		}
		later := crashIsDelete(i+crashWriters) && e.Deleted && e.Timestamp == crashTimestamp(i+crashWriters)
		if !later && (e.Timestamp != want.Timestamp || e.Deleted != want.Deleted || string(e.Value) != string(want.Value)) {
			t.Fatalf("acknowledged write %d: key %q holds %v deleted=%v", i, key, e.Timestamp, e.Deleted)
		}
	}
	if hot < newestAck {
		t.Fatalf("hot key holds write %d, older than acknowledged write %d", hot, newestAck)
	}
	return highest
}
