package server

import (
	"slices"
	"testing"

	"github.com/zmesh/zmesh/store/backend"
)

// Three storages: one with a strip prefix, one nested in it without, and
// a catch-all. Each request must reach exactly the storages whose key
// expression intersects it, and land under the stripped key.
func TestRoutingAndStripPrefix(t *testing.T) {
	demo := mem("demo", "demo/**", "demo")
	sensors := mem("sensors", "demo/sensors/*/temp", "")
	f := start(t, setup{opts: Options{Storages: []Storage{demo, sensors, mem("rest", "rest/**", "")}}})
	ctx := testCtx(t)

	must(t, f.cli.Put(ctx, "demo", []byte("root")))              // the prefix itself: the empty key
	must(t, f.cli.Put(ctx, "demo/a", []byte("1")))               // demo only
	must(t, f.cli.Put(ctx, "demo/sensors/s1/temp", []byte("2"))) // both demo and sensors
	must(t, f.cli.Put(ctx, "rest/x/y", []byte("3")))

	if got := keys(entries(t, demo.Store)); !slices.Equal(got, []string{"", "a", "sensors/s1/temp"}) {
		t.Fatalf("demo store holds %q", got)
	}
	if got := keys(entries(t, sensors.Store)); !slices.Equal(got, []string{"demo/sensors/s1/temp"}) {
		t.Fatalf("sensors store holds %q", got)
	}
	for sel, want := range map[string][]string{
		"demo/**":          {"demo=root", "demo/a=1", "demo/sensors/s1/temp=2"},
		"demo":             {"demo=root"},
		"demo/*":           {"demo/a=1"},
		"demo/sensors/**":  {"demo/sensors/s1/temp=2"},
		"**/temp":          {"demo/sensors/s1/temp=2"},
		"**":               {"demo=root", "demo/a=1", "demo/sensors/s1/temp=2", "rest/x/y=3"},
		"demo/a":           {"demo/a=1"},
		"demo/b":           {},
		"rest/*/y?limit=1": {"rest/x/y=3"},
		"de$*/a":           {"demo/a=1"},
	} {
		if got := f.getKV(sel); !slices.Equal(got, want) {
			t.Errorf("get %s = %q, want %q", sel, got, want)
		}
	}
}

func keys(m map[string]backend.Entry) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
