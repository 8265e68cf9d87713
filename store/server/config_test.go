package server

import (
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/zmesh/zmesh/config"
	"github.com/zmesh/zmesh/socket"
	"github.com/zmesh/zmesh/store"
	"github.com/zmesh/zmesh/store/backend"
	"github.com/zmesh/zmesh/store/backend/fs"
	"github.com/zmesh/zmesh/store/proto"
)

// serveConfig opens c, serves it until the test ends, and returns the
// server and a client.
func serveConfig(t *testing.T, c *Config) (*Server, *store.Client) {
	t.Helper()
	zctx := socket.NewCtx(quiet)
	t.Cleanup(func() { zctx.Close() })
	srv, err := c.Open(testCtx(t), zctx, quiet)
	must(t, err)
	f := &fixture{t: t, zctx: zctx, srv: srv, ep: srv.Info().Endpoints[0]}
	f.serve(t)
	return srv, f.client(t)
}

// anyPort rebinds every socket of c on a free port.
func anyPort(c *Config) {
	if c.Server != nil {
		c.Server.Bind = []config.Endpoint{"tcp://127.0.0.1:*"}
	}
	if c.Radio != nil {
		c.Radio.Bind = []config.Endpoint{"tcp://127.0.0.1:*"}
	}
	if c.Gather != nil {
		c.Gather.Bind = []config.Endpoint{"tcp://127.0.0.1:*"}
	}
}

// The annotated example loads, and runs as written (on other ports).
func TestExampleConfig(t *testing.T) {
	c, err := LoadConfig("../../examples/storage/zmesh.yaml")
	must(t, err)
	if got := []config.Endpoint{c.Server.Bind[0], c.Radio.Bind[0], c.Gather.Bind[0]}; !slices.Equal(got,
		[]config.Endpoint{"tcp://127.0.0.1:7447", "tcp://127.0.0.1:7448", "tcp://127.0.0.1:7449"}) {
		t.Fatalf("endpoints %v", got)
	}
	if c.Server.Socket.Heartbeat.Interval != 5*time.Second || c.Radio.Socket.SendHWM != 10000 || c.Radio.NoDrop {
		t.Fatalf("socket sections %+v %+v", c.Server, c.Radio)
	}
	if c.Requests != (RequestsConfig{Workers: 16, QueryWorkers: 4, QueryQueue: 256, MaxValueSize: 16 << 20,
		MaxDrift: 500 * time.Millisecond, Timeout: 30 * time.Second, StallTimeout: DefaultStallTimeout}) {
		t.Fatalf("requests %+v", c.Requests)
	}
	if c.GarbageCollection != (GCConfig{Period: 30 * time.Second, Lifespan: 24 * time.Hour}) {
		t.Fatalf("garbage_collection %+v", c.GarbageCollection)
	}
	if len(c.Volumes) != 1 || c.Volumes[0].Name != "disk" || c.Volumes[0].Kind != "fs" || c.Volumes[0].Options["root"] != "./zmesh-data" {
		t.Fatalf("volumes %+v", c.Volumes)
	}
	var names []string
	for _, s := range c.Storages {
		names = append(names, s.Name+" "+s.KeyExpr+" "+s.StripPrefix+" "+s.Volume)
	}
	if !slices.Equal(names, []string{"demo demo/** demo disk", "cache cache/**  memory", "logs logs/*/** logs disk"}) {
		t.Fatalf("storages %q", names)
	}
	if c.Storages[1].GC.Lifespan != time.Hour || c.Storages[2].Options["dir"] != "logs-v1" {
		t.Fatalf("storage details %+v", c.Storages)
	}

	t.Chdir(t.TempDir()) // the fs volume's root is relative
	anyPort(c)
	srv, cli := serveConfig(t, c)
	ctx := testCtx(t)
	for _, k := range []string{"demo/a", "cache/b", "logs/web/1"} {
		must(t, cli.Put(ctx, k, []byte(k)))
	}
	if got := kv(mustGet(t, cli, "**")); !slices.Equal(got, []string{"cache/b=cache/b", "demo/a=demo/a", "logs/web/1=logs/web/1"}) {
		t.Fatalf("got %q", got)
	}
	for _, dir := range []string{"zmesh-data/demo", "zmesh-data/logs-v1"} {
		if _, err := os.Stat(dir); err != nil {
			t.Fatalf("the fs storage directory: %v", err)
		}
	}
	if info := srv.Info(); len(info.Feed) != 1 || len(info.Ingest) != 1 || strings.HasSuffix(info.Feed[0], ":*") {
		t.Fatalf("info %+v", info)
	}
}

func mustGet(t *testing.T, c *store.Client, sel string) []store.Sample {
	t.Helper()
	got, err := c.Get(testCtx(t), sel)
	must(t, err)
	return got
}

func TestParseFullConfig(t *testing.T) {
	root := t.TempDir()
	t.Setenv("ZMESH_TEST_ROOT", root)
	c, err := LoadConfig("testdata/full.yaml")
	must(t, err)
	if c.Name != "testdata/full.yaml" || c.Server.Socket.SendHWM != 500 || !c.Radio.NoDrop || c.Gather == nil || c.Auth == nil {
		t.Fatalf("sockets %+v", c)
	}
	if c.Requests != (RequestsConfig{Workers: 3, QueryWorkers: 2, QueryQueue: 10, MaxValueSize: 2048, MaxDrift: -1, Timeout: time.Minute,
		StallTimeout: 2 * time.Second}) {
		t.Fatalf("requests %+v", c.Requests)
	}
	if c.Admin != (AdminConfig{VolumeRoot: root}) {
		t.Fatalf("admin %+v", c.Admin)
	}
	if c.GarbageCollection != (GCConfig{Period: 5 * time.Second, Lifespan: 90 * time.Minute}) {
		t.Fatalf("garbage_collection %+v", c.GarbageCollection)
	}
	if v := c.Volumes; len(v) != 2 || v[0].Kind != "fs" || v[0].Options["root"] != root || v[1].Kind != "memory" {
		t.Fatalf("volumes %+v", v)
	}
	s := c.Storages
	if len(s) != 3 || s[0].StripPrefix != "demo" || !s[1].ReadOnly || s[1].Options["dir"] != "old" ||
		s[2].ReadOnly || s[2].GC != (GCConfig{Period: 10 * time.Second, Lifespan: time.Minute}) {
		t.Fatalf("storages %+v", s)
	}
	if _, ok := s[1].Options["read_only"]; ok {
		t.Fatal("read_only was passed on as a backend option")
	}

	// The read-only fs storage must exist before it can be opened.
	old, err := fs.Open(filepath.Join(root, "old"))
	must(t, err)
	must(t, old.Close(context.Background()))
	anyPort(c)
	srv, cli := serveConfig(t, c)
	ctx := testCtx(t)
	must(t, cli.Put(ctx, "demo/x", []byte("1234")))
	wantStatus(t, cli.Put(ctx, "demo/big", make([]byte, 2049)), proto.StatusTooLarge)
	wantStatus(t, cli.Put(ctx, "archive/x", nil), proto.StatusReadOnly)
	must(t, cli.Put(ctx, "cache/x", nil))
	if info := srv.Info(); len(info.Feed) != 1 || len(info.Ingest) != 1 || !info.Storages[1].ReadOnly {
		t.Fatalf("info %+v", info)
	}
}

func TestConfigErrors(t *testing.T) {
	const ok = "storages: {a: {key_expr: '**', volume: memory}}\n"
	for _, c := range []struct {
		yaml, want string
		kind       error
	}{
		{"storage: {}\n", `t.yaml:1:1: unknown key "storage" in a storage server configuration (want one of server, radio, gather, auth, requests, garbage_collection, admin, volumes, storages)`, config.ErrUnknownKey},
		{"server: {send_hwm: -3}\n" + ok, `t.yaml:1:20: server.send_hwm: want a non-negative integer, got "-3"`, config.ErrValue},
		{"server:\n  send_hwn: 3\n" + ok, `t.yaml:2:3: server: unknown key "send_hwn"; did you mean send_hwm?`, config.ErrUnknownKey},
		{"volumes: {}\n", `t.yaml:1:1: missing key storages in a storage server configuration`, config.ErrMissing},
		{"storages: {}\n", `t.yaml:1:11: storages: no storages: a server needs at least one`, config.ErrMissing},
		{"storages:\n  demo:\n    key_expr: demo/**/**\n    volume: memory\n",
			`t.yaml:3:15: storages.demo.key_expr: invalid key expression "demo/**/**": "**/**" must be written "**" at byte 8; write it "demo/**"`, config.ErrValue},
		{"storages:\n  demo:\n    key_expr: demo/**\n    strip_prefix: dem\n    volume: memory\n",
			`t.yaml:4:19: storages.demo.strip_prefix: strip_prefix "dem" does not prefix every key of key_expr "demo/**" (it must be whole chunks of key_expr's literal start)`, config.ErrValue},
		{"storages:\n  demo:\n    key_expr: demo/**\n    strip_prefix: demo/*\n    volume: memory\n",
			`t.yaml:4:19: storages.demo.strip_prefix: want a plain key: invalid key expression "demo/*": wildcard in a key at byte 5`, config.ErrValue},
		{"storages:\n  demo:\n    key_expr: demo/**\n    volume: dsk\n", `t.yaml:4:13: storages.demo.volume: unknown volume "dsk" (declared: memory)`, config.ErrValue},
		{"volumes:\n  d: {kind: floppy}\n" + ok, `t.yaml:2:13: volumes.d.kind: unknown volume kind "floppy" (known: engine, fs, memory, s3)`, config.ErrValue},
		{"requests: {timeout: 5x}\n" + ok, `t.yaml:1:21: requests.timeout: want a duration such as 300ms or 1s, got "5x"`, config.ErrValue},
		{"requests: {timeout: 0s}\n" + ok, `t.yaml:1:21: requests.timeout: want a positive duration, got "0s" (leave the key out for the default)`, config.ErrValue},
		{"requests: {workers: -1}\n" + ok, `t.yaml:1:21: requests.workers: want a number of goroutines, got "-1"`, config.ErrValue},
		{"requests: {max_value_size: 16XB}\n" + ok, `t.yaml:1:28: requests.max_value_size: want a size in bytes such as 1048576 or 16MiB (at most 2GiB), got "16XB"`, config.ErrValue},
		{"volumes:\n  d: {kind: fs, root: '${NOPE_UNSET}'}\n" + ok, `t.yaml:2:23: volumes.d.root: environment variable NOPE_UNSET is not set`, config.ErrEnv},
		{"storages: {a: {key_expr: '**', volume: memory}\n", `t.yaml:2: invalid YAML: did not find expected ',' or '}'`, config.ErrSyntax},
		{"storages:\n  a: {key_expr: '**', volume: memory}\n  a: {key_expr: 'b', volume: memory}\n", `t.yaml:3:3: storages: key "a" given twice (first at line 2)`, config.ErrConflict},
		{"storages:\n  'bad name': {key_expr: '**', volume: memory}\n", `t.yaml:2:3: storages.bad name: storage name "bad name": only ASCII letters, digits, '.', '_' and '-' are allowed`, config.ErrValue},
		{"server: {}\n" + ok, `t.yaml:1:9: server: the server socket has no bind or connect endpoint`, config.ErrMissing},
		{"storages: {a: {key_expr: 42, volume: memory}}\n", `t.yaml:1:26: storages.a.key_expr: want a key expression such as demo/**, got "42" (quote it to make it text)`, config.ErrType},
		{"storages: {a: {volume: memory}}\n", `t.yaml:1:15: storages.a: missing key key_expr in a storage`, config.ErrMissing},
		{"storages: {a: {key_expr: '**', volume: memory, read_only: yes}}\n", `t.yaml:1:59: storages.a.read_only: want true or false, got "yes"`, config.ErrType},
		{"storages: {a: {key_expr: '**', volume: {dir: x}}}\n", `t.yaml:1:40: storages.a.volume: missing key id in a storage's volume`, config.ErrMissing},
		{"storages: {a: {key_expr: '**', volume: memory, <<: {}}}\n", `t.yaml:1:48: storages.a: merge keys (<<) are not supported in a storage`, config.ErrUnknownKey},
		{"ok: 1\n---\n" + ok, `t.yaml:2:1: a second YAML document (after ---); a configuration file holds one`, config.ErrSyntax},
	} {
		_, err := ParseConfig("t.yaml", []byte(c.yaml))
		if err == nil || err.Error() != c.want || !errors.Is(err, c.kind) {
			t.Errorf("%q:\n got %v\nwant %s", c.yaml, err, c.want)
		}
	}
}

// Errors found when opening (a backend refusing its options, a port in
// use) also point into the file.
func TestOpenErrors(t *testing.T) {
	ctx := testCtx(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	must(t, err)
	defer ln.Close()
	taken := ln.Addr().String()
	zctx := socket.NewCtx(quiet)
	defer zctx.Close()
	for _, c := range []struct{ yaml, want string }{
		{"volumes:\n  d: {kind: fs, rot: /tmp}\nstorages: {a: {key_expr: '**', volume: d}}\n",
			`t.yaml:2:3: volumes.d: volume kind fs: backend: invalid configuration: unknown option rot (known: root)`},
		{"storages:\n  a: {key_expr: '**', volume: {id: memory, bucket: b}}\n",
			`t.yaml:2:3: storages.a: memory: storage "a": backend: invalid configuration: unknown option bucket (known: max_bytes)`},
		{"server: {bind: ['tcp://" + taken + "']}\nstorages: {a: {key_expr: '**', volume: memory}}\n",
			`t.yaml: server: bind tcp://` + taken + `: `},
	} {
		cfg, err := ParseConfig("t.yaml", []byte(c.yaml))
		must(t, err)
		_, err = cfg.Open(ctx, zctx, quiet)
		var ce *config.Error
		if err == nil || !strings.HasPrefix(err.Error(), c.want) || !errors.As(err, &ce) {
			t.Errorf("%q:\n got %v\nwant %s...", c.yaml, err, c.want)
		}
	}
	if !errors.Is(func() error {
		cfg, err := ParseConfig("t.yaml", []byte("volumes:\n  d: {kind: fs, rot: /tmp}\nstorages: {a: {key_expr: '**', volume: d}}\n"))
		must(t, err)
		_, err = cfg.Open(ctx, zctx, quiet)
		return err
	}(), backend.ErrInvalidConfig) {
		t.Error("an Open error does not match the backend's error")
	}
}

// The built-in default: an engine volume under ./zmesh-data, one storage on
// **, requests on 7447, the feed on 7448.
func TestDefaultConfig(t *testing.T) {
	c, err := DefaultConfig()
	must(t, err)
	if c.Server.Bind[0] != store.DefaultEndpoint || c.Radio.Bind[0] != "tcp://127.0.0.1:7448" || c.Gather != nil {
		t.Fatalf("sockets %+v %+v", c.Server, c.Radio)
	}
	if len(c.Volumes) != 1 || c.Volumes[0].Kind != "engine" || c.Volumes[0].Options["root"] != "./zmesh-data" {
		t.Fatalf("volumes %+v", c.Volumes)
	}
	if len(c.Storages) != 1 || c.Storages[0].KeyExpr != "**" || c.Storages[0].Volume != "data" {
		t.Fatalf("storages %+v", c.Storages)
	}
	t.Chdir(t.TempDir())
	anyPort(c)
	_, cli := serveConfig(t, c)
	must(t, cli.Put(testCtx(t), "a/b", []byte("c")))
	if m, _ := filepath.Glob("zmesh-data/marker.manifest.*"); len(m) == 0 {
		t.Fatal("no engine in ./zmesh-data")
	}
}
