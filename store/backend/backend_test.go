package backend_test

import (
	"context"
	"errors"
	"io/fs"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/zmesh/zmesh/store/backend"
	"github.com/zmesh/zmesh/store/hlc"
)

func TestCheckKey(t *testing.T) {
	tests := []struct {
		key string
		ok  bool
	}{
		{"", true},
		{"a/b/c", true},
		{"../..", true},
		{"a\x00b", true},
		{"日本", true},
		{strings.Repeat("k", backend.MaxKeyLen), true},
		{strings.Repeat("k", backend.MaxKeyLen+1), false},
		{"\xff", false},
		{"a\xc3", false},
		{"\xed\xa0\x80", false}, // a UTF-16 surrogate encoded in UTF-8
	}
	for _, tt := range tests {
		err := backend.CheckKey(tt.key)
		if tt.ok != (err == nil) || (err != nil && !errors.Is(err, backend.ErrInvalidKey)) {
			t.Errorf("CheckKey(%.20q) = %v, want ok=%v", tt.key, err, tt.ok)
		}
	}
}

func TestCheckEntry(t *testing.T) {
	ts := hlc.Timestamp{Time: 1}
	tests := []struct {
		name string
		e    backend.Entry
		want error
	}{
		{"value", backend.Entry{Key: "k", Value: []byte("v"), Encoding: "text/plain", Timestamp: ts}, nil},
		{"tombstone", backend.Entry{Key: "k", Timestamp: ts, Deleted: true}, nil},
		{"tombstone with a bad encoding (dropped)", backend.Entry{Key: "k", Encoding: "\xff", Timestamp: ts, Deleted: true}, nil},
		{"no timestamp", backend.Entry{Key: "k"}, backend.ErrInvalidEntry},
		{"bad key", backend.Entry{Key: "\xff", Timestamp: ts}, backend.ErrInvalidKey},
		{"encoding at the limit", backend.Entry{Key: "k", Encoding: strings.Repeat("e", backend.MaxEncodingLen), Timestamp: ts}, nil},
		{"encoding too long", backend.Entry{Key: "k", Encoding: strings.Repeat("e", backend.MaxEncodingLen+1), Timestamp: ts}, backend.ErrInvalidEntry},
		{"encoding not UTF-8", backend.Entry{Key: "k", Encoding: "\xc3", Timestamp: ts}, backend.ErrInvalidEntry},
	}
	for _, tt := range tests {
		err := backend.CheckEntry(tt.e)
		if (tt.want == nil) != (err == nil) || !errors.Is(err, tt.want) {
			t.Errorf("%s: CheckEntry = %v, want %v", tt.name, err, tt.want)
		}
	}
}

func TestNormalizeDropsTombstoneValue(t *testing.T) {
	e := backend.Normalize(backend.Entry{Key: "k", Value: []byte("v"), Encoding: "e", Deleted: true})
	if e.Value != nil || e.Encoding != "" || e.Key != "k" || !e.Deleted {
		t.Fatalf("Normalize(tombstone) = %+v", e)
	}
	v := backend.Normalize(backend.Entry{Key: "k", Value: []byte("v"), Encoding: "e"})
	if string(v.Value) != "v" || v.Encoding != "e" {
		t.Fatalf("Normalize(value) = %+v", v)
	}
}

func TestFailWrapsBoth(t *testing.T) {
	err := backend.Fail("write a/b", fs.ErrPermission)
	if !errors.Is(err, backend.ErrBackend) || !errors.Is(err, fs.ErrPermission) {
		t.Fatalf("Fail: %v does not match both ErrBackend and fs.ErrPermission", err)
	}
	if got := err.Error(); !strings.HasPrefix(got, "write a/b: ") {
		t.Fatalf("Fail message %q does not start with the operation", got)
	}
	if backend.Fail("x", nil) != nil {
		t.Fatal("Fail(nil) != nil")
	}
	if err := backend.Fail("x", context.Canceled); errors.Is(err, backend.ErrBackend) || !errors.Is(err, context.Canceled) {
		t.Fatalf("Fail(context.Canceled) = %v: a cancelled operation is not a broken medium", err)
	}
	if !errors.Is(backend.ErrCorrupt, backend.ErrBackend) {
		t.Fatal("ErrCorrupt does not match ErrBackend")
	}
}

func TestScanModeString(t *testing.T) {
	for m, want := range map[backend.ScanMode]string{backend.ScanMeta: "meta", backend.ScanValues: "values", 7: "ScanMode(7)"} {
		if got := m.String(); got != want {
			t.Errorf("ScanMode(%d).String() = %q, want %q", m, got, want)
		}
	}
}

func TestOptions(t *testing.T) {
	o := backend.Options{
		"dir":      "data",
		"yes":      true,
		"no":       false,
		"quoted":   "true",
		"n":        42,
		"n64":      int64(7),
		"u64":      uint64(9),
		"f":        3.0,
		"half":     2.5,
		"period":   "300ms",
		"lifespan": "24h",
		"fsecs":    "1.5s",
		"zero":     0,
		"secs":     86400,
		"nil":      nil,
		"tls":      map[string]any{"root_ca_certificate_file": "ca.pem"},
		"yaml2":    map[any]any{"a": 1},
		"badmap":   map[any]any{1: 2},
		"list":     []any{1},
	}
	str := func(name, def string) string {
		s, err := o.String(name, def)
		if err != nil {
			t.Fatalf("String(%q): %v", name, err)
		}
		return s
	}
	if str("dir", "") != "data" || str("missing", "def") != "def" || str("nil", "def") != "def" {
		t.Error("String getter")
	}
	if b, err := o.Bool("yes", false); !b || err != nil {
		t.Errorf("Bool(yes) = %v, %v", b, err)
	}
	if b, err := o.Bool("no", true); b || err != nil {
		t.Errorf("Bool(no) = %v, %v", b, err)
	}
	if b, err := o.Bool("missing", true); !b || err != nil {
		t.Errorf("Bool(missing) = %v, %v", b, err)
	}
	for name, want := range map[string]int{"n": 42, "n64": 7, "u64": 9, "f": 3, "missing": -1} {
		if n, err := o.Int(name, -1); n != want || err != nil {
			t.Errorf("Int(%q) = %d, %v; want %d", name, n, err, want)
		}
	}
	for name, want := range map[string]time.Duration{"period": 300 * time.Millisecond, "lifespan": 24 * time.Hour, "fsecs": 1500 * time.Millisecond, "zero": 0, "missing": time.Minute} {
		if d, err := o.Duration(name, time.Minute); d != want || err != nil {
			t.Errorf("Duration(%q) = %v, %v; want %v", name, d, err, want)
		}
	}
	if sub, err := o.Sub("tls"); err != nil || sub["root_ca_certificate_file"] != "ca.pem" {
		t.Errorf("Sub(tls) = %v, %v", sub, err)
	}
	if sub, err := o.Sub("yaml2"); err != nil || sub["a"] != 1 {
		t.Errorf("Sub(yaml2) = %v, %v", sub, err)
	}
	if sub, err := o.Sub("missing"); err != nil || sub != nil {
		t.Errorf("Sub(missing) = %v, %v", sub, err)
	}
	bad := []struct {
		name string
		get  func() error
	}{
		{"String of a bool", func() error { _, err := o.String("yes", ""); return err }},
		{"Bool of an int", func() error { _, err := o.Bool("n", false); return err }},
		{"Bool of a string", func() error { _, err := o.Bool("dir", false); return err }},
		{"Int of a fraction", func() error { _, err := o.Int("half", 0); return err }},
		{"Int of a string", func() error { _, err := o.Int("dir", 0); return err }},
		{"Duration of a bad string", func() error { _, err := o.Duration("dir", 0); return err }},
		{"Duration of a list", func() error { _, err := o.Duration("list", 0); return err }},
		{"Sub of a string", func() error { _, err := o.Sub("dir"); return err }},
		{"Sub with a non-string key", func() error { _, err := o.Sub("badmap"); return err }},
		{"Bool of quoted text", func() error { _, err := o.Bool("quoted", false); return err }},
		{"Duration of a bare number", func() error { _, err := o.Duration("secs", 0); return err }},
		{"Duration of a bare fraction", func() error { _, err := backend.Options{"d": 1e300}.Duration("d", 0); return err }},
	}
	for _, b := range bad {
		if err := b.get(); !errors.Is(err, backend.ErrInvalidConfig) {
			t.Errorf("%s: %v, want ErrInvalidConfig", b.name, err)
		}
	}
	if !o.Has("nil") || o.Has("missing") {
		t.Error("Has")
	}
	if err := (backend.Options{"root": "/", "dir": "x"}).Check("root", "dir"); err != nil {
		t.Errorf("Check of known options: %v", err)
	}
	err := (backend.Options{"root": "/", "rooot": "x", "bucket": 1}).Check("root")
	if !errors.Is(err, backend.ErrInvalidConfig) || !strings.Contains(err.Error(), "bucket, rooot") {
		t.Errorf("Check of unknown options = %v", err)
	}
	var none backend.Options
	if err := none.Check(); err != nil {
		t.Errorf("nil Options Check: %v", err)
	}
}

type fakeVolume struct{ opts backend.Options }

func (f *fakeVolume) Open(context.Context, string, backend.StorageConfig) (backend.Store, error) {
	return nil, errors.New("not implemented")
}
func (f *fakeVolume) Close(context.Context) error { return nil }

func TestRegistry(t *testing.T) {
	backend.Register("test-fake", func(ctx context.Context, opts backend.Options) (backend.Volume, error) {
		if err := opts.Check("x"); err != nil {
			return nil, err
		}
		return &fakeVolume{opts}, nil
	})
	v, err := backend.NewVolume(context.Background(), "test-fake", backend.Options{"x": 1})
	if err != nil || v.(*fakeVolume).opts["x"] != 1 {
		t.Fatalf("NewVolume(test-fake) = %v, %v", v, err)
	}
	if _, err := backend.NewVolume(context.Background(), "test-fake", backend.Options{"y": 1}); !errors.Is(err, backend.ErrInvalidConfig) {
		t.Fatalf("NewVolume with a bad option: %v, want ErrInvalidConfig", err)
	}
	var nilCtx context.Context
	if _, err := backend.NewVolume(nilCtx, "test-fake", backend.Options{"x": 1}); !errors.Is(err, backend.ErrInvalidInput) {
		t.Fatalf("NewVolume with a nil context: %v, want ErrInvalidInput", err)
	}
	if _, err := backend.NewVolume(context.Background(), "no-such-kind", nil); !errors.Is(err, backend.ErrUnknownKind) {
		t.Fatalf("NewVolume(no-such-kind): %v, want ErrUnknownKind", err)
	}
	found := false
	for _, k := range backend.Kinds() {
		found = found || k == "test-fake"
	}
	if !found {
		t.Fatalf("Kinds() = %v, missing test-fake", backend.Kinds())
	}
	for _, bad := range []func(){
		func() {
			backend.Register("test-fake", func(context.Context, backend.Options) (backend.Volume, error) { return nil, nil })
		},
		func() {
			backend.Register("", func(context.Context, backend.Options) (backend.Volume, error) { return nil, nil })
		},
		func() { backend.Register("test-nil", nil) },
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Error("Register did not panic on a programming error")
				}
			}()
			bad()
		}()
	}
}

// stubStore records calls, to check what ReadOnly passes through.
type stubStore struct {
	calls  []string
	closed bool
}

func (s *stubStore) Apply(context.Context, backend.Entry) (bool, error) {
	s.calls = append(s.calls, "apply")
	return true, nil
}
func (s *stubStore) Get(context.Context, string) (backend.Entry, bool, error) {
	s.calls = append(s.calls, "get")
	return backend.Entry{}, false, nil
}
func (s *stubStore) Scan(context.Context, string, backend.ScanMode, func(backend.Entry) error) error {
	s.calls = append(s.calls, "scan")
	return nil
}
func (s *stubStore) Collect(context.Context, time.Time) (int, error) {
	s.calls = append(s.calls, "collect")
	return 0, nil
}
func (s *stubStore) Close(context.Context) error {
	s.calls = append(s.calls, "close")
	return nil
}

func TestReadOnly(t *testing.T) {
	ctx := context.Background()
	stub := &stubStore{}
	ro := backend.ReadOnly(stub)
	if applied, err := ro.Apply(ctx, backend.Entry{Key: "k"}); applied || !errors.Is(err, backend.ErrReadOnly) {
		t.Errorf("Apply = %v, %v; want false, ErrReadOnly", applied, err)
	}
	if _, err := ro.Collect(ctx, time.Now()); !errors.Is(err, backend.ErrReadOnly) {
		t.Errorf("Collect: %v, want ErrReadOnly", err)
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := ro.Apply(cctx, backend.Entry{Key: "k"}); !errors.Is(err, context.Canceled) {
		t.Errorf("Apply with a cancelled context: %v", err)
	}
	var nilCtx context.Context
	if _, err := ro.Apply(nilCtx, backend.Entry{Key: "k"}); !errors.Is(err, backend.ErrInvalidInput) {
		t.Errorf("Apply with a nil context: %v, want ErrInvalidInput", err)
	}
	if err := ro.Close(nilCtx); !errors.Is(err, backend.ErrInvalidInput) {
		t.Errorf("Close with a nil context: %v, want ErrInvalidInput", err)
	}
	ro.Get(ctx, "k")
	ro.Scan(ctx, "", backend.ScanMeta, nil)
	ro.Close(ctx)
	if _, err := ro.Apply(ctx, backend.Entry{Key: "k"}); !errors.Is(err, backend.ErrClosed) {
		t.Errorf("Apply after Close: %v, want ErrClosed", err)
	}
	if got := strings.Join(stub.calls, ","); got != "get,scan,close" {
		t.Errorf("calls reaching the store: %s, want get,scan,close", got)
	}
}

func TestLoggerThroughContext(t *testing.T) {
	if backend.Logger(context.Background()) != slog.Default() {
		t.Fatal("a context without a logger should give slog.Default()")
	}
	l := slog.New(slog.DiscardHandler)
	if backend.Logger(backend.WithLogger(context.Background(), l)) != l {
		t.Fatal("the logger put in the context did not come back")
	}
	if backend.Logger(backend.WithLogger(context.Background(), nil)) != slog.Default() {
		t.Fatal("a nil logger should give slog.Default()")
	}
}
