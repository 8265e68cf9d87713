package fs

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/zmesh/zmesh/store/backend"
	"github.com/zmesh/zmesh/store/backend/backendtest"
	"github.com/zmesh/zmesh/store/hlc"
)

// The durability test runs the test binary again as a writer (crashEnv
// names its directory, crashStartEnv its first write number), kills it with
// SIGKILL while it writes, and checks what a reopened store holds.
const (
	crashEnv      = "ZMESH_FS_CRASH_DIR"
	crashStartEnv = "ZMESH_FS_CRASH_START"
	crashHotKey   = "hot/key"
)

// crashKey, crashValue and crashTimestamp define write i, so the parent can
// check any entry without being told what was written.
func crashKey(i int) string { return fmt.Sprintf("crash/%d/%d", i%8, i) }

func crashTimestamp(i int) hlc.Timestamp {
	return hlc.Timestamp{Time: int64(1_800_000_000_000_000_000 + i), Source: hlc.ID{0: 0xc}}
}

func crashValue(i int) []byte {
	rng := rand.New(rand.NewPCG(uint64(i), 99))
	v := make([]byte, 1+rng.IntN(64<<10)) // up to 64 KiB: writes take a while
	for j := range v {
		v[j] = byte(rng.Uint32())
	}
	return v
}

// crashChild is the writer: for i = start, start+1, ... it writes key i and
// rewrites the hot key, each with value i, and prints "ok i" once both
// Apply calls returned applied. It never returns.
func crashChild() {
	dir := os.Getenv(crashEnv)
	start, err := strconv.Atoi(os.Getenv(crashStartEnv))
	if err != nil {
		fmt.Println("start:", err)
		os.Exit(2)
	}
	s, err := Open(dir)
	if err != nil {
		fmt.Println("open:", err)
		os.Exit(2)
	}
	ctx := context.Background()
	for i := start; i < start+100_000; i++ {
		v := crashValue(i)
		for _, k := range []string{crashKey(i), crashHotKey} {
			ok, err := s.Apply(ctx, backend.Entry{Key: k, Value: v, Encoding: strconv.Itoa(i), Timestamp: crashTimestamp(i)})
			if err != nil || !ok {
				fmt.Println("apply:", ok, err)
				os.Exit(2)
			}
		}
		// Unbuffered: once the line is out, the parent may rely on it.
		fmt.Fprintf(os.Stdout, "ok %d\n", i)
	}
	os.Exit(0)
}

func TestDurabilityUnderSIGKILL(t *testing.T) {
	backendtest.RunCrash(t, backendtest.Crash{DirEnv: crashEnv, StartEnv: crashStartEnv, Rounds: 4,
		FirstKill: 20, KillStep: 15, DelayStep: 700 * time.Microsecond, Check: checkCrashedStore})
}

// checkCrashedStore reopens dir and checks it: every acknowledged write is
// there, intact; every entry present is exactly some write; the hot key
// holds a write at least as new as the newest acknowledged one; no
// temporary file remains. It returns the highest write number found.
func checkCrashedStore(t *testing.T, dir string, acked map[int]bool) int {
	t.Helper()
	s := open(t, dir)
	defer backendtest.MustClose(t, s)
	ctx := context.Background()
	highest, hot := -1, -1
	err := s.Scan(ctx, "", backend.ScanValues, func(e backend.Entry) error {
		i, err := strconv.Atoi(e.Encoding)
		if err != nil {
			return fmt.Errorf("entry %q has encoding %q", e.Key, e.Encoding)
		}
		if e.Key != crashHotKey && e.Key != crashKey(i) {
			return fmt.Errorf("entry %q claims to be write %d", e.Key, i)
		}
		if e.Timestamp != crashTimestamp(i) || e.Deleted || string(e.Value) != string(crashValue(i)) {
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
		e, ok, err := s.Get(ctx, crashKey(i))
		if err != nil || !ok || string(e.Value) != string(crashValue(i)) {
			t.Fatalf("acknowledged write %d lost: %v, %v", i, ok, err)
		}
	}
	if hot < newestAck {
		t.Fatalf("hot key holds write %d, older than acknowledged write %d", hot, newestAck)
	}
	for _, f := range files(t, dir) {
		if strings.Contains(f, tempPrefix) {
			t.Fatalf("temporary file %s left after Open", f)
		}
	}
	return highest
}
