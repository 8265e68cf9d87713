package s3

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/minio/minio-go/v7"

	"github.com/zmesh/zmesh/store/backend"
)

// Errors Open returns for a storage it cannot open; each also matches
// backend.ErrInvalidConfig, since a change of configuration fixes it.
var (
	// ErrCredentials: the server refused the volume's credentials (unknown
	// access key, wrong secret key) or denied them access to the bucket.
	// The message names the server's error code.
	ErrCredentials = fmt.Errorf("%w: S3 credentials refused", backend.ErrInvalidConfig)
	// ErrNoBucket: the bucket does not exist and create_bucket is false
	// (or the storage is read-only).
	ErrNoBucket = fmt.Errorf("%w: S3 bucket does not exist", backend.ErrInvalidConfig)
	// ErrBucketExists: the bucket exists and reuse_bucket is false.
	ErrBucketExists = fmt.Errorf("%w: S3 bucket already exists", backend.ErrInvalidConfig)
)

// errorResponse returns the S3 error response inside err, if any.
func errorResponse(err error) (minio.ErrorResponse, bool) {
	var r minio.ErrorResponse
	if errors.As(err, &r) {
		return r, true
	}
	return r, false
}

// isNoSuchKey reports whether err says the object does not exist (and not
// that the bucket is missing, which is a failure).
func isNoSuchKey(err error) bool {
	r, ok := errorResponse(err)
	if !ok {
		return false
	}
	switch r.Code {
	case "NoSuchKey":
		return true
	case "NoSuchBucket":
		return false
	}
	return r.StatusCode == http.StatusNotFound && r.Code != "NoSuchBucket"
}

// isConflict reports whether err is a failed precondition of a conditional
// write (If-Match or If-None-Match), or a conflict between two concurrent
// conditional writes (AWS answers 409 ConditionalRequestConflict): the
// object changed under us, and the compare and swap must start again.
func isConflict(err error) bool {
	r, ok := errorResponse(err)
	if !ok {
		return false
	}
	return r.StatusCode == http.StatusPreconditionFailed || r.Code == "PreconditionFailed" ||
		r.Code == "ConditionalRequestConflict"
}

// isCredentialError reports whether err is the server refusing who we are
// or what we may do.
func isCredentialError(err error) bool {
	r, ok := errorResponse(err)
	if !ok {
		return false
	}
	switch r.Code {
	case "InvalidAccessKeyId", "SignatureDoesNotMatch", "AccessDenied", "InvalidToken", "ExpiredToken",
		"AuthorizationHeaderMalformed", "InvalidSecurity",
		"XAdminUserNotFound": // versitygw's answer (404) to an unknown access key
		return true
	}
	return r.StatusCode == http.StatusForbidden
}
