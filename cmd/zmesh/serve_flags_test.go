package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/zmesh/zmesh/store/backend"
	"github.com/zmesh/zmesh/store/backend/engine"
	"github.com/zmesh/zmesh/store/hlc"
)

// serve -h and --help print the usage on stdout and exit 0.
func TestServeHelp(t *testing.T) {
	for _, arg := range []string{"-h", "--help"} {
		code, out, errOut := runCmd(t, "serve", arg)
		if code != 0 || !strings.HasPrefix(out, "usage: zmesh serve") || !strings.Contains(out, "-bind") ||
			!strings.Contains(out, "-data") || errOut != "" {
			t.Errorf("serve %s: exit %d, stdout %q, stderr %q", arg, code, out, errOut)
		}
	}
}

// With -c, --bind and --feed replace the file's endpoints (and say so);
// --data is refused, since a file may have any number of volumes.
func TestServeFlagsWithConfigFile(t *testing.T) {
	cfg := writeConfig(t, strings.ReplaceAll(testConfig, "%ROOT%", t.TempDir()))
	ep := freeEndpoint(t)
	s := startServe(t, "-c", cfg, "--bind", ep, "--feed", "none")
	s.wantStderr(t, "zmesh serve: --bind replaces the file's server.bind\n", "zmesh serve: requests on "+ep+"\n",
		"zmesh serve: no change feed")
	if code, _, errOut := runCmd(t, "put", "--connect", ep, "demo/a", "1"); code != 0 {
		t.Fatalf("put on --bind's endpoint: %s", errOut)
	}
	s.shutdown(t)

	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"-c", cfg, "--data", t.TempDir()}, "--data moves the built-in configuration's volume; with -c, set the volume's root in the file"},
		{[]string{"--bind", "tcp://127.0.0.1:1,"}, "--bind \"tcp://127.0.0.1:1,\": an empty endpoint"},
	} {
		code, _, errOut := runCmd(t, append([]string{"serve"}, tt.args...)...)
		if code != 2 || !strings.Contains(errOut, tt.want) {
			t.Errorf("serve %q: exit %d, %s; want 2 saying %q", tt.args, code, errOut, tt.want)
		}
	}
}

// A damaged engine directory stops serve at start with an error naming
// what is wrong and what to do; the directory is left as it was.
func TestServeDamagedEngine(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	s, err := engine.Open(engine.Config{Root: dir})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Apply(context.Background(), backend.Entry{Key: "k", Value: []byte("v"), Timestamp: hlc.Timestamp{Time: 1}}); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	manifests, _ := filepath.Glob(filepath.Join(dir, "MANIFEST-*"))
	if len(manifests) == 0 {
		t.Fatal("no MANIFEST")
	}
	for _, m := range manifests {
		os.Remove(m)
	}
	before := tree(t, dir)
	code, _, errOut := runCmd(t, "serve", "--data", dir, "--bind", "tcp://127.0.0.1:*", "--feed", "none")
	if code != 1 || !strings.Contains(errOut, dir+" is damaged") || !strings.Contains(errOut, "restore the directory from a backup") {
		t.Fatalf("serve on a damaged engine: exit %d:\n%s", code, errOut)
	}
	if after := tree(t, dir); !equalTrees(before, after) {
		t.Fatal("serve changed the damaged directory")
	}
}
