package server

import (
	"io"
	"sync/atomic"

	"github.com/zmesh/zmesh/store/backend/engine"
	"github.com/zmesh/zmesh/store/internal/prom"
	"github.com/zmesh/zmesh/store/proto"
)

// metrics are the server's counters beyond Stats: requests by kind and
// status, and protocol bytes. Backend calls are counted per storage, in
// its health (health.go).
type metrics struct {
	requests          [kindCount][statusCount]atomic.Uint64
	bytesIn, bytesOut atomic.Uint64 // request socket: messages received, answers sent
}

// Request kinds as the metrics name them.
const (
	kindPut = iota
	kindDelete
	kindQuery
	kindOther // malformed, or not a request
	kindCount
)

var kindNames = [kindCount]string{"put", "delete", "query", "other"}

// statusCount bounds the statuses counted one by one; any beyond (none
// today) are counted as the last.
const statusCount = 16

func (m *metrics) count(k proto.Kind, st proto.Status) {
	i := kindOther
	switch k {
	case proto.KindPut:
		i = kindPut
	case proto.KindDelete:
		i = kindDelete
	case proto.KindQuery:
		i = kindQuery
	}
	m.requests[i][min(int(st), statusCount-1)].Add(1)
}

// statusLabel names a status in metrics: "ok", "backend_failure"...
func statusLabel(st proto.Status) string {
	b := []byte(st.String())
	for i, c := range b {
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9') {
			b[i] = '_'
		}
	}
	return string(b)
}

// WriteMetrics writes the server's metrics to w in the Prometheus text
// exposition format (version 0.0.4). docs/http.md lists them; every name
// starts with zmesh_store_.
func (s *Server) WriteMetrics(w io.Writer) error {
	p := prom.NewWriter(w)
	m := &s.metrics

	p.Family("zmesh_store_requests_total", "counter", "Requests handled (socket and HTTP), by kind and final status.")
	for k := range kindCount {
		for st := range statusCount {
			if n := m.requests[k][st].Load(); n > 0 {
				p.Uint("zmesh_store_requests_total", n, "kind", kindNames[k], "status", statusLabel(proto.Status(st)))
			}
		}
	}
	p.Family("zmesh_store_request_errors_total", "counter", "Requests answered with a status other than ok, by kind.")
	for k := range kindCount {
		var n uint64
		for st := 1; st < statusCount; st++ {
			n += m.requests[k][st].Load()
		}
		p.Uint("zmesh_store_request_errors_total", n, "kind", kindNames[k])
	}
	p.Family("zmesh_store_received_bytes_total", "counter", "Bytes of requests received on the request socket.")
	p.Uint("zmesh_store_received_bytes_total", m.bytesIn.Load())
	p.Family("zmesh_store_sent_bytes_total", "counter", "Bytes of answers sent on the request socket.")
	p.Uint("zmesh_store_sent_bytes_total", m.bytesOut.Load())

	st := s.Stats()
	for _, c := range []struct {
		name, help string
		v          uint64
	}{
		{"zmesh_store_applied_total", "Entries (values and tombstones) stored.", st.Applied},
		{"zmesh_store_feed_published_total", "Change-feed samples handed to the radio.", st.Published},
		{"zmesh_store_feed_dropped_total", "Change-feed samples the radio refused.", st.FeedDropped},
		{"zmesh_store_ingested_total", "Bulk puts applied from the gather socket.", st.Ingested},
		{"zmesh_store_ingest_rejected_total", "Bulk messages refused.", st.IngestRejected},
		{"zmesh_store_tombstones_collected_total", "Tombstones removed by garbage collection.", st.TombstonesCollected},
		{"zmesh_store_answers_dropped_total", "Answers not delivered: client gone, not reading, or out of time.", st.AnswersDropped},
		{"zmesh_store_stalled_clients_total", "Clients disconnected for taking no answer within requests.stall_timeout.", st.StalledClients},
	} {
		p.Family(c.name, "counter", c.help)
		p.Uint(c.name, c.v)
	}

	v := s.acquire()
	defer v.release()
	p.Family("zmesh_store_storages", "gauge", "Storages served.")
	p.Uint("zmesh_store_storages", uint64(len(v.storages)))
	p.Family("zmesh_store_volumes", "gauge", "Named volumes.")
	p.Uint("zmesh_store_volumes", uint64(len(v.volumes)))
	p.Family("zmesh_store_storage_healthy", "gauge", "1 if the storage's backend is healthy, 0 if its last call failed.")
	for _, st := range v.storages {
		h := uint64(0)
		if st.run.health.failures.Load() == 0 {
			h = 1
		}
		p.Uint("zmesh_store_storage_healthy", h, "storage", st.Name)
	}
	p.Family("zmesh_store_backend_calls_total", "counter", "Calls to storages' backends, by storage, operation and outcome (ok, error, refused, canceled, closed).")
	for _, st := range v.storages {
		for op := range opCount {
			for out := range outcomeCount {
				if n := st.run.health.calls[op][out].Load(); n > 0 {
					p.Uint("zmesh_store_backend_calls_total", n, "storage", st.Name, "op", opNames[op], "outcome", outcomeNames[out])
				}
			}
		}
	}
	p.Family("zmesh_store_backend_call_duration_seconds", "histogram", "Duration of calls to storages' backends, by storage and operation.")
	for _, st := range v.storages {
		for op := range opCount {
			p.Histogram("zmesh_store_backend_call_duration_seconds", &st.run.health.latency[op], "storage", st.Name, "op", opNames[op])
		}
	}
	writeVolumeMetrics(p, s.VolumeMetrics())
	return p.Flush()
}

// writeVolumeMetrics writes the engine volumes' figures, one series per
// engine volume (other kinds have none).
func writeVolumeMetrics(p *prom.Writer, vols []VolumeMetrics) {
	for _, f := range []struct {
		name, typ, help string
		v               func(*engine.Stats) uint64
	}{
		{"zmesh_volume_wal_syncs_total", "counter", "fsyncs of an engine volume's write-ahead log (shared by concurrent puts).", func(s *engine.Stats) uint64 { return s.WALSyncs }},
		{"zmesh_volume_wal_bytes_total", "counter", "Bytes written to an engine volume's write-ahead log.", func(s *engine.Stats) uint64 { return s.WALBytes }},
		{"zmesh_volume_flushes_total", "counter", "Memtable flushes of an engine volume.", func(s *engine.Stats) uint64 { return uint64(max(s.Flushes, 0)) }},
		{"zmesh_volume_compactions_total", "counter", "Compactions of an engine volume.", func(s *engine.Stats) uint64 { return uint64(max(s.Compactions, 0)) }},
		{"zmesh_volume_disk_bytes", "gauge", "Space an engine volume's files take.", func(s *engine.Stats) uint64 { return s.DiskBytes }},
		{"zmesh_volume_free_bytes", "gauge", "Free space of an engine volume's file system, as last read by its min_free_space check (0: not read).", func(s *engine.Stats) uint64 { return s.FreeBytes }},
	} {
		p.Family(f.name, f.typ, f.help)
		for _, v := range vols {
			if v.Engine != nil {
				p.Uint(f.name, f.v(v.Engine), "volume", v.Name)
			}
		}
	}
}
