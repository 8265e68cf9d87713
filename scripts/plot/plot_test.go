package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const table = `load before: 11.84 8.82 5.27; 2 CPUs; rounds: 1; pinned: 0
| case                   |        libzmq  |         zmesh  |  ratio |
| ---------------------- | -------------: | -------------: | -----: |
| tcp 16 B thr           |  4958408 msg/s |  4265601 msg/s |   0.86× |
| tcp 1 KiB thr          |   855692 msg/s |   706610 msg/s |   0.83× |
| tcp 16 B lat           |      14.041 us | 13.55643135 us |   0.97× |
| tcp connections/s      |     9000 conn/s |    8000 conn/s |   0.89× |
load after: 11.39 8.92 5.38
`

const lines = `# a comment
{"mode":"lat","role":"connect","type":"client","size":16,"count":100,"seconds":1,"latency_us":{"min":10,"p50":20,"p90":30,"p99":40,"p99.9":50,"max":60},"one_way_us":11,"mechanism":"null"}
{"tool":"redis","label":"PING","mode":"lat","size":16,"latency_us":{"min":5,"p50":7,"p95":15,"p99":23,"max":87}}
{"mode":"thr","size":64,"msg_per_sec":1000000,"mechanism":"curve"}
{"tool":"libzmq","mode":"lat","size":16,"one_way_us":14}
`

func TestParseTable(t *testing.T) {
	r, err := parse("t.txt", []byte(table))
	if err != nil {
		t.Fatal(err)
	}
	if got := r.thr["libzmq tcp"]; len(got) != 2 || got[0] != (point{16, 4958408}) || got[1] != (point{1024, 855692}) {
		t.Errorf("libzmq tcp throughput %v", got)
	}
	if got := r.thr["zmesh tcp"]; len(got) != 2 || got[1] != (point{1024, 706610}) {
		t.Errorf("zmesh tcp throughput %v", got)
	}
	// One-way means become round trips.
	if l := r.lat["libzmq tcp 16 B"]; l == nil || l.mean != 2*14.041 {
		t.Errorf("libzmq latency %+v", l)
	}
	if l := r.lat["zmesh tcp 16 B"]; l == nil || l.mean != 2*13.55643135 {
		t.Errorf("zmesh latency %+v", l)
	}
	if len(r.thr) != 2 || len(r.lat) != 2 {
		t.Errorf("series %v %v: the connections/s row is not drawn", r.thr, r.lat)
	}
}

func TestParseJSONLines(t *testing.T) {
	r, err := parse("t.jsonl", []byte(lines))
	if err != nil {
		t.Fatal(err)
	}
	z := r.lat["zmesh tcp"]
	if z == nil || z.percentiles["p50"] != 20 || z.percentiles["p99.9"] != 50 || z.mean != 0 {
		t.Errorf("zmesh latency %+v", z)
	}
	if rd := r.lat["redis PING"]; rd == nil || rd.percentiles["p95"] != 15 || rd.mean != 0 {
		t.Errorf("redis latency %+v", rd)
	}
	if l := r.lat["libzmq tcp"]; l == nil || l.mean != 28 || len(l.percentiles) != 0 {
		t.Errorf("libzmq latency %+v: a one-way mean is drawn as a round trip", l)
	}
	if got := r.thr["zmesh curve"]; len(got) != 1 || got[0] != (point{64, 1e6}) {
		t.Errorf("curve throughput %v", got)
	}
}

func TestParseErrors(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"{\"mode\":\"thr\"}\n", "neither msg_per_sec"},
		{"{\"msg_per_sec\":5}\n", "needs a size"},
		{"{\"latency_us\":{\"p42\":1}}\n", "unknown percentile"},
		{"{nope\n", "t:1"},
		{"| case | a | b | r |\n| nothing here |\n", "no table row"},
	} {
		if _, err := parse("t", []byte(tt.in)); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("parse(%q) = %v, want an error saying %q", tt.in, err, tt.want)
		}
	}
}

// The command writes one SVG with both panels, the series in the legends.
func TestRunWritesSVG(t *testing.T) {
	dir := t.TempDir()
	tf, jf := filepath.Join(dir, "t.txt"), filepath.Join(dir, "l.jsonl")
	if err := os.WriteFile(tf, []byte(table), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(jf, []byte(lines), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "p.svg")
	var stdout bytes.Buffer
	if err := run([]string{"-o", out, "-title", "test plot", tf, jf}, &stdout); err != nil {
		t.Fatal(err)
	}
	svg, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	s := string(svg)
	for _, want := range []string{"<svg", "</svg>", "Throughput by message size", "Round-trip latency distribution",
		"test plot", "libzmq tcp", "zmesh tcp", "redis PING", "zmesh curve", "1 KiB", "p99.9"} {
		if !strings.Contains(s, want) {
			t.Errorf("the SVG has no %q", want)
		}
	}
	if !strings.Contains(stdout.String(), "3 throughput series, 5 latency series") {
		t.Errorf("stdout %q", stdout.String())
	}
	if err := run([]string{"-o", out}, &stdout); err == nil {
		t.Error("no input file: no error")
	}
}
