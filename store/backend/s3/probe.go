package s3

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"strings"

	"github.com/minio/minio-go/v7"
)

// internalPrefix starts the names of the objects the store writes for its
// own use (the probe below). They lack the '!' terminator, so they never
// decode as keys; listings skip them silently.
const internalPrefix = ".zmesh-"

func isInternal(name string) bool {
	return strings.HasPrefix(name, internalPrefix) && !strings.HasSuffix(name, string(terminator))
}

// conditionalDelete reports whether the server honours If-Match on DELETE,
// which Collect needs to remove a tombstone only if no other server
// rewrote the key since Collect read it. versitygw and AWS do; MinIO
// ignores the header and deletes anyway. The answer is found once per
// store, at its first Collect, with a probe object: put it, delete it with
// an If-Match that cannot match, and see whether it is still there.
func (s *Store) conditionalDelete(ctx context.Context) (bool, error) {
	s.probeMu.Lock()
	defer s.probeMu.Unlock()
	if s.probed {
		return s.condDelete, nil
	}
	var nonce [8]byte
	_, _ = rand.Read(nonce[:])
	name := internalPrefix + "probe-" + hex.EncodeToString(nonce[:])
	c := s.v.client
	if _, err := c.PutObject(ctx, s.bucket, name, strings.NewReader("probe"), 5, minio.PutObjectOptions{DisableMultipart: true}); err != nil {
		return false, fmt.Errorf("probe conditional delete: %w", err)
	}
	const neverMatches = "00000000000000000000000000000000"
	derr := c.RemoveObject(withDeleteIfMatch(ctx, neverMatches), s.bucket, name, minio.RemoveObjectOptions{})
	_, serr := c.StatObject(ctx, s.bucket, name, minio.StatObjectOptions{})
	switch {
	case derr != nil && !isConflict(derr):
		return false, fmt.Errorf("probe conditional delete: %w", derr)
	case serr == nil: // still there: the condition was checked
		s.condDelete = true
		if err := c.RemoveObject(ctx, s.bucket, name, minio.RemoveObjectOptions{}); err != nil {
			return false, fmt.Errorf("remove probe object: %w", err)
		}
	case isNoSuchKey(serr):
		s.condDelete = false
		s.log.WarnContext(ctx, "the S3 server ignores If-Match on DELETE: Collect checks each tombstone just before "+
			"deleting it, but a write to that key by another zmesh server landing in between would be lost")
	default:
		return false, fmt.Errorf("probe conditional delete: %w", serr)
	}
	s.probed = true
	return s.condDelete, nil
}
