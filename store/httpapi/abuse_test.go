package httpapi_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"testing"

	"github.com/zmesh/zmesh/store/httpapi"
	"github.com/zmesh/zmesh/store/server"
)

// TestAdminVolumeOutsideRootIsForbidden: an fs volume added through the
// admin API must lie under the server's volume root; one elsewhere is
// refused with 403 and a message naming the root, and nothing is added.
func TestAdminVolumeOutsideRootIsForbidden(t *testing.T) {
	root := t.TempDir()
	e := newEnv(t, server.Options{Storages: []server.Storage{mem("v", "v/**")}, VolumeRoot: root},
		httpapi.Options{AdminToken: token})
	body := func(dir string) string {
		b, err := json.Marshal(map[string]any{"kind": "fs", "root": dir})
		must(t, err)
		return string(b)
	}
	for _, dir := range []string{t.TempDir(), "/", filepath.Join(root, "..", "elsewhere")} {
		msg := errorText(t, e.want(http.StatusForbidden, "PUT", "/@admin/volumes/x", "application/json", body(dir), bearer...))
		if !strings.Contains(msg, "outside the volume root") || !strings.Contains(msg, root) {
			t.Errorf("PUT a volume at %s: error %q does not say it is outside the volume root %s", dir, msg, root)
		}
	}
	if v := len(e.srv.Volumes()); v != 0 {
		t.Fatalf("after refused PUTs: %d volumes", v)
	}
	e.want(http.StatusOK, "PUT", "/@admin/volumes/x", "application/json", body(filepath.Join(root, "x")), bearer...)
	if v := len(e.srv.Volumes()); v != 1 {
		t.Fatalf("after a PUT under the root: %d volumes, want 1", v)
	}
}

// TestRawKeyHeaderIsPercentEncoded: GET /<key>?_raw answers a valid HTTP
// response whatever bytes the key holds, and its X-Zmesh-Key header
// decodes back to the key (url.PathUnescape).
func TestRawKeyHeaderIsPercentEncoded(t *testing.T) {
	e := newEnv(t, server.Options{Storages: []server.Storage{mem("k", "**")}}, httpapi.Options{})
	ctx := testCtx(t)
	host := strings.TrimPrefix(e.url, "http://")
	for _, key := range []string{"a\x00b", "cr\r\nlf", "é/ü", "100%", "plain/key"} {
		t.Run(url.PathEscape(key), func(t *testing.T) {
			must(t, e.cli.Put(ctx, key, []byte("v")))
			// A raw request, so that nothing on the client side repairs or
			// refuses what the server writes.
			path := "/" + strings.ReplaceAll(url.PathEscape(key), "%2F", "/") + "?_raw"
			nc, err := net.Dial("tcp", host)
			must(t, err)
			defer nc.Close()
			_, err = fmt.Fprintf(nc, "GET %s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n", path, host)
			must(t, err)
			raw, err := io.ReadAll(nc)
			must(t, err)
			head, body, ok := bytes.Cut(raw, []byte("\r\n\r\n"))
			if !ok || string(body) != "v" {
				t.Fatalf("GET %s: %q, want a response with body v", path, raw)
			}
			lines := strings.Split(string(head), "\r\n")
			if lines[0] != "HTTP/1.1 200 OK" {
				t.Fatalf("GET %s: status line %q", path, lines[0])
			}
			var got string
			for _, l := range lines[1:] {
				for _, c := range []byte(l) {
					if c < 0x20 && c != '\t' || c == 0x7f {
						t.Fatalf("GET %s: header line %q holds the control byte %#x", path, l, c)
					}
				}
				if v, ok := strings.CutPrefix(l, "X-Zmesh-Key: "); ok {
					got = v
				}
			}
			dec, err := url.PathUnescape(got)
			if err != nil || dec != key {
				t.Fatalf("X-Zmesh-Key %q decodes to %q (%v), want %q", got, dec, err, key)
			}
		})
	}
}
