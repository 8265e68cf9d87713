package s3

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"log/slog"
	"net/http"
	"sync"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/zmesh/zmesh/store/backend"
)

// Kind is the volume kind under which this package registers itself.
const Kind = "s3"

func init() {
	backend.Register(Kind, func(ctx context.Context, opts backend.Options) (backend.Volume, error) {
		return NewVolume(ctx, opts)
	})
}

const (
	defaultMaxRetries      = 3
	defaultScanConcurrency = 16
	etagCacheSize          = 4096
	defaultRegion          = "us-east-1"
)

// Volume is one S3 endpoint with its credentials; each storage opened from
// it lives in a bucket of its own. It is safe for concurrent use.
type Volume struct {
	cfg       VolumeConfig
	endpoint  string // for messages: the URL, or the AWS endpoint
	client    *minio.Client
	core      minio.Core
	transport *http.Transport
	log       *slog.Logger
	// getMax is the largest value Get and Scan read whole: MaxGetSize,
	// lowered by tests so that their oversized values stay small.
	getMax int64

	mu      sync.Mutex
	closed  bool
	stores  map[string]*Store // open stores by storage name
	buckets map[string]string // bucket → storage name, including opens in progress
}

var _ backend.Volume = (*Volume)(nil)

// NewVolume builds a volume from its YAML options (see the package
// comment). It checks the options and the CA certificates but does not
// contact the server: Open does, for each storage.
func NewVolume(ctx context.Context, opts backend.Options) (*Volume, error) {
	cfg, err := ParseVolumeOptions(opts)
	if err != nil {
		return nil, fmt.Errorf("s3: %w", err)
	}
	return New(ctx, cfg)
}

// New builds a volume from cfg. It does not contact the server.
func New(ctx context.Context, cfg VolumeConfig) (*Volume, error) {
	if err := backend.CheckContext(ctx); err != nil {
		return nil, err
	}
	if err := cfg.check(); err != nil {
		return nil, fmt.Errorf("s3: %w", err)
	}
	if cfg.MaxRetries == 0 {
		cfg.MaxRetries = defaultMaxRetries
	}
	if cfg.ScanConcurrency == 0 {
		cfg.ScanConcurrency = defaultScanConcurrency
	}
	if cfg.Region == "" {
		cfg.Region = defaultRegion
	}
	log := cfg.Logger
	if log == nil {
		log = backend.Logger(ctx)
	}

	host, secure, lookup := "s3."+cfg.Region+".amazonaws.com", true, minio.BucketLookupAuto
	endpoint := "https://" + host
	if cfg.URL != "" {
		host, secure, _ = parseEndpoint(cfg.URL) // checked above
		lookup = minio.BucketLookupPath
		endpoint = cfg.URL
	}

	tr, err := minio.DefaultTransport(secure)
	if err != nil {
		return nil, fmt.Errorf("s3: %w", err)
	}
	if secure {
		pool, err := x509.SystemCertPool()
		if err != nil {
			pool = x509.NewCertPool()
		}
		if len(cfg.RootCAs) > 0 && !pool.AppendCertsFromPEM(cfg.RootCAs) {
			return nil, fmt.Errorf("s3: %w: no PEM certificate in the root CAs", backend.ErrInvalidConfig)
		}
		tr.TLSClientConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	}

	creds := credentials.NewStaticV4(cfg.AccessKey, cfg.SecretKey, "")
	if cfg.AccessKey == "" {
		creds = credentials.NewChainCredentials([]credentials.Provider{
			&credentials.EnvAWS{}, &credentials.EnvMinio{}, &credentials.FileAWSCredentials{},
		})
		if v, err := creds.GetWithContext(nil); err != nil || v.AccessKeyID == "" {
			return nil, fmt.Errorf("s3: %w: no credentials: set %s and %s, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY",
				backend.ErrInvalidConfig, optAccessKey, optSecretKey)
		}
	}
	client, err := minio.New(host, &minio.Options{
		Creds:        creds,
		Secure:       secure,
		Transport:    ifMatchTransport{base: tr},
		Region:       cfg.Region,
		BucketLookup: lookup,
		MaxRetries:   cfg.MaxRetries,
	})
	if err != nil {
		return nil, fmt.Errorf("s3: %w: %w", backend.ErrInvalidConfig, err)
	}
	return &Volume{
		cfg:       cfg,
		endpoint:  endpoint,
		client:    client,
		core:      minio.Core{Client: client},
		transport: tr,
		log:       log.With("volume", "s3", "endpoint", endpoint),
		getMax:    MaxGetSize,
		stores:    make(map[string]*Store),
		buckets:   make(map[string]string),
	}, nil
}

// Open opens the storage called name, in the bucket its options name,
// creating the bucket if allowed. The errors worth telling apart match
// ErrCredentials, ErrNoBucket, ErrBucketExists (all three also
// backend.ErrInvalidConfig), backend.ErrInUse (the storage, or another
// using the same bucket, is open from this volume), and backend.ErrBackend
// (the server could not be reached).
func (v *Volume) Open(ctx context.Context, name string, cfg backend.StorageConfig) (backend.Store, error) {
	if err := backend.CheckContext(ctx); err != nil {
		return nil, err
	}
	opts, err := ParseStorageOptions(cfg.Options, cfg.ReadOnly)
	if err != nil {
		return nil, fmt.Errorf("s3: storage %q: %w", name, err)
	}
	v.mu.Lock()
	switch {
	case v.closed:
		v.mu.Unlock()
		return nil, fmt.Errorf("s3: open %q: %w", name, backend.ErrClosed)
	case v.stores[name] != nil:
		v.mu.Unlock()
		return nil, fmt.Errorf("s3: open %q: %w", name, backend.ErrInUse)
	case v.buckets[opts.Bucket] != "":
		other := v.buckets[opts.Bucket]
		v.mu.Unlock()
		return nil, fmt.Errorf("s3: open %q: bucket %q is used by storage %q: %w", name, opts.Bucket, other, backend.ErrInUse)
	}
	v.buckets[opts.Bucket] = name // reserved while we check the bucket
	v.mu.Unlock()

	if err := v.prepareBucket(ctx, opts); err != nil {
		v.mu.Lock()
		delete(v.buckets, opts.Bucket)
		v.mu.Unlock()
		return nil, fmt.Errorf("s3: open %q: %w", name, err)
	}
	s := newStore(v, name, opts)
	v.mu.Lock()
	if v.closed { // closed while we checked the bucket
		delete(v.buckets, opts.Bucket)
		v.mu.Unlock()
		return nil, fmt.Errorf("s3: open %q: %w", name, backend.ErrClosed)
	}
	v.stores[name] = s
	v.mu.Unlock()
	if opts.ReadOnly {
		return backend.ReadOnly(s), nil
	}
	return s, nil
}

// prepareBucket checks that the bucket exists (HeadBucket, which needs no
// permission to create buckets), creating it when allowed.
func (v *Volume) prepareBucket(ctx context.Context, opts StorageOptions) error {
	exists, err := v.client.BucketExists(ctx, opts.Bucket)
	if err != nil {
		return v.describe(ctx, opts.Bucket, "check bucket", err)
	}
	if !exists {
		// A HEAD carries no error body, and minio-go reads any 404 as
		// "no such bucket"; versitygw answers an unknown access key with
		// 404 too. A one-key listing tells the two apart.
		lerr := v.listOne(ctx, opts.Bucket)
		switch r, _ := errorResponse(lerr); {
		case lerr == nil:
			exists = true // created meanwhile
		case isCredentialError(lerr):
			return v.describe(ctx, opts.Bucket, "check bucket", lerr)
		case r.Code != "NoSuchBucket":
			return v.describe(ctx, opts.Bucket, "check bucket", lerr)
		}
	}
	if exists {
		if !opts.ReuseBucket {
			return fmt.Errorf("bucket %q at %s: %w (reuse_bucket is false)", opts.Bucket, v.endpoint, ErrBucketExists)
		}
		return nil
	}
	if opts.ReadOnly || !opts.CreateBucket {
		why := "create_bucket is false"
		if opts.ReadOnly {
			why = "the storage is read-only"
		}
		return fmt.Errorf("bucket %q at %s: %w (%s)", opts.Bucket, v.endpoint, ErrNoBucket, why)
	}
	err = v.client.MakeBucket(ctx, opts.Bucket, minio.MakeBucketOptions{Region: v.cfg.Region})
	if r, ok := errorResponse(err); ok && (r.Code == "BucketAlreadyOwnedByYou" || r.Code == "BucketAlreadyExists") {
		// Created meanwhile, by another server opening the same storage.
		if !opts.ReuseBucket {
			return fmt.Errorf("bucket %q at %s: %w (reuse_bucket is false)", opts.Bucket, v.endpoint, ErrBucketExists)
		}
		return nil
	}
	if err != nil {
		return v.describe(ctx, opts.Bucket, "create bucket", err)
	}
	v.log.InfoContext(ctx, "created bucket", "bucket", opts.Bucket)
	return nil
}

// describe turns a failure to check or create a bucket into one clear
// error. HEAD responses carry no error body, so a refusal there is asked
// again with a GET (a one-key listing), whose XML body names the cause:
// InvalidAccessKeyId, SignatureDoesNotMatch or AccessDenied.
func (v *Volume) describe(ctx context.Context, bucket, op string, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if !isCredentialError(err) {
		return backend.Fail(fmt.Sprintf("%s %q at %s", op, bucket, v.endpoint), err)
	}
	if lerr := v.listOne(ctx, bucket); lerr != nil && isCredentialError(lerr) {
		err = lerr
	}
	r, _ := errorResponse(err)
	return fmt.Errorf("%w by %s for bucket %q (%s): %s: %s", ErrCredentials, v.endpoint, bucket, op, r.Code, r.Message)
}

// listOne lists at most one object of bucket (one GET request) and returns
// the error, whose XML body, unlike a HEAD's, names its cause.
func (v *Volume) listOne(ctx context.Context, bucket string) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel() // ends the listing after its first page
	for info := range v.client.ListObjectsIter(ctx, bucket, minio.ListObjectsOptions{MaxKeys: 1}) {
		return info.Err
	}
	return nil
}

// forget removes a closed store from the volume.
func (v *Volume) forget(s *Store) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.stores[s.name] == s {
		delete(v.stores, s.name)
		delete(v.buckets, s.opts.Bucket)
	}
}

// Close closes every store still open (running their on_closure actions),
// then releases the volume's connections. It is idempotent; it returns the
// stores' errors joined.
func (v *Volume) Close(ctx context.Context) error {
	stores, ok, err := backend.Closing(ctx, &v.mu, &v.closed, v.stores)
	if !ok {
		return err
	}
	err = backend.CloseAll(ctx, stores)
	v.transport.CloseIdleConnections()
	return err
}

// Client returns the minio-go client the volume uses (for tools and tests
// that look at the bucket directly).
func (v *Volume) Client() *minio.Client { return v.client }
