package server

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/zmesh/zmesh/internal/s3test"
	"github.com/zmesh/zmesh/store"
	_ "github.com/zmesh/zmesh/store/backend/s3" // volume kind "s3"
)

// s3Config is a server configuration on an S3 bucket; the credentials
// come from the environment, as a committed file would have them.
const s3Config = `
server: {bind: ["tcp://127.0.0.1:*"]}
volumes:
  s3:
    url: ${ZMESH_TEST_S3_URL}
    access_key: ${ZMESH_TEST_S3_ACCESS}
    secret_key: ${ZMESH_TEST_S3_SECRET}
storages:
  shared:
    key_expr: shared/**
    strip_prefix: shared
    volume: {id: s3, bucket: %BUCKET%, create_bucket: true, reuse_bucket: true}
`

// Two servers, each with its own S3 store on one bucket (as two
// processes would be), converge on the newest write whichever server took
// it, in whatever order, on MinIO and on versitygw.
func TestTwoServersOnOneBucketConverge(t *testing.T) {
	s3test.Each(t, func(t *testing.T, kind s3test.Kind, startS3 s3test.StartFunc) {
		s3 := startS3(t)
		t.Setenv("ZMESH_TEST_S3_URL", s3.Endpoint())
		t.Setenv("ZMESH_TEST_S3_ACCESS", s3.AccessKey)
		t.Setenv("ZMESH_TEST_S3_SECRET", s3.SecretKey)
		bucket := fmt.Sprintf("zmesh-store-%d", time.Now().UnixNano()%1e9)
		ctx := testCtx(t)
		var clients []*store.Client
		for range 2 {
			c, err := ParseConfig("s3.yaml", []byte(strings.ReplaceAll(s3Config, "%BUCKET%", bucket)))
			must(t, err)
			_, cli := serveConfig(t, c)
			clients = append(clients, cli)
		}
		a, b := clients[0], clients[1]
		must(t, b.Put(ctx, "shared/k", []byte("b3"), store.WithTimestamp(ts(3*time.Second, 1))))
		must(t, a.Put(ctx, "shared/k", []byte("a2"), store.WithTimestamp(ts(2*time.Second, 1))))
		must(t, a.Put(ctx, "shared/gone", []byte("a1"), store.WithTimestamp(ts(1*time.Second, 1))))
		must(t, b.Delete(ctx, "shared/gone", store.WithTimestamp(ts(4*time.Second, 1))))
		must(t, a.Put(ctx, "shared/gone", []byte("late"), store.WithTimestamp(ts(2*time.Second, 1))))
		must(t, a.Put(ctx, "shared", []byte("root")))
		// Concurrent server-stamped writers of one key through both.
		var wg sync.WaitGroup
		for g := range 8 {
			cli := clients[g%2]
			wg.Go(func() {
				for i := range 5 {
					if err := cli.Put(ctx, "shared/hot", fmt.Appendf(nil, "%d-%d", g, i)); err != nil {
						t.Errorf("put: %v", err)
					}
				}
			})
		}
		wg.Wait()
		var answers [][]store.Sample
		for _, cli := range clients {
			got, err := cli.Get(ctx, "shared/**")
			must(t, err)
			answers = append(answers, got)
		}
		if !slices.EqualFunc(answers[0], answers[1], func(x, y store.Sample) bool {
			return x.Key == y.Key && string(x.Value) == string(y.Value) && x.Timestamp == y.Timestamp
		}) {
			t.Fatalf("%s: the servers disagree:\n%v\n%v", kind, answers[0], answers[1])
		}
		got := kv(answers[0])
		if len(got) != 3 || got[0] != "shared=root" || !strings.HasPrefix(got[1], "shared/hot=") || got[2] != "shared/k=b3" {
			t.Fatalf("%s: got %q", kind, got)
		}
	})
}
