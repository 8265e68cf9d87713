package s3

import (
	"context"
	"net/http"
)

// minio-go v7.4.1 has conditional PUT (PutObjectOptions.SetMatchETag) but
// no conditional DELETE. Collect needs one: a tombstone must be removed only
// if it is still the key's current object, or a newer value written by
// another zmesh server in between would be lost. ifMatchTransport adds the
// If-Match header to a DELETE whose context carries an ETag (see
// withDeleteIfMatch). The header is added after minio-go signed the
// request; SigV4 covers only the headers it lists as signed, so servers
// accept it, as they accept any unsigned standard header.
type ifMatchTransport struct {
	base http.RoundTripper
}

type deleteIfMatchKey struct{}

// withDeleteIfMatch returns a context whose DELETE requests carry
// If-Match: "etag".
func withDeleteIfMatch(ctx context.Context, etag string) context.Context {
	return context.WithValue(ctx, deleteIfMatchKey{}, etag)
}

// RoundTrip implements http.RoundTripper.
func (t ifMatchTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Method == http.MethodDelete {
		if etag, ok := req.Context().Value(deleteIfMatchKey{}).(string); ok {
			req = req.Clone(req.Context()) // a RoundTripper must not modify its request
			req.Header.Set("If-Match", `"`+etag+`"`)
		}
	}
	return t.base.RoundTrip(req)
}
