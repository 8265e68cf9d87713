package backendtest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/zmesh/zmesh/store/backend"
	"github.com/zmesh/zmesh/store/hlc"
)

// Opener opens a new, empty store for one test. Run closes the store when
// the test ends (Close is idempotent, so the opener may register its own
// cleanup too).
type Opener func(t *testing.T) backend.Store

// Run runs the conformance suite against the stores open returns, one
// fresh store per subtest.
func Run(t *testing.T, open Opener) {
	t.Helper()
	tests := []struct {
		name string
		fn   func(*testing.T, backend.Store)
	}{
		{"GetMissingKeyIsNotAnError", testGetMissing},
		{"PutThenGet", testPutThenGet},
		{"OlderPutIgnored", testOlderPutIgnored},
		{"EqualTimestampIgnored", testEqualTimestampIgnored},
		{"NewerPutWins", testNewerPutWins},
		{"SourceBreaksTies", testSourceBreaksTies},
		{"TombstoneBlocksOlderPut", testTombstoneBlocksOlderPut},
		{"TombstoneOnAbsentKey", testTombstoneOnAbsentKey},
		{"NewerPutAfterTombstone", testNewerPutAfterTombstone},
		{"ValueIsCopied", testValueIsCopied},
		{"EmptyValueAndEncoding", testEmptyValue},
		{"LargeValue", testLargeValue},
		{"InvalidEntries", testInvalidEntries},
		{"Collect", testCollect},
		{"CollectKeepsNewerEntries", testCollectKeepsNewer},
		{"ScanByPrefix", testScanByPrefix},
		{"ScanStop", testScanStop},
		{"ScanCallbackMayUseStore", testScanReentrant},
		{"ScanManyKeys", testScanMany},
		{"HostileKeys", testHostileKeys},
		{"InvalidKeys", testInvalidKeys},
		{"ConcurrentApplyConverges", testConcurrentApply},
		{"ConcurrentScanAndApply", testConcurrentScan},
		{"ConcurrentCollectKeepsValues", testConcurrentCollect},
		{"ContextCancelled", testContextCancelled},
		{"ScanCancelledMidway", testScanCancelledMidway},
		{"NilContextRefused", testNilContext},
		{"Close", testClose},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := open(t)
			CloseOnCleanup(t, s)
			tt.fn(t, s)
		})
	}
	t.Run("Stream", func(t *testing.T) { runStream(t, open) })
}

// Timestamps used by the tests: around a fixed instant, so Collect cut-offs
// are exact.
var (
	base    = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	sourceA = hlc.ID{0: 0xa}
	sourceB = hlc.ID{0: 0xb}
)

// at returns a timestamp d after base, from sourceA.
func at(d time.Duration) hlc.Timestamp {
	return hlc.Timestamp{Time: base.Add(d).UnixNano(), Source: sourceA}
}

func put(key, value string, ts hlc.Timestamp) backend.Entry {
	return backend.Entry{Key: key, Value: []byte(value), Encoding: "text/plain", Timestamp: ts}
}

func del(key string, ts hlc.Timestamp) backend.Entry {
	return backend.Entry{Key: key, Timestamp: ts, Deleted: true}
}

// MustApply applies e to s and fails the test unless the result is want.
func MustApply(t testing.TB, s backend.Store, e backend.Entry, want bool) {
	t.Helper()
	applied, err := s.Apply(context.Background(), e)
	if err != nil {
		t.Fatalf("Apply(%q @ %v, deleted=%v): %v", e.Key, e.Timestamp, e.Deleted, err)
	}
	if applied != want {
		t.Fatalf("Apply(%q @ %v, deleted=%v) applied = %v, want %v", e.Key, e.Timestamp, e.Deleted, applied, want)
	}
}

// MustGet fails the test unless s holds exactly want (compared as the
// store should keep it: see backend.Normalize).
func MustGet(t testing.TB, s backend.Store, want backend.Entry) {
	t.Helper()
	got, ok, err := s.Get(context.Background(), want.Key)
	if err != nil {
		t.Fatalf("Get(%q): %v", want.Key, err)
	}
	if !ok {
		t.Fatalf("Get(%q): not found, want %s", want.Key, show(want))
	}
	if !same(got, want) {
		t.Fatalf("Get(%q) = %s, want %s", want.Key, show(got), show(want))
	}
}

// CloseOnCleanup closes c, a store or a volume, when the test ends, and
// reports an error it returns.
func CloseOnCleanup(t testing.TB, c interface{ Close(context.Context) error }) {
	t.Helper()
	t.Cleanup(func() {
		if err := c.Close(context.Background()); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
}

// MustClose closes c, a store or a volume, and fails the test on error.
func MustClose(t testing.TB, c interface{ Close(context.Context) error }) {
	t.Helper()
	if err := c.Close(context.Background()); err != nil {
		t.Fatalf("Close: %v", err)
	}
}

func mustMiss(t *testing.T, s backend.Store, key string) {
	t.Helper()
	got, ok, err := s.Get(context.Background(), key)
	if err != nil || ok {
		t.Fatalf("Get(%q) = %s, %v, %v; want not found", key, show(got), ok, err)
	}
}

// same compares an entry read back with the entry written. A nil and an
// empty value are the same value.
func same(got, want backend.Entry) bool {
	want = backend.Normalize(want)
	return got.Key == want.Key && bytes.Equal(got.Value, want.Value) &&
		got.Encoding == want.Encoding && got.Timestamp == want.Timestamp && got.Deleted == want.Deleted
}

func show(e backend.Entry) string {
	v := string(e.Value)
	if len(v) > 40 {
		v = fmt.Sprintf("%.40s...(%d bytes)", v, len(e.Value))
	}
	return fmt.Sprintf("{key %q value %q encoding %q ts %v deleted %v}", e.Key, v, e.Encoding, e.Timestamp, e.Deleted)
}

// Scan returns the entries s.Scan reports under prefix, by key, failing
// the test on an error or a key reported twice.
func Scan(t testing.TB, s backend.Store, prefix string, mode backend.ScanMode) map[string]backend.Entry {
	t.Helper()
	got := make(map[string]backend.Entry)
	err := s.Scan(context.Background(), prefix, mode, func(e backend.Entry) error {
		if _, dup := got[e.Key]; dup {
			return fmt.Errorf("key %q reported twice", e.Key)
		}
		got[e.Key] = e
		return nil
	})
	if err != nil {
		t.Fatalf("Scan(%q, %v): %v", prefix, mode, err)
	}
	return got
}

// checkScan fails unless Scan(prefix) in both modes reports exactly the
// entries of want whose key starts with prefix.
func checkScan(t *testing.T, s backend.Store, prefix string, want []backend.Entry) {
	t.Helper()
	for _, mode := range []backend.ScanMode{backend.ScanMeta, backend.ScanValues} {
		got := Scan(t, s, prefix, mode)
		var wantKeys, gotKeys []string
		for _, w := range want {
			if !strings.HasPrefix(w.Key, prefix) {
				continue
			}
			wantKeys = append(wantKeys, w.Key)
			g, ok := got[w.Key]
			if !ok {
				continue
			}
			if mode == backend.ScanMeta {
				if g.Value != nil {
					t.Errorf("Scan(%q, meta): key %q has a value (%d bytes)", prefix, w.Key, len(g.Value))
				}
				g.Value = backend.Normalize(w).Value
			}
			if !same(g, w) {
				t.Errorf("Scan(%q, %v): %s, want %s", prefix, mode, show(g), show(w))
			}
		}
		for k := range got {
			gotKeys = append(gotKeys, k)
		}
		slices.Sort(wantKeys)
		slices.Sort(gotKeys)
		if !slices.Equal(gotKeys, wantKeys) {
			t.Fatalf("Scan(%q, %v) keys = %q, want %q", prefix, mode, gotKeys, wantKeys)
		}
	}
}

func testGetMissing(t *testing.T, s backend.Store) {
	mustMiss(t, s, "nothing/here")
	mustMiss(t, s, "")
}

func testPutThenGet(t *testing.T, s backend.Store) {
	for _, e := range []backend.Entry{
		put("demo/example/a", "hello", at(0)),
		{Key: "demo/example/json", Value: []byte(`{"x":1}`), Encoding: "application/json;charset=utf-8", Timestamp: at(1)},
		put("", "the empty key", at(2)),
	} {
		MustApply(t, s, e, true)
		MustGet(t, s, e)
	}
}

func testOlderPutIgnored(t *testing.T, s backend.Store) {
	newer := put("k", "newer", at(2*time.Second))
	MustApply(t, s, newer, true)
	MustApply(t, s, put("k", "older", at(time.Second)), false)
	older := at(2 * time.Second)
	older.Counter = 0
	older.Time--
	MustApply(t, s, put("k", "one nanosecond older", older), false)
	MustGet(t, s, newer)
}

func testEqualTimestampIgnored(t *testing.T, s backend.Store) {
	first := put("k", "first", at(0))
	MustApply(t, s, first, true)
	MustApply(t, s, put("k", "second, same timestamp", at(0)), false)
	MustApply(t, s, del("k", at(0)), false)
	MustApply(t, s, first, false) // replaying a write is harmless
	MustGet(t, s, first)
}

func testNewerPutWins(t *testing.T, s backend.Store) {
	MustApply(t, s, put("k", "v1", at(0)), true)
	ts := at(0)
	ts.Counter = 1 // same physical time, later counter
	v2 := put("k", "v2", ts)
	MustApply(t, s, v2, true)
	MustGet(t, s, v2)
	v3 := backend.Entry{Key: "k", Value: []byte("v3"), Encoding: "application/octet-stream", Timestamp: at(time.Hour)}
	MustApply(t, s, v3, true)
	MustGet(t, s, v3)
}

func testSourceBreaksTies(t *testing.T, s backend.Store) {
	a := put("k", "from a", at(0))
	b := put("k", "from b", hlc.Timestamp{Time: a.Timestamp.Time, Source: sourceB})
	MustApply(t, s, b, true)
	MustApply(t, s, a, false) // sourceA < sourceB
	MustGet(t, s, b)
}

func testTombstoneBlocksOlderPut(t *testing.T, s backend.Store) {
	MustApply(t, s, put("k", "v1", at(0)), true)
	tomb := del("k", at(3*time.Second))
	MustApply(t, s, tomb, true)
	MustGet(t, s, tomb)
	MustApply(t, s, put("k", "late put", at(2*time.Second)), false)
	MustApply(t, s, del("k", at(time.Second)), false)
	MustGet(t, s, tomb)
}

func testTombstoneOnAbsentKey(t *testing.T, s backend.Store) {
	tomb := del("never/put", at(time.Second))
	tomb.Value = []byte("dropped")
	tomb.Encoding = "dropped"
	MustApply(t, s, tomb, true)
	MustGet(t, s, tomb) // stored without value and encoding
	MustApply(t, s, put("never/put", "late", at(0)), false)
}

func testNewerPutAfterTombstone(t *testing.T, s backend.Store) {
	MustApply(t, s, put("k", "v1", at(0)), true)
	MustApply(t, s, del("k", at(time.Second)), true)
	back := put("k", "back", at(2*time.Second))
	MustApply(t, s, back, true)
	MustGet(t, s, back)
}

func testValueIsCopied(t *testing.T, s backend.Store) {
	buf := []byte("original")
	MustApply(t, s, backend.Entry{Key: "k", Value: buf, Encoding: "e", Timestamp: at(0)}, true)
	copy(buf, "XXXXXXXX")
	MustGet(t, s, backend.Entry{Key: "k", Value: []byte("original"), Encoding: "e", Timestamp: at(0)})
}

func testEmptyValue(t *testing.T, s backend.Store) {
	for i, e := range []backend.Entry{
		{Key: "nil", Timestamp: at(0)},
		{Key: "empty", Value: []byte{}, Timestamp: at(0)},
		{Key: "no encoding", Value: []byte("v"), Timestamp: at(0)},
		{Key: "max encoding", Value: []byte("v"), Encoding: strings.Repeat("é", backend.MaxEncodingLen/2), Timestamp: at(0)},
	} {
		MustApply(t, s, e, true)
		MustGet(t, s, e)
		if i == 0 {
			checkScan(t, s, "nil", []backend.Entry{e})
		}
	}
}

func testLargeValue(t *testing.T, s backend.Store) {
	big := make([]byte, 1<<20)
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range big {
		big[i] = byte(rng.Uint32())
	}
	e := backend.Entry{Key: "big/value", Value: big, Encoding: "application/octet-stream", Timestamp: at(0)}
	MustApply(t, s, e, true)
	MustGet(t, s, e)
	checkScan(t, s, "big/", []backend.Entry{e})
	// Replace it by a smaller one: nothing of the old value may remain.
	small := put("big/value", "small", at(time.Second))
	MustApply(t, s, small, true)
	MustGet(t, s, small)
}

func testInvalidEntries(t *testing.T, s backend.Store) {
	ctx := context.Background()
	tests := []struct {
		name string
		e    backend.Entry
		want error
	}{
		{"zero timestamp", backend.Entry{Key: "k", Value: []byte("v")}, backend.ErrInvalidEntry},
		{"zero timestamp tombstone", backend.Entry{Key: "k", Deleted: true}, backend.ErrInvalidEntry},
		{"encoding too long", backend.Entry{Key: "k", Encoding: strings.Repeat("x", backend.MaxEncodingLen+1), Timestamp: at(0)}, backend.ErrInvalidEntry},
		{"encoding not UTF-8", backend.Entry{Key: "k", Encoding: "\xff\xfe", Timestamp: at(0)}, backend.ErrInvalidEntry},
		{"key not UTF-8", backend.Entry{Key: "a/\xff", Timestamp: at(0)}, backend.ErrInvalidKey},
		{"key too long", backend.Entry{Key: strings.Repeat("k", backend.MaxKeyLen+1), Timestamp: at(0)}, backend.ErrInvalidKey},
	}
	for _, tt := range tests {
		applied, err := s.Apply(ctx, tt.e)
		if applied || !errors.Is(err, tt.want) {
			t.Errorf("%s: Apply = %v, %v; want false, %v", tt.name, applied, err, tt.want)
		}
	}
	mustMiss(t, s, "k")
	if got := Scan(t, s, "", backend.ScanMeta); len(got) != 0 {
		t.Errorf("after refused entries Scan reports %d entries", len(got))
	}
}

func testCollect(t *testing.T, s backend.Store) {
	ctx := context.Background()
	old1 := del("gone/1", at(-2*time.Hour))
	old2 := del("gone/2", at(-90*time.Minute-time.Nanosecond))
	edge := del("kept/edge", at(-90*time.Minute)) // exactly at the cut: not before it
	recent := del("kept/recent", at(-time.Minute))
	value := put("kept/value", "old value", at(-3*time.Hour))
	for _, e := range []backend.Entry{old1, old2, edge, recent, value} {
		MustApply(t, s, e, true)
	}
	n, err := s.Collect(ctx, base.Add(-90*time.Minute))
	if err != nil || n != 2 {
		t.Fatalf("Collect = %d, %v; want 2, nil", n, err)
	}
	mustMiss(t, s, "gone/1")
	mustMiss(t, s, "gone/2")
	MustGet(t, s, edge)
	MustGet(t, s, recent)
	MustGet(t, s, value)
	checkScan(t, s, "", []backend.Entry{edge, recent, value})
	// A collected key is free again: even an older put is stored.
	revived := put("gone/1", "revived", at(-3*time.Hour))
	MustApply(t, s, revived, true)
	MustGet(t, s, revived)
	if n, err := s.Collect(ctx, base.Add(-90*time.Minute)); err != nil || n != 0 {
		t.Fatalf("second Collect = %d, %v; want 0, nil", n, err)
	}
	if n, err := s.Collect(ctx, base); err != nil || n != 2 {
		t.Fatalf("Collect(base) = %d, %v; want 2, nil", n, err)
	}
	checkScan(t, s, "", []backend.Entry{value, revived})
}

func testCollectKeepsNewer(t *testing.T, s backend.Store) {
	MustApply(t, s, del("k", at(-time.Hour)), true)
	newer := put("k", "newer value", at(-30*time.Minute))
	MustApply(t, s, newer, true)
	if n, err := s.Collect(context.Background(), base); err != nil || n != 0 {
		t.Fatalf("Collect = %d, %v; want 0, nil", n, err)
	}
	MustGet(t, s, newer)
}

// scanKeys are keys that are prefixes of one another in every way that can
// trip a backend mapping keys to files or objects.
var scanKeys = []string{"", "a", "a/b", "a/b/c", "ab", "abc/d", "a/", "a//x", "b", "@root", "a/b/c/d/e/f/g"}

func testScanByPrefix(t *testing.T, s backend.Store) {
	var all []backend.Entry
	for i, k := range scanKeys {
		e := put(k, "value of "+k, at(time.Duration(i)))
		if i%4 == 3 {
			e = del(k, at(time.Duration(i)))
		}
		MustApply(t, s, e, true)
		all = append(all, e)
	}
	for _, e := range all {
		MustGet(t, s, e)
	}
	for _, prefix := range []string{"", "a", "a/", "a/b", "a/b/", "a/b/c", "ab", "abc", "abc/d", "abc/d/e", "b", "@", "@root", "a//", "c", "a/b/c/d/e/f/g/h", "\x00"} {
		checkScan(t, s, prefix, all)
	}
}

func testScanStop(t *testing.T, s backend.Store) {
	ctx := context.Background()
	for i := range 10 {
		MustApply(t, s, put(fmt.Sprintf("k/%d", i), "v", at(0)), true)
	}
	calls := 0
	err := s.Scan(ctx, "k/", backend.ScanMeta, func(backend.Entry) error {
		calls++
		return backend.ErrStopScan
	})
	if err != nil || calls != 1 {
		t.Fatalf("Scan stopped with ErrStopScan = %v after %d calls; want nil after 1", err, calls)
	}
	mine := errors.New("mine")
	calls = 0
	err = s.Scan(ctx, "k/", backend.ScanValues, func(backend.Entry) error {
		calls++
		if calls == 3 {
			return fmt.Errorf("wrapped: %w", mine)
		}
		return nil
	})
	if !errors.Is(err, mine) || calls != 3 {
		t.Fatalf("Scan with failing callback = %v after %d calls; want %v after 3", err, calls, mine)
	}
}

func testScanReentrant(t *testing.T, s backend.Store) {
	ctx := context.Background()
	var want []backend.Entry
	for i := range 20 {
		e := put(fmt.Sprintf("k/%02d", i), "v", at(0))
		MustApply(t, s, e, true)
		want = append(want, e)
	}
	// Rewrite (tombstone) every key from inside the callback, as a server
	// resolving a wildcard delete might, and read it back.
	err := s.Scan(ctx, "k/", backend.ScanMeta, func(e backend.Entry) error {
		if _, err := s.Apply(ctx, del(e.Key, at(time.Second))); err != nil {
			return err
		}
		_, _, err := s.Get(ctx, e.Key)
		return err
	})
	if err != nil {
		t.Fatalf("Scan: %v", err)
	}
	for i := range want {
		want[i] = del(want[i].Key, at(time.Second))
	}
	checkScan(t, s, "k/", want)
}

func testScanMany(t *testing.T, s backend.Store) {
	var want []backend.Entry
	for i := range 600 {
		e := put(fmt.Sprintf("many/%d/%d", i%7, i), fmt.Sprint(i), at(time.Duration(i)))
		MustApply(t, s, e, true)
		want = append(want, e)
	}
	MustApply(t, s, put("other", "x", at(0)), true)
	checkScan(t, s, "many/", want)
	checkScan(t, s, "many/3", want)
	checkScan(t, s, "many/3/", want)
	checkScan(t, s, "many/3/10", want)
}

// hostileKeys must all be storable by every backend (each is valid UTF-8
// and at most backend.PortableKeyLen bytes), each as a key of its own.
func hostileKeys() []string {
	return []string{
		".", "..", "./a", "../a", "a/..", "a/../../b", "../../../../etc/passwd",
		"/", "//", "/abs", "/etc/passwd", "a/", "a//b", "a/./b", "...",
		"a\x00b", "\x00", "a/\x00/b", "nul\x00",
		"A", "a", "Abc/DEF", "abc/def", // distinct keys on case-insensitive file systems
		"\u00e9", "e\u0301", // NFC and NFD "é": distinct keys
		"\U0001F600/emoji", "日本/語",
		"%", "%2F", "%2f", "a%2Fb", "^", "~", "+", "=", "a~", "a+", "~/x", "+/x",
		".tmp", ".tmp-123", ".lock", ".hidden/x",
		"@@none_key@@", "@root", "@", "@/x",
		"*", "**", "$*", "a/$*/b", "?", "#", "a?b#c",
		"with space", " ", "tab\there", "new\nline", "cr\r", "back\\slash", "a:b", "C:\\x",
		"CON", "con/aux/nul", "x.", "x ", "\x7f",
		strings.Repeat("x", 255), strings.Repeat("y", 256), // chunk longer than a file name
		strings.Repeat("z", 200) + "/" + strings.Repeat("z", 55),
		strings.Repeat("é", backend.PortableKeyLen/2),          // every byte escaped by most encodings
		strings.Repeat("a/", backend.PortableKeyLen/2-1) + "b", // deep
		strings.Repeat(".", 100), strings.Repeat("./", 100),
		strings.Repeat("%", 85),
	}
}

func testHostileKeys(t *testing.T, s backend.Store) {
	var all []backend.Entry
	for i, k := range hostileKeys() {
		if len(k) > backend.PortableKeyLen {
			t.Fatalf("hostile key %d is %d bytes, longer than PortableKeyLen", i, len(k))
		}
		e := backend.Entry{Key: k, Value: []byte(fmt.Sprintf("value %d", i)), Encoding: "k" + k[:min(len(k), 10)], Timestamp: at(time.Duration(i))}
		if i%5 == 4 {
			e = del(k, e.Timestamp)
		}
		MustApply(t, s, e, true)
		all = append(all, e)
	}
	for _, e := range all {
		MustGet(t, s, e)
	}
	checkScan(t, s, "", all)
	// Every chunk-aligned prefix, and a few cut mid-chunk, finds exactly
	// the keys starting with it.
	prefixes := map[string]bool{}
	for _, e := range all {
		for i := range len(e.Key) {
			if e.Key[i] == '/' {
				prefixes[e.Key[:i+1]] = true
			}
		}
		prefixes[e.Key[:len(e.Key)/2]] = true
		prefixes[e.Key] = true
	}
	for p := range prefixes {
		checkScan(t, s, p, all)
	}
}

func testInvalidKeys(t *testing.T, s backend.Store) {
	ctx := context.Background()
	for _, k := range []string{"\xff", "a/\xc3", "\xed\xa0\x80", strings.Repeat("k", backend.MaxKeyLen+1)} {
		if _, _, err := s.Get(ctx, k); !errors.Is(err, backend.ErrInvalidKey) {
			t.Errorf("Get(%.20q) error = %v, want ErrInvalidKey", k, err)
		}
		if applied, err := s.Apply(ctx, put(k, "v", at(0))); applied || !errors.Is(err, backend.ErrInvalidKey) {
			t.Errorf("Apply(%.20q) = %v, %v; want false, ErrInvalidKey", k, applied, err)
		}
	}
	// Between PortableKeyLen and MaxKeyLen a backend may refuse a key, but
	// whatever it accepts must come back intact.
	var stored []backend.Entry
	for _, k := range []string{
		strings.Repeat("k", backend.PortableKeyLen+1),
		strings.Repeat("long/", 200),
		strings.Repeat("é", backend.MaxKeyLen/2),
		strings.Repeat("x", backend.MaxKeyLen),
	} {
		e := put(k, "long", at(0))
		applied, err := s.Apply(ctx, e)
		switch {
		case err == nil && applied:
			MustGet(t, s, e)
			stored = append(stored, e)
		case errors.Is(err, backend.ErrInvalidKey) && !applied:
			if _, ok, err := s.Get(ctx, k); ok || (err != nil && !errors.Is(err, backend.ErrInvalidKey)) {
				t.Errorf("Get(%d-byte refused key) = %v, %v", len(k), ok, err)
			}
		default:
			t.Errorf("Apply(%d-byte key) = %v, %v; want true or ErrInvalidKey", len(k), applied, err)
		}
	}
	checkScan(t, s, "", stored)
}

func testConcurrentApply(t *testing.T, s backend.Store) {
	const (
		writers = 8
		perW    = 40
	)
	keys := []string{"c/0", "c/1", "c", "c/1/x"}
	type attempt struct {
		e       backend.Entry
		applied bool
	}
	results := make([][]attempt, writers)
	var wg sync.WaitGroup
	ctx := context.Background()
	for w := range writers {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(w), 7))
			for i := range perW {
				ts := hlc.Timestamp{
					Time:    base.Add(time.Duration(rng.IntN(1000)) * time.Millisecond).UnixNano(),
					Counter: uint32(w*perW + i), // every attempt's timestamp is unique
					Source:  hlc.ID{0: byte(w)},
				}
				k := keys[rng.IntN(len(keys))]
				e := put(k, fmt.Sprintf("%s by %d #%d", k, w, i), ts)
				if rng.IntN(5) == 0 {
					e = del(k, ts)
				}
				applied, err := s.Apply(ctx, e)
				if err != nil {
					t.Errorf("Apply: %v", err)
					return
				}
				results[w] = append(results[w], attempt{e, applied})
			}
		})
	}
	wg.Wait()
	latest := map[string]attempt{}
	for _, rs := range results {
		for _, r := range rs {
			if cur, ok := latest[r.e.Key]; !ok || r.e.Timestamp.Compare(cur.e.Timestamp) > 0 {
				latest[r.e.Key] = r
			}
		}
	}
	var want []backend.Entry
	for _, r := range latest {
		if !r.applied {
			t.Errorf("the newest write to %q (%v) was not applied", r.e.Key, r.e.Timestamp)
		}
		MustGet(t, s, r.e)
		want = append(want, r.e)
	}
	checkScan(t, s, "", want)
}

func testConcurrentScan(t *testing.T, s backend.Store) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	for i := range 50 {
		MustApply(t, s, put(fmt.Sprintf("s/%02d", i), "v0", at(0)), true)
	}
	var wg sync.WaitGroup
	wg.Go(func() {
		for round := 1; ctx.Err() == nil && round < 1000; round++ {
			for i := range 50 {
				e := put(fmt.Sprintf("s/%02d", i), fmt.Sprint("v", round), at(time.Duration(round)))
				if round%3 == 0 {
					e = del(e.Key, e.Timestamp)
				}
				if _, err := s.Apply(ctx, e); err != nil && ctx.Err() == nil {
					t.Errorf("Apply: %v", err)
					return
				}
			}
		}
	})
	for range 5 {
		seen := map[string]bool{}
		err := s.Scan(ctx, "s/", backend.ScanValues, func(e backend.Entry) error {
			if seen[e.Key] {
				return fmt.Errorf("key %q reported twice", e.Key)
			}
			seen[e.Key] = true
			if !e.Deleted && !strings.HasPrefix(string(e.Value), "v") {
				return fmt.Errorf("key %q has value %q", e.Key, e.Value)
			}
			return nil
		})
		if err != nil {
			t.Errorf("Scan during writes: %v", err)
		}
		if len(seen) != 50 {
			t.Errorf("Scan during writes saw %d keys, want 50 (no key is ever removed)", len(seen))
		}
	}
	cancel()
	wg.Wait()
}

func testContextCancelled(t *testing.T, s backend.Store) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if applied, err := s.Apply(ctx, put("k", "v", at(0))); applied || !errors.Is(err, context.Canceled) {
		t.Errorf("Apply with cancelled context = %v, %v; want false, context.Canceled", applied, err)
	}
	mustMiss(t, s, "k")
	MustApply(t, s, put("k", "v", at(0)), true)
	if _, _, err := s.Get(ctx, "k"); !errors.Is(err, context.Canceled) {
		t.Errorf("Get with cancelled context: %v, want context.Canceled", err)
	}
	called := false
	if err := s.Scan(ctx, "", backend.ScanValues, func(backend.Entry) error { called = true; return nil }); !errors.Is(err, context.Canceled) || called {
		t.Errorf("Scan with cancelled context = %v (callback called: %v); want context.Canceled", err, called)
	}
	MustApply(t, s, del("d", at(-time.Hour)), true)
	if _, err := s.Collect(ctx, base); !errors.Is(err, context.Canceled) {
		t.Errorf("Collect with cancelled context: %v, want context.Canceled", err)
	}
	MustGet(t, s, del("d", at(-time.Hour)))
	dctx, dcancel := context.WithDeadline(context.Background(), time.Unix(1, 0))
	defer dcancel()
	if _, err := s.Apply(dctx, put("k2", "v", at(0))); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Apply past deadline: %v, want context.DeadlineExceeded", err)
	}
	mustMiss(t, s, "k2")
}

func testScanCancelledMidway(t *testing.T, s backend.Store) {
	const n = 600
	for i := range n {
		MustApply(t, s, put(fmt.Sprintf("m/%03d", i), "v", at(0)), true)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	calls := 0
	err := s.Scan(ctx, "m/", backend.ScanMeta, func(backend.Entry) error {
		calls++
		cancel()
		return nil
	})
	if !errors.Is(err, context.Canceled) || calls >= n {
		t.Fatalf("Scan cancelled in its first callback = %v after %d of %d calls; want context.Canceled before the end", err, calls, n)
	}
}

// testNilContext checks that every method refuses a nil context with
// ErrInvalidInput and does nothing: the key stays unwritten, the store
// stays open.
func testNilContext(t *testing.T, s backend.Store) {
	var nilCtx context.Context
	refused := func(op string, err error) {
		t.Helper()
		if !errors.Is(err, backend.ErrInvalidInput) {
			t.Errorf("%s with a nil context: %v, want ErrInvalidInput", op, err)
		}
	}
	_, err := s.Apply(nilCtx, put("k", "v", at(0)))
	refused("Apply", err)
	_, _, err = s.Get(nilCtx, "k")
	refused("Get", err)
	refused("Scan", s.Scan(nilCtx, "", backend.ScanMeta, func(backend.Entry) error { return nil }))
	_, err = s.Collect(nilCtx, base)
	refused("Collect", err)
	refused("Close", s.Close(nilCtx))
	mustMiss(t, s, "k")
	MustApply(t, s, put("k", "v", at(0)), true)
}

func testClose(t *testing.T, s backend.Store) {
	ctx := context.Background()
	MustApply(t, s, put("k", "v", at(0)), true)
	if err := s.Close(ctx); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := s.Close(ctx); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if _, err := s.Apply(ctx, put("k", "v", at(time.Second))); !errors.Is(err, backend.ErrClosed) {
		t.Errorf("Apply after Close: %v, want ErrClosed", err)
	}
	if _, _, err := s.Get(ctx, "k"); !errors.Is(err, backend.ErrClosed) {
		t.Errorf("Get after Close: %v, want ErrClosed", err)
	}
	if err := s.Scan(ctx, "", backend.ScanMeta, func(backend.Entry) error { return nil }); !errors.Is(err, backend.ErrClosed) {
		t.Errorf("Scan after Close: %v, want ErrClosed", err)
	}
	if _, err := s.Collect(ctx, base); !errors.Is(err, backend.ErrClosed) {
		t.Errorf("Collect after Close: %v, want ErrClosed", err)
	}
}

// testConcurrentCollect runs Collect in a loop while writers apply old
// tombstones and, newer than all of them, values. A value, once applied,
// may only be replaced by a newer value: Collect must never remove it, even
// when it replaced a tombstone Collect was about to remove.
func testConcurrentCollect(t *testing.T, s backend.Store) {
	const writers, perW = 4, 30
	keys := []string{"g/0", "g/1", "g/2", "g/3", "g/4", "g/5"}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var collector sync.WaitGroup
	collector.Go(func() {
		for ctx.Err() == nil {
			if _, err := s.Collect(ctx, base); err != nil && ctx.Err() == nil {
				t.Errorf("Collect: %v", err)
				return
			}
		}
	})
	var mu sync.Mutex
	newest := map[string]backend.Entry{} // newest value written per key
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(w), 11))
			for i := range perW {
				k := keys[rng.IntN(len(keys))]
				ts := hlc.Timestamp{Counter: uint32(w*perW + i), Source: hlc.ID{0: byte(w)}}
				var e backend.Entry
				if rng.IntN(2) == 0 || k == "g/5" { // g/5: tombstones only
					ts.Time = base.Add(-2*time.Hour + time.Duration(rng.IntN(1000))*time.Millisecond).UnixNano()
					e = del(k, ts)
				} else {
					ts.Time = base.Add(-time.Hour + time.Duration(rng.IntN(1000))*time.Millisecond).UnixNano()
					e = put(k, fmt.Sprint(w, "/", i), ts)
				}
				if _, err := s.Apply(ctx, e); err != nil {
					t.Errorf("Apply: %v", err)
					return
				}
				if !e.Deleted {
					mu.Lock()
					if cur, ok := newest[k]; !ok || e.Timestamp.Compare(cur.Timestamp) > 0 {
						newest[k] = e
					}
					mu.Unlock()
				}
			}
		})
	}
	wg.Wait()
	cancel()
	collector.Wait()
	for _, k := range keys {
		if want, ok := newest[k]; ok {
			MustGet(t, s, want)
			continue
		}
		if e, ok, err := s.Get(context.Background(), k); err != nil || (ok && !e.Deleted) {
			t.Errorf("Get(%q) = %s, %v, %v; want a tombstone or nothing", k, show(e), ok, err)
		}
	}
	if _, err := s.Collect(context.Background(), base); err != nil {
		t.Fatal(err)
	}
	mustMiss(t, s, "g/5")
}
