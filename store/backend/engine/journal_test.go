package engine

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2"

	"github.com/zmesh/zmesh/store/backend"
	"github.com/zmesh/zmesh/store/backend/backendtest"
	"github.com/zmesh/zmesh/store/hlc"
)

// crash closes s's volume as a killed process leaves it: the journal's
// segments stay as they are on disk and Pebble's memtables are lost.
func crash(t *testing.T, s *Store) {
	t.Helper()
	v := s.v
	close(v.stop)
	v.syncers.Wait()
	v.jr.stopWorkers()
	if err := errors.Join(v.jr.f.Close(), v.db.Close(), v.fsCloser.Close()); err != nil {
		t.Fatal(err)
	}
}

func segments(t *testing.T, root string) []uint64 {
	t.Helper()
	nums, err := listSegments(filepath.Join(root, "journal"))
	if err != nil {
		t.Fatal(err)
	}
	return nums
}

func entry(i int) backend.Entry {
	return backend.Entry{Key: fmt.Sprintf("k/%05d", i), Value: []byte(fmt.Sprintf("value %d", i)), Timestamp: hlc.Timestamp{Time: int64(i + 1)}}
}

// TestJournalReplay: synced puts and a delete made before a crash are
// replayed from the journal at the next open (Pebble's memtables were
// lost), and the replayed segments are removed once in tables.
func TestJournalReplay(t *testing.T) {
	root := t.TempDir()
	s := openDir(t, root)
	for i := range 200 {
		backendtest.MustApply(t, s, entry(i), true)
	}
	backendtest.MustApply(t, s, backend.Entry{Key: entry(7).Key, Deleted: true, Timestamp: hlc.Timestamp{Time: 1000}}, true)
	crash(t, s)
	if n := segments(t, root); len(n) != 1 {
		t.Fatalf("segments after the crash: %v, want one", n)
	}
	s = openDir(t, root)
	defer backendtest.MustClose(t, s)
	if n := segments(t, root); len(n) != 1 || n[0] != 2 {
		t.Errorf("segments after the replay: %v, want [2] (the replayed one removed)", n)
	}
	got := backendtest.Scan(t, s, "", backend.ScanMeta)
	if len(got) != 200 {
		t.Fatalf("%d entries after the replay, want 200", len(got))
	}
	if e := got[entry(7).Key]; !e.Deleted {
		t.Errorf("the delete was not replayed: %+v", e)
	}
	backendtest.MustGet(t, s, entry(199))
}

// TestJournalCheckpoints: with small segments, the journal moves to new
// segments and checkpoints remove the full ones, so it stays bounded;
// after a crash every acknowledged write is there.
func TestJournalCheckpoints(t *testing.T) {
	root := t.TempDir()
	s, err := Open(Config{Root: root, Logger: quiet, segmentSize: 64 << 10})
	if err != nil {
		t.Fatal(err)
	}
	const writers, each = 8, 400
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for i := range each {
				e := entry(w*each + i)
				e.Value = make([]byte, 200)
				backendtest.MustApply(t, s, e, true)
			}
		})
	}
	wg.Wait()
	// 3 200 records of about 280 bytes: about 14 segments of 64 KiB were
	// filled; the checkpoints leave only the last few.
	deadline := time.Now().Add(time.Minute) // a bound for a busy machine, not a figure
	for len(segments(t, root)) > 3 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	nums := segments(t, root)
	if len(nums) > 3 || nums[len(nums)-1] < 10 {
		t.Errorf("segments %v: want the journal past segment 10, with at most 3 left", nums)
	}
	crash(t, s)
	s = openDir(t, root)
	defer backendtest.MustClose(t, s)
	if got := backendtest.Scan(t, s, "", backend.ScanMeta); len(got) != writers*each {
		t.Errorf("%d entries after the crash, want %d", len(got), writers*each)
	}
}

// TestJournalCutShort: a segment cut in the middle of a record (a crash
// during a write) loses only the records from the cut on; every record
// before it is there on reopen, in order.
func TestJournalCutShort(t *testing.T) {
	root := t.TempDir()
	s := openDir(t, root)
	for i := range 100 {
		backendtest.MustApply(t, s, entry(i), true)
	}
	crash(t, s)
	seg := filepath.Join(root, "journal", segmentName(1))
	size := dataLen(t, seg)
	if err := os.Truncate(seg, size-size/4-3); err != nil {
		t.Fatal(err)
	}
	s = openDir(t, root)
	defer backendtest.MustClose(t, s)
	got := backendtest.Scan(t, s, "", backend.ScanMeta)
	if len(got) == 0 || len(got) >= 100 {
		t.Fatalf("%d of 100 entries survive a cut at three quarters", len(got))
	}
	for i := range len(got) {
		if _, ok := got[entry(i).Key]; !ok {
			t.Fatalf("%d entries survive, but write %d is missing", len(got), i)
		}
	}
}

// TestJournalDamaged: a damaged record in a segment that is not the last
// (not a torn write: damage) or a foreign file in the journal is refused
// at open with an error saying so, and nothing is changed.
func TestJournalDamaged(t *testing.T) {
	crashed := func(t *testing.T) string {
		root := t.TempDir()
		s, err := Open(Config{Root: root, Logger: quiet, segmentSize: 16 << 10, noCheckpoints: true})
		if err != nil {
			t.Fatal(err)
		}
		for i := range 300 {
			backendtest.MustApply(t, s, entry(i), true)
		}
		crash(t, s)
		return root
	}
	tests := []struct {
		name   string
		damage func(t *testing.T, dir string, nums []uint64)
		want   string
	}{
		{"flipped byte in an earlier segment", func(t *testing.T, dir string, nums []uint64) {
			name := filepath.Join(dir, segmentName(nums[0]))
			b, _ := os.ReadFile(name)
			b[segmentHeaderLen+recordHeaderLen+5] ^= 0xff
			os.WriteFile(name, b, 0o644)
		}, "checksum"},
		{"wrong header", func(t *testing.T, dir string, nums []uint64) {
			name := filepath.Join(dir, segmentName(nums[len(nums)-1]))
			b, _ := os.ReadFile(name)
			binary.LittleEndian.PutUint64(b[8:], 99)
			os.WriteFile(name, b, 0o644)
		}, "header says segment 99"},
		{"foreign file", func(t *testing.T, dir string, nums []uint64) {
			os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("x"), 0o644)
		}, "not a journal segment"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := crashed(t)
			nums := segments(t, root)
			if len(nums) < 2 {
				t.Fatalf("segments %v: want at least two", nums)
			}
			tt.damage(t, filepath.Join(root, "journal"), nums)
			mustRefuse(t, root, tt.want)
		})
	}
}

// TestJournalReadOnly: a volume closed cleanly has an empty journal and
// opens read-only; after a crash, a read-only open is refused (the
// journal's writes cannot be replayed into a read-only engine) until a
// read-write open replays them.
func TestJournalReadOnly(t *testing.T) {
	root := t.TempDir()
	s := openDir(t, root)
	backendtest.MustApply(t, s, entry(1), true)
	backendtest.MustClose(t, s)
	if n := segments(t, root); len(n) != 0 {
		t.Errorf("segments after a clean close: %v, want none", n)
	}
	ro, err := Open(Config{Root: root, Logger: quiet, ReadOnly: true})
	if err != nil {
		t.Fatalf("read-only open after a clean close: %v", err)
	}
	backendtest.MustGet(t, ro, entry(1))
	backendtest.MustClose(t, ro)

	s = openDir(t, root)
	backendtest.MustApply(t, s, entry(2), true)
	crash(t, s)
	if _, err := Open(Config{Root: root, Logger: quiet, ReadOnly: true}); !errors.Is(err, backend.ErrReadOnly) || !strings.Contains(err.Error(), "read-write") {
		t.Fatalf("read-only open after a crash: %v; want ErrReadOnly saying to open it read-write", err)
	}
	backendtest.MustClose(t, openDir(t, root))
	ro, err = Open(Config{Root: root, Logger: quiet, ReadOnly: true})
	if err != nil {
		t.Fatalf("read-only open after the replay: %v", err)
	}
	defer backendtest.MustClose(t, ro)
	backendtest.MustGet(t, ro, entry(2))
}

// TestFormatPebbleLog: a volume of format 1 (written by earlier versions,
// with Pebble's own log), holding writes only in that log, opens with
// them and is rewritten format 2.
func TestFormatPebbleLog(t *testing.T) {
	root := t.TempDir()
	db, err := pebble.Open(root, &pebble.Options{Logger: pebbleLogger{quiet}, FormatMajorVersion: pebble.FormatNewest})
	if err != nil {
		t.Fatal(err)
	}
	e := entry(3)
	val := appendEntry(nil, e)
	key := append(namespacePrefix("demo"), e.Key...)
	if err := errors.Join(db.Set(formatKey, []byte(formatPebbleLog), pebble.Sync), db.Set(key, val, pebble.Sync)); err != nil {
		t.Fatal(err)
	}
	db.Close() // the writes stay in Pebble's log: Close does not flush
	v, err := NewVolume(Config{Root: root, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	s, err := v.Open(context.Background(), "demo", backend.StorageConfig{})
	if err != nil {
		t.Fatal(err)
	}
	backendtest.MustGet(t, s, e)
	got, closer, err := v.db.Get(formatKey)
	if err != nil || string(got) != formatVersion {
		t.Errorf("format record %q, %v; want %q", got, err, formatVersion)
	}
	if closer != nil {
		closer.Close()
	}
	backendtest.MustClose(t, s)
	if err := v.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// TestJournalGroupCommit: concurrent synced appends all return, share
// syncs, and every record is in the segment, whole.
func TestJournalGroupCommit(t *testing.T) {
	dir := t.TempDir()
	j, err := openJournal(dir, nil, quiet, 1<<20, nil)
	if err != nil {
		t.Fatal(err)
	}
	const writers, each = 16, 200
	appendAll(t, j, writers, each, func(w, i int) []byte { return fmt.Appendf(nil, "record %d/%d", w, i) })
	if n := j.syncs.Load(); n == 0 || n > writers*each {
		t.Errorf("%d syncs for %d records", n, writers*each)
	}
	t.Logf("%d records from %d writers: %d syncs", writers*each, writers, j.syncs.Load())
	seen := map[string]bool{}
	if _, err := replayJournal(dir, func(p []byte) error { seen[string(p)] = true; return nil }); err != nil {
		t.Fatal(err)
	}
	if len(seen) != writers*each {
		t.Errorf("%d distinct records replayed, want %d", len(seen), writers*each)
	}
}

// TestJournalBroken: once a write fails, that append and every later one
// fail with an error saying writes are refused until the volume is
// reopened.
func TestJournalBroken(t *testing.T) {
	j, err := openJournal(t.TempDir(), nil, quiet, 1<<20, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer j.close(false)
	if err := j.append([]byte("first"), true); err != nil {
		t.Fatal(err)
	}
	j.f.Close() // the next write fails
	for i := range 2 {
		err := j.append([]byte("second"), true)
		if !errors.Is(err, errJournalBroken) || !errors.Is(err, backend.ErrBackend) || !strings.Contains(err.Error(), "reopened") {
			t.Fatalf("append %d after the failure: %v", i, err)
		}
	}
}

// FuzzSegmentRecords: any segment content is read without a panic, and
// the records it returns lie within it, whole.
func FuzzSegmentRecords(f *testing.F) {
	dir := f.TempDir()
	j, err := openJournal(dir, nil, quiet, 4<<10, nil)
	if err != nil {
		f.Fatal(err)
	}
	for _, p := range []string{"one", "two records", strings.Repeat("x", 300)} {
		if err := j.append([]byte(p), true); err != nil {
			f.Fatal(err)
		}
	}
	j.close(false)
	seg, err := os.ReadFile(filepath.Join(dir, segmentName(1)))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(seg[:400])
	f.Add(seg[:segmentHeaderLen+5])
	f.Add([]byte(journalMagic))
	f.Fuzz(func(t *testing.T, b []byte) {
		recs, _, err := segmentRecords(b, 1)
		if err != nil && len(recs) > 0 {
			t.Fatalf("records with an error: %v", err)
		}
		total := 0
		for _, r := range recs {
			if len(r) == 0 {
				t.Fatal("an empty record")
			}
			total += recordHeaderLen + len(r)
		}
		if total > len(b) {
			t.Fatalf("records of %d bytes in %d", total, len(b))
		}
	})
}

// TestJournalSegmentsMadeAhead: with small segments, the segments made
// ahead by the maker (or by the leader, when the maker is late) take every
// record once, in order per writer, and nothing made ahead is left behind.
func TestJournalSegmentsMadeAhead(t *testing.T) {
	dir := t.TempDir()
	j, err := openJournal(dir, nil, quiet, 8<<10, nil)
	if err != nil {
		t.Fatal(err)
	}
	const writers, each = 4, 500
	appendAll(t, j, writers, each, func(w, i int) []byte { return fmt.Appendf(nil, "%d %04d %s", w, i, strings.Repeat("x", 40)) })
	next := make([]int, writers)
	nums, err := replayJournal(dir, func(p []byte) error {
		var w, i int
		if _, err := fmt.Sscanf(string(p), "%d %d", &w, &i); err != nil {
			return err
		}
		if i != next[w] {
			return fmt.Errorf("writer %d: record %d after %d", w, i, next[w]-1)
		}
		next[w]++
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for w, n := range next {
		if n != each {
			t.Errorf("writer %d: %d records replayed, want %d", w, n, each)
		}
	}
	if len(nums) < 10 {
		t.Errorf("%d segments for %d records of about 60 bytes in 8 KiB segments", len(nums), writers*each)
	}
	if hidden, _ := filepath.Glob(filepath.Join(dir, ".*")); len(hidden) > 0 {
		t.Errorf("left behind: %v", hidden)
	}
}

// appendAll appends record(w, i) for i < each, synced, from writers
// goroutines w at once, then closes j.
func appendAll(t *testing.T, j *journal, writers, each int, record func(w, i int) []byte) {
	t.Helper()
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for i := range each {
				if err := j.append(record(w, i), true); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	if err := j.close(false); err != nil {
		t.Fatal(err)
	}
}
