package server

import (
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/zmesh/zmesh/config"
	"github.com/zmesh/zmesh/store/keyexpr"
)

// FuzzParseConfig feeds arbitrary bytes to the storage server's
// configuration loader. It must never panic, must refuse with one
// single-line *config.Error naming the file, and what it accepts must keep
// the loader's promises: valid key expressions, strip prefixes that prefix
// every key, storages on declared volumes, a server with an endpoint.
func FuzzParseConfig(f *testing.F) {
	f.Add([]byte(DefaultConfigYAML))
	f.Add([]byte("storages: {a: {key_expr: 'demo/**', strip_prefix: demo, volume: {id: memory, x: 1}}}\n"))
	f.Add([]byte("requests: {max_value_size: 16MiB, max_drift: 'off'}\ngarbage_collection: {period: 5, lifespan: 1h}\nstorages: {a: {key_expr: '**', volume: memory}}\n"))
	for _, name := range []string{"testdata/full.yaml", "../../examples/storage/zmesh.yaml", "../../examples/storage/s3.yaml"} {
		if data, err := os.ReadFile(name); err == nil {
			f.Add(data)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := ParseConfig("fuzz.yaml", data)
		if err != nil {
			var e *config.Error
			if !errors.As(err, &e) {
				t.Fatalf("%T is not a *config.Error: %v", err, err)
			}
			if msg := err.Error(); strings.Contains(msg, "\n") || !strings.HasPrefix(msg, "fuzz.yaml") {
				t.Fatalf("badly formed error %q", msg)
			}
			return
		}
		volumes := map[string]bool{"memory": true}
		for _, v := range c.Volumes {
			volumes[v.Name] = true
		}
		if len(c.Storages) == 0 {
			t.Fatal("accepted a configuration without storages")
		}
		for _, s := range c.Storages {
			if err := keyexpr.Validate(s.KeyExpr); err != nil {
				t.Fatalf("storage %q: accepted key_expr %q: %v", s.Name, s.KeyExpr, err)
			}
			if s.StripPrefix != "" && !keyexpr.Includes(s.StripPrefix+"/**", s.KeyExpr) {
				t.Fatalf("storage %q: accepted strip_prefix %q for %q", s.Name, s.StripPrefix, s.KeyExpr)
			}
			if !volumes[s.Volume] {
				t.Fatalf("storage %q on undeclared volume %q", s.Name, s.Volume)
			}
		}
		if c.Server != nil && len(c.Server.Bind)+len(c.Server.Connect) == 0 {
			t.Fatal("accepted a server without endpoints")
		}
	})
}
