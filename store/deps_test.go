package store

import (
	"os/exec"
	"strings"
	"testing"
)

// A program that only talks to storage servers imports this package and
// nothing of the server: not the server itself, nor its storage backends,
// nor the YAML configuration machinery.
func TestClientImportsNothingOfTheServer(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go list -deps: %v\n%s", err, out)
	}
	forbidden := []string{
		"gopkg.in/yaml.v3",
		"github.com/zmesh/zmesh/config",
		"github.com/zmesh/zmesh/internal/yamlx",
		"github.com/zmesh/zmesh/store/server",
		"github.com/zmesh/zmesh/store/backend",
	}
	deps := strings.Fields(string(out))
	if len(deps) < 10 {
		t.Fatalf("go list -deps listed only %q", deps)
	}
	for _, dep := range deps {
		for _, f := range forbidden {
			if dep == f || strings.HasPrefix(dep, f+"/") {
				t.Errorf("package store depends on %s", dep)
			}
		}
	}
}
