package s3

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/zmesh/zmesh/internal/s3test"
	"github.com/zmesh/zmesh/store/backend"
)

// TestPrivateCredentials checks Zenoh's shape for S3 credentials,
// `private: {access_key, secret_key}`, beside the top-level keys.
func TestPrivateCredentials(t *testing.T) {
	priv := func(m map[string]any) backend.Options {
		return backend.Options{"url": "http://127.0.0.1:9000", "private": m}
	}
	good := []struct {
		name       string
		opts       backend.Options
		key, secre string
	}{
		{"both under private", priv(map[string]any{"access_key": "a", "secret_key": "s"}), "a", "s"},
		{"split", backend.Options{"url": "http://h:1", "access_key": "a", "private": map[string]any{"secret_key": "s"}}, "a", "s"},
		{"empty private", priv(map[string]any{}), "", ""},
	}
	for _, tt := range good {
		c, err := ParseVolumeOptions(tt.opts)
		if err != nil || c.AccessKey != tt.key || c.SecretKey != tt.secre {
			t.Errorf("%s: ParseVolumeOptions = %q/%q, %v; want %q/%q", tt.name, c.AccessKey, c.SecretKey, err, tt.key, tt.secre)
		}
	}
	bad := []struct {
		name string
		opts backend.Options
		want string
	}{
		{"twice", backend.Options{"url": "http://h:1", "access_key": "a", "secret_key": "s",
			"private": map[string]any{"access_key": "b"}}, `"access_key" given both at the top level and under "private"`},
		{"unknown", priv(map[string]any{"access_key": "a", "secret_key": "s", "token": "t"}), "private: "},
		{"not a map", backend.Options{"url": "http://h:1", "private": "secret"}, "private"},
		{"key without secret", priv(map[string]any{"access_key": "a"}), `"access_key" and "secret_key" go together`},
		{"not a string", priv(map[string]any{"access_key": 5, "secret_key": "s"}), "access_key"},
	}
	for _, tt := range bad {
		_, err := ParseVolumeOptions(tt.opts)
		if !errors.Is(err, backend.ErrInvalidConfig) || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: %v, want ErrInvalidConfig saying %q", tt.name, err, tt.want)
		}
	}
}

// TestPrivateCredentialsOpen opens a store on a real server with the
// credentials given Zenoh's way, and checks that wrong ones are refused
// there as they are at the top level.
func TestPrivateCredentialsOpen(t *testing.T) {
	srv := s3test.StartMinIO(t)
	ctx := context.Background()
	for _, c := range []struct {
		secret string
		ok     bool
	}{{srv.SecretKey, true}, {"wrong" + srv.SecretKey, false}} {
		v, err := NewVolume(ctx, backend.Options{"url": srv.Endpoint(),
			"private": map[string]any{"access_key": srv.AccessKey, "secret_key": c.secret}})
		if err != nil {
			t.Fatal(err)
		}
		s, err := v.Open(ctx, "private", backend.StorageConfig{Options: backend.Options{"bucket": newBucket(), "on_closure": "destroy_bucket"}})
		if c.ok {
			if err != nil {
				t.Fatalf("Open with private credentials: %v", err)
			}
			mustApply(t, s, putEntry("k", "v", ts(0, 1)), true)
		} else if !errors.Is(err, ErrCredentials) {
			t.Fatalf("Open with a wrong private secret: %v, want ErrCredentials", err)
		}
		mustClose(t, v)
	}
}
