package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/zmesh/zmesh/store/backend"
	"github.com/zmesh/zmesh/store/backend/engine"
	"github.com/zmesh/zmesh/store/backend/fs"
	"github.com/zmesh/zmesh/store/hlc"
)

// oldEntries is what writeOldFS puts in each storage directory: values
// with and without an encoding, an empty value, a tombstone, keys that
// are awkward as paths.
var oldEntries = []backend.Entry{
	{Key: "a", Value: []byte("1"), Timestamp: hlc.Timestamp{Time: 10, Counter: 3, Source: hlc.ID{1}}},
	{Key: "a/b", Value: []byte(`{"t":1}`), Encoding: "application/json", Timestamp: hlc.Timestamp{Time: 11}},
	{Key: "", Value: []byte("the empty key"), Timestamp: hlc.Timestamp{Time: 12}},
	{Key: "empty", Value: []byte{}, Timestamp: hlc.Timestamp{Time: 13}},
	{Key: "gone", Deleted: true, Timestamp: hlc.Timestamp{Time: 14, Source: hlc.ID{2}}},
	{Key: "Été ~/x", Value: []byte("bin\x00ary"), Timestamp: hlc.Timestamp{Time: 15}},
}

// writeOldFS writes a data directory in the fs layout, as zmesh serve's
// default volume did before the engine: the storage "default", and a
// storage kept under a nested dir option.
func writeOldFS(t *testing.T, dir string) []string {
	t.Helper()
	names := []string{"default", "more/nested"}
	for _, n := range names {
		s, err := fs.Open(filepath.Join(dir, filepath.FromSlash(n)))
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range oldEntries {
			if ok, err := s.Apply(context.Background(), e); !ok || err != nil {
				t.Fatalf("apply %q: %v %v", e.Key, ok, err)
			}
		}
		if err := s.Close(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	return names
}

// checkEngine checks that the engine in dir holds exactly oldEntries in
// each of the namespaces names.
func checkEngine(t *testing.T, dir string, names []string) {
	t.Helper()
	ctx := context.Background()
	v, err := engine.NewVolume(engine.Config{Root: dir, ReadOnly: true})
	if err != nil {
		t.Fatalf("open the converted engine: %v", err)
	}
	defer v.Close(ctx)
	for _, n := range names {
		s, err := v.Open(ctx, n, backend.StorageConfig{ReadOnly: true})
		if err != nil {
			t.Fatal(err)
		}
		var got []backend.Entry
		if err := s.Scan(ctx, "", backend.ScanValues, func(e backend.Entry) error {
			e.Value = slices.Clone(e.Value)
			got = append(got, e)
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		want := slices.Clone(oldEntries)
		slices.SortFunc(want, func(a, b backend.Entry) int { return strings.Compare(a.Key, b.Key) })
		if len(got) != len(want) {
			t.Fatalf("storage %s: %d entries, want %d: %+v", n, len(got), len(want), got)
		}
		for i, w := range want {
			g := got[i]
			if g.Key != w.Key || g.Timestamp != w.Timestamp || g.Deleted != w.Deleted || g.Encoding != w.Encoding ||
				string(g.Value) != string(w.Value) {
				t.Errorf("storage %s: entry %d is %+v, want %+v", n, i, g, w)
			}
		}
	}
}

// tree lists every file under dir with its contents, to show a directory
// is unchanged.
func tree(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		rel, _ := filepath.Rel(dir, p)
		out[rel] = string(b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func equalTrees(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

// A data directory in the old fs layout is served as fs, with its data,
// and a log line saying how to convert it; nothing of it is changed but
// by the puts the test makes.
func TestServeOldFSDataDirAsFS(t *testing.T) {
	t.Chdir(t.TempDir())
	writeOldFS(t, "zmesh-data")
	before := tree(t, "zmesh-data")
	s := startServe(t, "--bind", "tcp://127.0.0.1:*", "--feed", "none")
	s.wantStderr(t,
		"zmesh serve: ./zmesh-data is in the fs layout (one file per key, the default volume of earlier versions): serving it as an fs volume; "+
			"zmesh convert --from fs --to engine ./zmesh-data converts it",
		"zmesh serve: volume data: fs (root ./zmesh-data)\n")
	code, out, errOut := runCmd(t, "get", "--connect", s.endpoint, "a/**")
	if code != 0 || out != "a\t1\na/b\t{\"t\":1}\n" {
		t.Fatalf("get a/**: %d %q %s", code, out, errOut)
	}
	s.shutdown(t)
	if l, _ := detectLayout("zmesh-data"); l != layoutFS {
		t.Fatalf("zmesh-data is now %v", l)
	}
	if after := tree(t, "zmesh-data"); !equalTrees(before, after) {
		t.Fatalf("serving changed the fs directory:\n%v\nwas\n%v", after, before)
	}
}

// --data moves the built-in volume; an empty or new directory gets an
// engine.
func TestServeDataFlag(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "d")
	s := startServe(t, "--data", dir, "--bind", "tcp://127.0.0.1:*", "--feed", "none")
	s.wantStderr(t, "zmesh serve: volume data: engine (root "+dir+")\n", "zmesh serve: no change feed")
	if code, _, errOut := runCmd(t, "put", "--connect", s.endpoint, "k", "v"); code != 0 {
		t.Fatal(errOut)
	}
	s.shutdown(t)
	if l, err := detectLayout(dir); l != layoutEngine {
		t.Fatalf("%s: %v %v", dir, l, err)
	}
}

// The conversion keeps every key, value, encoding, timestamp and
// tombstone of every storage, keeps the old directory beside, and the
// server then runs the engine with the same data.
func TestConvertKeepsEverything(t *testing.T) {
	t.Chdir(t.TempDir())
	names := writeOldFS(t, "zmesh-data")
	before := tree(t, "zmesh-data")
	code, out, errOut := runCmd(t, "convert", "--from", "fs", "--to", "engine", "zmesh-data")
	if code != 0 {
		t.Fatalf("convert: %d %s %s", code, out, errOut)
	}
	for _, want := range []string{"storage default: 6 entries\n", "storage more/nested: 6 entries\n",
		"converted zmesh-data to an engine volume: 12 entries in 2 storages, checked, in "} {
		if !strings.Contains(out, want) {
			t.Errorf("convert's output lacks %q:\n%s", want, out)
		}
	}
	if l, _ := detectLayout("zmesh-data"); l != layoutEngine {
		t.Fatalf("zmesh-data is %v after the conversion", l)
	}
	if old := tree(t, "zmesh-data.fs-old"); !equalTrees(before, old) {
		t.Fatalf("the old data is not kept as it was")
	}
	if exists("zmesh-data.converting") {
		t.Fatal("zmesh-data.converting is left")
	}
	checkEngine(t, "zmesh-data", names)

	s := startServe(t, "--bind", "tcp://127.0.0.1:*", "--feed", "none")
	s.wantStderr(t, "zmesh serve: volume data: engine (root ./zmesh-data)\n")
	if code, out, _ := runCmd(t, "get", "--connect", s.endpoint, "a/**"); code != 0 || out != "a\t1\na/b\t{\"t\":1}\n" {
		t.Fatalf("get on the converted engine: %d %q", code, out)
	}
	s.shutdown(t)

	// A second conversion is refused: already an engine.
	if code, _, errOut := runCmd(t, "convert", "--from", "fs", "--to", "engine", "zmesh-data"); code != 1 ||
		!strings.Contains(errOut, "already an engine volume") {
		t.Fatalf("second convert: %d %s", code, errOut)
	}
}

// A conversion stopped while writing (DIR.converting beside an intact fs
// DIR) is detected: serve serves DIR as fs and says so; convert starts
// over. One stopped between its renames (DIR.fs-old and DIR.converting,
// no DIR) makes serve refuse to start rather than begin an empty engine;
// convert finishes it.
func TestConvertInterrupted(t *testing.T) {
	t.Run("while writing", func(t *testing.T) {
		t.Chdir(t.TempDir())
		names := writeOldFS(t, "zmesh-data")
		if err := os.MkdirAll("zmesh-data.converting", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile("zmesh-data.converting/000002.log", []byte("half a log"), 0o644); err != nil {
			t.Fatal(err)
		}
		s := startServe(t, "--bind", "tcp://127.0.0.1:*", "--feed", "none")
		s.wantStderr(t, "zmesh serve: ./zmesh-data.converting is left from an interrupted conversion; "+
			"`zmesh convert --from fs --to engine ./zmesh-data` starts it over\n",
			"zmesh serve: volume data: fs (root ./zmesh-data)\n")
		s.shutdown(t)
		code, out, errOut := runCmd(t, "convert", "zmesh-data")
		if code != 0 || !strings.Contains(out, "removing zmesh-data.converting, left by an interrupted conversion; starting over\n") {
			t.Fatalf("convert: %d %s %s", code, out, errOut)
		}
		checkEngine(t, "zmesh-data", names)
	})
	t.Run("between the renames", func(t *testing.T) {
		t.Chdir(t.TempDir())
		names := writeOldFS(t, "zmesh-data")
		if code, _, errOut := runCmd(t, "convert", "zmesh-data"); code != 0 {
			t.Fatal(errOut)
		}
		// The state a crash after the first rename leaves.
		if err := os.Rename("zmesh-data", "zmesh-data.converting"); err != nil {
			t.Fatal(err)
		}
		code, _, errOut := runCmd(t, "serve", "--bind", "tcp://127.0.0.1:*", "--feed", "none")
		if code != 1 || !strings.Contains(errOut, "./zmesh-data is missing while ./zmesh-data.fs-old and ./zmesh-data.converting are there: "+
			"a conversion stopped between its two renames; `zmesh convert --from fs --to engine ./zmesh-data` finishes it") {
			t.Fatalf("serve on a half-swapped directory: %d %s", code, errOut)
		}
		if exists("zmesh-data") {
			t.Fatal("serve created zmesh-data")
		}
		if _, err := checkConversionState("./zmesh-data"); !errors.Is(err, errHalfConverted) {
			t.Fatalf("checkConversionState: %v, want errHalfConverted", err)
		}
		code, out, errOut := runCmd(t, "convert", "zmesh-data")
		if code != 0 || !strings.Contains(out, "finished an interrupted conversion") {
			t.Fatalf("convert: %d %s %s", code, out, errOut)
		}
		checkEngine(t, "zmesh-data", names)
	})
}

// The conversion refuses what it cannot convert, and a directory a server
// is using, without changing anything.
func TestConvertRefuses(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name  string
		setup func(t *testing.T) string
		args  []string
		code  int
		want  string
	}{
		{"missing", func(t *testing.T) string { return filepath.Join(dir, "none") }, nil, 1, "nothing to convert"},
		{"unknown files", func(t *testing.T) string {
			d := filepath.Join(dir, "junk")
			os.MkdirAll(d, 0o755)
			os.WriteFile(filepath.Join(d, "notes.txt"), []byte("x"), 0o644)
			return d
		}, nil, 1, "neither an fs volume"},
		{"other layouts", func(t *testing.T) string { return dir }, []string{"--from", "engine", "--to", "fs"}, 2, "converts --from fs --to engine only"},
		{"old data in the way", func(t *testing.T) string {
			d := filepath.Join(dir, "blocked")
			writeOldFS(t, d)
			os.MkdirAll(d+".fs-old", 0o755)
			return d
		}, nil, 1, "move it away first"},
		{"in use", func(t *testing.T) string {
			d := filepath.Join(dir, "busy")
			writeOldFS(t, d)
			s, err := fs.Open(filepath.Join(d, "default"))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { s.Close(context.Background()) })
			return d
		}, nil, 1, "is a server using"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := tt.setup(t)
			before := tree(t, dir)
			code, _, errOut := runCmd(t, append(append([]string{"convert"}, tt.args...), d)...)
			if code != tt.code || !strings.Contains(errOut, tt.want) {
				t.Fatalf("exit %d, %s; want %d saying %q", code, errOut, tt.code, tt.want)
			}
			if after := tree(t, dir); !equalTrees(before, after) {
				t.Fatal("a refused conversion changed files")
			}
		})
	}
	if code, out, _ := runCmd(t, "convert", "-h"); code != 0 || !strings.Contains(out, "usage: zmesh convert") {
		t.Fatalf("convert -h: %d %q", code, out)
	}
}

// A value over the engine's inline limit, stored by Apply or streamed
// in, is copied as a stream: it becomes a blob of the engine, with its
// key, timestamp, encoding and hash, and is checked like the rest (as a
// stream: Get would refuse one over engine.MaxGetSize, which this path
// shares).
func TestConvertLargeValues(t *testing.T) {
	t.Chdir(t.TempDir())
	ctx := context.Background()
	big := bytes.Repeat([]byte("0123456789abcdef"), (3*engine.InlineMax+17)/16)
	streamedValue := bytes.Repeat([]byte{0xa5, 0x5a, 0x01}, engine.InlineMax)
	applied := backend.Entry{Key: "big/applied", Value: big, Encoding: "text/plain", Timestamp: hlc.Timestamp{Time: 21, Source: hlc.ID{3}}}
	streamed := backend.StreamEntry{
		Entry: backend.Entry{Key: "big/streamed", Encoding: "application/octet-stream", Timestamp: hlc.Timestamp{Time: 22, Counter: 1}},
		Size:  int64(len(streamedValue)),
		Hash:  [32]byte{1, 2, 3},
	}
	s, err := fs.Open(filepath.Join("zmesh-data", "default"))
	if err != nil {
		t.Fatal(err)
	}
	if ok, err := s.Apply(ctx, applied); !ok || err != nil {
		t.Fatalf("apply: %v %v", ok, err)
	}
	if ok, err := s.PutStream(ctx, streamed, bytes.NewReader(streamedValue)); !ok || err != nil {
		t.Fatalf("put stream: %v %v", ok, err)
	}
	if ok, err := s.Apply(ctx, oldEntries[0]); !ok || err != nil {
		t.Fatalf("apply: %v %v", ok, err)
	}
	if err := s.Close(ctx); err != nil {
		t.Fatal(err)
	}

	code, out, errOut := runCmd(t, "convert", "--from", "fs", "--to", "engine", "zmesh-data")
	if code != 0 || !strings.Contains(out, "storage default: 3 entries\n") {
		t.Fatalf("convert: %d %s %s", code, out, errOut)
	}
	blobs, err := os.ReadDir(filepath.Join("zmesh-data", "blobs"))
	if err != nil || len(blobs) != 2 {
		t.Fatalf("the engine holds %d blobs (%v), want the 2 large values", len(blobs), err)
	}
	v, err := engine.NewVolume(engine.Config{Root: "zmesh-data", ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close(ctx)
	es, err := v.Open(ctx, "default", backend.StorageConfig{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range []struct {
		e     backend.Entry
		value []byte
		hash  [32]byte
	}{{applied, big, [32]byte{}}, {streamed.Entry, streamedValue, streamed.Hash}} {
		got, rc, ok, err := es.(backend.Streamer).OpenStream(ctx, w.e.Key, 0)
		if err != nil || !ok {
			t.Fatalf("open stream %q: %v %v", w.e.Key, ok, err)
		}
		b, err := io.ReadAll(rc)
		rc.Close()
		if err != nil || !bytes.Equal(b, w.value) || got.Size != int64(len(w.value)) || got.Hash != w.hash ||
			got.Timestamp != w.e.Timestamp || got.Encoding != w.e.Encoding || got.Deleted {
			t.Fatalf("%q after the conversion: %+v, %d bytes (want %d), %v", w.e.Key, got, len(b), len(w.value), err)
		}
	}
	if e, ok, err := es.Get(ctx, "a"); err != nil || !ok || string(e.Value) != "1" || e.Timestamp != oldEntries[0].Timestamp {
		t.Fatalf("small value after the conversion: %+v %v %v", e, ok, err)
	}
}
