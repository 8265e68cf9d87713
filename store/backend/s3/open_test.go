package s3

import (
	"context"
	"encoding/base64"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/zmesh/zmesh/internal/s3test"
	"github.com/zmesh/zmesh/store/backend"
	"github.com/zmesh/zmesh/store/backend/backendtest"
)

func TestParseOptions(t *testing.T) {
	good := backend.Options{"url": "http://127.0.0.1:9000", "access_key": "a", "secret_key": "s"}
	with := func(k string, v any) backend.Options {
		o := backend.Options{}
		for key, val := range good {
			o[key] = val
		}
		if v == nil {
			delete(o, k)
		} else {
			o[k] = v
		}
		return o
	}
	badCA := filepath.Join(t.TempDir(), "bad.pem")
	if err := os.WriteFile(badCA, []byte("not a certificate"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		opts backend.Options
		want string // in the error; "" for success
	}{
		{"good", good, ""},
		{"region only", backend.Options{"region": "eu-west-1", "access_key": "a", "secret_key": "s"}, ""},
		{"no endpoint", with("url", nil), `"url" (an endpoint) or "region"`},
		{"unknown option", with("bucket", "b"), "unknown option bucket"},
		{"bad scheme", with("url", "ftp://h"), "want http:// or https://"},
		{"url with path", with("url", "http://h/x"), "only scheme, host and port"},
		{"key without secret", with("secret_key", nil), `"access_key" and "secret_key" go together`},
		{"negative retries", with("max_retries", -1), "must not be negative"},
		{"missing CA file", with("tls", map[string]any{"root_ca_certificate_file": "/nonexistent/ca.pem"}), "root_ca_certificate_file: open /nonexistent/ca.pem"},
		{"CA file without certificate", with("tls", map[string]any{"root_ca_certificate_file": badCA}), "no PEM certificate found"},
		{"CA not base64", with("tls", map[string]any{"root_ca_certificate_base64": "%%%"}), "not base64"},
		{"base64 CA without certificate", with("tls", map[string]any{"root_ca_certificate_base64": base64.StdEncoding.EncodeToString([]byte("junk"))}), "no PEM certificate found"},
		{"unknown tls option", with("tls", map[string]any{"insecure": true}), "unknown option insecure"},
		{"zenoh private CA", with("tls", map[string]any{"private": map[string]any{"root_ca_certificate_file": badCA}}), "tls.private.root_ca_certificate_file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, err := NewVolume(context.Background(), tt.opts)
			if tt.want == "" {
				if err != nil {
					t.Fatalf("NewVolume: %v", err)
				}
				_ = v.Close(context.Background())
				return
			}
			if err == nil || !errors.Is(err, backend.ErrInvalidConfig) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("NewVolume error = %v, want ErrInvalidConfig saying %q", err, tt.want)
			}
		})
	}
}

func TestParseStorageOptions(t *testing.T) {
	tests := []struct {
		opts     backend.Options
		readOnly bool
		want     StorageOptions
		err      string
	}{
		{backend.Options{"bucket": "b-1"}, false, StorageOptions{Bucket: "b-1", CreateBucket: true, ReuseBucket: true}, ""},
		{backend.Options{"bucket": "b-1", "create_bucket": false, "reuse_bucket": false, "on_closure": "destroy_bucket"}, false,
			StorageOptions{Bucket: "b-1", DestroyBucket: true}, ""},
		{backend.Options{"bucket": "b-1", "read_only": true}, false, StorageOptions{Bucket: "b-1", CreateBucket: true, ReuseBucket: true, ReadOnly: true}, ""},
		{backend.Options{"bucket": "b-1"}, true, StorageOptions{Bucket: "b-1", CreateBucket: true, ReuseBucket: true, ReadOnly: true}, ""},
		{backend.Options{}, false, StorageOptions{}, `needs "bucket"`},
		{backend.Options{"bucket": "Bad_Bucket"}, false, StorageOptions{}, `"bucket" "Bad_Bucket"`},
		{backend.Options{"bucket": "b-1", "on_closure": "delete_all"}, false, StorageOptions{}, "want do_nothing or destroy_bucket"},
		{backend.Options{"bucket": "b-1", "on_closure": "destroy_bucket"}, true, StorageOptions{}, "read-only storage cannot"},
		{backend.Options{"bucket": "b-1", "url": "x"}, false, StorageOptions{}, "unknown option url"},
		{backend.Options{"bucket": "b-1", "reuse_bucket": "false"}, false, StorageOptions{}, "drop the quotes"},
	}
	for _, tt := range tests {
		got, err := ParseStorageOptions(tt.opts, tt.readOnly)
		switch {
		case tt.err == "" && (err != nil || got != tt.want):
			t.Errorf("ParseStorageOptions(%v) = %+v, %v; want %+v", tt.opts, got, err, tt.want)
		case tt.err != "" && (!errors.Is(err, backend.ErrInvalidConfig) || !strings.Contains(err.Error(), tt.err)):
			t.Errorf("ParseStorageOptions(%v) error = %v, want ErrInvalidConfig saying %q", tt.opts, err, tt.err)
		}
	}
}

// TestOpenErrors checks that each way of misconfiguring a storage fails
// Open with one error that says what is wrong.
func TestOpenErrors(t *testing.T) {
	s3test.Each(t, func(t *testing.T, kind s3test.Kind, start s3test.StartFunc) {
		srv := start(t)
		ctx := context.Background()
		v := newVolume(t, srv)
		existing := newBucket()
		unknownKeyCode := "InvalidAccessKeyId"
		if kind == s3test.VersityGW {
			unknownKeyCode = "XAdminUserNotFound" // with status 404, not 403
		}
		mustClose(t, openStore(t, v, existing, nil))

		open := func(v *Volume, o backend.Options, readOnly bool) error {
			s, err := v.Open(ctx, "s", backend.StorageConfig{Options: o, ReadOnly: readOnly})
			if err == nil {
				mustClose(t, s)
			}
			return err
		}
		check := func(name string, err, want error, says ...string) {
			t.Helper()
			if !errors.Is(err, want) {
				t.Errorf("%s: %v, want %v", name, err, want)
				return
			}
			for _, s := range says {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("%s: %q does not say %q", name, err, s)
				}
			}
		}

		for _, bad := range []struct{ name, access, secret, code string }{
			{"wrong secret", srv.AccessKey, "wrong-secret-key", "SignatureDoesNotMatch"},
			{"unknown access key", "nobody-knows-me", "whatever-secret", unknownKeyCode},
		} {
			o := volumeOptions(srv)
			o["access_key"], o["secret_key"] = bad.access, bad.secret
			bv, err := NewVolume(ctx, o)
			if err != nil {
				t.Fatal(err)
			}
			for _, bucket := range []string{existing, newBucket()} {
				err := open(bv, backend.Options{"bucket": bucket}, false)
				check(bad.name, err, ErrCredentials, bad.code, srv.Endpoint(), bucket)
				check(bad.name, err, backend.ErrInvalidConfig)
			}
			mustClose(t, bv)
		}

		missing := newBucket()
		check("missing bucket, create_bucket false", open(v, backend.Options{"bucket": missing, "create_bucket": false}, false),
			ErrNoBucket, missing, "create_bucket is false")
		check("missing bucket, read-only", open(v, backend.Options{"bucket": missing}, true),
			ErrNoBucket, "read-only")
		check("existing bucket, reuse_bucket false", open(v, backend.Options{"bucket": existing, "reuse_bucket": false}, false),
			ErrBucketExists, existing)
		if exists, err := v.client.BucketExists(ctx, missing); err != nil || exists {
			t.Errorf("a refused Open created bucket %s: %v, %v", missing, exists, err)
		}

		first := newBucket()
		a, err := v.Open(ctx, "first", backend.StorageConfig{Options: backend.Options{"bucket": first}})
		if err != nil {
			t.Fatal(err)
		}
		_, err = v.Open(ctx, "first", backend.StorageConfig{Options: backend.Options{"bucket": newBucket()}})
		check("storage name in use", err, backend.ErrInUse)
		_, err = v.Open(ctx, "second", backend.StorageConfig{Options: backend.Options{"bucket": first}})
		check("bucket in use", err, backend.ErrInUse, `used by storage "first"`)
		mustClose(t, a)
		b, err := v.Open(ctx, "first", backend.StorageConfig{Options: backend.Options{"bucket": first}})
		if err != nil {
			t.Fatalf("reopen after Close: %v", err)
		}
		mustClose(t, b)

		// A server that is not there: one error, quickly.
		o := volumeOptions(srv)
		o["url"] = "http://127.0.0.1:1"
		o["max_retries"] = 1
		dv, err := NewVolume(ctx, o)
		if err != nil {
			t.Fatal(err)
		}
		check("unreachable server", open(dv, backend.Options{"bucket": existing}, false), backend.ErrBackend, "127.0.0.1:1")
		mustClose(t, dv)
	})
}

func TestReadOnlyStorage(t *testing.T) {
	srv := s3test.StartMinIO(t)
	v := newVolume(t, srv)
	bucket := newBucket()
	w := openStore(t, v, bucket, nil)
	e := putEntry("k", "v", ts(0, 1))
	mustApply(t, w, e, true)
	mustClose(t, w)

	r, err := v.Open(context.Background(), "ro", backend.StorageConfig{ReadOnly: true, Options: backend.Options{"bucket": bucket}})
	if err != nil {
		t.Fatal(err)
	}
	defer mustClose(t, r)
	if _, err := r.Apply(context.Background(), putEntry("k", "new", ts(1, 1))); !errors.Is(err, backend.ErrReadOnly) {
		t.Errorf("Apply on a read-only storage: %v", err)
	}
	if _, err := r.Collect(context.Background(), time.Unix(0, ts(1, 1).Time)); !errors.Is(err, backend.ErrReadOnly) {
		t.Errorf("Collect on a read-only storage: %v", err)
	}
	mustGet(t, r, e)
}

// TestVolumeNilContext needs no server: a nil context is refused before
// anything is contacted.
func TestVolumeNilContext(t *testing.T) {
	backendtest.RunVolumeNilContext(t, Kind,
		backend.Options{"url": "http://127.0.0.1:1", "access_key": "k", "secret_key": "s"},
		backend.StorageConfig{Options: backend.Options{"bucket": "nil-context"}})
	if _, err := New(nil, VolumeConfig{}); !errors.Is(err, backend.ErrInvalidInput) { //nolint:staticcheck // the nil context is the point
		t.Errorf("New with a nil context: %v, want ErrInvalidInput", err)
	}
}

func TestRegisteredAsS3(t *testing.T) {
	srv := s3test.StartVersityGW(t)
	ctx := context.Background()
	vol, err := backend.NewVolume(ctx, "s3", volumeOptions(srv))
	if err != nil {
		t.Fatal(err)
	}
	s, err := vol.Open(ctx, "reg", backend.StorageConfig{Options: backend.Options{"bucket": newBucket(), "on_closure": "destroy_bucket"}})
	if err != nil {
		t.Fatal(err)
	}
	mustApply(t, s, putEntry("k", "v", ts(0, 1)), true)
	if err := vol.Close(ctx); err != nil {
		t.Fatalf("Volume.Close: %v", err)
	}
	if _, err := s.Apply(ctx, putEntry("k", "v", ts(1, 1))); !errors.Is(err, backend.ErrClosed) {
		t.Errorf("Apply after Volume.Close: %v, want ErrClosed", err)
	}
	if _, err := vol.Open(ctx, "again", backend.StorageConfig{Options: backend.Options{"bucket": newBucket()}}); !errors.Is(err, backend.ErrClosed) {
		t.Errorf("Open after Close: %v, want ErrClosed", err)
	}
	if err := vol.Close(ctx); err != nil {
		t.Errorf("second Close: %v", err)
	}
}
