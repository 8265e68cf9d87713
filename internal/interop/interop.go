// Package interop runs zmesh's tests against a real libzmq: libzmq 4.3 built
// with the draft API (CLIENT/SERVER, RADIO/DISH, SCATTER/GATHER) by
// scripts/install-libzmq.sh, and zpeer, a small C program on that libzmq
// (zpeer/zpeer.c) that tests start as a subprocess.
//
//	env := interop.Require(t)              // skip (or, with CI=true, fail) without libzmq
//	srv := env.Start(t, "--type", "server", "--bind", "tcp://127.0.0.1:*", "--mode", "echo")
//	ep, err := srv.Bound(5 * time.Second)  // "tcp://127.0.0.1:40123"
//
// zpeer's command line and output lines are documented at the top of
// zpeer/zpeer.c and in README.md beside this file.
package interop

import (
	"bytes"
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

//go:embed zpeer/zpeer.c
var zpeerSource []byte

// Marker is the file install-libzmq.sh writes last in the prefix: its
// presence means the install finished.
const Marker = ".zmesh-libzmq-ok"

// Env is a usable libzmq drafts install and a zpeer built against it.
type Env struct {
	Prefix  string // install prefix: include/zmq.h, lib/libzmq.so, bin/local_thr, ...
	Zpeer   string // path of the zpeer binary
	Version string // libzmq version from the marker, e.g. "4.3.4" ("" when unknown)
}

// Bin returns the path of a program in the install's bin directory, such as
// one of libzmq's perf tools ("local_thr", "remote_lat", ...).
func (e *Env) Bin(name string) string { return filepath.Join(e.Prefix, "bin", name) }

// CacheDir is ${ZMESH_CACHE:-$HOME/.cache/zmesh}, the same root the install
// script uses.
func CacheDir() string {
	if d := os.Getenv("ZMESH_CACHE"); d != "" {
		return d
	}
	if home, err := os.UserHomeDir(); err == nil && home != "" {
		return filepath.Join(home, ".cache", "zmesh")
	}
	if d, err := os.UserCacheDir(); err == nil {
		return filepath.Join(d, "zmesh")
	}
	return filepath.Join(os.TempDir(), "zmesh-cache")
}

// Locate finds the libzmq drafts install: $ZMESH_LIBZMQ_PREFIX when set,
// else $(CacheDir)/libzmq-drafts. The default prefix counts only with the
// install script's marker (an interrupted build has none); a prefix given
// explicitly counts when it has the marker, or include/zmq.h and
// lib/libzmq.so (an install made by other means). The error says why the
// install is not usable.
func Locate() (prefix, version string, err error) {
	def := filepath.Join(CacheDir(), "libzmq-drafts")
	prefix = os.Getenv("ZMESH_LIBZMQ_PREFIX")
	explicit := prefix != "" && filepath.Clean(prefix) != filepath.Clean(def)
	if prefix == "" {
		prefix = def
	}
	if m, err := os.ReadFile(filepath.Join(prefix, Marker)); err == nil {
		for _, line := range strings.Split(string(m), "\n") {
			if v, ok := strings.CutPrefix(line, "version="); ok {
				version = strings.TrimSpace(v)
			}
		}
		return prefix, version, nil
	}
	if explicit {
		_, e1 := os.Stat(filepath.Join(prefix, "include", "zmq.h"))
		_, e2 := os.Stat(filepath.Join(prefix, "lib", "libzmq.so"))
		if e1 == nil && e2 == nil {
			return prefix, "", nil
		}
		return prefix, "", fmt.Errorf("ZMESH_LIBZMQ_PREFIX=%s has no include/zmq.h and lib/libzmq.so", prefix)
	}
	return prefix, "", fmt.Errorf("no finished install at %s (marker %s missing)", prefix, Marker)
}

// missingHelp is what a test says when libzmq is not there.
const missingHelp = "libzmq 4.3 with draft sockets is not installed for interop tests: " +
	"run `make test`, or `bash scripts/install-libzmq.sh` (set ZMESH_CACHE or " +
	"ZMESH_LIBZMQ_PREFIX to use another place)"

var (
	envMu    sync.Mutex
	envCache = map[string]*Env{} // by prefix
)

// Require returns the libzmq drafts environment, building zpeer on first use
// (into the cache; rebuilt whenever zpeer.c or the install changes). When
// libzmq is missing the test is skipped, or fails when CI=true, with a
// message saying how to install it. A zpeer that does not build always
// fails the test.
func Require(t testing.TB) *Env {
	t.Helper()
	prefix, version, err := Locate()
	if err != nil {
		msg := missingHelp + ": " + err.Error()
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		} else {
			t.Skip(msg)
		}
		return nil
	}
	envMu.Lock()
	defer envMu.Unlock()
	if e := envCache[prefix]; e != nil {
		return e
	}
	bin, err := buildZpeer(prefix)
	if err != nil {
		t.Fatalf("interop: building zpeer against %s: %v", prefix, err)
		return nil
	}
	e := &Env{Prefix: prefix, Zpeer: bin, Version: version}
	envCache[prefix] = e
	return e
}

// buildZpeer compiles the embedded zpeer.c against prefix unless a binary
// built from the same source, install and compiler is already in the
// cache (see CachedBuild).
func buildZpeer(prefix string) (string, error) {
	cc := os.Getenv("CC")
	if cc == "" {
		cc = "cc"
	}
	marker, _ := os.ReadFile(filepath.Join(prefix, Marker))
	lib, _ := os.Stat(filepath.Join(prefix, "lib", "libzmq.so"))
	h := sha256.New()
	h.Write(zpeerSource)
	fmt.Fprintf(h, "\x00%s\x00%s\x00%s\x00", prefix, cc, marker)
	if lib != nil {
		fmt.Fprintf(h, "%d\x00%d", lib.Size(), lib.ModTime().UnixNano())
	}
	sum := hex.EncodeToString(h.Sum(nil))[:16]

	return CachedBuild("zpeer", sum, func(tmp, out string) error {
		src := filepath.Join(tmp, "zpeer.c")
		if err := os.WriteFile(src, zpeerSource, 0o644); err != nil {
			return err
		}
		cmd := exec.Command(cc, "-O2", "-Wall", "-o", out, src,
			"-I"+filepath.Join(prefix, "include"),
			"-L"+filepath.Join(prefix, "lib"),
			"-Wl,-rpath,"+filepath.Join(prefix, "lib"),
			"-lzmq", "-lpthread")
		var msg bytes.Buffer
		cmd.Stdout, cmd.Stderr = &msg, &msg
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("%s: %v\n%s", strings.Join(cmd.Args, " "), err, msg.String())
		}
		// The binary must really run against this libzmq (drafts in the
		// library, not only in the header).
		check := exec.Command(out, "--mode", "pattern", "--size", "4")
		if b, err := check.CombinedOutput(); err != nil {
			return fmt.Errorf("built zpeer does not run: %v\n%s", err, b)
		}
		return nil
	})
}
