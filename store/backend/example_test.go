package backend_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/zmesh/zmesh/store/backend"
	_ "github.com/zmesh/zmesh/store/backend/memory" // registers volume kind "memory"
	"github.com/zmesh/zmesh/store/hlc"
)

// A storage server builds its volumes from configuration by kind, opens one
// store per storage, and applies writes last-writer-wins.
func Example() {
	ctx := context.Background()
	vol, err := backend.NewVolume(ctx, "memory", nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer vol.Close(ctx)
	st, err := vol.Open(ctx, "demo", backend.StorageConfig{})
	if err != nil {
		fmt.Println(err)
		return
	}

	older := hlc.Timestamp{Time: 1_000, Source: hlc.ID{1}}
	newer := hlc.Timestamp{Time: 2_000, Source: hlc.ID{1}}
	applied, _ := st.Apply(ctx, backend.Entry{Key: "a/b", Value: []byte("new"), Timestamp: newer})
	fmt.Println("newer applied:", applied)
	applied, _ = st.Apply(ctx, backend.Entry{Key: "a/b", Value: []byte("old"), Timestamp: older})
	fmt.Println("older applied:", applied)

	e, ok, _ := st.Get(ctx, "a/b")
	fmt.Printf("%s = %s (found %v)\n", e.Key, e.Value, ok)
	_, ok, err = st.Get(ctx, "missing")
	fmt.Println("missing found:", ok, "error:", err)

	_, err = st.Apply(ctx, backend.Entry{Key: "a/\xff", Timestamp: newer})
	fmt.Println(errors.Is(err, backend.ErrInvalidKey))
	// Output:
	// newer applied: true
	// older applied: false
	// a/b = new (found true)
	// missing found: false error: <nil>
	// true
}

// Options decode a volume's or storage's YAML map with type checks, in the
// one grammar of zmesh's configuration: booleans unquoted, durations with a
// unit.
func ExampleOptions() {
	opts := backend.Options{"root": "/var/lib/zmesh", "lifespan": "24h", "read_only": true}
	if err := opts.Check("root", "lifespan", "read_only"); err != nil {
		fmt.Println(err)
		return
	}
	root, err1 := opts.String("root", "")
	lifespan, err2 := opts.Duration("lifespan", 0)
	ro, err3 := opts.Bool("read_only", false)
	if err := errors.Join(err1, err2, err3); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(root, lifespan, ro)

	err := backend.Options{"rot": "/tmp"}.Check("root")
	fmt.Println(errors.Is(err, backend.ErrInvalidConfig))
	_, err = backend.Options{"lifespan": 86400}.Duration("lifespan", 0)
	fmt.Println(err)
	// Output:
	// /var/lib/zmesh 24h0m0s true
	// true
	// backend: invalid configuration: option "lifespan": a number needs a unit: write 86400s, not 86400
}
