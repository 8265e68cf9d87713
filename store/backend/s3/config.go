package s3

import (
	"crypto/x509"
	"encoding/base64"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"strings"

	"github.com/minio/minio-go/v7/pkg/s3utils"

	"github.com/zmesh/zmesh/store/backend"
)

// VolumeConfig configures an S3 volume: where the server is and who we are
// to it. NewVolume builds one from the volume's YAML options; see the
// package comment for the option names.
type VolumeConfig struct {
	// URL is the endpoint, "http://host:port" or "https://host:port" (MinIO,
	// versitygw, any S3-compatible server). Empty means AWS: the endpoint
	// is s3.<Region>.amazonaws.com over HTTPS.
	URL string
	// Region is the bucket region. Empty means "us-east-1".
	Region string
	// AccessKey and SecretKey are the static credentials. When both are
	// empty they are taken from the environment (AWS_ACCESS_KEY_ID and
	// AWS_SECRET_ACCESS_KEY, then MINIO_ROOT_USER and MINIO_ROOT_PASSWORD),
	// then from the AWS shared credentials file.
	AccessKey, SecretKey string
	// RootCAs holds the PEM certificates of extra certificate authorities
	// trusted for HTTPS, besides the system's.
	RootCAs []byte
	// MaxRetries is how many times minio-go tries one request that failed
	// for a reason worth retrying (a broken connection, a 503). Zero means
	// 3. Keep it small: a storage server prefers a prompt error to a long
	// stall when the S3 server is down.
	MaxRetries int
	// ScanConcurrency is how many objects Scan reads at once (GET for
	// values, HEAD for metadata when the listing lacks it). Zero means 16.
	ScanConcurrency int
	// Logger receives the volume's logs (buckets created or destroyed,
	// foreign objects skipped). Nil means the logger New's context carries
	// (backend.WithLogger; a storage server passes its own), or
	// slog.Default().
	Logger *slog.Logger
}

// StorageOptions are the options of one storage on an S3 volume (in YAML,
// the storage's `volume:` map besides its id).
type StorageOptions struct {
	// Bucket holds the storage's entries; one bucket per storage.
	// Required.
	Bucket string
	// CreateBucket creates the bucket when it does not exist (default
	// true). When false a missing bucket fails Open with ErrNoBucket.
	CreateBucket bool
	// ReuseBucket accepts a bucket that already exists (default true).
	// When false an existing bucket fails Open with ErrBucketExists, a
	// guard against two storages sharing a bucket by mistake. (Several
	// zmesh servers serving the same storage share its bucket on purpose;
	// last-writer-wins holds between them.)
	ReuseBucket bool
	// ReadOnly refuses Apply and Collect with backend.ErrReadOnly and never
	// creates the bucket.
	ReadOnly bool
	// DestroyBucket deletes every object of the bucket and the bucket
	// itself when the store is closed (on_closure: destroy_bucket).
	DestroyBucket bool
}

// Option names, as written in YAML.
const (
	optURL             = "url"
	optRegion          = "region"
	optAccessKey       = "access_key"
	optSecretKey       = "secret_key"
	optTLS             = "tls"
	optPrivate         = "private"
	optRootCAFile      = "root_ca_certificate_file"
	optRootCABase64    = "root_ca_certificate_base64"
	optMaxRetries      = "max_retries"
	optScanConcurrency = "scan_concurrency"

	optBucket       = "bucket"
	optCreateBucket = "create_bucket"
	optReuseBucket  = "reuse_bucket"
	optReadOnly     = "read_only"
	optOnClosure    = "on_closure"
)

// ParseVolumeOptions reads a VolumeConfig from a volume's options. Errors
// match backend.ErrInvalidConfig and name the option.
func ParseVolumeOptions(opts backend.Options) (VolumeConfig, error) {
	var c VolumeConfig
	if err := opts.Check(optURL, optRegion, optAccessKey, optSecretKey, optPrivate, optTLS, optMaxRetries, optScanConcurrency); err != nil {
		return c, err
	}
	var err error
	if c.URL, err = opts.String(optURL, ""); err != nil {
		return c, err
	}
	if c.Region, err = opts.String(optRegion, ""); err != nil {
		return c, err
	}
	if c.AccessKey, err = opts.String(optAccessKey, ""); err != nil {
		return c, err
	}
	if c.SecretKey, err = opts.String(optSecretKey, ""); err != nil {
		return c, err
	}
	if err := parsePrivate(opts, &c); err != nil {
		return c, err
	}
	if c.MaxRetries, err = opts.Int(optMaxRetries, 0); err != nil {
		return c, err
	}
	if c.ScanConcurrency, err = opts.Int(optScanConcurrency, 0); err != nil {
		return c, err
	}
	tlsOpts, err := opts.Sub(optTLS)
	if err != nil {
		return c, err
	}
	if c.RootCAs, err = parseTLS(tlsOpts, optTLS); err != nil {
		return c, err
	}
	return c, c.check()
}

// parsePrivate reads the credentials from a `private:` map, Zenoh's shape
// for them (`private: {access_key: ..., secret_key: ...}`), which the admin
// space never shows. They may be given there or at the top level, not
// both.
func parsePrivate(opts backend.Options, c *VolumeConfig) error {
	priv, err := opts.Sub(optPrivate)
	if err != nil || priv == nil {
		return err
	}
	if err := priv.Check(optAccessKey, optSecretKey); err != nil {
		return fmt.Errorf("%s: %w", optPrivate, err)
	}
	for _, f := range []struct {
		name string
		dst  *string
	}{{optAccessKey, &c.AccessKey}, {optSecretKey, &c.SecretKey}} {
		v, err := priv.String(f.name, "")
		if err != nil {
			return fmt.Errorf("%s: %w", optPrivate, err)
		}
		if v == "" {
			continue
		}
		if *f.dst != "" {
			return fmt.Errorf("%w: %q given both at the top level and under %q", backend.ErrInvalidConfig, f.name, optPrivate)
		}
		*f.dst = v
	}
	return nil
}

// parseTLS reads the root CA from a `tls:` map. Zenoh nests the options
// under `private:` (its convention for values hidden from the admin
// space); both places are accepted.
func parseTLS(o backend.Options, where string) ([]byte, error) {
	if err := o.Check(optRootCAFile, optRootCABase64, optPrivate); err != nil {
		return nil, fmt.Errorf("%s: %w", where, err)
	}
	var pemCerts []byte
	if file, err := o.String(optRootCAFile, ""); err != nil {
		return nil, fmt.Errorf("%s: %w", where, err)
	} else if file != "" {
		b, err := os.ReadFile(file)
		if err != nil {
			return nil, fmt.Errorf("%w: %s.%s: %w", backend.ErrInvalidConfig, where, optRootCAFile, err)
		}
		if err := checkPEM(b); err != nil {
			return nil, fmt.Errorf("%w: %s.%s %s: %w", backend.ErrInvalidConfig, where, optRootCAFile, file, err)
		}
		pemCerts = append(pemCerts, b...)
	}
	if b64, err := o.String(optRootCABase64, ""); err != nil {
		return nil, fmt.Errorf("%s: %w", where, err)
	} else if b64 != "" {
		b, err := base64.StdEncoding.DecodeString(strings.TrimSpace(b64))
		if err != nil {
			return nil, fmt.Errorf("%w: %s.%s: not base64: %w", backend.ErrInvalidConfig, where, optRootCABase64, err)
		}
		if err := checkPEM(b); err != nil {
			return nil, fmt.Errorf("%w: %s.%s: %w", backend.ErrInvalidConfig, where, optRootCABase64, err)
		}
		pemCerts = append(append(pemCerts, '\n'), b...)
	}
	priv, err := o.Sub(optPrivate)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", where, err)
	}
	if priv != nil {
		if priv.Has(optPrivate) {
			return nil, fmt.Errorf("%w: %s.%s.%s: nested too deep", backend.ErrInvalidConfig, where, optPrivate, optPrivate)
		}
		more, err := parseTLS(priv, where+"."+optPrivate)
		if err != nil {
			return nil, err
		}
		pemCerts = append(pemCerts, more...)
	}
	return pemCerts, nil
}

// checkPEM reports whether b holds at least one PEM certificate and every
// certificate in it parses.
func checkPEM(b []byte) error {
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(b) {
		return fmt.Errorf("no PEM certificate found")
	}
	return nil
}

// check validates a VolumeConfig built by hand or parsed.
func (c VolumeConfig) check() error {
	if c.URL == "" && c.Region == "" {
		return fmt.Errorf("%w: S3 volume needs %q (an endpoint) or %q (AWS)", backend.ErrInvalidConfig, optURL, optRegion)
	}
	if c.URL != "" {
		if _, _, err := parseEndpoint(c.URL); err != nil {
			return err
		}
	}
	if (c.AccessKey == "") != (c.SecretKey == "") {
		return fmt.Errorf("%w: %q and %q go together", backend.ErrInvalidConfig, optAccessKey, optSecretKey)
	}
	if c.MaxRetries < 0 || c.ScanConcurrency < 0 {
		return fmt.Errorf("%w: %q and %q must not be negative", backend.ErrInvalidConfig, optMaxRetries, optScanConcurrency)
	}
	if len(c.RootCAs) > 0 {
		if err := checkPEM(c.RootCAs); err != nil {
			return fmt.Errorf("%w: root CAs: %w", backend.ErrInvalidConfig, err)
		}
	}
	return nil
}

// parseEndpoint splits an endpoint URL into minio-go's host[:port] and
// secure flag.
func parseEndpoint(raw string) (host string, secure bool, err error) {
	u, err := url.Parse(raw)
	if err != nil {
		return "", false, fmt.Errorf("%w: %q %q: %w", backend.ErrInvalidConfig, optURL, raw, err)
	}
	switch {
	case u.Scheme != "http" && u.Scheme != "https":
		return "", false, fmt.Errorf("%w: %q %q: want http:// or https://", backend.ErrInvalidConfig, optURL, raw)
	case u.Host == "":
		return "", false, fmt.Errorf("%w: %q %q: no host", backend.ErrInvalidConfig, optURL, raw)
	case u.Path != "" && u.Path != "/", u.RawQuery != "", u.Fragment != "", u.User != nil:
		return "", false, fmt.Errorf("%w: %q %q: want only scheme, host and port", backend.ErrInvalidConfig, optURL, raw)
	}
	return u.Host, u.Scheme == "https", nil
}

// ParseStorageOptions reads a storage's options. readOnly is the storage's
// own read_only flag (backend.StorageConfig.ReadOnly); the option of the
// same name may also set it. Errors match backend.ErrInvalidConfig.
func ParseStorageOptions(opts backend.Options, readOnly bool) (StorageOptions, error) {
	var s StorageOptions
	if err := opts.Check(optBucket, optCreateBucket, optReuseBucket, optReadOnly, optOnClosure); err != nil {
		return s, err
	}
	var err error
	if s.Bucket, err = opts.String(optBucket, ""); err != nil {
		return s, err
	}
	if s.CreateBucket, err = opts.Bool(optCreateBucket, true); err != nil {
		return s, err
	}
	if s.ReuseBucket, err = opts.Bool(optReuseBucket, true); err != nil {
		return s, err
	}
	if s.ReadOnly, err = opts.Bool(optReadOnly, false); err != nil {
		return s, err
	}
	s.ReadOnly = s.ReadOnly || readOnly
	closure, err := opts.String(optOnClosure, "do_nothing")
	if err != nil {
		return s, err
	}
	switch closure {
	case "do_nothing":
	case "destroy_bucket":
		s.DestroyBucket = true
	default:
		return s, fmt.Errorf("%w: %q %q: want do_nothing or destroy_bucket", backend.ErrInvalidConfig, optOnClosure, closure)
	}
	return s, s.check()
}

func (s StorageOptions) check() error {
	if s.Bucket == "" {
		return fmt.Errorf("%w: S3 storage needs %q", backend.ErrInvalidConfig, optBucket)
	}
	if err := s3utils.CheckValidBucketNameStrict(s.Bucket); err != nil {
		return fmt.Errorf("%w: %q %q: %w", backend.ErrInvalidConfig, optBucket, s.Bucket, err)
	}
	if s.ReadOnly && s.DestroyBucket {
		return fmt.Errorf("%w: a read-only storage cannot have %s: destroy_bucket", backend.ErrInvalidConfig, optOnClosure)
	}
	return nil
}
