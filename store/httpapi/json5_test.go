package httpapi_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/zmesh/zmesh/store/httpapi"
	"github.com/zmesh/zmesh/store/server"
)

// The admin routes take JSON5 bodies, as Zenoh's admin space does:
// comments, unquoted keys, single quotes, trailing commas, hex numbers.
func TestAdminTakesJSON5(t *testing.T) {
	e := newEnv(t, server.Options{Storages: []server.Storage{mem("v", "v/**")}}, httpapi.Options{AdminToken: token})
	body := e.want(http.StatusOK, "PUT", "/@admin/storages/rt", "application/json5", `{
		// a storage added at run time
		key_expr: 'rt/**',
		strip_prefix: "rt",
		volume: 'memory', /* the built-in one */
		garbage_collection: {lifespan: '1h', period: '60s',},
	}`, bearer...)
	var st server.StorageStatus
	must(t, json.Unmarshal([]byte(body), &st))
	if st.Name != "rt" || st.KeyExpr != "rt/**" || st.StripPrefix != "rt" || st.Volume != "memory" {
		t.Fatalf("added storage status %+v", st)
	}
	e.want(http.StatusOK, "PUT", "/rt/a", "text/plain", "a")

	msg := errorText(t, e.want(http.StatusBadRequest, "PUT", "/@admin/storages/x", "application/json",
		"{\n  key_expr: 'x/**',\n  volume: 'memory'\n", bearer...))
	if !strings.Contains(msg, "JSON5") || !strings.Contains(msg, "unterminated object") {
		t.Fatalf("error %q does not say what is wrong", msg)
	}
	msg = errorText(t, e.want(http.StatusBadRequest, "PUT", "/@admin/storages/x", "application/json",
		"{key_expr: 'x/**', volume: 'memory'} {}", bearer...))
	if !strings.Contains(msg, "text after the value") {
		t.Fatalf("two values: error %q", msg)
	}
}
