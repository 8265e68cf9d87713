package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// point is one throughput figure.
type point struct {
	size      float64 // bytes
	msgPerSec float64
}

// latency is one series' latency figures, round trips in µs.
type latency struct {
	percentiles map[string]float64 // by name: min, p50, ...
	mean        float64            // 0: none
}

// results are the series read from the files: throughput points and
// latency figures, by series name ("zmesh tcp", "libzmq tcp").
type results struct {
	thr map[string][]point
	lat map[string]*latency
}

func (r *results) add(o results) {
	if r.thr == nil {
		r.thr, r.lat = map[string][]point{}, map[string]*latency{}
	}
	for k, v := range o.thr {
		r.thr[k] = append(r.thr[k], v...)
	}
	for k, v := range o.lat {
		l := r.lat[k]
		if l == nil {
			l = &latency{percentiles: map[string]float64{}}
			r.lat[k] = l
		}
		for p, us := range v.percentiles {
			l.percentiles[p] = us
		}
		if v.mean != 0 {
			l.mean = v.mean
		}
	}
}

// percentileOrder is how the latency panel's x axis runs.
var percentileOrder = []string{"min", "p50", "p90", "p95", "p99", "p99.9", "max"}

// parse reads one file (see the command's documentation).
func parse(name string, b []byte) (results, error) {
	for line := range bytes.Lines(b) {
		line = bytes.TrimSpace(line)
		if len(line) == 0 || line[0] == '#' {
			continue
		}
		if line[0] == '{' {
			return parseJSONLines(name, b)
		}
		break
	}
	return parseTable(name, b)
}

// jsonResult is the part of a result line the plot reads.
type jsonResult struct {
	Tool      string             `json:"tool"`
	Label     string             `json:"label"`
	Mechanism string             `json:"mechanism"`
	Mode      string             `json:"mode"`
	Size      float64            `json:"size"`
	MsgPerSec float64            `json:"msg_per_sec"`
	LatencyUs map[string]float64 `json:"latency_us"`
	OneWayUs  float64            `json:"one_way_us"`
}

func parseJSONLines(name string, b []byte) (results, error) {
	var r results
	r.add(results{})
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(nil, 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		var j jsonResult
		if err := json.Unmarshal([]byte(line), &j); err != nil {
			return r, fmt.Errorf("%s:%d: %w", name, n, err)
		}
		series := seriesName(j)
		used := false
		if j.MsgPerSec > 0 {
			if j.Size <= 0 {
				return r, fmt.Errorf("%s:%d: a throughput result needs a size", name, n)
			}
			r.thr[series] = append(r.thr[series], point{size: j.Size, msgPerSec: j.MsgPerSec})
			used = true
		}
		if len(j.LatencyUs) > 0 || j.OneWayUs > 0 {
			// A mean is drawn only for a result without percentiles.
			l := &latency{percentiles: map[string]float64{}}
			if len(j.LatencyUs) == 0 {
				l.mean = 2 * j.OneWayUs
			}
			for p, us := range j.LatencyUs {
				if !slices.Contains(percentileOrder, p) {
					return r, fmt.Errorf("%s:%d: unknown percentile %q (known: %s)", name, n, p, strings.Join(percentileOrder, ", "))
				}
				l.percentiles[p] = us
			}
			r.add(results{lat: map[string]*latency{series: l}})
			used = true
		}
		if !used {
			return r, fmt.Errorf("%s:%d: neither msg_per_sec nor latency_us nor one_way_us", name, n)
		}
	}
	return r, sc.Err()
}

func seriesName(j jsonResult) string {
	tool := j.Tool
	if tool == "" {
		tool = "zmesh"
	}
	label := j.Label
	if label == "" {
		label = j.Mechanism
	}
	switch label {
	case "", "null", "NULL":
		label = "tcp"
	}
	return tool + " " + label
}

var (
	tableRow = regexp.MustCompile(`^\|\s*([^|]+?)\s*\|\s*([0-9.eE+]+)\s*(\S+)\s*\|\s*([0-9.eE+]+)\s*(\S+)\s*\|`)
	caseName = regexp.MustCompile(`^(\S+)\s+([0-9.]+)\s*(B|KiB|MiB)\s+(thr|lat)$`)
	header   = regexp.MustCompile(`^\|\s*case\s*\|\s*(\S+)\s*\|\s*(\S+)\s*\|`)
)

func parseTable(name string, b []byte) (results, error) {
	var r results
	r.add(results{})
	anchor, ours := "anchor", "zmesh"
	rows := 0
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if m := header.FindStringSubmatch(line); m != nil {
			anchor, ours = m[1], m[2]
			continue
		}
		m := tableRow.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		c := caseName.FindStringSubmatch(m[1])
		if c == nil {
			continue // a case the plot does not draw (connections/s...)
		}
		a, err1 := strconv.ParseFloat(m[2], 64)
		z, err2 := strconv.ParseFloat(m[4], 64)
		size, err3 := strconv.ParseFloat(c[2], 64)
		if err1 != nil || err2 != nil || err3 != nil {
			return r, fmt.Errorf("%s: bad figures in %q", name, line)
		}
		switch c[3] {
		case "KiB":
			size *= 1 << 10
		case "MiB":
			size *= 1 << 20
		}
		rows++
		label := c[1]
		if c[4] == "thr" {
			r.thr[anchor+" "+label] = append(r.thr[anchor+" "+label], point{size, a})
			r.thr[ours+" "+label] = append(r.thr[ours+" "+label], point{size, z})
			continue
		}
		// Mean one-way latencies: drawn as round trips.
		r.add(results{lat: map[string]*latency{
			fmt.Sprintf("%s %s %s", anchor, label, sizeText(size)): {percentiles: map[string]float64{}, mean: 2 * a},
			fmt.Sprintf("%s %s %s", ours, label, sizeText(size)):   {percentiles: map[string]float64{}, mean: 2 * z},
		}})
	}
	if err := sc.Err(); err != nil {
		return r, err
	}
	if rows == 0 {
		return r, fmt.Errorf("%s: no table row of a throughput or latency case", name)
	}
	return r, nil
}

// sizeText writes a size as the tables do.
func sizeText(b float64) string {
	switch {
	case b >= 1<<20 && int(b)%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", int(b)>>20)
	case b >= 1<<10 && int(b)%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", int(b)>>10)
	}
	return fmt.Sprintf("%g B", b)
}
