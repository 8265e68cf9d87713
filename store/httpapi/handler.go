package httpapi

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/zmesh/zmesh/store"
	"github.com/zmesh/zmesh/store/internal/json5"
	"github.com/zmesh/zmesh/store/internal/prom"
	"github.com/zmesh/zmesh/store/keyexpr"
	"github.com/zmesh/zmesh/store/proto"
	"github.com/zmesh/zmesh/store/server"
)

// Reserved paths. Everything else is a key expression.
const (
	// HealthPath answers GET with the storages' health.
	HealthPath = "/health"
	// MetricsPath answers GET with the Prometheus metrics.
	MetricsPath = "/metrics"
	// AdminPrefix starts the admin routes (see the package comment).
	AdminPrefix = "/@admin"
)

// DefaultEncoding is the encoding of a PUT without Content-Type, as in
// Zenoh's REST plugin.
const DefaultEncoding = "zenoh/bytes"

// maxAdminBody bounds the JSON body of an admin PUT.
const maxAdminBody = 1 << 20

// Options configure a Handler. The zero value serves the key routes,
// /health and /metrics, with the admin routes off.
type Options struct {
	// AdminToken, if set, turns the admin routes on: they then require
	// "Authorization: Bearer <AdminToken>". Empty: they answer 404.
	AdminToken string
	// Logger receives the handler's logs; nil means slog.Default().
	Logger *slog.Logger
	// StreamHeartbeat is how often an idle event stream gets a comment
	// line; 0 means DefaultStreamHeartbeat.
	StreamHeartbeat time.Duration
}

// Handler is the HTTP face of a server.Server: an http.Handler for the
// routes the package comment lists. It is safe for concurrent use.
type Handler struct {
	srv     *server.Server
	token   []byte // empty: admin routes off
	log     *slog.Logger
	metrics httpMetrics
	runtime *prometheus.Registry // Go runtime and process metrics (runtimemetrics.go)
	beat    time.Duration        // Options.StreamHeartbeat

	closeMu  sync.Mutex    // guards closed
	closed   chan struct{} // closed by CloseStreams; made on first use
	rendered lastEvent     // the event streams' shared rendering (sse.go)
}

// NewHandler returns the HTTP face of srv.
func NewHandler(srv *server.Server, opts Options) *Handler {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.StreamHeartbeat <= 0 {
		opts.StreamHeartbeat = DefaultStreamHeartbeat
	}
	return &Handler{srv: srv, token: []byte(opts.AdminToken), log: opts.Logger, runtime: runtimeRegistry(),
		beat: opts.StreamHeartbeat}
}

// ServeHTTP routes a request.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	cw := &countingWriter{ResponseWriter: w, code: http.StatusOK}
	var body *countingBody
	if r.Body != nil && r.Body != http.NoBody {
		body = &countingBody{ReadCloser: r.Body}
		r.Body = body
	}
	route := h.route(cw, r)
	var in uint64
	if body != nil {
		in = body.n
	}
	h.metrics.observe(route, r.Method, cw.code, time.Since(start), in, cw.n)
}

// route answers r and returns the route's name for the metrics.
func (h *Handler) route(w http.ResponseWriter, r *http.Request) string {
	path := r.URL.Path
	switch {
	case path == HealthPath:
		h.health(w, r)
		return "health"
	case path == MetricsPath:
		h.serveMetrics(w, r)
		return "metrics"
	case path == AdminPrefix || strings.HasPrefix(path, AdminPrefix+"/"):
		h.admin(w, r, strings.TrimPrefix(path, AdminPrefix))
		return "admin"
	case path == StatusPath:
		h.statusJSON(w, r)
		return "status"
	case path == "/" && accepts(r, "text/html"):
		h.statusPage(w, r)
		return "status"
	case path != "/" && r.Method == http.MethodGet && wantsEvents(r):
		h.events(w, r, strings.TrimPrefix(path, "/"))
		return "events"
	}
	h.key(w, r, strings.TrimPrefix(path, "/"))
	return "key"
}

// key serves the key expression routes.
func (h *Handler) key(w http.ResponseWriter, r *http.Request, ke string) {
	if ke == "" {
		writeError(w, http.StatusBadRequest, "no key expression: use GET /<key expression>, PUT /<key>, DELETE /<key expression>")
		return
	}
	switch r.Method {
	case http.MethodGet, http.MethodHead, http.MethodPost:
		h.get(w, r, ke)
	case http.MethodPut, http.MethodPatch:
		h.put(w, r, ke)
	case http.MethodDelete:
		h.do(w, r, proto.Message{Kind: proto.KindDelete, Key: ke}, nil)
	default:
		methodNotAllowed(w, r, "GET, HEAD, POST, PUT, PATCH, DELETE")
	}
}

// put stores the request body under a plain key. The put is acknowledged
// (200) only once the server acknowledged it: stored durably in every
// storage that holds the key.
func (h *Handler) put(w http.ResponseWriter, r *http.Request, key string) {
	limit := int64(h.srv.MaxValueSize())
	if r.ContentLength > limit {
		h.putStream(w, r, key)
		return
	}
	value, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			writeError(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("value exceeds the server's limit of %d bytes", limit))
			return
		}
		writeError(w, http.StatusBadRequest, "reading the value: "+err.Error())
		return
	}
	enc := r.Header.Get("Content-Type")
	if enc == "" {
		enc = DefaultEncoding
	}
	h.do(w, r, proto.Message{Kind: proto.KindPut, Key: key, Value: value, Encoding: enc}, nil)
}

// do runs a put or delete and answers its outcome.
func (h *Handler) do(w http.ResponseWriter, r *http.Request, m proto.Message, reply func(proto.Message) error) {
	if err := h.srv.Do(r.Context(), m, reply); err != nil {
		h.refused(w, r, err)
		return
	}
	w.WriteHeader(http.StatusOK)
}

// Sample is one element of a GET's JSON answer, as in Zenoh's REST plugin.
type Sample struct {
	// Key is the full key.
	Key string `json:"key"`
	// Value is null for an empty value, the value itself for valid JSON
	// under a JSON encoding, a string for valid UTF-8 under a text
	// encoding, and the value in standard base64 otherwise.
	Value json.RawMessage `json:"value"`
	// Encoding is the value's encoding (its Content-Type at PUT).
	Encoding string `json:"encoding"`
	// Timestamp is when it was written (store/hlc's text form).
	Timestamp string `json:"timestamp"`
	// Size is the value's size in bytes, given when Truncated.
	Size int64 `json:"size,omitempty"`
	// Truncated says the value was too large to come in a wildcard
	// query's answer (over the server's max_value_size): Value is null,
	// Size and BLAKE3 describe it, and a GET of the key with ?_raw
	// streams it (as a change event's truncated value, see Event).
	Truncated bool `json:"truncated,omitempty"`
	// BLAKE3 is the truncated value's BLAKE3-256 hash in hex.
	BLAKE3 string `json:"blake3,omitempty"`
}

type reply struct {
	key, encoding, timestamp string
	value                    []byte
	omitted                  bool // value holds proto.OmittedValue
}

// get answers a query: a JSON array of Sample, sorted by key, or with
// ?_raw the first one's value as it is.
func (h *Handler) get(w http.ResponseWriter, r *http.Request, ke string) {
	if r.URL.Query().Has("_raw") && r.Method != http.MethodPost && keyexpr.ValidateKey(ke) == nil && ke != store.AdminKey {
		// One plain key: streamed, with its length, ETag and ranges.
		h.getStream(w, r, ke)
		return
	}
	var replies []reply
	collect := func(m proto.Message) error {
		replies = append(replies, reply{key: m.Key, encoding: m.Encoding, timestamp: m.Timestamp.String(),
			value: bytes.Clone(m.Value), omitted: m.Omitted})
		return nil
	}
	if err := h.srv.Do(r.Context(), proto.Message{Kind: proto.KindQuery, Key: ke}, collect); err != nil {
		h.refused(w, r, err)
		return
	}
	slices.SortFunc(replies, func(a, b reply) int { return strings.Compare(a.key, b.key) })
	if r.URL.Query().Has("_raw") {
		if len(replies) == 0 {
			writeError(w, http.StatusNotFound, fmt.Sprintf("no value matches %q", ke))
			return
		}
		first := replies[0]
		if first.omitted {
			// Too large for the query's answer: stream it as a plain key's.
			h.getStream(w, r, first.key)
			return
		}
		ct := "application/octet-stream"
		if _, _, err := mime.ParseMediaType(first.encoding); err == nil {
			ct = first.encoding
		}
		w.Header().Set("Content-Type", ct)
		w.Header().Set("X-Zmesh-Key", headerKey(first.key))
		w.Header().Set("X-Zmesh-Timestamp", first.timestamp)
		w.WriteHeader(http.StatusOK)
		if r.Method != http.MethodHead {
			w.Write(first.value)
		}
		return
	}
	out := make([]Sample, len(replies))
	for i, rp := range replies {
		out[i] = Sample{Key: rp.key, Value: RenderValue(rp.value, rp.encoding), Encoding: rp.encoding, Timestamp: rp.timestamp}
		if rp.omitted {
			size, hash, err := proto.ParseOmitted(rp.value)
			if err != nil {
				writeError(w, http.StatusInternalServerError, fmt.Sprintf("the server's answer for %q: %v", rp.key, err))
				return
			}
			out[i].Value, out[i].Size, out[i].Truncated, out[i].BLAKE3 = json.RawMessage("null"), int64(size), true, proto.HashHex(hash)
		}
	}
	writeJSON(w, r, http.StatusOK, out)
}

// RenderValue renders a value for a Sample, as Zenoh's REST plugin does
// and docs/http.md describes:
//
//   - null when the value is empty;
//   - the JSON itself, compacted, under a JSON encoding (application/json,
//     text/json, any "+json" type) when it parses, and under text/json5
//     the JSON5 turned into JSON;
//   - a JSON string under a text encoding when the value is valid UTF-8:
//     every text/* type, zenoh/string, application/x-www-form-urlencoded
//     (curl's default for -d), XML, YAML, TOML and JavaScript types;
//   - a base64 string (standard alphabet, padded) otherwise: binary
//     encodings, DefaultEncoding, and text or JSON that is not valid.
//
// Encoding parameters ("; charset=utf-8") and case are ignored.
func RenderValue(value []byte, encoding string) json.RawMessage {
	if len(value) == 0 {
		return json.RawMessage("null")
	}
	base, _, _ := strings.Cut(encoding, ";")
	base = strings.ToLower(strings.TrimSpace(base))
	switch encodingClass(base) {
	case classJSON:
		if json.Valid(value) {
			var buf bytes.Buffer
			if json.Compact(&buf, value) == nil {
				return buf.Bytes()
			}
		}
	case classJSON5:
		if out, err := json5.ToJSON(value); err == nil {
			return out
		}
	case classText:
		if utf8.Valid(value) {
			return jsonString(string(value))
		}
	}
	return jsonString(base64.StdEncoding.EncodeToString(value))
}

// jsonString returns s as a JSON string, leaving <, > and & alone (the
// answers are application/json, never HTML).
func jsonString(s string) json.RawMessage {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.Encode(s) // a string always encodes
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
}

type valueClass int

const (
	classBinary valueClass = iota
	classJSON
	classJSON5
	classText
)

// encodingClass says how RenderValue shows a value of a media type
// (lower case, without parameters).
func encodingClass(mt string) valueClass {
	switch mt {
	case "application/json", "text/json":
		return classJSON
	case "text/json5", "application/json5":
		return classJSON5
	case "zenoh/string", "application/x-www-form-urlencoded", "application/xml", "application/yaml",
		"application/x-yaml", "application/toml", "application/javascript", "application/x-ndjson":
		return classText
	}
	switch {
	case strings.HasSuffix(mt, "+json"):
		return classJSON
	case strings.HasPrefix(mt, "text/"), strings.HasSuffix(mt, "+xml"), strings.HasSuffix(mt, "+yaml"):
		return classText
	}
	return classBinary
}

// statusCodes maps the storage protocol's statuses to HTTP.
var statusCodes = map[proto.Status]int{
	proto.StatusMalformed:      http.StatusBadRequest,
	proto.StatusVersion:        http.StatusBadRequest,
	proto.StatusInvalidKeyExpr: http.StatusBadRequest,
	proto.StatusWildcardKey:    http.StatusBadRequest,
	proto.StatusTooLarge:       http.StatusRequestEntityTooLarge,
	proto.StatusReadOnly:       http.StatusForbidden,
	proto.StatusNoStorage:      http.StatusNotFound,
	proto.StatusBackend:        http.StatusServiceUnavailable,
	proto.StatusInternal:       http.StatusInternalServerError,
	proto.StatusTimeout:        http.StatusGatewayTimeout,
	proto.StatusUnavailable:    http.StatusServiceUnavailable,
	proto.StatusTimestampDrift: http.StatusBadRequest,
	proto.StatusUnsupported:    http.StatusBadRequest,
	proto.StatusUnknownUpload:  http.StatusNotFound,
	proto.StatusIntegrity:      http.StatusBadRequest,
	proto.StatusStream:         http.StatusBadRequest,
}

// HTTPStatus returns the HTTP status code of a storage protocol status: 4xx
// for bad requests, 503 when a backend failed or the server is busy or
// closed, 504 on a timeout.
func HTTPStatus(st proto.Status) int {
	if st == proto.StatusOK {
		return http.StatusOK
	}
	if c, ok := statusCodes[st]; ok {
		return c
	}
	return http.StatusInternalServerError
}

// refused answers a request the server refused.
func (h *Handler) refused(w http.ResponseWriter, r *http.Request, err error) {
	var se *proto.StatusError
	if !errors.As(err, &se) {
		if errors.Is(err, context.Canceled) && r.Context().Err() != nil {
			return // the client has gone
		}
		writeError(w, http.StatusInternalServerError, err.Error())
		return
	}
	code := HTTPStatus(se.Status)
	if code >= 500 {
		h.log.Warn("http: request failed", "method", r.Method, "path", r.URL.Path, "status", se.Status, "err", se.Text)
	}
	if code == http.StatusServiceUnavailable {
		w.Header().Set("Retry-After", "1")
	}
	writeJSON(w, r, code, errorBody{Error: se.Text, Status: se.Status.String()})
}

// errorBody is the JSON of every error answer.
type errorBody struct {
	Error  string `json:"error"`
	Status string `json:"status,omitempty"` // the storage protocol's status, when it refused
}

func writeError(w http.ResponseWriter, code int, msg string) {
	writeJSON(w, nil, code, errorBody{Error: msg})
}

func methodNotAllowed(w http.ResponseWriter, r *http.Request, allow string) {
	w.Header().Set("Allow", allow)
	writeError(w, http.StatusMethodNotAllowed, fmt.Sprintf("method %s is not allowed on %s (allowed: %s)", r.Method, r.URL.Path, allow))
}

// writeJSON answers v as JSON with code.
func writeJSON(w http.ResponseWriter, r *http.Request, code int, v any) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	var b []byte
	if err := enc.Encode(v); err != nil {
		code, b = http.StatusInternalServerError, []byte("{\"error\":\"encoding the answer failed\"}\n")
	} else {
		b = buf.Bytes()
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(code)
	if r == nil || r.Method != http.MethodHead {
		w.Write(b)
	}
}

// health answers GET /health: 200 when every storage is healthy, 503
// naming those that are not.
func (h *Handler) health(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		methodNotAllowed(w, r, "GET, HEAD")
		return
	}
	rep := h.srv.Health()
	code := http.StatusOK
	if !rep.Healthy {
		code = http.StatusServiceUnavailable
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, r, code, rep)
}

// serveMetrics answers GET /metrics.
func (h *Handler) serveMetrics(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		methodNotAllowed(w, r, "GET, HEAD")
		return
	}
	var buf bytes.Buffer
	if err := h.srv.WriteMetrics(&buf); err != nil {
		writeError(w, http.StatusInternalServerError, err.Error())
		return
	}
	h.metrics.write(&buf)
	if err := writeRuntimeMetrics(&buf, h.runtime); err != nil {
		h.log.Warn("http: reading the runtime metrics failed", "err", err)
	}
	w.Header().Set("Content-Type", prom.ContentType)
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		w.Write(buf.Bytes())
	}
}
