package main

import (
	"encoding/json"
	"io"
	"net/http"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

var httpLine = regexp.MustCompile(`zmesh serve: http listening on (\S+)`)

// httpDo sends one request to a serve's HTTP face.
func httpDo(t *testing.T, method, url, token, body string) (int, string) {
	t.Helper()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, url, r)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	req.Header.Set("Content-Type", "text/plain")
	c := &http.Client{Timeout: 30 * time.Second}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}

// serve --http serves the HTTP face beside the socket: what one writes
// the other reads, /health and /metrics answer, and the admin routes
// (token from the flag) add a storage the CLI then uses.
func TestServeHTTP(t *testing.T) {
	cfg := writeConfig(t, strings.ReplaceAll(testConfig, "%ROOT%", t.TempDir()))
	s := startServe(t, "-c", cfg, "--http", "127.0.0.1:0", "--admin-token", "flag-token")
	m := httpLine.FindStringSubmatch(s.stderr.String())
	if m == nil || strings.HasSuffix(m[1], ":0") {
		t.Fatalf("serve does not say where HTTP listens:\n%s", s.stderr)
	}
	base := "http://" + m[1]
	if code, body := httpDo(t, "PUT", base+"/demo/h", "", "from http"); code != 200 {
		t.Fatalf("PUT: %d %s", code, body)
	}
	if code, out, errOut := runCmd(t, "get", "--connect", s.endpoint, "demo/h"); code != 0 || out != "demo/h\tfrom http\n" {
		t.Fatalf("zmesh get of an HTTP put: %d %q %s", code, out, errOut)
	}
	if code, _, errOut := runCmd(t, "put", "--connect", s.endpoint, "demo/c", "from cli"); code != 0 {
		t.Fatalf("put: %s", errOut)
	}
	code, body := httpDo(t, "GET", base+"/demo/**", "", "")
	var samples []struct{ Key, Value any }
	if code != 200 || json.Unmarshal([]byte(body), &samples) != nil || len(samples) != 2 {
		t.Fatalf("GET demo/**: %d %s", code, body)
	}
	if code, body := httpDo(t, "GET", base+"/health", "", ""); code != 200 || !strings.Contains(body, `"healthy":true`) {
		t.Fatalf("/health: %d %s", code, body)
	}
	if code, body := httpDo(t, "GET", base+"/metrics", "", ""); code != 200 || !strings.Contains(body, `zmesh_store_requests_total{kind="put",status="ok"} 2`) {
		t.Fatalf("/metrics: %d %s", code, body)
	}
	if code, _ := httpDo(t, "GET", base+"/@admin", "wrong", ""); code != 401 {
		t.Fatalf("admin with a wrong token: %d", code)
	}
	if code, body := httpDo(t, "PUT", base+"/@admin/storages/rt", "flag-token", `{"key_expr":"rt/**","volume":"memory"}`); code != 200 {
		t.Fatalf("admin PUT storage: %d %s", code, body)
	}
	if code, _, errOut := runCmd(t, "put", "--connect", s.endpoint, "rt/x", "added at run time"); code != 0 {
		t.Fatalf("put into the added storage: %s", errOut)
	}
	if code, body := httpDo(t, "GET", base+"/rt/x?_raw", "", ""); code != 200 || body != "added at run time" {
		t.Fatalf("GET rt/x: %d %q", code, body)
	}
	if code, body := httpDo(t, "DELETE", base+"/@admin/storages/rt", "flag-token", ""); code != 200 {
		t.Fatalf("admin DELETE storage: %d %s", code, body)
	}
	if code, _, _ := runCmd(t, "put", "--connect", s.endpoint, "rt/y", "gone"); code == 0 {
		t.Fatal("put into a removed storage succeeded")
	}
}

// The admin token comes from ZMESH_ADMIN_TOKEN when the flag is absent;
// without any token the admin routes are off; without --http there is no
// HTTP at all.
func TestServeHTTPAdminToken(t *testing.T) {
	cfg := writeConfig(t, strings.ReplaceAll(testConfig, "%ROOT%", t.TempDir()))
	t.Setenv("ZMESH_ADMIN_TOKEN", "env-token")
	s := startServe(t, "-c", cfg, "--http", "127.0.0.1:0")
	base := "http://" + httpLine.FindStringSubmatch(s.stderr.String())[1]
	if code, body := httpDo(t, "GET", base+"/@admin/storages", "env-token", ""); code != 200 || !strings.Contains(body, `"name":"demo"`) {
		t.Fatalf("admin with the env token: %d %s", code, body)
	}
	s.shutdown(t)

	t.Setenv("ZMESH_ADMIN_TOKEN", "")
	cfg2 := writeConfig(t, strings.ReplaceAll(testConfig, "%ROOT%", t.TempDir()))
	s = startServe(t, "-c", cfg2, "--http", "127.0.0.1:0")
	if !strings.Contains(s.stderr.String(), "http admin routes off") {
		t.Fatalf("serve does not say the admin routes are off:\n%s", s.stderr)
	}
	base = "http://" + httpLine.FindStringSubmatch(s.stderr.String())[1]
	if code, body := httpDo(t, "GET", base+"/@admin", "anything", ""); code != 404 || !strings.Contains(body, "admin-token") {
		t.Fatalf("admin without a token configured: %d %s", code, body)
	}
	s.shutdown(t)

	cfg3 := writeConfig(t, strings.ReplaceAll(testConfig, "%ROOT%", t.TempDir()))
	s = startServe(t, "-c", cfg3)
	if strings.Contains(s.stderr.String(), "http listening") {
		t.Fatalf("HTTP without --http:\n%s", s.stderr)
	}
}

func TestServeHTTPBadAddress(t *testing.T) {
	cfg := writeConfig(t, strings.ReplaceAll(testConfig, "%ROOT%", t.TempDir()))
	code, _, errOut := runCmd(t, "serve", "-c", cfg, "--http", "127.0.0.1:notaport")
	if code != 1 || !strings.Contains(errOut, "zmesh serve: http: listen tcp") {
		t.Fatalf("exit %d:\n%s", code, errOut)
	}
}

// --admin-volume-root is where fs volumes added through the admin routes
// must lie: one under it is added, one elsewhere is refused with 403.
func TestServeHTTPAdminVolumeRoot(t *testing.T) {
	cfg := writeConfig(t, strings.ReplaceAll(testConfig, "%ROOT%", t.TempDir()))
	root := t.TempDir()
	s := startServe(t, "-c", cfg, "--http", "127.0.0.1:0", "--admin-token", "tok", "--admin-volume-root", root)
	base := "http://" + httpLine.FindStringSubmatch(s.stderr.String())[1]
	in, err := json.Marshal(map[string]string{"kind": "fs", "root": filepath.Join(root, "v")})
	if err != nil {
		t.Fatal(err)
	}
	if code, body := httpDo(t, "PUT", base+"/@admin/volumes/in", "tok", string(in)); code != 200 {
		t.Fatalf("admin PUT of a volume under the root: %d %s", code, body)
	}
	out, err := json.Marshal(map[string]string{"kind": "fs", "root": t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	if code, body := httpDo(t, "PUT", base+"/@admin/volumes/out", "tok", string(out)); code != 403 || !strings.Contains(body, "volume root") {
		t.Fatalf("admin PUT of a volume outside the root: %d %s, want 403 naming the volume root", code, body)
	}
}
