package httpapi_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/zmesh/zmesh/store/httpapi"
	"github.com/zmesh/zmesh/store/keyexpr"
	"github.com/zmesh/zmesh/store/server"
)

var fuzzMethods = []string{http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
	http.MethodDelete, http.MethodOptions, "BREW"}

// FuzzHandler sends arbitrary requests (method, path, query, Content-Type,
// body, with and without the admin token) to the HTTP face of a server on
// memory storages. Whatever comes, it must answer without panicking, never
// with a 500 (memory storages do not fail), errors as a JSON object with an
// "error", and it may acknowledge a PUT only of a valid key.
func FuzzHandler(f *testing.F) {
	f.Add(uint8(0), "/demo/**", "", "", []byte(nil), false)
	f.Add(uint8(3), "/demo/a", "", "application/json", []byte(`{"x":1}`), false)
	f.Add(uint8(0), "/demo/a", "_raw", "", []byte(nil), false)
	f.Add(uint8(5), "/demo/$*", "", "", []byte(nil), false)
	f.Add(uint8(3), "/demo/a/**", "", "text/plain", []byte("v"), false)
	f.Add(uint8(0), "/health", "", "", []byte(nil), false)
	f.Add(uint8(0), "/metrics", "", "", []byte(nil), false)
	f.Add(uint8(0), "/@admin/storages", "", "", []byte(nil), true)
	f.Add(uint8(3), "/@admin/storages/x", "", "application/json", []byte(`{"key_expr":"x/**","volume":"memory"}`), true)
	f.Add(uint8(5), "/@admin/storages/demo", "", "", []byte(nil), true)
	f.Add(uint8(3), "/@admin/volumes/m2", "", "application/json", []byte(`{"kind":"memory"}`), true)
	f.Add(uint8(0), "/@admin/volumes", "", "", []byte(nil), false)
	e := newEnv(f, server.Options{Storages: []server.Storage{mem("demo", "demo/**"), mem("other", "other/**")}}, httpapi.Options{AdminToken: "tok"})
	h := httpapi.NewHandler(e.srv, httpapi.Options{AdminToken: "tok", Logger: quiet})
	f.Fuzz(func(t *testing.T, method uint8, path, query, contentType string, body []byte, admin bool) {
		m := fuzzMethods[int(method)%len(fuzzMethods)]
		if admin && m != http.MethodGet && m != http.MethodHead {
			// Admin changes open backends (an fs volume writes where it
			// is told): only reads are fuzzed with the token.
			return
		}
		u := &url.URL{Path: "/" + strings.TrimPrefix(path, "/"), RawQuery: query}
		req := httptest.NewRequest(m, "http://zmesh.test/", bytes.NewReader(body))
		req.URL = u
		req.RequestURI = u.RequestURI()
		if contentType != "" {
			req.Header.Set("Content-Type", contentType)
		}
		if admin {
			req.Header.Set("Authorization", "Bearer tok")
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		code := rec.Code
		if code < 200 || code > 599 || code == http.StatusInternalServerError {
			t.Fatalf("%s %s: %d %s", m, u, code, rec.Body)
		}
		if code >= 400 && m != http.MethodHead {
			var eb struct {
				Error string `json:"error"`
			}
			if err := json.Unmarshal(rec.Body.Bytes(), &eb); err != nil || eb.Error == "" {
				t.Fatalf("%s %s: %d with body %q, want a JSON error", m, u, code, rec.Body)
			}
		}
		key := strings.TrimPrefix(u.Path, "/")
		if (m == http.MethodPut || m == http.MethodPatch) && code == http.StatusOK && !strings.HasPrefix(u.Path, httpapi.AdminPrefix) {
			if err := keyexpr.ValidateKey(key); err != nil {
				t.Fatalf("PUT of %q acknowledged: %v", key, err)
			}
		}
	})
}

// FuzzAdminJSON feeds arbitrary JSON objects to the admin routes' readers
// of storage and volume configurations: errors, never a panic, and what
// they accept names a volume.
func FuzzAdminJSON(f *testing.F) {
	f.Add(`{"key_expr":"demo/**","strip_prefix":"demo","volume":{"id":"data","dir":"x","read_only":true},"garbage_collection":{"period":"30s","lifespan":60}}`)
	f.Add(`{"key_expr":"a/**","volume":"memory","read_only":false}`)
	f.Add(`{"kind":"fs","root":"/tmp/x","nested":{"a":[1,2.5,"x",null,true]}}`)
	f.Add(`{"garbage_collection":{"period":-1}}`)
	f.Fuzz(func(t *testing.T, body string) {
		var m map[string]any
		dec := json.NewDecoder(strings.NewReader(body))
		dec.UseNumber()
		if dec.Decode(&m) != nil || m == nil {
			return
		}
		if sc, err := httpapi.StorageConfigFromJSON("s", m); err == nil {
			if sc.Volume == "" || sc.GC.Period < 0 || sc.GC.Lifespan < 0 {
				t.Fatalf("accepted %s as %+v", body, sc)
			}
		}
		if vc, err := httpapi.VolumeConfigFromJSON("v", m); err == nil && vc.Kind == "" {
			t.Fatalf("accepted %s as a volume without a kind", body)
		}
	})
}
