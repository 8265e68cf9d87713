package httpapi_test

import (
	"encoding/json"
	"net/http"
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
