// Package zmq4bridge holds go-zeromq/zmq4 programs that run on zmesh
// through compat/zmq4 after changing their import path; this file's test
// builds each program as it is and with the real zmq4's import path, runs
// both, and compares what they print.
package zmq4bridge

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

const (
	bridgeImport = `"github.com/zmesh/zmesh/compat/zmq4"`
	zmq4Import   = `"github.com/go-zeromq/zmq4"`
)

// build compiles ./name, with main.go's import path replaced by the real
// zmq4's if real is set (through go build -overlay, so the package keeps
// its place in the module).
func build(t *testing.T, name string, real bool) string {
	t.Helper()
	dir := t.TempDir()
	bin := filepath.Join(dir, name)
	args := []string{"build", "-o", bin}
	if real {
		src, err := filepath.Abs(filepath.Join(name, "main.go"))
		if err != nil {
			t.Fatal(err)
		}
		code, err := os.ReadFile(src)
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Count(code, []byte(bridgeImport)) != 1 {
			t.Fatalf("%s does not import %s once", src, bridgeImport)
		}
		swapped := filepath.Join(dir, "main.go")
		if err := os.WriteFile(swapped, bytes.Replace(code, []byte(bridgeImport), []byte(zmq4Import), 1), 0o644); err != nil {
			t.Fatal(err)
		}
		overlay, _ := json.Marshal(map[string]map[string]string{"Replace": {src: swapped}})
		ov := filepath.Join(dir, "overlay.json")
		if err := os.WriteFile(ov, overlay, 0o644); err != nil {
			t.Fatal(err)
		}
		args = append(args, "-overlay", ov)
	}
	out, err := exec.Command("go", append(args, "./"+name)...).CombinedOutput()
	if err != nil {
		t.Fatalf("build %s (real zmq4: %v): %v\n%s", name, real, err, out)
	}
	return bin
}

// run runs bin with a bound and returns what it printed on stdout.
func run(t *testing.T, bin string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s: %v\n%s", bin, err, stderr.String())
	}
	return string(out)
}

func TestBridgeZMQ4Programs(t *testing.T) {
	for _, tc := range []struct{ name, want string }{
		{"reqrep", "received World 0\nreceived World 1\nreceived World 2\n"},
		{"pubsub", strings.Repeat("received a weather update\n", 3)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := run(t, build(t, tc.name, false)); got != tc.want {
				t.Errorf("through the bridge, %s printed %q, want %q", tc.name, got, tc.want)
			}
			if got := run(t, build(t, tc.name, true)); got != tc.want {
				t.Errorf("with the real zmq4, %s printed %q, want %q", tc.name, got, tc.want)
			}
		})
	}
}
