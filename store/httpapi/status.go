package httpapi

import (
	_ "embed"
	"net/http"
	"time"

	"github.com/zmesh/zmesh/store/backend/engine"
	"github.com/zmesh/zmesh/store/server"
)

// StatusPath answers GET with the status page's figures as JSON (Status).
// GET / with Accept: text/html answers the page itself.
const StatusPath = "/@status"

// statusHTML is the status page: plain HTML with its script inline, no
// build step and nothing fetched from elsewhere. It polls StatusPath and
// follows GET /** as server-sent events.
//
//go:embed static/status.html
var statusHTML []byte

// Status is the answer to GET /@status: what the status page shows. It
// holds no secrets (no backend options), so it needs no admin token.
type Status struct {
	// Server is the server's identity and endpoints.
	Server struct {
		ID        string   `json:"id"`
		Endpoints []string `json:"endpoints"`
		Feed      []string `json:"feed,omitempty"`
	} `json:"server"`
	// Time is when the figures were read; the page turns counters into
	// rates by comparing two answers.
	Time time.Time `json:"time"`
	// Healthy is true when every storage is.
	Healthy bool `json:"healthy"`
	// Storages are the storages with their health and backend calls.
	Storages []StatusStorage `json:"storages"`
	// Volumes are the named volumes, with an engine volume's figures.
	Volumes []StatusVolume `json:"volumes"`
	// Requests counts the requests handled, by kind.
	Requests []server.RequestCount `json:"requests"`
	// Peers are the clients connected to the request socket.
	Peers []server.Peer `json:"peers"`
}

// StatusStorage is one storage on the status page.
type StatusStorage struct {
	Name     string               `json:"name"`
	KeyExpr  string               `json:"key_expr"`
	Volume   string               `json:"volume,omitempty"`
	Kind     string               `json:"kind,omitempty"`
	ReadOnly bool                 `json:"read_only"`
	Health   server.StorageHealth `json:"health"`
	Ops      []server.OpMetrics   `json:"ops"`
}

// StatusVolume is one volume on the status page.
type StatusVolume struct {
	Name     string        `json:"name"`
	Kind     string        `json:"kind"`
	Storages []string      `json:"storages"`
	Engine   *engine.Stats `json:"engine,omitempty"`
}

// status gathers the figures of the status page.
func (h *Handler) status() Status {
	var st Status
	info := h.srv.Info()
	st.Server.ID, st.Server.Endpoints, st.Server.Feed = info.ID, info.Endpoints, info.Feed
	st.Time = time.Now().UTC()
	st.Healthy = h.srv.Health().Healthy
	ops := map[string][]server.OpMetrics{}
	for _, m := range h.srv.StorageMetrics() {
		ops[m.Name] = m.Ops
	}
	st.Storages = []StatusStorage{}
	for _, s := range h.srv.Storages() {
		st.Storages = append(st.Storages, StatusStorage{Name: s.Name, KeyExpr: s.KeyExpr, Volume: s.Volume, Kind: s.Kind,
			ReadOnly: s.ReadOnly, Health: s.Health, Ops: ops[s.Name]})
	}
	eng := map[string]*engine.Stats{}
	for _, m := range h.srv.VolumeMetrics() {
		eng[m.Name] = m.Engine
	}
	st.Volumes = []StatusVolume{}
	for _, v := range h.srv.Volumes() {
		st.Volumes = append(st.Volumes, StatusVolume{Name: v.Name, Kind: v.Kind, Storages: v.Storages, Engine: eng[v.Name]})
	}
	st.Requests = h.srv.RequestCounts()
	st.Peers = h.srv.Peers()
	return st
}

// statusJSON answers GET /@status.
func (h *Handler) statusJSON(w http.ResponseWriter, r *http.Request) {
	if !allow(w, r, "GET, HEAD") {
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, r, http.StatusOK, h.status())
}

// statusPage answers GET / from a browser with the status page.
func (h *Handler) statusPage(w http.ResponseWriter, r *http.Request) {
	if !allow(w, r, "GET, HEAD") {
		return
	}
	hd := w.Header()
	hd.Set("Content-Type", "text/html; charset=utf-8")
	hd.Set("Cache-Control", "no-store")
	hd.Set("X-Content-Type-Options", "nosniff")
	// Everything the page needs is inline or on this server.
	hd.Set("Content-Security-Policy", "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'; img-src 'self' data:")
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		w.Write(statusHTML)
	}
}
