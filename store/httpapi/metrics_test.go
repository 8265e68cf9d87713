package httpapi_test

import (
	"bufio"
	"fmt"
	"math"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/zmesh/zmesh/store/backend"
	"github.com/zmesh/zmesh/store/httpapi"
	"github.com/zmesh/zmesh/store/server"
)

// exposition is a parsed Prometheus text exposition: each series (name
// with its labels sorted) and its value, and each family's type.
type exposition struct {
	values map[string]float64
	types  map[string]string
	order  []string // series in the order written
}

var (
	sampleLine = regexp.MustCompile(`^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$`)
	labelPair  = regexp.MustCompile(`^([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"(,|$)`)
)

// parseExposition parses text strictly by the 0.0.4 format: HELP and TYPE
// before a family's samples, valid names, quoted and escaped label values,
// numeric values, no series twice.
func parseExposition(t *testing.T, text string) exposition {
	t.Helper()
	ex := exposition{values: map[string]float64{}, types: map[string]string{}}
	helped := map[string]bool{}
	sc := bufio.NewScanner(strings.NewReader(text))
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "# HELP "):
			f := strings.SplitN(line, " ", 4)
			if len(f) < 4 || f[3] == "" {
				t.Fatalf("line %d: HELP without text: %q", n, line)
			}
			helped[f[2]] = true
			continue
		case strings.HasPrefix(line, "# TYPE "):
			f := strings.Fields(line)
			if len(f) != 4 || !slices.Contains([]string{"counter", "gauge", "histogram", "summary", "untyped"}, f[3]) {
				t.Fatalf("line %d: bad TYPE: %q", n, line)
			}
			if _, dup := ex.types[f[2]]; dup {
				t.Fatalf("line %d: TYPE of %s twice", n, f[2])
			}
			ex.types[f[2]] = f[3]
			continue
		case strings.HasPrefix(line, "#"), line == "":
			t.Fatalf("line %d: unexpected %q", n, line)
		}
		m := sampleLine.FindStringSubmatch(line)
		if m == nil {
			t.Fatalf("line %d: not a sample: %q", n, line)
		}
		name, rawLabels, rawValue := m[1], m[2], m[3]
		family := name
		if _, ok := ex.types[family]; !ok {
			for _, suf := range []string{"_bucket", "_sum", "_count"} {
				if base, cut := strings.CutSuffix(name, suf); cut && (ex.types[base] == "histogram" || ex.types[base] == "summary" && suf != "_bucket") {
					family = base
				}
			}
		}
		if _, ok := ex.types[family]; !ok || !helped[family] {
			t.Fatalf("line %d: sample of %s before its HELP and TYPE", n, name)
		}
		var labels []string
		for rest := rawLabels; rest != ""; {
			lm := labelPair.FindStringSubmatch(rest)
			if lm == nil {
				t.Fatalf("line %d: bad labels %q", n, rawLabels)
			}
			labels = append(labels, lm[1]+"="+lm[2])
			rest = rest[len(lm[0]):]
		}
		slices.Sort(labels)
		v, err := strconv.ParseFloat(rawValue, 64)
		if err != nil && rawValue != "+Inf" {
			t.Fatalf("line %d: value %q: %v", n, rawValue, err)
		}
		if math.IsNaN(v) || v < 0 {
			t.Fatalf("line %d: value %v", n, v)
		}
		series := name + "{" + strings.Join(labels, ",") + "}"
		if _, dup := ex.values[series]; dup {
			t.Fatalf("line %d: series %s twice", n, series)
		}
		ex.values[series] = v
		ex.order = append(ex.order, series)
	}
	return ex
}

// get returns a series' value; labels are "name=value" in any order.
func (ex exposition) get(t *testing.T, name string, labels ...string) float64 {
	t.Helper()
	slices.Sort(labels)
	v, ok := ex.values[name+"{"+strings.Join(labels, ",")+"}"]
	if !ok {
		t.Fatalf("no series %s%v", name, labels)
	}
	return v
}

// checkHistogram checks that a histogram's buckets grow, end with +Inf,
// and that +Inf equals _count; it returns _count.
func (ex exposition) checkHistogram(t *testing.T, name string, labels ...string) float64 {
	t.Helper()
	prev := -1.0
	var inf float64
	found := false
	for _, s := range ex.order {
		if !strings.HasPrefix(s, name+"_bucket{") {
			continue
		}
		match := true
		for _, l := range labels {
			match = match && strings.Contains(s, l)
		}
		if !match {
			continue
		}
		v := ex.values[s]
		if v < prev {
			t.Fatalf("%s: bucket %s = %v below the previous %v", name, s, v, prev)
		}
		prev = v
		if strings.Contains(s, `le=+Inf`) {
			inf, found = v, true
		}
	}
	if !found {
		t.Fatalf("%s%v: no +Inf bucket", name, labels)
	}
	if c := ex.get(t, name+"_count", labels...); c != inf {
		t.Fatalf("%s: _count %v != +Inf bucket %v", name, c, inf)
	}
	return inf
}

// /metrics is a valid exposition whose counters match what was done.
func TestMetrics(t *testing.T) {
	e := newEnv(t, server.Options{Storages: []server.Storage{mem("m", "m/**")}}, httpapi.Options{})
	for i := range 3 {
		e.want(http.StatusOK, "PUT", fmt.Sprintf("/m/%d", i), "text/plain", "12345")
	}
	e.want(http.StatusOK, "GET", "/m/**", "", "")
	e.want(http.StatusBadRequest, "PUT", "/m/*", "text/plain", "x")
	must(t, e.cli.Put(testCtx(t), "m/sock", []byte("x")))

	code, body, h := e.do("GET", "/metrics", "", nil)
	if code != http.StatusOK || !strings.HasPrefix(h.Get("Content-Type"), "text/plain; version=0.0.4") {
		t.Fatalf("GET /metrics: %d %s", code, h.Get("Content-Type"))
	}
	ex := parseExposition(t, body)
	checks := []struct {
		name   string
		labels []string
		want   float64
	}{
		{"zmesh_store_requests_total", []string{"kind=put", "status=ok"}, 4}, // 3 HTTP + 1 socket
		{"zmesh_store_requests_total", []string{"kind=put", "status=wildcard_in_a_put_key"}, 1},
		{"zmesh_store_requests_total", []string{"kind=query", "status=ok"}, 1},
		{"zmesh_store_request_errors_total", []string{"kind=put"}, 1},
		{"zmesh_store_request_errors_total", []string{"kind=query"}, 0},
		{"zmesh_store_storages", nil, 1},
		{"zmesh_store_storage_healthy", []string{"storage=m"}, 1},
		{"zmesh_store_applied_total", nil, 4},
		{"zmesh_store_backend_calls_total", []string{"storage=m", "op=apply", "outcome=ok"}, 4},
		// One scan reads the retained wildcard deletes at start, one answers m/**.
		{"zmesh_store_backend_calls_total", []string{"storage=m", "op=scan", "outcome=ok"}, 2},
		{"zmesh_http_requests_total", []string{"route=key", "method=PUT", "code=200"}, 3},
		{"zmesh_http_requests_total", []string{"route=key", "method=PUT", "code=400"}, 1},
		{"zmesh_http_requests_total", []string{"route=key", "method=GET", "code=200"}, 1},
		{"zmesh_http_request_errors_total", []string{"route=key"}, 1},
		{"zmesh_http_received_bytes_total", nil, 3*5 + 1},
	}
	for _, c := range checks {
		if got := ex.get(t, c.name, c.labels...); got != c.want {
			t.Errorf("%s%v = %v, want %v", c.name, c.labels, got, c.want)
		}
	}
	if n := ex.get(t, "zmesh_store_received_bytes_total"); n == 0 {
		t.Error("no socket bytes received counted")
	}
	if n := ex.get(t, "zmesh_http_sent_bytes_total"); n == 0 {
		t.Error("no HTTP bytes sent counted")
	}
	if n := ex.checkHistogram(t, "zmesh_http_request_duration_seconds", "route=key", "method=PUT"); n != 4 {
		t.Errorf("PUT latency count %v, want 4", n)
	}
	if n := ex.checkHistogram(t, "zmesh_store_backend_call_duration_seconds", "storage=m", "op=apply"); n != 4 {
		t.Errorf("apply latency count %v, want 4", n)
	}
	for _, fam := range []string{"zmesh_store_requests_total", "zmesh_http_requests_total", "zmesh_store_backend_calls_total"} {
		if ex.types[fam] != "counter" {
			t.Errorf("%s has type %q", fam, ex.types[fam])
		}
	}
	// The Go runtime's and the process's metrics, beside ours.
	for fam, typ := range map[string]string{"go_goroutines": "gauge", "go_memstats_alloc_bytes": "gauge",
		"go_gc_duration_seconds": "summary", "go_info": "gauge", "process_resident_memory_bytes": "gauge",
		"process_open_fds": "gauge", "process_cpu_seconds_total": "counter"} {
		if ex.types[fam] != typ {
			t.Errorf("%s: type %q, want %s", fam, ex.types[fam], typ)
		}
	}
	if n := ex.get(t, "go_goroutines"); n < 1 {
		t.Errorf("go_goroutines = %v", n)
	}
	if n := ex.get(t, "process_resident_memory_bytes"); n < 1<<20 {
		t.Errorf("process_resident_memory_bytes = %v", n)
	}
}

// An engine volume's figures (WAL syncs and bytes, flushes, compactions,
// disk and free bytes) are on /metrics, one series per engine volume.
func TestMetricsEngineVolume(t *testing.T) {
	root := t.TempDir()
	e := newEnv(t, server.Options{Storages: []server.Storage{mem("m", "m/**")}, VolumeRoot: root}, httpapi.Options{})
	ctx := testCtx(t)
	must(t, e.srv.AddVolume(ctx, server.VolumeConfig{Name: "disk", Kind: "engine", Options: backend.Options{"root": root + "/disk"}}))
	must(t, e.srv.AddStorage(ctx, server.StorageConfig{Name: "d", KeyExpr: "d/**", Volume: "disk"}))
	for i := range 3 {
		e.want(http.StatusOK, "PUT", fmt.Sprintf("/d/%d", i), "text/plain", "12345")
	}
	ex := parseExposition(t, e.want(http.StatusOK, "GET", "/metrics", "", ""))
	if n := ex.get(t, "zmesh_volume_wal_syncs_total", "volume=disk"); n < 1 {
		t.Errorf("WAL syncs %v after 3 durable puts", n)
	}
	if n := ex.get(t, "zmesh_volume_wal_bytes_total", "volume=disk"); n < 3*5 {
		t.Errorf("WAL bytes %v after 3 puts of 5 bytes", n)
	}
	if n := ex.get(t, "zmesh_volume_disk_bytes", "volume=disk"); n == 0 {
		t.Error("disk bytes 0")
	}
	ex.get(t, "zmesh_volume_flushes_total", "volume=disk")
	ex.get(t, "zmesh_volume_compactions_total", "volume=disk")
	ex.get(t, "zmesh_volume_free_bytes", "volume=disk")
	for _, s := range ex.order {
		if strings.HasPrefix(s, "zmesh_volume_") && !strings.Contains(s, "volume=disk") {
			t.Errorf("series %s: only engine volumes have figures", s)
		}
	}
}
