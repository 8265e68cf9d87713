package s3

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/minio/minio-go/v7"

	"github.com/zmesh/zmesh/store/backend"
	"github.com/zmesh/zmesh/store/hlc"
)

// maxConflicts bounds the compare-and-swap retries of one Apply. Each
// conflict means another process stored a write to the key meanwhile, so
// reaching it takes sustained contention from other servers.
const maxConflicts = 64

// Store is the backend.Store of one storage: its entries are the objects
// of one bucket. It is safe for concurrent use; see the package comment
// for how last-writer-wins holds between processes.
type Store struct {
	v      *Volume
	name   string
	opts   StorageOptions
	bucket string
	log    *slog.Logger

	closed atomic.Bool
	locks  keyLocks   // one writer per key in this process
	etags  *etagCache // ETag and timestamp of recently seen objects

	conflicts atomic.Int64 // failed preconditions seen by Apply, for tests and logs

	probeMu    sync.Mutex // guards probed and condDelete; see conditionalDelete
	probed     bool
	condDelete bool
}

var _ backend.Store = (*Store)(nil)

func newStore(v *Volume, name string, opts StorageOptions) *Store {
	return &Store{
		v:      v,
		name:   name,
		opts:   opts,
		bucket: opts.Bucket,
		log:    v.log.With("storage", name, "bucket", opts.Bucket),
		etags:  newETagCache(etagCacheSize),
	}
}

// Bucket returns the name of the store's bucket.
func (s *Store) Bucket() string { return s.bucket }

// ObjectName returns the name of the object that holds key, or an error
// matching backend.ErrInvalidKey when the key cannot be stored: it fails
// backend.CheckKey, or its name would be longer than MaxObjectNameLen
// (never for keys of at most backend.PortableKeyLen bytes).
func ObjectName(key string) (string, error) {
	if err := backend.CheckKey(key); err != nil {
		return "", err
	}
	name := encodeKey(key)
	if len(name) > MaxObjectNameLen {
		return "", fmt.Errorf("%w: %d-byte key needs a %d-byte object name, longer than S3's %d",
			backend.ErrInvalidKey, len(key), len(name), MaxObjectNameLen)
	}
	return name, nil
}

// KeyOf returns the key an object name stands for, and false for names
// ObjectName does not produce (objects put in the bucket by other
// programs, which the store ignores).
func KeyOf(name string) (string, bool) {
	key, err := decodeName(name)
	return key, err == nil
}

func (s *Store) checkOpen(op string) error {
	if s.closed.Load() {
		return fmt.Errorf("s3: %s: %w", op, backend.ErrClosed)
	}
	return nil
}

// Apply stores e unless the key holds an entry at least as new; see
// backend.Store. It is a compare-and-swap on the object's ETag: read the
// current object's timestamp and ETag (HEAD, or the ETag cache), give up
// if it is not older, else PUT with If-Match on that ETag (If-None-Match: *
// when there is no object). A failed precondition means another process
// wrote in between: read again and retry.
func (s *Store) Apply(ctx context.Context, e backend.Entry) (bool, error) {
	if err := backend.CheckContext(ctx); err != nil {
		return false, err
	}
	if err := s.checkOpen("apply"); err != nil {
		return false, err
	}
	if err := backend.CheckEntry(e); err != nil {
		return false, fmt.Errorf("s3: apply: %w", err)
	}
	name, err := ObjectName(e.Key)
	if err != nil {
		return false, fmt.Errorf("s3: apply: %w", err)
	}
	e = backend.Normalize(e)
	body := newBodyReader(e)
	meta, contentType := userMetadata(e)

	unlock := s.locks.lock(e.Key)
	defer unlock()
	base := minio.PutObjectOptions{
		UserMetadata:     meta,
		ContentType:      contentType,
		DisableMultipart: true, // one PUT: conditional, atomic, plain-MD5 ETag
	}
	return s.casWrite(ctx, e.Key, name, e.Timestamp, base, func(opts minio.PutObjectOptions) (minio.UploadInfo, error) {
		if _, err := body.Seek(0, io.SeekStart); err != nil {
			return minio.UploadInfo{}, err
		}
		return s.v.client.PutObject(ctx, s.bucket, name, body, body.Size(), opts)
	})
}

// casWrite stores a write of key (object name) stamped ts unless the key
// holds an entry at least as new: a compare-and-swap on the object's ETag.
// put makes the write with the options given (base, plus the condition:
// If-Match on the ETag compared with, or If-None-Match: * when there is
// no object); it may be called again after a conflict. The caller holds
// key's lock.
func (s *Store) casWrite(ctx context.Context, key, name string, ts hlc.Timestamp, base minio.PutObjectOptions,
	put func(opts minio.PutObjectOptions) (minio.UploadInfo, error)) (bool, error) {
	known, haveKnown := s.etags.get(key)
	// uncertain is set once a PUT of ours may have landed without our
	// knowing: minio-go retries a request whose connection broke, and the
	// retry of a PUT that did land fails its precondition. Finding our own
	// timestamp in the object then means the write is stored.
	uncertain := false
	for conflicts := 0; ; {
		if err := ctx.Err(); err != nil {
			return false, err
		}
		opts := base
		if haveKnown && known.ts.Compare(ts) < 0 {
			opts.SetMatchETag(known.etag)
		} else {
			cur, etag, exists, err := s.head(ctx, key, name)
			if err != nil {
				return false, fail(ctx, fmt.Sprintf("s3: apply %q", key), err)
			}
			if exists {
				s.etags.put(key, etag, cur.Timestamp, true)
				switch c := cur.Timestamp.Compare(ts); {
				case c == 0 && uncertain:
					return true, nil
				case c >= 0:
					return false, nil
				}
				opts.SetMatchETag(etag)
			} else {
				opts.SetMatchETagExcept("*")
			}
		}
		info, err := put(opts)
		if err == nil {
			s.etags.put(key, info.ETag, ts, true)
			return true, nil
		}
		if !isConflict(err) && !isNoSuchKey(err) {
			return false, fail(ctx, fmt.Sprintf("s3: apply %q", key), err)
		}
		// The object is not what we compared with.
		s.conflicts.Add(1)
		uncertain = true
		haveKnown = false
		s.etags.drop(key)
		if conflicts++; conflicts >= maxConflicts {
			return false, fmt.Errorf("s3: apply %q: %w: gave up after %d conflicting writes", key, backend.ErrBackend, conflicts)
		}
		s.log.DebugContext(ctx, "conditional write conflict, retrying", "key", key, "conflicts", conflicts)
		if err := backoff(ctx, conflicts); err != nil {
			return false, err
		}
	}
}

// backoff sleeps a random time that grows with the number of conflicts, so
// that processes writing one key do not keep colliding.
func backoff(ctx context.Context, conflicts int) error {
	limit := time.Millisecond << min(conflicts, 7) // up to 128ms
	t := time.NewTimer(rand.N(limit) + time.Millisecond)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// fail wraps an S3 failure as backend.Fail does, but returns the context's
// own error when ctx ended (minio-go may report it in other words).
func fail(ctx context.Context, op string, err error) error {
	if cerr := ctx.Err(); cerr != nil {
		return cerr
	}
	return backend.Fail(op, err)
}

// head returns key's entry (without value) and ETag from a HEAD request.
func (s *Store) head(ctx context.Context, key, name string) (e backend.Entry, etag string, exists bool, err error) {
	info, err := s.v.client.StatObject(ctx, s.bucket, name, minio.StatObjectOptions{})
	if err != nil {
		if isNoSuchKey(err) {
			return e, "", false, nil
		}
		return e, "", false, err
	}
	e, ok, err := metaEntry(key, info.UserMetadata)
	if err != nil {
		return e, "", false, err
	}
	if !ok {
		return e, "", false, fmt.Errorf("%w: object %q has no %s metadata (not written by zmesh)", backend.ErrCorrupt, name, metaTimestamp)
	}
	return e, info.ETag, true, nil
}

// Get returns key's entry, tombstones included, with one GET request.
func (s *Store) Get(ctx context.Context, key string) (backend.Entry, bool, error) {
	if err := backend.CheckContext(ctx); err != nil {
		return backend.Entry{}, false, err
	}
	if err := s.checkOpen("get"); err != nil {
		return backend.Entry{}, false, err
	}
	name, err := ObjectName(key)
	if err != nil {
		return backend.Entry{}, false, fmt.Errorf("s3: get: %w", err)
	}
	e, etag, ok, err := s.read(ctx, key, name, false)
	if err != nil {
		return backend.Entry{}, false, fail(ctx, fmt.Sprintf("s3: get %q", key), err)
	}
	if ok {
		s.etags.put(key, etag, e.Timestamp, false)
	}
	return e, ok, nil
}

// read GETs the object name and decodes key's entry from it. A value
// over the volume's getMax fails it with backend.ErrTooLarge, unless omit:
// then the entry is built from the object's metadata alone and returned
// Omitted (see backend.Entry), its body closed unread.
func (s *Store) read(ctx context.Context, key, name string, omit bool) (e backend.Entry, etag string, ok bool, err error) {
	rc, info, _, err := s.v.core.GetObject(ctx, s.bucket, name, minio.GetObjectOptions{})
	if err != nil {
		if isNoSuchKey(err) {
			return e, "", false, nil
		}
		return e, "", false, err
	}
	defer rc.Close()
	if info.Size < int64(headerLen) {
		return e, "", false, fmt.Errorf("%w: object %q is %d bytes", backend.ErrCorrupt, name, info.Size)
	}
	if size := info.Size - int64(headerLen); size > s.v.getMax {
		// Reading it whole would hold it all in memory.
		if omit {
			return omittedEntry(key, name, info)
		}
		return e, "", false, fmt.Errorf("%w: object %q holds a %d-byte value, over the %d bytes Get and Scan read whole (read it with OpenStream)",
			backend.ErrTooLarge, name, size, s.v.getMax)
	}
	body := make([]byte, info.Size)
	if _, err := io.ReadFull(rc, body); err != nil {
		return e, "", false, fmt.Errorf("read object %q: %w", name, err)
	}
	e, err = bodyEntry(key, body, info.UserMetadata)
	if err != nil {
		return e, "", false, err
	}
	return e, info.ETag, true, nil
}

// omittedEntry returns the entry of an object too large to read whole,
// from its metadata: Omitted, its value nil. A tombstone is never that
// large, so an object whose metadata says so is corrupt.
func omittedEntry(key, name string, info minio.ObjectInfo) (backend.Entry, string, bool, error) {
	e, ok, err := metaEntry(key, info.UserMetadata)
	switch {
	case err != nil:
		return backend.Entry{}, "", false, err
	case !ok:
		return backend.Entry{}, "", false, fmt.Errorf("%w: object %q has no %s metadata (not written by zmesh)", backend.ErrCorrupt, name, metaTimestamp)
	case e.Deleted:
		return backend.Entry{}, "", false, fmt.Errorf("%w: object %q is a tombstone of %d bytes", backend.ErrCorrupt, name, info.Size)
	}
	e.Omitted = true
	return e, info.ETag, true, nil
}

// scanJob is one listed object on its way to Scan's callback.
type scanJob struct {
	key, name string
	info      minio.ObjectInfo
}

// scanResult is what a Scan worker made of a scanJob.
type scanResult struct {
	e    backend.Entry
	skip bool // the object vanished, or is not zmesh's
	err  error
}

// errStop ends a scan whose callback asked for it.
var errStop = errors.New("scan stopped")

// Scan lists the objects whose names start with the encoded prefix (S3
// ListObjectsV2, paginated), and reads each: with ScanValues a GET per
// object; with ScanMeta nothing more when the listing carries user
// metadata (MinIO's metadata=true extension), else a HEAD per object.
// Reads run ScanConcurrency at a time; fn runs on the caller's goroutine,
// one entry at a time. Objects whose names the encoding does not produce,
// or that are not zmesh's, are skipped with a warning.
func (s *Store) Scan(ctx context.Context, prefix string, mode backend.ScanMode, fn func(backend.Entry) error) error {
	if err := backend.CheckContext(ctx); err != nil {
		return err
	}
	if err := s.checkOpen("scan"); err != nil {
		return err
	}
	// Goroutines: one lister feeding jobs, ScanConcurrency workers turning
	// jobs into results, one closer closing results once lister and
	// workers are done. All of them stop when sctx is cancelled, and Scan
	// drains results before returning, so none outlives the call.
	sctx, cancel := context.WithCancel(ctx)
	defer cancel()
	jobs := make(chan scanJob)
	results := make(chan scanResult, s.v.cfg.ScanConcurrency)
	listErr := make(chan error, 1)
	var wg sync.WaitGroup
	wg.Go(func() {
		defer close(jobs)
		listErr <- s.list(sctx, prefix, mode == backend.ScanMeta, func(j scanJob) bool {
			select {
			case jobs <- j:
				return true
			case <-sctx.Done():
				return false
			}
		})
	})
	for range s.v.cfg.ScanConcurrency {
		wg.Go(func() {
			for j := range jobs {
				r := s.fetch(sctx, j, mode)
				select {
				case results <- r:
				case <-sctx.Done():
					return
				}
			}
		})
	}
	go func() {
		wg.Wait()
		close(results)
	}()

	var err error
	for r := range results {
		switch {
		case err != nil: // draining after the end
		case ctx.Err() != nil:
			err = ctx.Err()
		case r.err != nil:
			err = r.err
		case r.skip:
			continue
		default:
			if ferr := fn(r.e); ferr != nil {
				err = ferr
				if errors.Is(ferr, backend.ErrStopScan) {
					err = errStop
				}
			}
		}
		if err != nil {
			cancel()
		}
	}
	switch {
	case err == errStop:
		return nil
	case ctx.Err() != nil: // workers saw the cancellation first
		return ctx.Err()
	case err != nil:
		return err
	}
	if err := <-listErr; err != nil {
		return fail(ctx, fmt.Sprintf("s3: scan %q", prefix), err)
	}
	return nil
}

// list calls yield for each object of the store whose key starts with
// prefix, until yield returns false. withMeta asks for user metadata in
// the listing.
func (s *Store) list(ctx context.Context, prefix string, withMeta bool, yield func(scanJob) bool) error {
	opts := minio.ListObjectsOptions{Prefix: listPrefix(prefix), Recursive: true, WithMetadata: withMeta}
	for info := range s.v.client.ListObjectsIter(ctx, s.bucket, opts) {
		if info.Err != nil {
			return info.Err
		}
		key, err := decodeName(info.Key)
		if err != nil && isInternal(info.Key) {
			continue
		}
		if err != nil {
			s.log.WarnContext(ctx, "skipping object: not a zmesh object name", "object", info.Key)
			continue
		}
		if !strings.HasPrefix(key, prefix) { // cannot happen: the encoding preserves prefixes
			continue
		}
		if !yield(scanJob{key: key, name: info.Key, info: info}) {
			return nil
		}
	}
	return nil
}

// listPrefix returns the object-name prefix to list for the keys starting
// with prefix. Complete segments of an encoded prefix are always safe, but
// its last, unfinished segment may be "." or ".." (the prefix of keys
// "./x" or "..."), which MinIO refuses in a listing prefix ("bad
// components"): that segment is then left out, and the list callers'
// key-prefix check does the narrowing.
func listPrefix(prefix string) string {
	p := encodePrefix(prefix)
	last := p[strings.LastIndexByte(p, '/')+1:]
	if last != "" && strings.Trim(last, ".") == "" {
		return p[:len(p)-len(last)]
	}
	return p
}

// fetch reads one listed object as Scan's mode asks.
func (s *Store) fetch(ctx context.Context, j scanJob, mode backend.ScanMode) scanResult {
	var (
		e   backend.Entry
		ok  bool
		err error
	)
	if mode == backend.ScanMeta {
		e, ok, err = metaEntry(j.key, j.info.UserMetadata)
		if err == nil && !ok { // the listing had no metadata
			e, _, ok, err = s.head(ctx, j.key, j.name)
		}
	} else {
		e, _, ok, err = s.read(ctx, j.key, j.name, true)
	}
	switch {
	case errors.Is(err, backend.ErrCorrupt):
		s.log.WarnContext(ctx, "skipping object", "object", j.name, "key", j.key, "error", err)
		return scanResult{skip: true}
	case err != nil:
		return scanResult{err: err}
	case !ok: // removed since it was listed
		return scanResult{skip: true}
	}
	return scanResult{e: e}
}

// Collect removes the tombstones older than olderThan. Each is read again
// (HEAD) under its key's lock and removed with a conditional DELETE
// (If-Match on the ETag just read), so a newer write stored meanwhile by
// another process is not removed, on servers that honour the condition
// (see conditionalDelete; MinIO does not, and there only the window
// between the HEAD and the DELETE is unprotected).
func (s *Store) Collect(ctx context.Context, olderThan time.Time) (int, error) {
	if err := backend.CheckContext(ctx); err != nil {
		return 0, err
	}
	if err := s.checkOpen("collect"); err != nil {
		return 0, err
	}
	if _, err := s.conditionalDelete(ctx); err != nil {
		return 0, fail(ctx, "s3: collect", err)
	}
	cutoff := olderThan.UnixNano()
	removed := 0
	var cerr error
	err := s.list(ctx, "", true, func(j scanJob) bool {
		e, ok, err := metaEntry(j.key, j.info.UserMetadata)
		if err != nil || (ok && (!e.Deleted || e.Timestamp.Time >= cutoff)) {
			return true // not a collectable tombstone (or not ours)
		}
		// A candidate (or a listing without metadata): check it again
		// under its lock, then remove it.
		done, err := s.collectOne(ctx, j.key, j.name, cutoff)
		if err != nil {
			cerr = fmt.Errorf("%q: %w", j.key, err)
			return false
		}
		if done {
			removed++
		}
		return true
	})
	if err == nil {
		err = cerr
	}
	if err != nil {
		return removed, fail(ctx, "s3: collect", err)
	}
	return removed, nil
}

// collectOne removes key's object if it is a tombstone older than cutoff.
func (s *Store) collectOne(ctx context.Context, key, name string, cutoff int64) (bool, error) {
	unlock := s.locks.lock(key)
	defer unlock()
	e, etag, exists, err := s.head(ctx, key, name)
	if errors.Is(err, backend.ErrCorrupt) {
		return false, nil // not ours to remove
	}
	if err != nil || !exists || !e.Deleted || e.Timestamp.Time >= cutoff {
		return false, err
	}
	err = s.v.client.RemoveObject(withDeleteIfMatch(ctx, etag), s.bucket, name, minio.RemoveObjectOptions{})
	s.etags.drop(key)
	switch {
	case err == nil:
		return true, nil
	case isConflict(err), isNoSuchKey(err):
		return false, nil // rewritten or removed meanwhile
	}
	return false, err
}

// Close marks the store closed and, with on_closure: destroy_bucket,
// deletes every object of the bucket and the bucket. Calls in flight are
// not waited for. Close is idempotent.
func (s *Store) Close(ctx context.Context) error {
	if ctx == nil {
		return backend.ErrNilContext
	}
	if !s.closed.CompareAndSwap(false, true) {
		return nil
	}
	defer s.v.forget(s)
	if !s.opts.DestroyBucket {
		return nil
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := s.destroy(ctx); err != nil {
		return fail(ctx, fmt.Sprintf("s3: close %q: destroy bucket %q", s.name, s.bucket), err)
	}
	s.log.InfoContext(ctx, "destroyed bucket")
	return nil
}

// destroy deletes every object of the bucket (all pages, foreign objects
// too) with multi-object deletes, then the bucket.
func (s *Store) destroy(ctx context.Context) error {
	lctx, cancel := context.WithCancel(ctx)
	defer cancel()
	objects := s.v.client.ListObjectsIter(lctx, s.bucket, minio.ListObjectsOptions{Recursive: true})
	var listErr error
	toRemove := func(yield func(minio.ObjectInfo) bool) {
		for info := range objects {
			if info.Err != nil {
				listErr = info.Err
				return
			}
			if !yield(info) {
				return
			}
		}
	}
	results, err := s.v.client.RemoveObjectsWithIter(lctx, s.bucket, toRemove, minio.RemoveObjectsOptions{})
	if err != nil {
		return err
	}
	for r := range results {
		if r.Err != nil && !isNoSuchKey(r.Err) {
			return fmt.Errorf("remove %q: %w", r.ObjectName, r.Err)
		}
	}
	if listErr != nil {
		if r, ok := errorResponse(listErr); ok && r.Code == "NoSuchBucket" {
			return nil
		}
		return listErr
	}
	if err := s.v.client.RemoveBucket(ctx, s.bucket); err != nil {
		if r, ok := errorResponse(err); ok && r.Code == "NoSuchBucket" {
			return nil
		}
		return err
	}
	return nil
}
