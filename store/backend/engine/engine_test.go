package engine

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2/vfs"

	"github.com/zmesh/zmesh/store/backend"
	"github.com/zmesh/zmesh/store/backend/backendtest"
	"github.com/zmesh/zmesh/store/hlc"
)

// quiet is a logger that drops everything, for tests.
var quiet = slog.New(slog.DiscardHandler)

// openDir opens the store alone in the engine in dir.
func openDir(t testing.TB, dir string) *Store {
	t.Helper()
	s, err := Open(Config{Root: dir, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestConformance(t *testing.T) {
	backendtest.Run(t, func(t *testing.T) backend.Store {
		s := openDir(t, t.TempDir())
		backendtest.CloseOnCleanup(t, s)
		return s
	})
}

// TestConformanceSharedVolume runs the suite on stores of one volume,
// each beside another storage holding entries under the same keys: a
// store sees only its own namespace.
func TestConformanceSharedVolume(t *testing.T) {
	ctx := context.Background()
	v := newVolume(t, backend.Options{"root": t.TempDir()})
	backendtest.CloseOnCleanup(t, v)
	n := 0
	backendtest.Run(t, func(t *testing.T) backend.Store {
		n++
		name := "s" + strings.Repeat("x", n%3) + string(rune('a'+n%26))
		other, err := v.Open(ctx, name+"-other", backend.StorageConfig{})
		if err != nil {
			t.Fatal(err)
		}
		backendtest.CloseOnCleanup(t, other)
		for _, k := range []string{"", "a", "a/b", "p", "prefix/1", "k"} {
			backendtest.MustApply(t, other, backend.Entry{Key: k, Value: []byte("other"), Timestamp: hlc.Timestamp{Time: 1}}, true)
		}
		s, err := v.Open(ctx, name, backend.StorageConfig{})
		if err != nil {
			t.Fatal(err)
		}
		backendtest.CloseOnCleanup(t, s)
		return s
	})
}

func TestPersistent(t *testing.T) {
	backendtest.RunPersistent(t, func(t *testing.T) backendtest.Opener {
		dir := t.TempDir()
		return func(t *testing.T) backend.Store { return openDir(t, dir) }
	})
}

func TestPersistentWindow(t *testing.T) {
	backendtest.RunPersistent(t, func(t *testing.T) backendtest.Opener {
		dir := t.TempDir()
		return func(t *testing.T) backend.Store {
			s, err := Open(Config{Root: dir, Logger: quiet, SyncWindow: 5 * time.Millisecond})
			if err != nil {
				t.Fatal(err)
			}
			return s
		}
	})
}

func TestVolumeNilContext(t *testing.T) {
	backendtest.RunVolumeNilContext(t, Kind, backend.Options{"root": t.TempDir()}, backend.StorageConfig{})
}

func newVolume(t *testing.T, opts backend.Options) backend.Volume {
	t.Helper()
	v, err := backend.NewVolume(backend.WithLogger(context.Background(), quiet), Kind, opts)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestOptions(t *testing.T) {
	ctx := context.Background()
	good := []backend.Options{
		{"root": "x"},
		{"root": "x", "sync": "always", "cache_size": 8 << 20},
		{"root": "x", "sync": "window"},
		{"root": "x", "sync": "window", "sync_window": "20ms"},
	}
	for _, o := range good {
		if _, err := parseOptions(o); err != nil {
			t.Errorf("%v: %v", o, err)
		}
	}
	bad := []backend.Options{
		{},
		{"root": ""},
		{"root": "x", "sync": "sometimes"},
		{"root": "x", "sync": true},
		{"root": "x", "sync_window": "20ms"}, // without sync: window
		{"root": "x", "sync": "window", "sync_window": 20},
		{"root": "x", "sync": "window", "sync_window": "0s"},
		{"root": "x", "cache_size": "64MiB"},
		{"root": "x", "cache_size": 100},
		{"root": "x", "min_free_space": -1},
		{"root": "x", "min_free_space": "1GiB"},
		{"root": "x", "dir": "y"},
	}
	for _, o := range bad {
		if _, err := backend.NewVolume(ctx, Kind, o); !errors.Is(err, backend.ErrInvalidConfig) {
			t.Errorf("%v: %v, want ErrInvalidConfig", o, err)
		}
	}
	if c, _ := parseOptions(backend.Options{"root": "x", "min_free_space": 0}); c.MinFreeSpace >= 0 {
		t.Errorf("min_free_space: 0 gives %d, want no check", c.MinFreeSpace)
	}
	if c, _ := parseOptions(backend.Options{"root": "x", "sync": "window"}); c.SyncWindow != DefaultSyncWindow {
		t.Errorf("default window %v", c.SyncWindow)
	}
}

func TestStorageOptions(t *testing.T) {
	ctx := context.Background()
	v := newVolume(t, backend.Options{"root": t.TempDir()})
	defer backendtest.MustClose(t, v)
	for _, o := range []backend.Options{{"dir": "x"}, {"on_closure": "delete_some"}, {"namespace": 3}} {
		if _, err := v.Open(ctx, "a", backend.StorageConfig{Options: o}); !errors.Is(err, backend.ErrInvalidConfig) {
			t.Errorf("%v: %v, want ErrInvalidConfig", o, err)
		}
	}
	a, err := v.Open(ctx, "a", backend.StorageConfig{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := v.Open(ctx, "b", backend.StorageConfig{Options: backend.Options{"namespace": "a"}}); !errors.Is(err, backend.ErrInUse) {
		t.Errorf("second store on namespace a: %v, want ErrInUse", err)
	}
	backendtest.MustClose(t, a)
	b, err := v.Open(ctx, "b", backend.StorageConfig{Options: backend.Options{"namespace": "a"}})
	if err != nil {
		t.Fatalf("namespace a after its store closed: %v", err)
	}
	backendtest.MustClose(t, b)
}

// TestNamespaces: storages of one volume see only their own entries, even
// when one's name is a prefix of another's, and survive a reopen.
func TestNamespaces(t *testing.T) {
	ctx := context.Background()
	root := t.TempDir()
	ts := hlc.Timestamp{Time: 10}
	v := newVolume(t, backend.Options{"root": root})
	names := []string{"a", "ab", "a\x00", ""}
	for _, n := range names {
		s, err := v.Open(ctx, n, backend.StorageConfig{})
		if err != nil {
			t.Fatal(err)
		}
		backendtest.MustApply(t, s, backend.Entry{Key: "k", Value: []byte(n), Timestamp: ts}, true)
		backendtest.MustApply(t, s, backend.Entry{Key: "k/" + n, Value: []byte(n), Timestamp: ts}, true)
	}
	backendtest.MustClose(t, v)
	v = newVolume(t, backend.Options{"root": root})
	defer backendtest.MustClose(t, v)
	for _, n := range names {
		s, err := v.Open(ctx, n, backend.StorageConfig{ReadOnly: true})
		if err != nil {
			t.Fatal(err)
		}
		got := backendtest.Scan(t, s, "", backend.ScanValues)
		if len(got) != 2 || string(got["k"].Value) != n || string(got["k/"+n].Value) != n {
			t.Errorf("storage %q holds %v", n, got)
		}
		if _, err := s.Apply(ctx, backend.Entry{Key: "k", Timestamp: hlc.Timestamp{Time: 20}}); !errors.Is(err, backend.ErrReadOnly) {
			t.Errorf("read-only Apply: %v", err)
		}
	}
}

// TestScanInKeyOrder: Scan reports keys in byte order.
func TestScanInKeyOrder(t *testing.T) {
	ctx := context.Background()
	s := openDir(t, t.TempDir())
	defer backendtest.MustClose(t, s)
	keys := []string{"b", "a/z", "a", "a/b", "\xc3\xa9", "a0", ""}
	for _, k := range keys {
		backendtest.MustApply(t, s, backend.Entry{Key: k, Timestamp: hlc.Timestamp{Time: 1}}, true)
	}
	var got []string
	s.Scan(ctx, "", backend.ScanMeta, func(e backend.Entry) error { got = append(got, e.Key); return nil })
	want := []string{"", "a", "a/b", "a/z", "a0", "b", "\xc3\xa9"}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("order %q, want %q", got, want)
	}
}

// TestDeleteAll: on_closure: delete_all removes the storage's entries and
// nothing else.
func TestDeleteAll(t *testing.T) {
	ctx := context.Background()
	root := t.TempDir()
	ts := hlc.Timestamp{Time: 10}
	v := newVolume(t, backend.Options{"root": root})
	keep, err := v.Open(ctx, "keep", backend.StorageConfig{})
	if err != nil {
		t.Fatal(err)
	}
	gone, err := v.Open(ctx, "gone", backend.StorageConfig{Options: backend.Options{"on_closure": "delete_all"}})
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"a", "b", "c/d"} {
		backendtest.MustApply(t, keep, backend.Entry{Key: k, Value: []byte("k"), Timestamp: ts}, true)
		backendtest.MustApply(t, gone, backend.Entry{Key: k, Value: []byte("g"), Timestamp: ts}, true)
	}
	backendtest.MustClose(t, gone)
	backendtest.MustClose(t, v)

	v = newVolume(t, backend.Options{"root": root})
	defer backendtest.MustClose(t, v)
	for name, want := range map[string]int{"keep": 3, "gone": 0} {
		s, err := v.Open(ctx, name, backend.StorageConfig{})
		if err != nil {
			t.Fatal(err)
		}
		if got := backendtest.Scan(t, s, "", backend.ScanMeta); len(got) != want {
			t.Errorf("%s holds %d entries, want %d", name, len(got), want)
		}
	}
}

// TestDamagedDirectory: a directory that is not an engine, or an engine
// with a file missing, is refused at open with an error saying so, and
// left as it was.
func TestDamagedDirectory(t *testing.T) {
	// populated makes an engine holding a table file and returns its root.
	populated := func(t *testing.T) string {
		root := t.TempDir()
		s := openDir(t, root)
		for i := range 1000 {
			backendtest.MustApply(t, s, backend.Entry{Key: "k" + string(rune('a'+i%26)) + "/" + time.Duration(i).String(),
				Value: make([]byte, 100), Timestamp: hlc.Timestamp{Time: int64(i + 1)}}, true)
		}
		if err := s.v.db.Flush(); err != nil {
			t.Fatal(err)
		}
		backendtest.MustClose(t, s)
		return root
	}
	remove := func(pattern string) func(t *testing.T, root string) {
		return func(t *testing.T, root string) {
			m, _ := filepath.Glob(filepath.Join(root, pattern))
			if len(m) == 0 {
				t.Fatalf("no %s in %s", pattern, root)
			}
			for _, f := range m {
				if err := os.Remove(f); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	tests := []struct {
		name   string
		damage func(t *testing.T, root string)
		want   string
	}{
		{"missing table file", remove("*.sst"), "missing"},
		{"missing manifest marker", remove("marker.manifest.*"), "marker"},
		{"missing MANIFEST", remove("MANIFEST-*"), "missing"},
		{"not an engine", func(t *testing.T, root string) {
			os.RemoveAll(root)
			os.MkdirAll(filepath.Join(root, "demo"), 0o700)
			os.WriteFile(filepath.Join(root, "demo", "k~"), []byte("fs entry"), 0o600)
		}, "no engine"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := populated(t)
			tt.damage(t, root)
			mustRefuse(t, root, tt.want)
		})
	}
}

// mustRefuse checks that Open refuses root with an error matching
// backend.ErrCorrupt and saying want, leaving the directory as it was.
func mustRefuse(t *testing.T, root, want string) {
	t.Helper()
	before := listDir(t, root)
	s, err := Open(Config{Root: root, Logger: quiet})
	if err == nil {
		s.Close(context.Background())
		t.Fatal("Open succeeded")
	}
	if !errors.Is(err, backend.ErrCorrupt) || !strings.Contains(err.Error(), want) {
		t.Errorf("Open: %v; want ErrCorrupt saying %q", err, want)
	}
	if after := listDir(t, root); strings.Join(after, ",") != strings.Join(before, ",") {
		t.Errorf("Open changed the directory: %v, was %v", after, before)
	}
}

// dataLen returns the length of file name without its tail of zeros.
func dataLen(t *testing.T, name string) int64 {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return int64(len(bytes.TrimRight(b, "\x00")))
}

func listDir(t *testing.T, dir string) []string {
	var out []string
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		fi, _ := d.Info()
		out = append(out, p+":"+time.Duration(fi.Size()).String())
		return nil
	})
	return out
}

func TestInUseByAnotherOpen(t *testing.T) {
	root := t.TempDir()
	s := openDir(t, root)
	defer backendtest.MustClose(t, s)
	if s2, err := Open(Config{Root: root, Logger: quiet}); err == nil {
		s2.Close(context.Background())
		t.Fatal("second Open of the same directory succeeded")
	} else if !errors.Is(err, backend.ErrInUse) {
		t.Errorf("second Open: %v, want ErrInUse", err)
	}
}

// TestFullDisk: under min_free_space, puts and deletes fail with an error
// matching backend.ErrBackend and syscall.ENOSPC, and nothing is stored;
// gets and scans go on, and writes resume once there is room. (Pebble
// stops the process when a log write fails: the volume must not reach a
// full disk. scripts or a tmpfs show it: a 4 MiB tmpfs without the check
// ends the process at the first put that does not fit.)
func TestFullDisk(t *testing.T) {
	ctx := context.Background()
	s, err := Open(Config{Root: t.TempDir(), Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	defer backendtest.MustClose(t, s)
	backendtest.MustApply(t, s, backend.Entry{Key: "a", Value: []byte("1"), Timestamp: hlc.Timestamp{Time: 1}}, true)

	s.v.cfg.MinFreeSpace = math.MaxInt64 / 2 // no disk has that much free
	s.v.spaceAt.Store(0)
	for _, e := range []backend.Entry{
		{Key: "b", Value: []byte("2"), Timestamp: hlc.Timestamp{Time: 2}},
		{Key: "a", Deleted: true, Timestamp: hlc.Timestamp{Time: 3}},
	} {
		ok, err := s.Apply(ctx, e)
		if ok || !errors.Is(err, backend.ErrBackend) || !errors.Is(err, syscall.ENOSPC) || !strings.Contains(err.Error(), "min_free_space") {
			t.Errorf("Apply %q on a full disk: %v, %v; want ErrBackend and ENOSPC naming min_free_space", e.Key, ok, err)
		}
	}
	backendtest.MustGet(t, s, backend.Entry{Key: "a", Value: []byte("1"), Timestamp: hlc.Timestamp{Time: 1}})
	if got := backendtest.Scan(t, s, "", backend.ScanMeta); len(got) != 1 {
		t.Errorf("scan on a full disk: %v", got)
	}

	s.v.cfg.MinFreeSpace = 1
	s.v.spaceAt.Store(0)
	backendtest.MustApply(t, s, backend.Entry{Key: "b", Value: []byte("2"), Timestamp: hlc.Timestamp{Time: 2}}, true)
}

// TestStats: synced puts from many goroutines share log syncs, and the
// figures say so.
func TestStats(t *testing.T) {
	ctx := context.Background()
	s := openDir(t, t.TempDir())
	defer backendtest.MustClose(t, s)
	var wg sync.WaitGroup
	for g := range 16 {
		wg.Go(func() {
			for i := range 20 {
				e := backend.Entry{Key: fmt.Sprint(g, "/", i), Value: make([]byte, 64), Timestamp: hlc.Timestamp{Time: 1}}
				if _, err := s.Apply(ctx, e); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	st := s.v.Stats()
	if st.WALSyncs == 0 || st.WALSyncs > 16*20+2 || st.WALBytes < 16*20*64 || st.DiskBytes == 0 || st.FreeBytes == 0 {
		t.Errorf("stats after 320 synced puts: %+v", st)
	}
	t.Logf("320 synced puts from 16 goroutines: %d log syncs", st.WALSyncs)
}

// TestCollectManyBatches: Collect goes through more tombstones than one
// batch, and keeps the newer ones and the values.
func TestCollectManyBatches(t *testing.T) {
	ctx := context.Background()
	s, err := Open(Config{Root: t.TempDir(), Logger: quiet, SyncWindow: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer backendtest.MustClose(t, s)
	const n = 3*collectBatch + 7
	for i := range n {
		e := backend.Entry{Key: fmt.Sprintf("k%05d", i), Deleted: i%5 != 0, Value: []byte("v"), Timestamp: hlc.Timestamp{Time: 100}}
		if i%7 == 0 {
			e.Timestamp.Time = 300 // newer than the limit
		}
		backendtest.MustApply(t, s, e, true)
	}
	want := 0
	for i := range n {
		if i%5 != 0 && i%7 != 0 {
			want++
		}
	}
	removed, err := s.Collect(ctx, time.Unix(0, 200))
	if err != nil || removed != want {
		t.Fatalf("Collect: %d, %v; want %d", removed, err, want)
	}
	if got := len(backendtest.Scan(t, s, "", backend.ScanMeta)); got != n-want {
		t.Errorf("%d entries left, want %d", got, n-want)
	}
}

// TestFullTmpfs fills a real, small file system (a 24 MiB tmpfs): puts
// are refused with an error matching backend.ErrBackend and
// syscall.ENOSPC before a journal write could fail (which would refuse
// writes until a reopen), the refused entries are not visible, gets go on, and
// after a reopen every acknowledged put is there.
func TestFullTmpfs(t *testing.T) {
	ctx := context.Background()
	root := filepath.Join(backendtest.Tmpfs(t, 24<<20), "engine")
	cfg := Config{Root: root, Logger: quiet, MinFreeSpace: 4 << 20, CacheSize: 1 << 20}
	s, err := Open(cfg)
	if err != nil {
		t.Fatal(err)
	}
	value := bytes.Repeat([]byte("v"), 16<<10)
	var acked []string
	var refused error
	for i := 0; refused == nil; i++ {
		if i > 10_000 { // 160 MiB: far past the tmpfs's size
			t.Fatal("24 MiB took 10 000 puts of 16 KiB without a refusal")
		}
		k := fmt.Sprint("k/", i)
		ok, err := s.Apply(ctx, backend.Entry{Key: k, Value: value, Timestamp: hlc.Timestamp{Time: int64(i + 1)}})
		switch {
		case err != nil:
			refused = err
			if _, found, gerr := s.Get(ctx, k); found || gerr != nil {
				t.Errorf("the refused put of %s is visible (%v, %v)", k, found, gerr)
			}
		case !ok:
			t.Fatalf("put %s not applied", k)
		default:
			acked = append(acked, k)
		}
	}
	if !errors.Is(refused, backend.ErrBackend) || !errors.Is(refused, syscall.ENOSPC) || !strings.Contains(refused.Error(), "min_free_space") {
		t.Errorf("the refusal: %v; want ErrBackend and ENOSPC naming min_free_space", refused)
	}
	t.Logf("%d puts of 16 KiB acknowledged, then: %v", len(acked), refused)
	// Still serving: reads, and deletes refused alike once the free space
	// is below min_free_space. The refused put left it somewhere within
	// one put of that bound, where a tombstone may still fit: a file
	// beside the engine's directory takes it below first, and goes before
	// the reopen.
	backendtest.MustGet(t, s, backend.Entry{Key: acked[0], Value: value, Timestamp: hlc.Timestamp{Time: 1}})
	du, err := vfs.Default.GetDiskUsage(root)
	if err != nil {
		t.Fatal(err)
	}
	filler := filepath.Join(filepath.Dir(root), "filler")
	if n := int64(du.AvailBytes) - cfg.MinFreeSpace/2; n > 0 {
		if err := os.WriteFile(filler, make([]byte, n), 0o600); err != nil && !errors.Is(err, syscall.ENOSPC) {
			t.Fatal(err)
		}
	}
	s.v.readSpace()
	if _, err := s.Apply(ctx, backend.Entry{Key: acked[0], Deleted: true, Timestamp: hlc.Timestamp{Time: 1 << 40}}); !errors.Is(err, syscall.ENOSPC) {
		t.Errorf("a delete on the full disk: %v", err)
	}
	if err := os.Remove(filler); err != nil && !errors.Is(err, os.ErrNotExist) {
		t.Fatal(err)
	}
	backendtest.MustClose(t, s)
	s, err = Open(cfg)
	if err != nil {
		t.Fatalf("reopen on the full tmpfs: %v", err)
	}
	defer backendtest.MustClose(t, s)
	got := backendtest.Scan(t, s, "", backend.ScanMeta)
	for _, k := range acked {
		if _, ok := got[k]; !ok {
			t.Errorf("acknowledged put %s lost", k)
		}
	}
	if len(got) != len(acked) {
		t.Errorf("%d entries after reopening, want the %d acknowledged", len(got), len(acked))
	}
}

// TestLWWRemembered checks last-writer-wins where the store answers from
// the timestamps it remembers (keyStripe.known) and where it has forgotten
// them: more keys than it remembers, keys too long to remember, tombstones
// removed by Collect, and a reopened store.
func TestLWWRemembered(t *testing.T) {
	dir := t.TempDir()
	s := openDir(t, dir)
	// Twice as many keys of one stripe as it remembers, and a few others.
	keys := []string{"k0", "k1", "k2"}
	const perStripe = knownSets * knownWays
	for i := 3; len(keys) < 2*perStripe+3; i++ {
		if k := fmt.Sprintf("k%d", i); s.lock(s.hash(k)) == s.lock(s.hash(keys[0])) {
			keys = append(keys, k)
		}
	}
	keys = append(keys, strings.Repeat("l", knownKeyLen+1), strings.Repeat("m", knownKeyLen))
	at := func(key string, ts int64) backend.Entry {
		return backend.Entry{Key: key, Value: []byte(fmt.Sprint(ts)), Timestamp: hlc.Timestamp{Time: ts}}
	}
	for _, k := range keys {
		backendtest.MustApply(t, s, at(k, 10), true)
	}
	check := func(s *Store, what string) {
		t.Helper()
		for _, k := range keys {
			backendtest.MustApply(t, s, at(k, 5), false)  // older
			backendtest.MustApply(t, s, at(k, 10), false) // as new
		}
		n := 0
		for _, k := range keys {
			if _, ok := remembered(s, k); ok && s.lock(s.hash(k)) == s.lock(s.hash(keys[0])) {
				n++
			}
		}
		if n == 0 || n > perStripe {
			t.Errorf("%s: %d keys remembered, want 1 to %d", what, n, perStripe)
		}
		if _, ok := remembered(s, keys[len(keys)-2]); ok {
			t.Errorf("%s: a key of %d bytes is remembered", what, knownKeyLen+1)
		}
	}
	check(s, "after the puts")
	// A tombstone Collect removes is forgotten: an older put then goes in.
	backendtest.MustApply(t, s, backend.Entry{Key: keys[0], Deleted: true, Timestamp: hlc.Timestamp{Time: 20}}, true)
	if n, err := s.Collect(context.Background(), time.Unix(0, 30)); err != nil || n != 1 {
		t.Fatalf("Collect: %d, %v; want 1", n, err)
	}
	backendtest.MustApply(t, s, at(keys[0], 10), true)
	check(s, "after Collect")
	backendtest.MustClose(t, s)
	s = openDir(t, dir)
	defer backendtest.MustClose(t, s)
	check(s, "reopened")
	backendtest.MustApply(t, s, at(keys[1], 11), true)
	if e, ok, err := s.Get(context.Background(), keys[1]); err != nil || !ok || string(e.Value) != "11" {
		t.Fatalf("Get: %+v, %v, %v; want the value 11", e, ok, err)
	}
}

// remembered returns the timestamp key's lock stripe remembers for it.
func remembered(s *Store, key string) (hlc.Timestamp, bool) {
	h := s.hash(key)
	st := s.lock(h)
	st.Lock()
	defer st.Unlock()
	if sl := st.find(h, key); sl != nil {
		return sl.ts, true
	}
	return hlc.Timestamp{}, false
}
