package examples

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/zmesh/zmesh/config"
)

// runExample builds and runs examples/<name> with args and returns its
// output; it fails the test unless the program exits 0 within a minute.
func runExample(t *testing.T, name string, args ...string) string {
	t.Helper()
	bin := build(t, name)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, bin, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %v: %v\n%s", name, args, err, out)
	}
	return string(out)
}

// wantLines checks that every line of want appears in out, in order.
func wantLines(t *testing.T, out string, want ...string) {
	t.Helper()
	rest := out
	for _, w := range want {
		i := strings.Index(rest, w)
		if i < 0 {
			t.Fatalf("output lacks %q (in order):\n%s", w, out)
		}
		rest = rest[i+len(w):]
	}
}

// TestOutputs runs the examples whose output alone shows they work: each
// prints exactly want, or else every line of lines in order.
func TestOutputs(t *testing.T) {
	for _, tc := range []struct {
		name  string
		want  string
		lines []string
	}{
		{name: "basic-request-reply", want: "client: ping 1 -> pong 1\nclient: ping 2 -> pong 2\nclient: ping 3 -> pong 3\n"},
		{name: "reliable-request-reply", lines: []string{
			"impatient client: no reply within 100ms; leaving\n",
			"server: the client of \"slow report\" is gone; reply dropped\n",
			"patient client: job 1 -> done: job 1\n",
			"patient client: job 2 -> done: job 2\n",
			"patient client: job 3 -> done: job 3\n",
			"server: shut down; it dropped 1 reply and served every other request\n"}},
		// Round-robin over three ready workers: ten jobs each.
		{name: "scatter-gather", lines: []string{
			"worker-1 did 10 jobs\n", "worker-2 did 10 jobs\n", "worker-3 did 10 jobs\n", "all 30 results gathered\n"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := runExample(t, tc.name)
			if tc.lines == nil && out != tc.want {
				t.Fatalf("output:\n%s", out)
			}
			wantLines(t, out, tc.lines...)
		})
	}
}

func TestSecureRequestReply(t *testing.T) {
	out := runExample(t, "secure-request-reply")
	wantLines(t, out,
		"server: listening on tcp://127.0.0.1:",
		"server: \"hello\" over CURVE from user c[6A7Wt:6rO#(pjdIDx&@Bt^Mlt>mFaDnG9wm*uN\n",
		"client: \"world\"\n",
		"intruder: refused: handshake failed: peer sent ERROR: 400\n")

	// The same program with the same file given by path.
	abs, err := filepath.Abs("secure-request-reply/secure-request-reply.yaml")
	if err != nil {
		t.Fatal(err)
	}
	wantLines(t, runExample(t, "secure-request-reply", "--config", abs), "client: \"world\"\n")

	// A broken file stops it with one line naming the file, line and column.
	data, err := os.ReadFile(abs)
	if err != nil {
		t.Fatal(err)
	}
	bad := filepath.Join(t.TempDir(), "bad.yaml")
	broken := strings.Replace(string(data), "send_high_water_mark: 100\n  recv_high_water_mark: 100", "send_high_water_mark: 100\n  recv_high_water_mark: -3", 1)
	if err := os.WriteFile(bad, []byte(broken), 0o600); err != nil {
		t.Fatal(err)
	}
	out2, err := exec.Command(build(t, "secure-request-reply"), "--config", bad).CombinedOutput()
	want := "secure-request-reply: " + bad + `:21:25: server.recv_high_water_mark: want a non-negative integer, got "-3"` + "\n"
	if err == nil || string(out2) != want {
		t.Fatalf("bad config: %v\n got %q\nwant %q", err, out2, want)
	}
}

func TestRadioDish(t *testing.T) {
	out := runExample(t, "radio-dish")
	wantLines(t, out, "dish (tcp): weather: rain, ", "dish (tcp): weather: rain, ", "dish (tcp): weather: rain, ",
		"dish (udp): weather: rain, ", "dish (udp): weather: rain, ", "dish (udp): weather: rain, ")
	if strings.Contains(out, "sports") || strings.Contains(out, "score") {
		t.Fatalf("the dish received a group it did not join:\n%s", out)
	}
}

func TestGenCurveCert(t *testing.T) {
	out := runExample(t, "gen-curve-cert")
	if !regexp.MustCompile(`^public: "[^"]{40}"\nsecret: "[^"]{40}"\n$`).MatchString(out) {
		t.Fatalf("output:\n%s", out)
	}
	// The output is a key pair as a configuration file writes one: the
	// loader checks that the public key belongs to the secret key.
	indented := "        " + strings.ReplaceAll(strings.TrimSpace(out), "\n", "\n        ")
	src := "client:\n  mechanism:\n    curve_client:\n      server: \"c[6A7Wt:6rO#(pjdIDx&@Bt^Mlt>mFaDnG9wm*uN\"\n      client:\n" + indented + "\n"
	if _, err := config.Parse("cert.yaml", []byte(src)); err != nil {
		t.Fatalf("%v\n%s", err, src)
	}
	if out == runExample(t, "gen-curve-cert") {
		t.Fatal("two runs printed the same key pair")
	}
}
