package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	iofs "io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/zmesh/zmesh/store/backend"
	"github.com/zmesh/zmesh/store/backend/engine"
	"github.com/zmesh/zmesh/store/backend/fs"
)

// A conversion of DIR from the fs layout to the engine writes the engine
// beside it, in DIR.converting, checks it against the source, then swaps:
// DIR becomes DIR.fs-old (kept: the user removes it once satisfied) and
// DIR.converting becomes DIR. Whatever moment a crash stops it at, one of
// these states is on disk, and each is told apart:
//
//	DIR (fs)                                  not started
//	DIR (fs) + DIR.converting                 interrupted while writing: serve serves DIR as fs, convert starts over
//	DIR.fs-old + DIR.converting (no DIR)      interrupted between the renames: serve refuses to start, convert finishes
//	DIR (engine) + DIR.fs-old                 done
//
// DIR is renamed away only once the engine in DIR.converting is complete,
// synced and checked, so the old data is never gone before the new one is
// whole.
const (
	convertingSuffix = ".converting"
	oldFSSuffix      = ".fs-old"
)

// layout is what a data directory holds.
type layout int

const (
	layoutNone    layout = iota // missing or empty
	layoutEngine                // an engine (its manifest marker, log or tables)
	layoutFS                    // fs storages (directories holding an fs store's .lock)
	layoutUnknown               // files of neither
)

func (l layout) String() string {
	return [...]string{"empty", "engine", "fs", "unknown"}[l]
}

// detectLayout tells what dir holds. An engine is recognised by its own
// files at the top; an fs volume by its storage directories, each of
// which holds the lock file ".lock" an fs store creates when it opens.
func detectLayout(dir string) (layout, error) {
	ents, err := os.ReadDir(dir)
	if errors.Is(err, iofs.ErrNotExist) || err == nil && len(ents) == 0 {
		return layoutNone, nil
	}
	if err != nil {
		return layoutUnknown, err
	}
	for _, e := range ents {
		n := e.Name()
		if strings.HasPrefix(n, "marker.") || strings.HasPrefix(n, "MANIFEST-") || strings.HasPrefix(n, "OPTIONS-") ||
			n == "CURRENT" || strings.HasSuffix(n, ".sst") || strings.HasSuffix(n, ".log") {
			return layoutEngine, nil
		}
	}
	stores, err := fsStoreDirs(dir)
	if err != nil {
		return layoutUnknown, err
	}
	if len(stores) > 0 {
		return layoutFS, nil
	}
	return layoutUnknown, nil
}

// fsStoreDirs lists the fs stores under root: the directories holding a
// ".lock" file, as slash-separated paths relative to root (a storage's
// name, or its dir option), sorted. It does not look inside a store.
func fsStoreDirs(root string) ([]string, error) {
	var dirs []string
	err := filepath.WalkDir(root, func(p string, d iofs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() || p == root {
			return nil
		}
		if strings.HasPrefix(d.Name(), ".") {
			return filepath.SkipDir
		}
		if _, err := os.Lstat(filepath.Join(p, ".lock")); err == nil {
			rel, err := filepath.Rel(root, p)
			if err != nil {
				return err
			}
			dirs = append(dirs, filepath.ToSlash(rel))
			return filepath.SkipDir
		}
		return nil
	})
	slices.Sort(dirs)
	return dirs, err
}

// exists reports whether path exists (an error other than "does not
// exist" counts as existing, so that nothing is done over it).
func exists(path string) bool {
	_, err := os.Lstat(path)
	return !errors.Is(err, iofs.ErrNotExist)
}

// errHalfConverted marks a data directory whose conversion stopped
// between its two renames: DIR is missing, DIR.fs-old and DIR.converting
// are there.
var errHalfConverted = errors.New("conversion interrupted")

// checkConversionState refuses a data directory a conversion left half
// swapped, and describes the other leftovers worth a log line ("" if
// none).
func checkConversionState(dir string) (string, error) {
	conv, old := exists(dir+convertingSuffix), exists(dir+oldFSSuffix)
	l, err := detectLayout(dir)
	if err != nil {
		return "", err
	}
	switch {
	case l == layoutNone && conv && old:
		return "", fmt.Errorf("%w: %s is missing while %s and %s are there: a conversion stopped between its two renames; "+
			"`zmesh convert --from fs --to engine %s` finishes it (nothing is lost: the old data is in %s)",
			errHalfConverted, dir, dir+oldFSSuffix, dir+convertingSuffix, dir, dir+oldFSSuffix)
	case l == layoutNone && old:
		return fmt.Sprintf("%s is missing or empty but %s (the fs data an earlier conversion kept) is there; starting a new engine", dir, dir+oldFSSuffix), nil
	case l == layoutFS && conv:
		return fmt.Sprintf("%s is left from an interrupted conversion; `zmesh convert --from fs --to engine %s` starts it over", dir+convertingSuffix, dir), nil
	}
	return "", nil
}

func convertUsage(w io.Writer) {
	fmt.Fprint(w, `usage: zmesh convert --from fs --to engine DIR

Converts the volume directory DIR (./zmesh-data by default) from the fs
layout (one file per key, zmesh serve's default before the engine) to an
engine volume. No server may be using DIR meanwhile. Every storage
directory of DIR (a directory holding an fs store's .lock) becomes the
engine namespace of the same name, with every key, value, encoding,
timestamp and tombstone. Values are streamed, so one of any size is
copied with bounded memory (those over 64 KiB become engine blobs).

The engine is written beside DIR, in DIR.converting, synced, and checked
entry by entry against DIR; then DIR is renamed DIR.fs-old and
DIR.converting becomes DIR. DIR.fs-old is never removed: delete it once
the server runs well on the engine. A conversion stopped by a crash is
detected: run the same command again (it starts over, or finishes the
swap).

`)
}

// runConvert is `zmesh convert`.
func runConvert(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	set := flag.NewFlagSet("zmesh convert", flag.ContinueOnError)
	set.SetOutput(stderr)
	printUsage := func(w io.Writer) { convertUsage(w); set.SetOutput(w); set.PrintDefaults(); set.SetOutput(stderr) }
	set.Usage = func() {} // printed below: on stdout for -h, on stderr after a mistake
	from := set.String("from", "fs", "the layout DIR is in (fs)")
	to := set.String("to", "engine", "the layout to convert DIR to (engine)")
	if err := set.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			printUsage(stdout)
			return nil
		}
		printUsage(stderr)
		return errUsage
	}
	if *from != "fs" || *to != "engine" {
		fmt.Fprintf(stderr, "zmesh convert: converts --from fs --to engine only (not %s to %s)\n", *from, *to)
		return errUsage
	}
	if set.NArg() != 1 {
		fmt.Fprintln(stderr, "zmesh convert: give one directory, e.g. zmesh convert --from fs --to engine ./zmesh-data")
		return errUsage
	}
	say := func(format string, args ...any) { fmt.Fprintf(stdout, format+"\n", args...) }
	return convertFSToEngine(ctx, set.Arg(0), say)
}

// convertFSToEngine converts dir (see the comment on convertingSuffix).
func convertFSToEngine(ctx context.Context, dir string, say func(string, ...any)) error {
	dir = filepath.Clean(dir)
	conv, old := dir+convertingSuffix, dir+oldFSSuffix
	l, err := detectLayout(dir)
	if err != nil {
		return err
	}
	if l == layoutNone && exists(conv) && exists(old) {
		// Stopped between the renames: conv is complete (dir is renamed only
		// after the check), so finish the swap.
		if err := checkEngineDir(ctx, conv); err != nil {
			return fmt.Errorf("finish the interrupted conversion of %s: %w", dir, err)
		}
		if err := renameDurable(conv, dir); err != nil {
			return err
		}
		say("finished an interrupted conversion: %s is an engine volume; the fs data is kept in %s", dir, old)
		return nil
	}
	switch l {
	case layoutNone:
		return fmt.Errorf("%s is missing or empty: nothing to convert", dir)
	case layoutEngine:
		return fmt.Errorf("%s is already an engine volume", dir)
	case layoutUnknown:
		return fmt.Errorf("%s holds neither an fs volume (no storage directory with a .lock file) nor an engine", dir)
	}
	if exists(old) {
		return fmt.Errorf("%s exists (the fs data of an earlier conversion?): move it away first", old)
	}
	if exists(conv) {
		// A conversion that stopped while writing: conv is our own output,
		// never complete (dir would be gone otherwise).
		say("removing %s, left by an interrupted conversion; starting over", conv)
		if err := os.RemoveAll(conv); err != nil {
			return err
		}
	}
	names, err := fsStoreDirs(dir)
	if err != nil {
		return err
	}
	// The source stores stay open (shared locks) until the swap is done, so
	// no server can open dir for writing meanwhile, and a server running on
	// it now makes this fail at once (ErrInUse).
	src := make([]*fs.Store, 0, len(names))
	defer func() {
		for _, s := range src {
			s.Close(context.WithoutCancel(ctx))
		}
	}()
	quiet := slog.New(slog.DiscardHandler)
	for _, n := range names {
		s, err := fs.Open(filepath.Join(dir, filepath.FromSlash(n)), fs.ReadOnly(), fs.WithLogger(quiet))
		if err != nil {
			return fmt.Errorf("open the fs storage %s (is a server using %s?): %w", n, dir, err)
		}
		src = append(src, s)
	}
	start := time.Now()
	counts, err := copyStores(ctx, conv, names, src)
	if err != nil {
		return fmt.Errorf("write %s: %w (%s is untouched)", conv, err, dir)
	}
	if err := verifyCopy(ctx, conv, names, src, counts); err != nil {
		return fmt.Errorf("check %s: %w (%s is untouched)", conv, err, dir)
	}
	total := 0
	for i, n := range names {
		say("storage %s: %d entries", n, counts[i])
		total += counts[i]
	}
	if err := renameDurable(dir, old); err != nil {
		return err
	}
	if err := renameDurable(conv, dir); err != nil {
		return err
	}
	say("converted %s to an engine volume: %d entries in %d storages, checked, in %v; the fs data is kept in %s (remove it once satisfied)",
		dir, total, len(names), time.Since(start).Round(time.Millisecond), old)
	return nil
}

// copyStores writes every entry of src into a new engine in conv, one
// namespace per store, and closes it (which syncs its log). It returns
// how many entries each store had. Values are copied as streams (the fs
// store's OpenStream into the engine's PutStream), keeping their hash, so
// a value of any size goes through one copy buffer and those over
// engine.InlineMax become blobs, as if streamed in.
func copyStores(ctx context.Context, conv string, names []string, src []*fs.Store) ([]int, error) {
	// sync: window: the engine's Close syncs the log, and nothing counts
	// on conv before that.
	v, err := engine.NewVolume(engine.Config{Root: conv, SyncWindow: time.Second, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		return nil, err
	}
	counts := make([]int, len(names))
	for i, n := range names {
		dst, err := v.Open(ctx, n, backend.StorageConfig{})
		if err != nil {
			v.Close(ctx)
			return nil, err
		}
		err = src[i].Scan(ctx, "", backend.ScanMeta, func(e backend.Entry) error {
			if err := copyEntry(ctx, src[i], dst, e); err != nil {
				return fmt.Errorf("storage %s: key %q: %w", n, e.Key, err)
			}
			counts[i]++
			return nil
		})
		if err != nil {
			v.Close(ctx)
			return nil, err
		}
	}
	return counts, v.Close(ctx)
}

// copyEntry copies e, an entry of src reported by a ScanMeta scan, into
// dst: a tombstone as it is, a value streamed.
func copyEntry(ctx context.Context, src *fs.Store, dst backend.Store, e backend.Entry) error {
	if e.Deleted {
		_, err := dst.Apply(ctx, e)
		return err
	}
	st, ok := dst.(backend.Streamer)
	if !ok {
		return fmt.Errorf("the engine store %T does not stream", dst)
	}
	se, rc, ok, err := src.OpenStream(ctx, e.Key, 0)
	if err != nil {
		return err
	}
	if !ok {
		return errors.New("vanished while converting")
	}
	defer rc.Close()
	_, err = st.PutStream(ctx, se, rc)
	return err
}

// verifyCopy reopens the engine in conv read-only and checks that each
// namespace holds exactly the entries of its source store: as many, and
// each with the same value (compared as streams, whatever its size),
// encoding, timestamp, tombstone flag and hash.
func verifyCopy(ctx context.Context, conv string, names []string, src []*fs.Store, counts []int) error {
	v, err := engine.NewVolume(engine.Config{Root: conv, ReadOnly: true, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		return err
	}
	defer v.Close(ctx)
	for i, n := range names {
		dst, err := v.Open(ctx, n, backend.StorageConfig{ReadOnly: true})
		if err != nil {
			return err
		}
		got := 0
		if err := dst.Scan(ctx, "", backend.ScanMeta, func(backend.Entry) error { got++; return nil }); err != nil {
			return err
		}
		if got != counts[i] {
			return fmt.Errorf("storage %s: %d entries written, %d read back", n, counts[i], got)
		}
		err = src[i].Scan(ctx, "", backend.ScanMeta, func(e backend.Entry) error {
			if err := verifyEntry(ctx, src[i], dst, e); err != nil {
				return fmt.Errorf("storage %s: key %q %w", n, e.Key, err)
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// verifyEntry checks that dst holds e, an entry of src reported by a
// ScanMeta scan, with the same value as src.
func verifyEntry(ctx context.Context, src *fs.Store, dst backend.Store, e backend.Entry) error {
	if e.Deleted {
		c, ok, err := dst.Get(ctx, e.Key)
		switch {
		case err != nil:
			return fmt.Errorf("unreadable: %w", err)
		case !ok:
			return errors.New("is missing")
		case c.Timestamp != e.Timestamp || !c.Deleted:
			return errors.New("differs")
		}
		return nil
	}
	st, ok := dst.(backend.Streamer)
	if !ok {
		return fmt.Errorf("cannot be read: the engine store %T does not stream", dst)
	}
	want, wr, ok, err := src.OpenStream(ctx, e.Key, 0)
	if err != nil || !ok {
		return fmt.Errorf("unreadable in the source (found %v): %w", ok, err)
	}
	defer wr.Close()
	c, gr, ok, err := st.OpenStream(ctx, e.Key, 0)
	switch {
	case err != nil:
		return fmt.Errorf("unreadable: %w", err)
	case !ok:
		return errors.New("is missing")
	}
	defer gr.Close()
	if c.Timestamp != want.Timestamp || c.Deleted || c.Encoding != want.Encoding || c.Size != want.Size || c.Hash != want.Hash {
		return errors.New("differs")
	}
	same, err := sameBytes(wr, gr)
	if err != nil {
		return fmt.Errorf("unreadable: %w", err)
	}
	if !same {
		return errors.New("differs (its value)")
	}
	return nil
}

// sameBytes reports whether a and b give the same bytes, reading both
// through one buffer each.
func sameBytes(a, b io.Reader) (bool, error) {
	const bufLen = 256 << 10
	ab, bb := make([]byte, bufLen), make([]byte, bufLen)
	for {
		na, erra := io.ReadFull(a, ab)
		nb, errb := io.ReadFull(b, bb)
		if erra != nil && erra != io.EOF && erra != io.ErrUnexpectedEOF {
			return false, erra
		}
		if errb != nil && errb != io.EOF && errb != io.ErrUnexpectedEOF {
			return false, errb
		}
		if na != nb || !bytes.Equal(ab[:na], bb[:nb]) {
			return false, nil
		}
		if erra != nil || errb != nil { // both ended (na == nb)
			return erra != nil && errb != nil, nil
		}
	}
}

// checkEngineDir opens the engine in dir read-only, which checks its
// files, and closes it.
func checkEngineDir(ctx context.Context, dir string) error {
	v, err := engine.NewVolume(engine.Config{Root: dir, ReadOnly: true, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		return err
	}
	return v.Close(ctx)
}

// renameDurable renames from to to and syncs their parent directory, so
// the rename survives a crash once it returns.
func renameDurable(from, to string) error {
	if err := os.Rename(from, to); err != nil {
		return err
	}
	d, err := os.Open(filepath.Dir(to))
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("sync %s: %w", filepath.Dir(to), err)
	}
	return nil
}
