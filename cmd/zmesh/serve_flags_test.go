package main

import (
	"strings"
	"testing"
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
