package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/zmesh/zmesh/mechanism"
)

func runCmd(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var out, errOut bytes.Buffer
	code := run(ctx, args, &out, &errOut)
	return code, out.String(), errOut.String()
}

func TestBenchInproc(t *testing.T) {
	for _, typ := range []string{"scatter", "client", "radio"} {
		code, out, errOut := runCmd(t, "bench", "thr", "--bind", "inproc://b-"+typ, "--type", typ, "--count", "20000", "--size", "100", "--json")
		if code != 0 {
			t.Fatalf("%s: exit %d: %s", typ, code, errOut)
		}
		var res benchResult
		if err := json.Unmarshal([]byte(out), &res); err != nil {
			t.Fatalf("%s: %v in %q", typ, err, out)
		}
		if res.Count != 20000 || res.Size != 100 || res.MsgPerSec <= 0 {
			t.Fatalf("%s: %+v", typ, res)
		}
	}
	code, out, errOut := runCmd(t, "bench", "lat", "--bind", "inproc://lat", "--count", "2000")
	if code != 0 || !strings.Contains(out, "p99") {
		t.Fatalf("lat: exit %d: %s %s", code, out, errOut)
	}
}

// freeEndpoint returns a tcp endpoint on a port that was free a moment
// ago, for a bench run that binds it in another goroutine.
func freeEndpoint(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return "tcp://" + ln.Addr().String()
}

func TestBenchTCPBetweenTwoRuns(t *testing.T) {
	// The receiver binds; the sender connects, as local_thr/remote_thr.
	ep := freeEndpoint(t)
	done := make(chan string, 1)
	go func() {
		_, out, errOut := runCmd(t, "bench", "thr", "--bind", ep, "--count", "100000")
		done <- out + errOut
	}()
	time.Sleep(200 * time.Millisecond)
	if code, _, errOut := runCmd(t, "bench", "thr", "--connect", ep, "--count", "100000"); code != 0 {
		t.Fatalf("sender: %s", errOut)
	}
	if got := <-done; !strings.Contains(got, "100000 messages of 16 B") {
		t.Fatalf("receiver: %s", got)
	}
}

func TestUsageErrors(t *testing.T) {
	for _, args := range [][]string{
		{}, {"nope"}, {"bench"}, {"bench", "thr"}, {"bench", "thr", "--bind", "x", "--connect", "y"},
		{"bench", "lat", "--type", "radio", "--bind", "inproc://x"}, {"bench", "thr", "--count", "0", "--bind", "inproc://x"},
	} {
		if code, _, _ := runCmd(t, args...); code == 0 {
			t.Errorf("%v: exit 0", args)
		}
	}
	if code, out, _ := runCmd(t, "version"); code != 0 || !strings.HasPrefix(out, "zmesh ") {
		t.Errorf("version: %d %q", code, out)
	}
}

func TestKeygen(t *testing.T) {
	for _, args := range [][]string{{"keygen", "--json"}, {"keygen", "--noise", "--json"}} {
		code, out, errOut := runCmd(t, args...)
		if code != 0 {
			t.Fatalf("%v: %s", args, errOut)
		}
		var kp struct{ Mechanism, Public, Secret string }
		if err := json.Unmarshal([]byte(out), &kp); err != nil {
			t.Fatal(err)
		}
		sec, err := mechanism.ParseSecretKey(kp.Secret)
		if err != nil {
			t.Fatalf("secret %q: %v", kp.Secret, err)
		}
		if sec.Public().String() != kp.Public {
			t.Fatalf("public key %q does not belong to the secret", kp.Public)
		}
		if strings.Contains(out, `\u00`) {
			t.Fatalf("keys printed with escapes, not as they are: %s", out)
		}
	}
	codeA, a, _ := runCmd(t, "keygen")
	codeB, b, _ := runCmd(t, "keygen")
	if codeA != 0 || codeB != 0 || a == b || !strings.Contains(a, "public: ") || !strings.Contains(a, "secret: ") {
		t.Fatalf("keygen output %q / %q", a, b)
	}
}

func TestBenchWithMechanisms(t *testing.T) {
	for _, mech := range []string{"curve", "noise"} {
		ep := freeEndpoint(t)
		done := make(chan string, 1)
		go func() {
			_, out, errOut := runCmd(t, "bench", "thr", "--bind", ep, "--count", "5000", "--mechanism", mech, "--type", "client")
			done <- out + errOut
		}()
		time.Sleep(200 * time.Millisecond)
		if code, _, errOut := runCmd(t, "bench", "thr", "--connect", ep, "--count", "5000", "--mechanism", mech, "--type", "client"); code != 0 {
			t.Fatalf("%s sender: %s", mech, errOut)
		}
		if got := <-done; !strings.Contains(got, "5000 messages") {
			t.Fatalf("%s receiver: %s", mech, got)
		}
	}
	if code, _, _ := runCmd(t, "bench", "thr", "--bind", "inproc://m", "--mechanism", "curve"); code == 0 {
		t.Fatal("curve over inproc accepted")
	}
}

func TestBenchHandshakes(t *testing.T) {
	for _, mech := range []string{"null", "curve", "noise"} {
		ep := freeEndpoint(t)
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan int, 1)
		go func() {
			var out, errOut bytes.Buffer
			done <- run(ctx, []string{"bench", "lat", "--bind", ep, "--mechanism", mech}, &out, &errOut)
		}()
		time.Sleep(200 * time.Millisecond)
		code, out, errOut := runCmd(t, "bench", "hs", "--connect", ep, "--count", "20", "--size", "100", "--mechanism", mech, "--json")
		cancel()
		<-done
		if code != 0 {
			t.Fatalf("%s: exit %d: %s", mech, code, errOut)
		}
		var res benchResult
		if err := json.Unmarshal([]byte(out), &res); err != nil {
			t.Fatalf("%s: %v in %q", mech, err, out)
		}
		if res.Mode != "hs" || res.Count != 20 || res.Size != 100 || res.Mechanism != mech || res.PerSec <= 0 {
			t.Fatalf("%s: %+v", mech, res)
		}
	}
	// hs needs a transport between processes: inproc is refused.
	if code, _, _ := runCmd(t, "bench", "hs", "--connect", "inproc://x", "--count", "1"); code == 0 {
		t.Error("hs over inproc: exit 0")
	}
}
