package server

import (
	"github.com/zmesh/zmesh/store/backend/engine"
)

// OpMetrics count one kind of call to a storage's backend.
type OpMetrics struct {
	// Op is the operation: "apply", "get", "scan"...
	Op string `json:"op"`
	// Calls counts the calls, Errors those that failed (outcome error).
	Calls  uint64 `json:"calls"`
	Errors uint64 `json:"errors"`
	// Seconds is the calls' total duration.
	Seconds float64 `json:"seconds"`
}

// StorageMetrics are the counters of one storage's backend since it opened.
type StorageMetrics struct {
	// Name is the storage's name.
	Name string `json:"name"`
	// Ops are its calls by operation.
	Ops []OpMetrics `json:"ops"`
}

// VolumeMetrics describe one named volume's engine.
type VolumeMetrics struct {
	// Name and Kind are the volume's.
	Name string `json:"name"`
	Kind string `json:"kind"`
	// Engine holds the figures of an engine volume (nil for other kinds).
	Engine *engine.Stats `json:"engine,omitempty"`
}

// RequestCount counts the requests of one kind by outcome.
type RequestCount struct {
	// Kind is "put", "delete", "query" or "other".
	Kind string `json:"kind"`
	// Total counts them all, Errors those answered with a status other
	// than ok.
	Total  uint64 `json:"total"`
	Errors uint64 `json:"errors"`
}

// StorageMetrics returns the backend call counters of every storage, in
// order (what /metrics shows as zmesh_store_backend_calls_total and
// zmesh_store_backend_call_duration_seconds).
func (s *Server) StorageMetrics() []StorageMetrics {
	v := s.acquire()
	defer v.release()
	out := make([]StorageMetrics, 0, len(v.storages))
	for _, st := range v.storages {
		sm := StorageMetrics{Name: st.Name, Ops: make([]OpMetrics, 0, opCount)}
		for op := range opCount {
			om := OpMetrics{Op: opNames[op], Seconds: st.run.health.latency[op].Sum().Seconds()}
			for out := range outcomeCount {
				n := st.run.health.calls[op][out].Load()
				om.Calls += n
				if out == outcomeError {
					om.Errors += n
				}
			}
			sm.Ops = append(sm.Ops, om)
		}
		out = append(out, sm)
	}
	return out
}

// VolumeMetrics returns the figures of every named volume, in order; an
// engine volume's come from (*engine.Volume).Stats.
func (s *Server) VolumeMetrics() []VolumeMetrics {
	v := s.acquire()
	defer v.release()
	out := make([]VolumeMetrics, 0, len(v.volumes))
	for _, vol := range v.volumes {
		vm := VolumeMetrics{Name: vol.name, Kind: vol.kind}
		if ev, ok := vol.vol.(interface{ Stats() engine.Stats }); ok {
			st := ev.Stats()
			vm.Engine = &st
		}
		out = append(out, vm)
	}
	return out
}

// RequestCounts returns the requests handled (socket and HTTP) by kind.
func (s *Server) RequestCounts() []RequestCount {
	out := make([]RequestCount, kindCount)
	for k := range kindCount {
		rc := RequestCount{Kind: kindNames[k]}
		for st := range statusCount {
			n := s.metrics.requests[k][st].Load()
			rc.Total += n
			if st > 0 {
				rc.Errors += n
			}
		}
		out[k] = rc
	}
	return out
}
