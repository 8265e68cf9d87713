// Package prom writes metrics in the Prometheus text exposition format,
// version 0.0.4, and holds the one metric type that needs more than an
// atomic counter: a latency histogram. It is what the storage server and
// its HTTP face share so that neither needs a Prometheus client library.
package prom

import (
	"bufio"
	"io"
	"math"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// ContentType is the Content-Type of the text format.
const ContentType = "text/plain; version=0.0.4; charset=utf-8"

// LatencyBuckets are the upper bounds, in seconds, of every Histogram's
// buckets: 100µs to 10s, for requests that range from an in-memory put to
// a slow S3 listing.
var LatencyBuckets = [...]float64{0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10}

// Histogram counts durations in LatencyBuckets. The zero value is ready;
// it is safe for concurrent use and costs two atomic adds per Observe.
type Histogram struct {
	counts [len(LatencyBuckets) + 1]atomic.Uint64 // the last one is beyond every bound
	sum    atomic.Uint64                          // nanoseconds
}

// Observe counts one duration.
func (h *Histogram) Observe(d time.Duration) {
	if d < 0 {
		d = 0
	}
	i := sort.SearchFloat64s(LatencyBuckets[:], d.Seconds())
	h.counts[i].Add(1)
	h.sum.Add(uint64(d))
}

// Writer writes one exposition. Errors are kept and returned by Flush, so
// callers write without checking each line.
type Writer struct {
	b   *bufio.Writer
	err error
}

// NewWriter returns a Writer on w.
func NewWriter(w io.Writer) *Writer { return &Writer{b: bufio.NewWriter(w)} }

// Family writes the HELP and TYPE lines of a metric family; typ is
// "counter", "gauge" or "histogram".
func (w *Writer) Family(name, typ, help string) {
	w.str("# HELP " + name + " " + escapeHelp(help) + "\n# TYPE " + name + " " + typ + "\n")
}

// Uint writes one sample with an integer value; labels are name, value
// pairs.
func (w *Writer) Uint(name string, v uint64, labels ...string) {
	w.sample(name, labels, "", strconv.FormatUint(v, 10))
}

// Float writes one sample with a floating-point value.
func (w *Writer) Float(name string, v float64, labels ...string) {
	w.sample(name, labels, "", formatFloat(v))
}

// Histogram writes the _bucket, _sum and _count samples of h.
func (w *Writer) Histogram(name string, h *Histogram, labels ...string) {
	var cum uint64
	for i := range h.counts {
		cum += h.counts[i].Load()
		le := "+Inf"
		if i < len(LatencyBuckets) {
			le = formatFloat(LatencyBuckets[i])
		}
		w.sample(name+"_bucket", labels, le, strconv.FormatUint(cum, 10))
	}
	w.sample(name+"_sum", labels, "", formatFloat(float64(h.sum.Load())/1e9))
	w.sample(name+"_count", labels, "", strconv.FormatUint(cum, 10))
}

// Flush writes what is buffered and returns the first error met.
func (w *Writer) Flush() error {
	if w.err == nil {
		w.err = w.b.Flush()
	}
	return w.err
}

func (w *Writer) sample(name string, labels []string, le, value string) {
	var sb strings.Builder
	sb.WriteString(name)
	if len(labels) > 0 || le != "" {
		sb.WriteByte('{')
		sep := ""
		for i := 0; i+1 < len(labels); i += 2 {
			sb.WriteString(sep + labels[i] + `="` + escapeLabel(labels[i+1]) + `"`)
			sep = ","
		}
		if le != "" {
			sb.WriteString(sep + `le="` + le + `"`)
		}
		sb.WriteByte('}')
	}
	sb.WriteByte(' ')
	sb.WriteString(value)
	sb.WriteByte('\n')
	w.str(sb.String())
}

func (w *Writer) str(s string) {
	if w.err == nil {
		_, w.err = w.b.WriteString(s)
	}
}

func formatFloat(v float64) string {
	switch {
	case math.IsInf(v, 1):
		return "+Inf"
	case math.IsInf(v, -1):
		return "-Inf"
	case math.IsNaN(v):
		return "NaN"
	}
	return strconv.FormatFloat(v, 'g', -1, 64)
}

var (
	helpEscaper  = strings.NewReplacer(`\`, `\\`, "\n", `\n`)
	labelEscaper = strings.NewReplacer(`\`, `\\`, "\n", `\n`, `"`, `\"`)
)

func escapeHelp(s string) string  { return helpEscaper.Replace(s) }
func escapeLabel(s string) string { return labelEscaper.Replace(s) }

// Count returns how many durations h counted.
func (h *Histogram) Count() uint64 {
	var n uint64
	for i := range h.counts {
		n += h.counts[i].Load()
	}
	return n
}

// Sum returns the total of the durations h counted.
func (h *Histogram) Sum() time.Duration { return time.Duration(h.sum.Load()) }
