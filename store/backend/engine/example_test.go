package engine_test

import (
	"context"
	"fmt"
	"os"

	"github.com/zmesh/zmesh/store/backend"
	"github.com/zmesh/zmesh/store/backend/engine"
	"github.com/zmesh/zmesh/store/hlc"
)

// A volume of kind "engine" keeps every storage in one engine directory,
// each under its own namespace; what Apply acknowledged is there after a
// reopen.
func Example() {
	root, err := os.MkdirTemp("", "zmesh-engine-example")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(root)
	ctx := context.Background()
	opts := backend.Options{"root": root} // sync: always, the default

	vol, err := backend.NewVolume(ctx, engine.Kind, opts)
	if err != nil {
		fmt.Println(err)
		return
	}
	ts := hlc.Timestamp{Time: 1_800_000_000_000_000_000, Source: hlc.ID{1}}
	demo, _ := vol.Open(ctx, "demo", backend.StorageConfig{})
	logs, _ := vol.Open(ctx, "logs", backend.StorageConfig{})
	demo.Apply(ctx, backend.Entry{Key: "b", Value: []byte("2"), Encoding: "text/plain", Timestamp: ts})
	demo.Apply(ctx, backend.Entry{Key: "a", Value: []byte("1"), Encoding: "text/plain", Timestamp: ts})
	logs.Apply(ctx, backend.Entry{Key: "a", Value: []byte("log"), Timestamp: ts})
	// An older write loses; a newer delete leaves a tombstone.
	applied, _ := demo.Apply(ctx, backend.Entry{Key: "a", Value: []byte("old"), Timestamp: hlc.Timestamp{Time: 1}})
	fmt.Println("older write applied:", applied)
	demo.Apply(ctx, backend.Entry{Key: "b", Deleted: true, Timestamp: hlc.Timestamp{Time: ts.Time + 1}})
	vol.Close(ctx)

	vol, err = backend.NewVolume(ctx, engine.Kind, opts)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer vol.Close(ctx)
	demo, _ = vol.Open(ctx, "demo", backend.StorageConfig{})
	demo.Scan(ctx, "", backend.ScanValues, func(e backend.Entry) error {
		fmt.Printf("%s deleted=%v %q\n", e.Key, e.Deleted, e.Value)
		return nil
	})
	// Output:
	// older write applied: false
	// a deleted=false "1"
	// b deleted=true ""
}
