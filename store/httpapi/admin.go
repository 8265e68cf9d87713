package httpapi

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/zmesh/zmesh/internal/yamlx"
	"github.com/zmesh/zmesh/store"
	"github.com/zmesh/zmesh/store/backend"
	"github.com/zmesh/zmesh/store/internal/json5"
	"github.com/zmesh/zmesh/store/server"
)

// Admin routes (the path after AdminPrefix):
//
//	GET    ""                 the server, its storages, volumes and health
//	GET    /storages          every storage's status
//	GET    /storages/<name>   one storage's status
//	PUT    /storages/<name>   add or replace a storage (JSON body)
//	DELETE /storages/<name>   remove a storage
//	GET    /volumes           every volume's status
//	GET    /volumes/<name>    one volume's status
//	PUT    /volumes/<name>    add or replace a volume (JSON body)
//	DELETE /volumes/<name>    remove a volume (refused while storages use it)

// Overview is the answer to GET /@admin.
type Overview struct {
	// Server is what the admin space reports (store.AdminKey).
	Server store.ServerInfo `json:"server"`
	// Storages are the storages' statuses.
	Storages []server.StorageStatus `json:"storages"`
	// Volumes are the volumes' statuses.
	Volumes []server.VolumeStatus `json:"volumes"`
	// Health is the storages' health.
	Health server.HealthReport `json:"health"`
}

// authorized checks the bearer token in constant time (over hashes, so
// the token's length does not leak either) and answers the request if it
// is refused.
func (h *Handler) authorized(w http.ResponseWriter, r *http.Request) bool {
	if len(h.token) == 0 {
		writeError(w, http.StatusNotFound, "the admin routes are off: give zmesh serve an admin token (--admin-token or ZMESH_ADMIN_TOKEN) to turn them on")
		return false
	}
	auth := r.Header.Get("Authorization")
	scheme, given, ok := strings.Cut(auth, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		w.Header().Set("WWW-Authenticate", `Bearer realm="zmesh admin"`)
		writeError(w, http.StatusUnauthorized, "the admin routes need an Authorization: Bearer <token> header")
		return false
	}
	want := sha256.Sum256(h.token)
	got := sha256.Sum256([]byte(strings.TrimSpace(given)))
	if subtle.ConstantTimeCompare(want[:], got[:]) != 1 {
		w.Header().Set("WWW-Authenticate", `Bearer realm="zmesh admin", error="invalid_token"`)
		writeError(w, http.StatusUnauthorized, "wrong admin token")
		return false
	}
	return true
}

// admin serves the admin routes; rest is the path after AdminPrefix.
func (h *Handler) admin(w http.ResponseWriter, r *http.Request, rest string) {
	if !h.authorized(w, r) {
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	parts := strings.Split(strings.Trim(rest, "/"), "/")
	if rest == "" || rest == "/" {
		parts = nil
	}
	switch {
	case len(parts) == 0:
		if !allow(w, r, "GET, HEAD") {
			return
		}
		writeJSON(w, r, http.StatusOK, Overview{Server: h.srv.Info(), Storages: h.srv.Storages(),
			Volumes: h.srv.Volumes(), Health: h.srv.Health()})
	case len(parts) == 1 && parts[0] == "storages":
		if allow(w, r, "GET, HEAD") {
			writeJSON(w, r, http.StatusOK, h.srv.Storages())
		}
	case len(parts) == 1 && parts[0] == "volumes":
		if allow(w, r, "GET, HEAD") {
			writeJSON(w, r, http.StatusOK, h.srv.Volumes())
		}
	case len(parts) == 2 && parts[0] == "storages":
		h.adminStorage(w, r, parts[1])
	case len(parts) == 2 && parts[0] == "volumes":
		h.adminVolume(w, r, parts[1])
	default:
		writeError(w, http.StatusNotFound, fmt.Sprintf("no admin route %s (routes: %s, %s/storages[/<name>], %s/volumes[/<name>])",
			r.URL.Path, AdminPrefix, AdminPrefix, AdminPrefix))
	}
}

// allow answers 405 unless r's method is one of allowed.
func allow(w http.ResponseWriter, r *http.Request, allowed string) bool {
	if slices.Contains(strings.Split(allowed, ", "), r.Method) {
		return true
	}
	methodNotAllowed(w, r, allowed)
	return false
}

// adminItem is what the admin routes of one kind of item (storages,
// volumes) do with it.
type adminItem[C any] struct {
	kind   string                                            // "storage", "volume"
	parse  func(name string, body map[string]any) (C, error) // a PUT's configuration
	add    func(ctx context.Context, cfg C) error
	remove func(ctx context.Context, name string) error
	find   func(name string) (any, bool) // the item's description
}

// adminStorage and adminVolume serve /@admin/storages/<name> and
// /@admin/volumes/<name>.
func (h *Handler) adminStorage(w http.ResponseWriter, r *http.Request, name string) {
	serveAdminItem(h, w, r, name, adminItem[server.StorageConfig]{kind: "storage", parse: StorageConfigFromJSON,
		add: h.srv.AddStorage, remove: h.srv.RemoveStorage, find: func(name string) (any, bool) {
			return named(h.srv.Storages(), name, func(st server.StorageStatus) string { return st.Name })
		}})
}

func (h *Handler) adminVolume(w http.ResponseWriter, r *http.Request, name string) {
	serveAdminItem(h, w, r, name, adminItem[server.VolumeConfig]{kind: "volume", parse: VolumeConfigFromJSON,
		add: h.srv.AddVolume, remove: h.srv.RemoveVolume, find: func(name string) (any, bool) {
			return named(h.srv.Volumes(), name, func(v server.VolumeStatus) string { return v.Name })
		}})
}

// named returns the item of items called name.
func named[T any](items []T, name string, nameOf func(T) string) (any, bool) {
	for _, it := range items {
		if nameOf(it) == name {
			return it, true
		}
	}
	return nil, false
}

// serveAdminItem answers GET (the item's description), PUT (add or replace
// it, then describe it) and DELETE (remove it) for the item called name.
func serveAdminItem[C any](h *Handler, w http.ResponseWriter, r *http.Request, name string, it adminItem[C]) {
	describe := func() {
		if d, ok := it.find(name); ok {
			writeJSON(w, r, http.StatusOK, d)
			return
		}
		writeError(w, http.StatusNotFound, fmt.Sprintf("no %s %q", it.kind, name))
	}
	switch r.Method {
	case http.MethodGet, http.MethodHead:
		describe()
	case http.MethodPut:
		var body map[string]any
		if !readJSON(w, r, &body) {
			return
		}
		cfg, err := it.parse(name, body)
		if err != nil {
			writeError(w, http.StatusBadRequest, err.Error())
			return
		}
		if err := it.add(r.Context(), cfg); err != nil {
			h.adminFailed(w, r, err)
			return
		}
		describe()
	case http.MethodDelete:
		if err := it.remove(r.Context(), name); err != nil {
			h.adminFailed(w, r, err)
			return
		}
		writeJSON(w, r, http.StatusOK, map[string]string{"removed": name})
	default:
		methodNotAllowed(w, r, "GET, HEAD, PUT, DELETE")
	}
}

// adminFailed answers a runtime management error with its status: 404
// unknown name, 403 a volume outside the server's volume root, 409 volume in use or storage already open elsewhere, 400
// bad configuration, 503 server closed, 502 otherwise (the backend could
// not be reached or refused).
func (h *Handler) adminFailed(w http.ResponseWriter, r *http.Request, err error) {
	code := http.StatusBadGateway
	switch {
	case errors.Is(err, server.ErrNotFound):
		code = http.StatusNotFound
	case errors.Is(err, server.ErrForbidden):
		code = http.StatusForbidden
	case errors.Is(err, server.ErrInUse), errors.Is(err, backend.ErrInUse):
		code = http.StatusConflict
	case errors.Is(err, server.ErrInvalidOptions), errors.Is(err, backend.ErrInvalidConfig), errors.Is(err, backend.ErrUnknownKind):
		code = http.StatusBadRequest
	case errors.Is(err, store.ErrClosed):
		code = http.StatusServiceUnavailable
	}
	h.log.Warn("http: admin request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	writeError(w, code, err.Error())
}

// readJSON decodes the JSON object of an admin body, answering 4xx if it
// is not one. The body may be JSON5, as Zenoh's admin space takes:
// comments, trailing commas, unquoted keys, single-quoted strings, hex
// numbers (store/internal/json5 turns it into JSON first).
func readJSON(w http.ResponseWriter, r *http.Request, v any) bool {
	raw, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxAdminBody))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			writeError(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("the body exceeds %d bytes", maxAdminBody))
		} else {
			writeError(w, http.StatusBadRequest, "reading the body: "+err.Error())
		}
		return false
	}
	body, err := json5.ToJSON(raw)
	if err != nil {
		writeError(w, http.StatusBadRequest, "the body is not a JSON (or JSON5) object: "+err.Error())
		return false
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		writeError(w, http.StatusBadRequest, "the body is not a JSON object: "+err.Error())
		return false
	}
	return true
}

// StorageConfigFromJSON reads a storage's configuration from the fields of
// an admin PUT's JSON object, which are the YAML's: key_expr (required),
// strip_prefix, volume (required: a volume name, or an object with id and
// the backend's storage options), read_only, garbage_collection {period,
// lifespan} (durations as strings with a unit, "30s", as in the YAML).
// Unknown fields are refused.
func StorageConfigFromJSON(name string, body map[string]any) (server.StorageConfig, error) {
	sc := server.StorageConfig{Name: name}
	known := []string{"key_expr", "strip_prefix", "volume", "read_only", "garbage_collection"}
	for k := range body {
		if !slices.Contains(known, k) {
			return sc, fmt.Errorf("storage %q: unknown field %q (known: %s)", name, k, strings.Join(known, ", "))
		}
	}
	var err error
	str := func(k string, required bool) string {
		v, ok := body[k]
		if !ok || v == nil {
			if required && err == nil {
				err = fmt.Errorf("storage %q: %s is required", name, k)
			}
			return ""
		}
		s, isStr := v.(string)
		if !isStr && err == nil {
			err = fmt.Errorf("storage %q: %s must be a string, not %s", name, k, jsonType(v))
		}
		return s
	}
	sc.KeyExpr = str("key_expr", true)
	sc.StripPrefix = str("strip_prefix", false)
	if ro, ok := body["read_only"]; ok {
		b, isBool := ro.(bool)
		if !isBool {
			return sc, fmt.Errorf("storage %q: read_only must be true or false, not %s", name, jsonType(ro))
		}
		sc.ReadOnly = b
	}
	switch v := body["volume"].(type) {
	case nil:
		return sc, fmt.Errorf("storage %q: volume is required (a volume name, or {\"id\": <volume>, <storage options>})", name)
	case string:
		sc.Volume = v
	case map[string]any:
		id, ok := v["id"].(string)
		if !ok || id == "" {
			return sc, fmt.Errorf("storage %q: volume object needs a string id", name)
		}
		sc.Volume = id
		opts := backend.Options{}
		for k, x := range v {
			switch k {
			case "id":
			case "read_only":
				b, isBool := x.(bool)
				if !isBool {
					return sc, fmt.Errorf("storage %q: volume.read_only must be true or false", name)
				}
				sc.ReadOnly = sc.ReadOnly || b
			default:
				opts[k] = plain(x)
			}
		}
		if len(opts) > 0 {
			sc.Options = opts
		}
	default:
		return sc, fmt.Errorf("storage %q: volume must be a name or an object, not %s", name, jsonType(v))
	}
	if gc, ok := body["garbage_collection"]; ok {
		m, isMap := gc.(map[string]any)
		if !isMap {
			return sc, fmt.Errorf("storage %q: garbage_collection must be an object", name)
		}
		for k, x := range m {
			d, derr := duration(x)
			if derr != nil {
				return sc, fmt.Errorf("storage %q: garbage_collection.%s: %w", name, k, derr)
			}
			switch k {
			case "period":
				sc.GC.Period = d
			case "lifespan":
				sc.GC.Lifespan = d
			default:
				return sc, fmt.Errorf("storage %q: garbage_collection: unknown field %q (known: period, lifespan)", name, k)
			}
		}
	}
	return sc, err
}

// VolumeConfigFromJSON reads a volume's configuration from an admin PUT's
// JSON object: kind (default: the volume's name, as in YAML) and the
// backend's volume options.
func VolumeConfigFromJSON(name string, body map[string]any) (server.VolumeConfig, error) {
	vc := server.VolumeConfig{Name: name, Kind: name, Options: backend.Options{}}
	for k, v := range body {
		if k == "kind" {
			s, ok := v.(string)
			if !ok || s == "" {
				return vc, fmt.Errorf("volume %q: kind must be a volume kind such as \"fs\"", name)
			}
			vc.Kind = s
			continue
		}
		vc.Options[k] = plain(v)
	}
	return vc, nil
}

// plain turns decoded JSON into the types YAML options have: integers as
// int, other numbers as float64, objects as backend.Options.
func plain(v any) any {
	switch x := v.(type) {
	case json.Number:
		if i, err := x.Int64(); err == nil {
			return int(i)
		}
		f, _ := x.Float64()
		return f
	case map[string]any:
		o := backend.Options{}
		for k, e := range x {
			o[k] = plain(e)
		}
		return o
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = plain(e)
		}
		return out
	}
	return v
}

// duration reads a duration in the configuration's grammar (package
// config): a string with a unit, "30s" or "1h30m"; a number is refused
// with a message that says to add the unit.
func duration(v any) (time.Duration, error) {
	switch x := v.(type) {
	case string:
		d, err := time.ParseDuration(strings.ReplaceAll(strings.TrimSpace(x), " ", ""))
		if err != nil || d < 0 {
			return 0, fmt.Errorf("want a duration such as \"30s\", not %q%s", x, yamlx.UnitHint(x))
		}
		return d, nil
	case json.Number:
		return 0, fmt.Errorf("want a duration such as \"30s\", not the number %s%s", x, yamlx.UnitHint(x.String()))
	}
	return 0, fmt.Errorf("want a duration such as \"30s\", not %s", jsonType(v))
}

func jsonType(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "a boolean"
	case json.Number, float64:
		return "a number"
	case string:
		return "a string"
	case []any:
		return "an array"
	case map[string]any:
		return "an object"
	}
	return fmt.Sprintf("%T", v)
}
