package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"strings"
	"testing"
	"time"
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

func TestBenchTCPBetweenTwoRuns(t *testing.T) {
	// The receiver binds; the sender connects, as local_thr/remote_thr.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ep := "tcp://" + ln.Addr().String()
	ln.Close()
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
