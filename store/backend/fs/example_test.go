package fs_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/zmesh/zmesh/store/backend"
	"github.com/zmesh/zmesh/store/backend/fs"
	"github.com/zmesh/zmesh/store/hlc"
)

func Example() {
	dir, err := os.MkdirTemp("", "zmesh-fs-example")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)
	ctx := context.Background()

	s, err := fs.Open(dir)
	if err != nil {
		fmt.Println(err)
		return
	}
	ts := hlc.Timestamp{Time: 1_800_000_000_000_000_000, Source: hlc.ID{1}}
	// "a" and "a/b" are both keys: the files a~ and a/b~.
	s.Apply(ctx, backend.Entry{Key: "a", Value: []byte("1"), Encoding: "text/plain", Timestamp: ts})
	s.Apply(ctx, backend.Entry{Key: "a/b", Value: []byte("2"), Encoding: "text/plain", Timestamp: ts})
	// Hostile keys land inside the directory, encoded.
	s.Apply(ctx, backend.Entry{Key: "../Etc", Value: []byte("3"), Timestamp: ts})
	s.Close(ctx)

	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if rel, _ := filepath.Rel(dir, p); !d.IsDir() && rel != ".lock" {
			fmt.Println(filepath.ToSlash(rel))
		}
		return nil
	})

	// Reopened, the store has everything that Apply acknowledged.
	if s, err = fs.Open(dir); err != nil {
		fmt.Println(err)
		return
	}
	defer s.Close(ctx)
	e, ok, _ := s.Get(ctx, "../Etc")
	fmt.Printf("%q %v %s\n", e.Key, ok, e.Value)
	// Output:
	// %2e./^etc~
	// a/b~
	// a~
	// "../Etc" true 3
}

// A volume of kind "fs" opens one directory per storage under its root.
func ExampleVolume() {
	root, err := os.MkdirTemp("", "zmesh-fs-volume")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(root)
	ctx := context.Background()

	vol, err := backend.NewVolume(ctx, fs.Kind, backend.Options{"root": root})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer vol.Close(ctx)
	st, err := vol.Open(ctx, "demo", backend.StorageConfig{Options: backend.Options{"dir": "data/demo"}})
	if err != nil {
		fmt.Println(err)
		return
	}
	applied, err := st.Apply(ctx, backend.Entry{Key: "k", Value: []byte("v"), Timestamp: hlc.Timestamp{Time: 1}})
	fmt.Println(applied, err)
	_, err = os.Stat(filepath.Join(root, "data", "demo", "k~"))
	fmt.Println(err == nil)
	// Output:
	// true <nil>
	// true
}
