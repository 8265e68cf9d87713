package server

import (
	"bytes"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/zmesh/zmesh/socket"
	"github.com/zmesh/zmesh/store/backend"
	"github.com/zmesh/zmesh/store/backend/backendtest"
	"github.com/zmesh/zmesh/store/proto"
)

// A configuration with an engine volume (relative root, its options in
// the configuration's grammar) serves puts and gets, and keeps them in
// the engine's directory.
func TestConfigEngineVolume(t *testing.T) {
	t.Chdir(t.TempDir())
	cfg, err := ParseConfig("t.yaml", []byte(`
server: {bind: ["tcp://127.0.0.1:*"]}
volumes:
  data: {kind: engine, root: ./x}
  fast: {kind: engine, root: ./y, sync: window, sync_window: 20ms, cache_size: 8388608}
storages:
  a: {key_expr: a/**, strip_prefix: a, volume: data}
  b: {key_expr: b/**, volume: {id: data, on_closure: delete_all}}
  c: {key_expr: c/**, volume: fast}
`))
	must(t, err)
	_, cli := serveConfig(t, cfg)
	ctx := testCtx(t)
	for _, k := range []string{"a/1", "a/2/3", "b/1", "c/1"} {
		must(t, cli.Put(ctx, k, []byte(k)))
	}
	if got := kv(mustGet(t, cli, "**")); !slices.Equal(got, []string{"a/1=a/1", "a/2/3=a/2/3", "b/1=b/1", "c/1=c/1"}) {
		t.Fatalf("got %q", got)
	}
	must(t, cli.Delete(ctx, "a/**"))
	if got := kv(mustGet(t, cli, "**")); !slices.Equal(got, []string{"b/1=b/1", "c/1=c/1"}) {
		t.Fatalf("after deleting a/**: %q", got)
	}
	for _, dir := range []string{"x", "y"} {
		if m, _ := filepath.Glob(filepath.Join(dir, "marker.manifest.*")); len(m) == 0 {
			t.Errorf("no engine in %s", dir)
		}
	}
}

func TestConfigEngineVolumeErrors(t *testing.T) {
	ctx := testCtx(t)
	zctx := socket.NewCtx(quiet)
	defer zctx.Close()
	for _, opts := range []string{"sync_window: 20", "sync: window, sync_window: 20", "sync: 'true'", "cache_size: 64MiB", "dir: d"} {
		cfg, err := ParseConfig("t.yaml", []byte("volumes:\n  d: {kind: engine, root: "+t.TempDir()+", "+opts+"}\nstorages: {a: {key_expr: '**', volume: d}}\n"))
		must(t, err)
		if _, err := cfg.Open(ctx, zctx, quiet); !errors.Is(err, backend.ErrInvalidConfig) {
			t.Errorf("%s: %v, want ErrInvalidConfig", opts, err)
		}
	}
}

// A full disk under an engine volume (a 24 MiB tmpfs): puts are refused
// with StatusBackend and a message saying why, the refused key is not
// visible, and the server stays up: gets and puts to a memory storage go
// on.
func TestEngineVolumeFullDisk(t *testing.T) {
	root := filepath.Join(backendtest.Tmpfs(t, 24<<20), "data")
	cfg, err := ParseConfig("t.yaml", []byte(`
server: {bind: ["tcp://127.0.0.1:*"]}
volumes:
  data: {kind: engine, root: `+root+`, min_free_space: 4194304, cache_size: 1048576}
storages:
  disk: {key_expr: disk/**, volume: data}
  mem: {key_expr: mem/**, volume: memory}
`))
	must(t, err)
	_, cli := serveConfig(t, cfg)
	ctx := testCtx(t)
	value := bytes.Repeat([]byte("v"), 16<<10)
	var refused error
	acked := 0
	for refused == nil {
		if acked > 10_000 {
			t.Fatal("no refusal after 160 MiB of puts into a 24 MiB tmpfs")
		}
		if refused = cli.Put(ctx, fmt.Sprint("disk/", acked), value); refused == nil {
			acked++
		}
	}
	wantStatus(t, refused, proto.StatusBackend)
	if !strings.Contains(refused.Error(), "no space left on device") || !strings.Contains(refused.Error(), "min_free_space") {
		t.Errorf("the refusal does not say why: %v", refused)
	}
	if got := mustGet(t, cli, fmt.Sprint("disk/", acked)); len(got) != 0 {
		t.Errorf("the refused put is visible: %v", got)
	}
	if got := mustGet(t, cli, "disk/0"); len(got) != 1 || !bytes.Equal(got[0].Value, value) {
		t.Errorf("an acknowledged put after the disk filled: %v", got)
	}
	must(t, cli.Put(ctx, "mem/k", []byte("v")))
	if got := kv(mustGet(t, cli, "mem/**")); !slices.Equal(got, []string{"mem/k=v"}) {
		t.Errorf("the memory storage: %v", got)
	}
}
