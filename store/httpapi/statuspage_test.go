package httpapi_test

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/zmesh/zmesh/store/backend"
	"github.com/zmesh/zmesh/store/httpapi"
	"github.com/zmesh/zmesh/store/server"
)

// chromium returns the browser the status-page test drives: $ZMESH_CHROMIUM,
// or Debian's chromium (make test installs it, scripts/install-chromium.sh).
// Without one the test skips, or fails under CI=true.
func chromium(t *testing.T) string {
	t.Helper()
	for _, p := range []string{os.Getenv("ZMESH_CHROMIUM"), "/usr/bin/chromium"} {
		if p != "" {
			if _, err := os.Stat(p); err == nil {
				return p
			}
		}
	}
	if p, err := exec.LookPath("chromium"); err == nil {
		return p
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("no chromium: run `make deps-chromium` (scripts/install-chromium.sh) or set ZMESH_CHROMIUM")
	}
	t.Skip("no chromium (scripts/install-chromium.sh installs it; under CI=true this test fails instead)")
	return ""
}

// artifactDir is where tests leave files for a person to look at:
// $ZMESH_ARTIFACTS, or the test's temporary directory.
func artifactDir(t *testing.T) string {
	if d := os.Getenv("ZMESH_ARTIFACTS"); d != "" {
		must(t, os.MkdirAll(d, 0o755))
		return d
	}
	return t.TempDir()
}

// The status page, in headless Chromium, shows the storages with their
// health, the volumes with an engine volume's figures, the request
// counters, and a put made while it is open arriving in the recent
// changes through the event stream.
func TestStatusPageInBrowser(t *testing.T) {
	exe := chromium(t)
	root := t.TempDir()
	e := newEnv(t, server.Options{Storages: []server.Storage{mem("demo", "demo/**")}, VolumeRoot: root}, httpapi.Options{})
	ctx := testCtx(t)
	must(t, e.srv.AddVolume(ctx, server.VolumeConfig{Name: "disk", Kind: "engine", Options: backend.Options{"root": filepath.Join(root, "disk")}}))
	must(t, e.srv.AddStorage(ctx, server.StorageConfig{Name: "sensors", KeyExpr: "sensors/**", Volume: "disk"}))
	must(t, e.cli.Put(ctx, "sensors/t1", []byte("21.5")))

	// The client's handshake reaches Peers through the socket's monitor,
	// asynchronously.
	eventually(t, "the client is a peer", func() bool { return len(e.srv.Peers()) > 0 })

	// What the page is built from, checked first so that a failure below
	// is the page's.
	var st httpapi.Status
	must(t, json.Unmarshal([]byte(e.want(200, "GET", httpapi.StatusPath, "", "")), &st))
	if len(st.Storages) != 2 || len(st.Volumes) != 1 || st.Volumes[0].Engine == nil || len(st.Peers) == 0 {
		t.Fatalf("status: %+v", st)
	}

	profile := t.TempDir()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(exe),
		chromedp.Flag("headless", true),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(profile),
		chromedp.WindowSize(1200, 1000),
	)
	bctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	actx, cancelAlloc := chromedp.NewExecAllocator(bctx, opts...)
	defer cancelAlloc()
	tctx, cancelTab := chromedp.NewContext(actx, chromedp.WithLogf(t.Logf))
	defer cancelTab()

	must(t, chromedp.Do(tctx,
		chromedp.Navigate(e.url+"/"),
		chromedp.WaitVisible(`#storages tbody tr[data-name="sensors"]`),
		chromedp.WaitVisible(`#volumes tbody tr[data-name="disk"]`),
	))
	text := func(sel string) string {
		t.Helper()
		s, err := chromedp.Run(tctx, chromedp.Text(sel))
		must(t, err)
		return s
	}
	for sel, want := range map[string][]string{
		`#health`:                                 {"healthy"},
		`#storages tbody tr[data-name="demo"]`:    {"demo", "demo/**", "memory", "healthy"},
		`#storages tbody tr[data-name="sensors"]`: {"sensors", "sensors/**", "disk", "engine", "healthy"},
		`#volumes tbody tr[data-name="disk"]`:     {"disk", "engine", "sensors"},
		`#requests tbody`:                         {"put", "query"},
		`#peers tbody`:                            {"127.0.0.1:"},
		`#server-id`:                              {st.Server.ID},
	} {
		got := text(sel)
		for _, w := range want {
			if !strings.Contains(got, w) {
				t.Errorf("%s shows %q, want it to contain %q", sel, got, w)
			}
		}
	}

	// A put made now arrives live, through the event stream.
	poll := func(expr string) {
		t.Helper()
		if _, err := chromedp.Run(tctx, chromedp.Poll[bool](expr)); err != nil {
			t.Fatalf("page never made true %s: %v", expr, err)
		}
	}
	poll(`document.getElementById("stream").textContent === "(live)"`)
	e.want(200, "PUT", "/demo/live", "text/plain", "hello from the test")
	must(t, chromedp.Do(tctx, chromedp.WaitVisible(`#changes li[data-key="demo/live"]`)))
	if got := text(`#changes li[data-key="demo/live"]`); !strings.Contains(got, `"hello from the test"`) || !strings.Contains(got, "PUT") || !strings.Contains(got, "[demo]") {
		t.Errorf("recent change shows %q", got)
	}
	// The page turns counters into rates once it has two answers.
	poll(`document.querySelector('#requests tbody td:nth-child(3)').textContent !== "–"`)

	shot, err := chromedp.Run(tctx, chromedp.FullScreenshot(100))
	must(t, err)
	path := filepath.Join(artifactDir(t), "status-page.png")
	if !strings.HasPrefix(string(shot[:4]), "\x89PNG") {
		path = strings.TrimSuffix(path, ".png") + ".jpeg"
	}
	must(t, os.WriteFile(path, shot, 0o644))
	t.Logf("screenshot of the status page: %s (%d bytes)", path, len(shot))
}

// GET / answers the status page to a browser (Accept: text/html) and
// keeps its 400 for everyone else; the page loads nothing from elsewhere.
func TestStatusPageRoute(t *testing.T) {
	e := newEnv(t, server.Options{Storages: []server.Storage{mem("demo", "demo/**")}}, httpapi.Options{})
	code, body, hdr := e.do("GET", "/", "", nil, "Accept", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8")
	if code != 200 || hdr.Get("Content-Type") != "text/html; charset=utf-8" || !strings.Contains(body, "<title>zmesh status</title>") {
		t.Fatalf("GET / as a browser: %d %s", code, hdr.Get("Content-Type"))
	}
	if csp := hdr.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") || !strings.Contains(csp, "connect-src 'self'") {
		t.Fatalf("Content-Security-Policy %q", csp)
	}
	for _, ext := range []string{"http://", "https://", "//cdn", "src=\"/"} {
		if strings.Contains(body, ext) {
			t.Errorf("the page refers to %q: it must work without network access", ext)
		}
	}
	for _, accept := range []string{"", "*/*", "application/json"} {
		code, body, _ := e.do("GET", "/", "", nil, "Accept", accept)
		if code != 400 || !strings.Contains(errorText(t, body), "no key expression") {
			t.Errorf("GET / with Accept %q: %d %s, want the 400 it always gave", accept, code, body)
		}
	}
	var st httpapi.Status
	must(t, json.Unmarshal([]byte(e.want(200, "GET", httpapi.StatusPath, "", "")), &st))
	if !st.Healthy || len(st.Storages) != 1 || st.Storages[0].Name != "demo" || st.Storages[0].KeyExpr != "demo/**" || len(st.Requests) != 4 {
		t.Fatalf("status %+v", st)
	}
	e.want(405, "PUT", httpapi.StatusPath, "", "x")
}
