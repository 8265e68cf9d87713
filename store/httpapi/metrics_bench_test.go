package httpapi

import (
	"bytes"
	"io"
	"strconv"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/common/expfmt"

	"github.com/zmesh/zmesh/store/internal/prom"
)

// libMetrics are the HTTP face's request metrics as prometheus/client_golang
// would keep them: what BenchmarkRequestMetrics and BenchmarkScrape weigh
// against the hand-written httpMetrics.
type libMetrics struct {
	reg      *prometheus.Registry
	requests *prometheus.CounterVec
	latency  *prometheus.HistogramVec
	in, out  prometheus.Counter
}

func newLibMetrics() *libMetrics {
	m := &libMetrics{reg: prometheus.NewRegistry()}
	m.requests = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "zmesh_http_requests_total", Help: "h"}, []string{"route", "method", "code"})
	m.latency = prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "zmesh_http_request_duration_seconds", Help: "h",
		Buckets: LatencyBucketsForBench()}, []string{"route", "method"})
	m.in = prometheus.NewCounter(prometheus.CounterOpts{Name: "zmesh_http_received_bytes_total", Help: "h"})
	m.out = prometheus.NewCounter(prometheus.CounterOpts{Name: "zmesh_http_sent_bytes_total", Help: "h"})
	m.reg.MustRegister(m.requests, m.latency, m.in, m.out)
	return m
}

func (m *libMetrics) observe(route, method string, code int, d time.Duration, in, out uint64) {
	m.requests.WithLabelValues(route, method, strconv.Itoa(code)).Inc()
	m.latency.WithLabelValues(route, method).Observe(d.Seconds())
	m.in.Add(float64(in))
	m.out.Add(float64(out))
}

func (m *libMetrics) write(w io.Writer) {
	mfs, _ := m.reg.Gather()
	for _, mf := range mfs {
		expfmt.MetricFamilyToText(w, mf)
	}
}

// BenchmarkRequestMetrics is the cost of counting one request, as every
// request pays it, from many goroutines at once.
func BenchmarkRequestMetrics(b *testing.B) {
	run := func(b *testing.B, observe func(route, method string, code int, d time.Duration, in, out uint64)) {
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				observe("key", "PUT", 200, 300*time.Microsecond, 100, 0)
			}
		})
	}
	b.Run("handwritten", func(b *testing.B) { run(b, new(httpMetrics).observe) })
	b.Run("client_golang", func(b *testing.B) { run(b, newLibMetrics().observe) })
}

// BenchmarkScrape is the cost of one exposition of the HTTP face's request
// metrics with 6 routes × 4 methods × 3 codes populated, and of the Go
// runtime and process collectors the handler adds.
func BenchmarkScrape(b *testing.B) {
	fill := func(observe func(route, method string, code int, d time.Duration, in, out uint64)) {
		for _, r := range []string{"key", "events", "status", "health", "metrics", "admin"} {
			for _, m := range []string{"GET", "PUT", "DELETE", "HEAD"} {
				for _, c := range []int{200, 400, 503} {
					observe(r, m, c, time.Millisecond, 1, 1)
				}
			}
		}
	}
	var buf bytes.Buffer
	scrape := func(b *testing.B, observe func(route, method string, code int, d time.Duration, in, out uint64), write func(io.Writer)) {
		fill(observe)
		b.ReportAllocs()
		for b.Loop() {
			buf.Reset()
			write(&buf)
		}
		b.ReportMetric(float64(buf.Len()), "bytes/scrape")
	}
	b.Run("handwritten", func(b *testing.B) {
		m := new(httpMetrics)
		scrape(b, m.observe, m.write)
	})
	b.Run("client_golang", func(b *testing.B) {
		m := newLibMetrics()
		scrape(b, m.observe, m.write)
	})
	b.Run("runtime+process", func(b *testing.B) {
		reg := runtimeRegistry()
		b.ReportAllocs()
		for b.Loop() {
			buf.Reset()
			if err := writeRuntimeMetrics(&buf, reg); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(buf.Len()), "bytes/scrape")
	})
}

// LatencyBucketsForBench are prom.LatencyBuckets as a slice.
func LatencyBucketsForBench() []float64 { return prom.LatencyBuckets[:] }
