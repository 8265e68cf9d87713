package s3

import (
	"context"
	"testing"

	"github.com/zmesh/zmesh/internal/s3test"
	"github.com/zmesh/zmesh/store/backend"
	"github.com/zmesh/zmesh/store/backend/backendtest"
)

// TestConformance runs the backend conformance suite against MinIO and
// versitygw, one fresh bucket per subtest, destroyed when the store closes.
func TestConformance(t *testing.T) {
	s3test.Each(t, func(t *testing.T, _ s3test.Kind, start s3test.StartFunc) {
		v := newVolume(t, start(t))
		backendtest.Run(t, func(t *testing.T) backend.Store {
			return openStore(t, v, newBucket(), backend.Options{"on_closure": "destroy_bucket"})
		})
	})
}

// TestConformancePersistent checks that entries, tombstones and
// collections survive closing the store and opening the bucket again.
func TestConformancePersistent(t *testing.T) {
	s3test.Each(t, func(t *testing.T, _ s3test.Kind, start s3test.StartFunc) {
		v := newVolume(t, start(t))
		backendtest.RunPersistent(t, func(t *testing.T) backendtest.Opener {
			bucket := newBucket()
			return func(t *testing.T) backend.Store {
				s, err := v.Open(context.Background(), "persistent-"+bucket, backend.StorageConfig{
					Options: backend.Options{"bucket": bucket},
				})
				if err != nil {
					t.Fatalf("Open: %v", err)
				}
				return s
			}
		})
	})
}
