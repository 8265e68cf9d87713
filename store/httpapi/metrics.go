package httpapi

import (
	"io"
	"net/http"
	"runtime"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/zmesh/zmesh/store/internal/prom"
)

// httpMetrics counts the handler's requests. The label sets are bounded:
// four routes, the methods below (others are "other"), and the status
// codes the handler writes.
type httpMetrics struct {
	mu      sync.Mutex
	counts  map[reqLabels]uint64
	latency map[routeMethod]*prom.Histogram

	in, out atomic.Uint64
}

type routeMethod struct{ route, method string }

type reqLabels struct {
	routeMethod
	code int
}

var knownMethods = []string{"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}

func (m *httpMetrics) observe(route, method string, code int, d time.Duration, in, out uint64) {
	if !slices.Contains(knownMethods, method) {
		method = "other"
	}
	rm := routeMethod{route, method}
	m.mu.Lock()
	if m.counts == nil {
		m.counts = map[reqLabels]uint64{}
		m.latency = map[routeMethod]*prom.Histogram{}
	}
	m.counts[reqLabels{rm, code}]++
	h := m.latency[rm]
	if h == nil {
		h = new(prom.Histogram)
		m.latency[rm] = h
	}
	m.mu.Unlock()
	h.Observe(d)
	m.in.Add(in)
	m.out.Add(out)
}

// write appends the HTTP metrics to an exposition.
func (m *httpMetrics) write(w io.Writer) {
	p := prom.NewWriter(w)
	m.mu.Lock()
	counts := make([]reqLabels, 0, len(m.counts))
	for k := range m.counts {
		counts = append(counts, k)
	}
	vals := make(map[reqLabels]uint64, len(m.counts))
	for k, v := range m.counts {
		vals[k] = v
	}
	routes := make([]routeMethod, 0, len(m.latency))
	hists := make(map[routeMethod]*prom.Histogram, len(m.latency))
	for k, h := range m.latency {
		routes = append(routes, k)
		hists[k] = h
	}
	m.mu.Unlock()
	slices.SortFunc(counts, func(a, b reqLabels) int {
		if c := cmpRM(a.routeMethod, b.routeMethod); c != 0 {
			return c
		}
		return a.code - b.code
	})
	slices.SortFunc(routes, cmpRM)

	p.Family("zmesh_http_requests_total", "counter", "HTTP requests answered, by route (key, events, status, health, metrics, admin), method and status code.")
	for _, k := range counts {
		p.Uint("zmesh_http_requests_total", vals[k], "route", k.route, "method", k.method, "code", strconv.Itoa(k.code))
	}
	p.Family("zmesh_http_request_errors_total", "counter", "HTTP requests answered with a status code of 400 or more, by route.")
	errs := map[string]uint64{"key": 0, "health": 0, "metrics": 0, "admin": 0, "events": 0, "status": 0}
	for _, k := range counts {
		if k.code >= 400 {
			errs[k.route] += vals[k]
		}
	}
	for _, r := range []string{"admin", "events", "health", "key", "metrics", "status"} {
		p.Uint("zmesh_http_request_errors_total", errs[r], "route", r)
	}
	p.Family("zmesh_http_request_duration_seconds", "histogram", "Time to answer HTTP requests, by route and method.")
	for _, k := range routes {
		p.Histogram("zmesh_http_request_duration_seconds", hists[k], "route", k.route, "method", k.method)
	}
	p.Family("zmesh_http_received_bytes_total", "counter", "Bytes of HTTP request bodies read.")
	p.Uint("zmesh_http_received_bytes_total", m.in.Load())
	p.Family("zmesh_http_sent_bytes_total", "counter", "Bytes of HTTP response bodies written.")
	p.Uint("zmesh_http_sent_bytes_total", m.out.Load())
	p.Family("zmesh_process_goroutines", "gauge", "Goroutines of the server process (a leak shows as steady growth).")
	p.Uint("zmesh_process_goroutines", uint64(runtime.NumGoroutine()))
	p.Flush()
}

func cmpRM(a, b routeMethod) int {
	if a.route != b.route {
		if a.route < b.route {
			return -1
		}
		return 1
	}
	switch {
	case a.method < b.method:
		return -1
	case a.method > b.method:
		return 1
	}
	return 0
}

// countingWriter records the status code and counts the body bytes.
type countingWriter struct {
	http.ResponseWriter
	code  int
	n     uint64
	wrote bool
}

func (c *countingWriter) WriteHeader(code int) {
	if !c.wrote {
		c.code, c.wrote = code, true
	}
	c.ResponseWriter.WriteHeader(code)
}

func (c *countingWriter) Write(b []byte) (int, error) {
	c.wrote = true
	n, err := c.ResponseWriter.Write(b)
	c.n += uint64(n)
	return n, err
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (c *countingWriter) Unwrap() http.ResponseWriter { return c.ResponseWriter }

// countingBody counts the request body bytes read.
type countingBody struct {
	io.ReadCloser
	n uint64
}

func (c *countingBody) Read(p []byte) (int, error) {
	n, err := c.ReadCloser.Read(p)
	c.n += uint64(n)
	return n, err
}
