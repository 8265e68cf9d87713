package s3_test

import (
	"context"
	"fmt"
	"log"

	"github.com/zmesh/zmesh/store/backend"
	"github.com/zmesh/zmesh/store/backend/s3"
)

// Keys map to flat object names: "a" and "a/b" can live side by side, and
// so can the empty key and keys with "..", "//" or any byte.
func ExampleObjectName() {
	for _, key := range []string{"", "a", "a/b", "a//b", "../x", "50%", "日本"} {
		name, err := s3.ObjectName(key)
		if err != nil {
			log.Fatal(err)
		}
		back, _ := s3.KeyOf(name)
		fmt.Printf("%q -> %q -> %q\n", key, name, back)
	}
	// Output:
	// "" -> "!" -> ""
	// "a" -> "a!" -> "a"
	// "a/b" -> "a_/b!" -> "a/b"
	// "a//b" -> "a_/_/b!" -> "a//b"
	// "../x" -> ".._/x!" -> "../x"
	// "50%" -> "50_25!" -> "50%"
	// "日本" -> "_E6_97_A5_E6_9C_AC!" -> "日本"
}

// A volume on a MinIO server, and a storage in its own bucket, as the
// storage server builds them from YAML.
func ExampleNewVolume() {
	ctx := context.Background()
	vol, err := backend.NewVolume(ctx, s3.Kind, backend.Options{
		"url":        "https://minio.internal:9000",
		"access_key": "zmesh",
		"secret_key": "change-me",
		"tls":        map[string]any{"root_ca_certificate_file": "/etc/zmesh/ca.pem"},
	})
	if err != nil {
		log.Fatal(err)
	}
	defer vol.Close(ctx)
	store, err := vol.Open(ctx, "demo", backend.StorageConfig{Options: backend.Options{
		"bucket":     "zmesh-demo",
		"on_closure": "do_nothing",
	}})
	if err != nil {
		log.Fatal(err) // for example s3.ErrCredentials, s3.ErrNoBucket
	}
	defer store.Close(ctx)
}
