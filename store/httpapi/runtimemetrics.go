package httpapi

import (
	"io"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/common/expfmt"
)

// runtimeRegistry returns a registry of the handler's own (never the
// global one) holding prometheus/client_golang's Go runtime collector
// (go_*: goroutines, GC, memory) and process collector (process_*: CPU,
// resident memory, open file descriptors).
//
// Why the library here and hand-written exposition elsewhere: these
// figures come from runtime/metrics and /proc, which the library reads
// well and keeps up to date with Go releases; the per-request counters
// of the server and of this face stay atomics written by
// store/internal/prom, because the library's labelled vectors cost a map
// lookup and a hash per update (see BenchmarkRequestMetrics and the
// figures in docs/http.md).
func runtimeRegistry() *prometheus.Registry {
	reg := prometheus.NewRegistry()
	for _, c := range []prometheus.Collector{
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	} {
		// Two fresh collectors in a fresh registry cannot collide.
		_ = reg.Register(c)
	}
	return reg
}

// writeRuntimeMetrics appends the registry's metrics to an exposition in
// the text format 0.0.4.
func writeRuntimeMetrics(w io.Writer, reg *prometheus.Registry) error {
	mfs, err := reg.Gather()
	if err != nil {
		return err
	}
	for _, mf := range mfs {
		if _, err := expfmt.MetricFamilyToText(w, mf); err != nil {
			return err
		}
	}
	return nil
}
