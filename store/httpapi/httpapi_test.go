package httpapi_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/zmesh/zmesh/store"
	"github.com/zmesh/zmesh/store/hlc"
	"github.com/zmesh/zmesh/store/httpapi"
	"github.com/zmesh/zmesh/store/proto"
	"github.com/zmesh/zmesh/store/server"
)

// Every value rendering of Zenoh's REST plugin (see RenderValue), through
// PUT then GET, and
// the same values seen by the socket client.
func TestPutGetRendersEveryValue(t *testing.T) {
	e := newEnv(t, server.Options{Storages: []server.Storage{mem("v", "v/**")}}, httpapi.Options{})
	tests := []struct {
		key, contentType, body string
		wantEncoding, wantJSON string
	}{
		{"v/json", "application/json", `{"a": [1, 2]}`, "application/json", `{"a":[1,2]}`},
		{"v/badjson", "application/json", `{nope`, "application/json", `"e25vcGU="`},
		{"v/textjson", "text/json", `"s"`, "text/json", `"s"`},
		{"v/json5", "text/json5", `[1]`, "text/json5", `[1]`},
		{"v/text", "text/plain", "Hello from REST", "text/plain", `"Hello from REST"`},
		{"v/charset", "text/plain; charset=utf-8", "héllo", "text/plain; charset=utf-8", `"héllo"`},
		{"v/badtext", "text/plain", "\xff\xfe", "text/plain", `"//4="`},
		{"v/zstring", "zenoh/string", "zs", "zenoh/string", `"zs"`},
		{"v/empty", "text/plain", "", "text/plain", `null`},
		{"v/bytes", "", "\x00\x01", httpapi.DefaultEncoding, `"AAE="`},
		{"v/octets", "application/octet-stream", "abc", "application/octet-stream", `"YWJj"`},
		// curl -d sends application/x-www-form-urlencoded: text stays text.
		{"v/form", "application/x-www-form-urlencoded", "name=zmesh&x=1", "application/x-www-form-urlencoded", `"name=zmesh&x=1"`},
		{"v/formbin", "application/x-www-form-urlencoded", "\xff", "application/x-www-form-urlencoded", `"/w=="`},
		{"v/csv", "text/csv", "a,b\n1,2", "text/csv", `"a,b\n1,2"`},
		{"v/xml", "application/xml", "<a/>", "application/xml", `"<a/>"`},
		{"v/ldjson", "application/ld+json", `{"@id": 1}`, "application/ld+json", `{"@id":1}`},
		{"v/json5text", "text/json5", `{a: 'b', /* c */}`, "text/json5", `{"a":"b"}`},
		{"v/badjson5", "text/json5", `{a:`, "text/json5", `"e2E6"`},
		{"v/utf8bytes", "application/octet-stream", "text in bytes", "application/octet-stream", `"dGV4dCBpbiBieXRlcw=="`},
	}
	for _, tt := range tests {
		e.want(http.StatusOK, "PUT", "/"+tt.key, tt.contentType, tt.body)
	}
	for _, tt := range tests {
		got := samples(t, e.want(http.StatusOK, "GET", "/"+tt.key, "", ""))
		if len(got) != 1 {
			t.Fatalf("GET %s: %d samples, want 1", tt.key, len(got))
		}
		s := got[0]
		if s.Key != tt.key || s.Encoding != tt.wantEncoding || string(s.Value) != tt.wantJSON {
			t.Errorf("GET %s = {%s %s %s}, want {%s %s %s}", tt.key, s.Key, s.Value, s.Encoding, tt.key, tt.wantJSON, tt.wantEncoding)
		}
		if _, err := hlc.ParseTimestamp(s.Timestamp); err != nil {
			t.Errorf("GET %s: timestamp %q: %v", tt.key, s.Timestamp, err)
		}
		// The socket client reads what HTTP wrote, byte for byte.
		sock, err := e.cli.Get(testCtx(t), tt.key)
		must(t, err)
		if len(sock) != 1 || string(sock[0].Value) != tt.body || sock[0].Encoding != tt.wantEncoding ||
			sock[0].Timestamp.String() != s.Timestamp {
			t.Errorf("socket Get %s = %+v", tt.key, sock)
		}
	}
	// A wildcard GET returns them all, sorted by key.
	all := samples(t, e.want(http.StatusOK, "GET", "/v/**", "", ""))
	var keys []string
	for _, s := range all {
		keys = append(keys, s.Key)
	}
	if len(keys) != len(tests) || !slices.IsSorted(keys) {
		t.Fatalf("GET v/** keys = %v", keys)
	}
	// A value put by the socket client is read over HTTP.
	must(t, e.cli.Put(testCtx(t), "v/fromsocket", []byte(`{"n":1}`), store.WithEncoding("application/json")))
	if got := samples(t, e.want(http.StatusOK, "GET", "/v/fromsocket", "", "")); string(got[0].Value) != `{"n":1}` {
		t.Fatalf("socket put read over HTTP: %s", got[0].Value)
	}
}

// ?_raw answers the first value as stored, with its encoding as
// Content-Type.
func TestRawValue(t *testing.T) {
	e := newEnv(t, server.Options{Storages: []server.Storage{mem("v", "v/**")}}, httpapi.Options{})
	e.want(http.StatusOK, "PUT", "/v/b", "text/plain", "second")
	e.want(http.StatusOK, "PUT", "/v/a", "image/png", "\x89PNG")
	e.want(http.StatusOK, "PUT", "/v/odd", "not a mime type", "x")
	for _, tt := range []struct{ path, body, ct string }{
		{"/v/b?_raw", "second", "text/plain"},
		{"/v/*?_raw", "\x89PNG", "image/png"},
		{"/v/odd?_raw", "x", "application/octet-stream"},
	} {
		code, body, h := e.do("GET", tt.path, "", nil)
		if code != http.StatusOK || body != tt.body || h.Get("Content-Type") != tt.ct {
			t.Errorf("GET %s = %d %q %q, want 200 %q %q", tt.path, code, body, h.Get("Content-Type"), tt.body, tt.ct)
		}
	}
	errorText(t, e.want(http.StatusNotFound, "GET", "/v/none?_raw", "", ""))
}

// Wildcard GETs and DELETEs, and deletes that stick.
func TestWildcards(t *testing.T) {
	e := newEnv(t, server.Options{Storages: []server.Storage{mem("d", "demo/**")}}, httpapi.Options{})
	for _, k := range []string{"demo/a/x", "demo/a/y", "demo/b/x", "demo/b/y/z"} {
		e.want(http.StatusOK, "PUT", "/"+k, "text/plain", k)
	}
	keysOf := func(path string) []string {
		var keys []string
		for _, s := range samples(t, e.want(http.StatusOK, "GET", path, "", "")) {
			keys = append(keys, s.Key)
		}
		return keys
	}
	for path, want := range map[string][]string{
		"/demo/*/x":    {"demo/a/x", "demo/b/x"},
		"/demo/b/**":   {"demo/b/x", "demo/b/y/z"},
		"/demo/*/x$*":  {"demo/a/x", "demo/b/x"},
		"/demo/c/**":   nil,
		"/demo/a/y":    {"demo/a/y"},
		"/demo/**/z":   {"demo/b/y/z"},
		"/demo/a/none": nil,
	} {
		if got := keysOf(path); !slices.Equal(got, want) {
			t.Errorf("GET %s = %v, want %v", path, got, want)
		}
	}
	e.want(http.StatusOK, "DELETE", "/demo/*/x", "", "")
	e.want(http.StatusOK, "DELETE", "/demo/a/y", "", "")
	if got := keysOf("/demo/**"); !slices.Equal(got, []string{"demo/b/y/z"}) {
		t.Fatalf("after deletes: %v", got)
	}
}

// Bad requests get a 4xx with a message, and nothing is stored.
func TestBadRequests(t *testing.T) {
	ro := mem("ro", "ro/**")
	ro.ReadOnly = true
	// A body with a Content-Length over max_value_size is streamed, within
	// max_stream_size: both limits are 1024 here.
	e := newEnv(t, server.Options{Storages: []server.Storage{mem("v", "v/**"), ro}, MaxValueSize: 1024, MaxStreamSize: 1024}, httpapi.Options{})
	big := strings.Repeat("x", 2000)
	tests := []struct {
		name, method, path, body string
		chunked                  bool
		code                     int
		wantInError              string
	}{
		{"empty chunk", "GET", "/v//x", "", false, 400, "empty chunk"},
		{"non-canonical", "GET", "/v/**/**", "", false, 400, "v/**/**"},
		{"stray wildcard", "GET", "/v/a*", "", false, 400, "v/a*"},
		{"wildcard put", "PUT", "/v/*", "x", false, 400, "wildcard"},
		{"wildcard put **", "PUT", "/v/**", "x", false, 400, "wildcard"},
		{"no key expression", "GET", "/", "", false, 400, "no key expression"},
		{"oversized body", "PUT", "/v/big", big, false, 413, "1024"},
		{"oversized chunked body", "PUT", "/v/big", big, true, 413, "1024"},
		{"wrong method", "TRACE", "/v/a", "", false, 405, "TRACE"},
		{"method on health", "PUT", "/health", "x", false, 405, "GET"},
		{"method on metrics", "DELETE", "/metrics", "", false, 405, "GET"},
		{"no storage", "PUT", "/other/x", "x", false, 404, "no storage"},
		{"read-only storage", "PUT", "/ro/x", "x", false, 403, "read-only"},
		{"read-only delete", "DELETE", "/ro/**", "", false, 403, "read-only"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var body io.Reader
			if tt.body != "" {
				body = strings.NewReader(tt.body)
				if tt.chunked {
					body = io.MultiReader(body) // no length: sent chunked
				}
			}
			code, b, _ := e.do(tt.method, tt.path, "text/plain", body)
			if code != tt.code {
				t.Fatalf("%d %s, want %d", code, b, tt.code)
			}
			if tt.method == "HEAD" {
				return
			}
			if msg := errorText(t, b); !strings.Contains(msg, tt.wantInError) {
				t.Fatalf("error %q does not mention %q", msg, tt.wantInError)
			}
		})
	}
	if got := samples(t, e.want(http.StatusOK, "GET", "/v/**", "", "")); len(got) != 0 {
		t.Fatalf("refused requests stored %v", got)
	}
	if st := e.srv.Stats(); st.Applied != 0 {
		t.Fatalf("Applied = %d after refused requests", st.Applied)
	}
}

// The admin routes: off without a token; with one, only for requests
// bearing it.
func TestAdminAuth(t *testing.T) {
	off := newEnv(t, server.Options{Storages: []server.Storage{mem("v", "v/**")}}, httpapi.Options{})
	msg := errorText(t, off.want(http.StatusNotFound, "GET", "/@admin", "", "", "Authorization", "Bearer anything"))
	if !strings.Contains(msg, "admin-token") {
		t.Fatalf("admin off: message %q does not say how to turn them on", msg)
	}
	on := newEnv(t, server.Options{Storages: []server.Storage{mem("v", "v/**")}}, httpapi.Options{AdminToken: "s3cret-token"})
	for _, tt := range []struct {
		name, auth string
		code       int
	}{
		{"no header", "", http.StatusUnauthorized},
		{"wrong token", "Bearer wrong", http.StatusUnauthorized},
		{"token prefix", "Bearer s3cret", http.StatusUnauthorized},
		{"token plus more", "Bearer s3cret-token2", http.StatusUnauthorized},
		{"wrong scheme", "Basic s3cret-token", http.StatusUnauthorized},
		{"right token", "Bearer s3cret-token", http.StatusOK},
		{"scheme case", "bearer s3cret-token", http.StatusOK},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var h []string
			if tt.auth != "" {
				h = []string{"Authorization", tt.auth}
			}
			for _, path := range []string{"/@admin", "/@admin/storages", "/@admin/volumes"} {
				code, body, hdr := on.do("GET", path, "", nil, h...)
				if code != tt.code {
					t.Fatalf("GET %s with %q: %d %s, want %d", path, tt.auth, code, body, tt.code)
				}
				if code == http.StatusUnauthorized && !strings.HasPrefix(hdr.Get("WWW-Authenticate"), "Bearer") {
					t.Fatalf("401 without WWW-Authenticate: Bearer")
				}
			}
			// A refused PUT changes nothing.
			code, _, _ := on.do("PUT", "/@admin/storages/x", "application/json",
				strings.NewReader(`{"key_expr":"x/**","volume":"memory"}`), h...)
			if tt.code == http.StatusUnauthorized && code != http.StatusUnauthorized {
				t.Fatalf("PUT with %q: %d", tt.auth, code)
			}
			if code == http.StatusOK {
				on.want(http.StatusOK, "DELETE", "/@admin/storages/x", "", "", h...)
			}
		})
	}
	if n := len(on.srv.Storages()); n != 1 {
		t.Fatalf("%d storages after the auth checks, want 1", n)
	}
}

const token = "tok"

var bearer = []string{"Authorization", "Bearer " + token}

// A storage added over HTTP at run time serves HTTP and socket requests,
// shows in the admin space, and goes away when removed.
func TestAdminAddRemoveStorage(t *testing.T) {
	e := newEnv(t, server.Options{Storages: []server.Storage{mem("v", "v/**")}}, httpapi.Options{AdminToken: token})
	ctx := testCtx(t)
	if err := e.cli.Put(ctx, "rt/before", []byte("x")); !errors.Is(err, proto.StatusNoStorage) {
		t.Fatalf("put before the storage exists: %v", err)
	}
	errorText(t, e.want(http.StatusNotFound, "PUT", "/rt/a", "text/plain", "a"))

	body := e.want(http.StatusOK, "PUT", "/@admin/storages/rt", "application/json",
		`{"key_expr":"rt/**","strip_prefix":"rt","volume":"memory","garbage_collection":{"lifespan":"1h","period":"60s"}}`, bearer...)
	var st server.StorageStatus
	must(t, json.Unmarshal([]byte(body), &st))
	if st.Name != "rt" || st.KeyExpr != "rt/**" || st.StripPrefix != "rt" || st.Volume != "memory" || st.Kind != "memory" || !st.Health.Healthy {
		t.Fatalf("added storage status %+v", st)
	}
	e.want(http.StatusOK, "PUT", "/rt/a", "text/plain", "a")
	must(t, e.cli.Put(ctx, "rt/b", []byte("b"), store.WithEncoding("text/plain")))
	got := samples(t, e.want(http.StatusOK, "GET", "/rt/**", "", ""))
	if len(got) != 2 || got[0].Key != "rt/a" || string(got[1].Value) != `"b"` {
		t.Fatalf("GET rt/** = %+v", got)
	}
	sock, err := e.cli.Get(ctx, "rt/**")
	must(t, err)
	if len(sock) != 2 {
		t.Fatalf("socket Get rt/** = %v", sock)
	}
	info, err := e.cli.Info(ctx)
	must(t, err)
	if len(info.Storages) != 2 || info.Storages[1].Name != "rt" {
		t.Fatalf("the admin key does not show the new storage: %+v", info.Storages)
	}
	// The same PUT again changes nothing (the data stays).
	e.want(http.StatusOK, "PUT", "/@admin/storages/rt", "application/json",
		`{"key_expr":"rt/**","strip_prefix":"rt","volume":"memory","garbage_collection":{"lifespan":"1h","period":"60s"}}`, bearer...)
	if got := samples(t, e.want(http.StatusOK, "GET", "/rt/**", "", "")); len(got) != 2 {
		t.Fatalf("an identical PUT replaced the storage: %v", got)
	}

	var list []server.StorageStatus
	must(t, json.Unmarshal([]byte(e.want(http.StatusOK, "GET", "/@admin/storages", "", "", bearer...)), &list))
	if len(list) != 2 || list[1].Name != "rt" {
		t.Fatalf("storages %+v", list)
	}
	var vols []server.VolumeStatus
	must(t, json.Unmarshal([]byte(e.want(http.StatusOK, "GET", "/@admin/volumes", "", "", bearer...)), &vols))
	if len(vols) != 1 || vols[0].Name != "memory" || !slices.Equal(vols[0].Storages, []string{"rt"}) {
		t.Fatalf("volumes %+v", vols)
	}
	errorText(t, e.want(http.StatusConflict, "DELETE", "/@admin/volumes/memory", "", "", bearer...))

	e.want(http.StatusOK, "DELETE", "/@admin/storages/rt", "", "", bearer...)
	errorText(t, e.want(http.StatusNotFound, "GET", "/@admin/storages/rt", "", "", bearer...))
	errorText(t, e.want(http.StatusNotFound, "DELETE", "/@admin/storages/rt", "", "", bearer...))
	errorText(t, e.want(http.StatusNotFound, "GET", "/rt/**", "", ""))
	if err := e.cli.Put(ctx, "rt/c", []byte("c")); !errors.Is(err, proto.StatusNoStorage) {
		t.Fatalf("socket put after removal: %v, want no storage", err)
	}
	if _, err := e.cli.Get(ctx, "v/**"); err != nil {
		t.Fatalf("the other storage stopped working: %v", err)
	}
	e.want(http.StatusOK, "DELETE", "/@admin/volumes/memory", "", "", bearer...)
}

// Admin PUTs with bad bodies are refused with 4xx and leave everything as
// it was.
func TestAdminBadInput(t *testing.T) {
	e := newEnv(t, server.Options{Storages: []server.Storage{mem("v", "v/**")}}, httpapi.Options{AdminToken: token})
	for _, tt := range []struct {
		path, body string
		code       int
		want       string
	}{
		{"/@admin/storages/x", `not json`, 400, "JSON"},
		{"/@admin/storages/x", `{"key_expr":"x/**"}`, 400, "volume is required"},
		{"/@admin/storages/x", `{"volume":"memory"}`, 400, "key_expr is required"},
		{"/@admin/storages/x", `{"key_expr":"x//y","volume":"memory"}`, 400, "key_expr"},
		{"/@admin/storages/x", `{"key_expr":"x/**","strip_prefix":"y","volume":"memory"}`, 400, "strip_prefix"},
		{"/@admin/storages/x", `{"key_expr":"x/**","volume":"nowhere"}`, 404, "nowhere"},
		{"/@admin/storages/x", `{"key_expr":"x/**","volume":"memory","colour":"red"}`, 400, "colour"},
		{"/@admin/storages/x", `{"key_expr":"x/**","volume":"memory","read_only":"yes"}`, 400, "read_only"},
		{"/@admin/storages/x", `{"key_expr":"x/**","volume":"memory","garbage_collection":{"period":"soon"}}`, 400, "period"},
		{"/@admin/storages/x", `{"key_expr":"x/**","volume":"memory","garbage_collection":{"period":60}}`, 400,
			`garbage_collection.period: want a duration such as "30s", not the number 60 (a number needs a unit: write 60s, not 60`},
		{"/@admin/storages/bad%20name", `{"key_expr":"x/**","volume":"memory"}`, 400, "name"},
		{"/@admin/volumes/x", `{"kind":"floppy"}`, 400, "floppy"},
		{"/@admin/volumes/x", `{"kind":"fs","colour":"red"}`, 400, "colour"},
		{"/@admin/volumes/x", `[1]`, 400, "JSON object"},
		{"/@admin/nothing", `{}`, 404, "no admin route"},
	} {
		msg := errorText(t, e.want(tt.code, "PUT", tt.path, "application/json", tt.body, bearer...))
		if !strings.Contains(msg, tt.want) {
			t.Errorf("PUT %s %s: error %q does not mention %q", tt.path, tt.body, msg, tt.want)
		}
	}
	if n, v := len(e.srv.Storages()), len(e.srv.Volumes()); n != 1 || v != 0 {
		t.Fatalf("after refused admin PUTs: %d storages, %d volumes", n, v)
	}
}

// Puts and gets over HTTP and the socket keep working, and never see a
// closed store, while a storage is added and removed over and over.
func TestRequestsDuringAddRemove(t *testing.T) {
	e := newEnv(t, server.Options{Storages: []server.Storage{mem("base", "base/**")}}, httpapi.Options{AdminToken: token})
	ctx := testCtx(t)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var mu sync.Mutex
	var failures []string
	fail := func(format string, args ...any) {
		mu.Lock()
		defer mu.Unlock()
		if len(failures) < 10 {
			failures = append(failures, fmt.Sprintf(format, args...))
		}
	}
	var first sync.WaitGroup // every writer has put its base key once
	first.Add(4)
	for g := range 4 {
		wg.Go(func() {
			for i := 0; ; i++ {
				if i > 0 {
					select {
					case <-stop:
						return
					default:
					}
				}
				if err := e.cli.Put(ctx, fmt.Sprintf("base/%d", g), []byte("x")); err != nil {
					fail("base put: %v", err)
				}
				if i == 0 {
					first.Done()
				}
				if err := e.cli.Put(ctx, fmt.Sprintf("flip/%d/%d", g, i), []byte("x")); err != nil && !errors.Is(err, proto.StatusNoStorage) {
					fail("flip put: %v", err)
				}
				if _, err := e.cli.Get(ctx, "flip/**"); err != nil && !errors.Is(err, proto.StatusNoStorage) {
					fail("flip get: %v", err)
				}
				req, err := http.NewRequest("PUT", e.url+fmt.Sprintf("/flip/h%d", g), bytes.NewReader([]byte("y")))
				if err != nil {
					fail("http request: %v", err)
					continue
				}
				resp, err := e.http.Do(req)
				if err != nil {
					fail("http put: %v", err)
					continue
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK && resp.StatusCode != http.StatusNotFound {
					fail("http put: %d", resp.StatusCode)
				}
			}
		})
	}
	for range 15 {
		if err := e.srv.AddStorage(ctx, server.StorageConfig{Name: "flip", KeyExpr: "flip/**", Volume: "memory"}); err != nil {
			t.Error(err)
		}
		e.want(http.StatusOK, "GET", "/@admin/storages/flip", "", "", bearer...)
		if err := e.srv.RemoveStorage(ctx, "flip"); err != nil {
			t.Error(err)
		}
	}
	first.Wait() // on a busy machine a writer may not have started yet
	close(stop)
	wg.Wait()
	for _, f := range failures {
		t.Error(f)
	}
	if got := samples(t, e.want(http.StatusOK, "GET", "/base/**", "", "")); len(got) != 4 {
		t.Fatalf("base/** = %v", got)
	}
}

// A backend that fails makes its puts fail (503, not acknowledged) and
// /health 503 naming the storage; it recovers by itself when the backend
// does.
func TestHealthFollowsTheBackend(t *testing.T) {
	flaky := &flakyStore{Store: mem("", "").Store}
	e := newEnv(t, server.Options{
		Storages:    []server.Storage{mem("good", "good/**"), {Name: "flaky", KeyExpr: "flaky/**", Store: flaky}},
		HealthProbe: 20 * 1e6, // 20ms
	}, httpapi.Options{})
	var rep server.HealthReport
	must(t, json.Unmarshal([]byte(e.want(http.StatusOK, "GET", "/health", "", "")), &rep))
	if !rep.Healthy || len(rep.Storages) != 2 {
		t.Fatalf("health %+v", rep)
	}
	flaky.down.Store(true)
	code, body, h := e.do("PUT", "/flaky/a", "text/plain", strings.NewReader("lost"))
	if code != http.StatusServiceUnavailable || !strings.Contains(errorText(t, body), "connection refused") || h.Get("Retry-After") == "" {
		t.Fatalf("PUT on a failing backend: %d %s", code, body)
	}
	e.want(http.StatusOK, "PUT", "/good/a", "text/plain", "kept")
	code, body, _ = e.do("GET", "/health", "", nil)
	must(t, json.Unmarshal([]byte(body), &rep))
	if code != http.StatusServiceUnavailable || rep.Healthy || !slices.Equal(rep.Unhealthy, []string{"flaky"}) ||
		!strings.Contains(rep.Storages["flaky"].LastError, "connection refused") || !rep.Storages["good"].Healthy {
		t.Fatalf("health while down: %d %s", code, body)
	}
	flaky.down.Store(false)
	eventually(t, "/health 200 after the backend came back", func() bool {
		code, _, _ := e.do("GET", "/health", "", nil)
		return code == http.StatusOK
	})
	// The failed put was never stored.
	if got := samples(t, e.want(http.StatusOK, "GET", "/flaky/**", "", "")); len(got) != 0 {
		t.Fatalf("the refused put was stored: %v", got)
	}
	e.want(http.StatusOK, "PUT", "/flaky/a", "text/plain", "now")
}

// Example-like use of the handler without a network.
func TestHandlerHeadAndPatch(t *testing.T) {
	e := newEnv(t, server.Options{Storages: []server.Storage{mem("v", "v/**")}}, httpapi.Options{})
	e.want(http.StatusOK, "PATCH", "/v/p", "text/plain", "patched")
	code, body, h := e.do("HEAD", "/v/p", "", nil)
	if code != http.StatusOK || body != "" || h.Get("Content-Type") != "application/json" {
		t.Fatalf("HEAD: %d %q %v", code, body, h)
	}
	got := samples(t, e.want(http.StatusOK, "POST", "/v/p", "", ""))
	if len(got) != 1 || string(got[0].Value) != `"patched"` {
		t.Fatalf("POST (a query) = %v", got)
	}
}
