package server

import (
	"bytes"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/zmesh/zmesh/config"
	"github.com/zmesh/zmesh/internal/s3test"
	"github.com/zmesh/zmesh/store"
	s3backend "github.com/zmesh/zmesh/store/backend/s3" // volume kind "s3"
	"github.com/zmesh/zmesh/store/internal/vstream"
	"github.com/zmesh/zmesh/store/proto"
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

// serveS3 serves s3Config on bucket of s3 until the test ends, and returns
// a client of that server. It sets the environment s3Config reads.
func serveS3(t *testing.T, s3 *s3test.Server, bucket string) *store.Client {
	t.Helper()
	t.Setenv("ZMESH_TEST_S3_URL", s3.Endpoint())
	t.Setenv("ZMESH_TEST_S3_ACCESS", s3.AccessKey)
	t.Setenv("ZMESH_TEST_S3_SECRET", s3.SecretKey)
	c, err := ParseConfig("s3.yaml", []byte(strings.ReplaceAll(s3Config, "%BUCKET%", bucket)))
	must(t, err)
	_, cli := serveConfig(t, c)
	return cli
}

// Two servers, each with its own S3 store on one bucket (as two
// processes would be), converge on the newest write whichever server took
// it, in whatever order, on MinIO and on versitygw.
func TestTwoServersOnOneBucketConverge(t *testing.T) {
	s3test.Each(t, func(t *testing.T, kind s3test.Kind, startS3 s3test.StartFunc) {
		s3 := startS3(t)
		bucket := fmt.Sprintf("zmesh-store-%d", time.Now().UnixNano()%1e9)
		ctx := testCtx(t)
		clients := []*store.Client{serveS3(t, s3, bucket), serveS3(t, s3, bucket)}
		a, b := clients[0], clients[1]
		putAt(t, b, "shared/k", "b3", ts(3*time.Second, 1))
		putAt(t, a, "shared/k", "a2", ts(2*time.Second, 1))
		putAt(t, a, "shared/gone", "a1", ts(1*time.Second, 1))
		deleteAt(t, b, "shared/gone", ts(4*time.Second, 1))
		putAt(t, a, "shared/gone", "late", ts(2*time.Second, 1))
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

// The annotated S3 example loads with its credentials from the environment,
// and serves from a real MinIO as written (on other ports, and with the
// MinIO's endpoint in place of 127.0.0.1:9000): its bucket is created,
// entries land in it as objects, and since the storage keeps its bucket on
// closure a second server started from the same file finds them.
func TestS3ExampleConfig(t *testing.T) {
	s3 := s3test.StartMinIO(t)
	t.Setenv("ZMESH_S3_ACCESS_KEY", s3.AccessKey)
	t.Setenv("ZMESH_S3_SECRET_KEY", s3.SecretKey)
	load := func(t *testing.T) *Config {
		c, err := LoadConfig("../../examples/storage/s3.yaml")
		must(t, err)
		c.Volumes[0].Options["url"] = s3.Endpoint()
		anyPort(c)
		return c
	}

	c, err := LoadConfig("../../examples/storage/s3.yaml")
	must(t, err)
	if got := []config.Endpoint{c.Server.Bind[0], c.Radio.Bind[0]}; !slices.Equal(got,
		[]config.Endpoint{"tcp://127.0.0.1:7447", "tcp://127.0.0.1:7448"}) || c.Gather != nil {
		t.Fatalf("endpoints %v, gather %v", got, c.Gather)
	}
	if v := c.Volumes; len(v) != 1 || v[0].Name != "s3" || v[0].Kind != "s3" ||
		fmt.Sprint(v[0].Options) != fmt.Sprint(map[string]any{
			"url": "http://127.0.0.1:9000", "access_key": s3.AccessKey, "secret_key": s3.SecretKey, "max_retries": 3}) {
		t.Fatalf("volumes %+v", v)
	}
	if s := c.Storages; len(s) != 1 || s[0].Name != "demo" || s[0].KeyExpr != "demo/**" || s[0].StripPrefix != "demo" ||
		s[0].Volume != "s3" || s[0].ReadOnly || fmt.Sprint(s[0].Options) != fmt.Sprint(map[string]any{
		"bucket": "zmesh-demo", "create_bucket": true, "reuse_bucket": true, "on_closure": "do_nothing"}) {
		t.Fatalf("storages %+v", s)
	}

	want := []string{"demo=root", "demo/greeting=hello world", "demo/sensors/s1/temp=21.5"}
	t.Run("first server", func(t *testing.T) { // its server closes when it ends
		_, cli := serveConfig(t, load(t))
		ctx := testCtx(t)
		must(t, cli.Put(ctx, "demo/greeting", []byte("hello world")))
		must(t, cli.Put(ctx, "demo/sensors/s1/temp", []byte("21.5")))
		must(t, cli.Put(ctx, "demo", []byte("root")))
		if got := kv(mustGet(t, cli, "demo/**")); !slices.Equal(got, want) {
			t.Fatalf("got %q, want %q", got, want)
		}
	})
	if t.Failed() {
		return
	}

	// on_closure: do_nothing left the bucket and one object per key.
	names := s3.Objects(t, "zmesh-demo")
	var wantNames []string
	for _, k := range []string{"", "greeting", "sensors/s1/temp"} {
		name, err := s3backend.ObjectName(k)
		must(t, err)
		wantNames = append(wantNames, name)
	}
	slices.Sort(wantNames)
	if !slices.Equal(names, wantNames) {
		t.Fatalf("objects in zmesh-demo after the server closed: %q, want %q", names, wantNames)
	}

	// reuse_bucket: a new server on the same file serves what is there.
	_, cli := serveConfig(t, load(t))
	if got := kv(mustGet(t, cli, "demo/**")); !slices.Equal(got, want) {
		t.Fatalf("second server: got %q, want %q", got, want)
	}
}

// A value over max_value_size goes through the server into S3 as a
// multipart upload and comes back streamed, byte-exact with its hash, on
// MinIO and on versitygw; a plain get of it is refused, not sent whole.
func TestStreamedValueThroughS3(t *testing.T) {
	s3test.Each(t, func(t *testing.T, kind s3test.Kind, startS3 s3test.StartFunc) {
		s3 := startS3(t)
		bucket := fmt.Sprintf("zmesh-stream-%d", time.Now().UnixNano()%1e9)
		ctx := testCtx(t)
		cli := serveS3(t, s3, bucket)
		val := randomValue(20<<20+12345, 5)
		must(t, cli.PutReader(ctx, "shared/big", bytes.NewReader(val), int64(len(val))))
		rc, info, ok, err := cli.GetReader(ctx, "shared/big")
		must(t, err)
		got, err := io.ReadAll(rc)
		rc.Close()
		must(t, err)
		if !ok || !bytes.Equal(got, val) || info.Hash != [32]byte(vstream.Sum(val)) {
			t.Fatalf("%s: got %d bytes back (ok %v), want the %d put", kind, len(got), ok, len(val))
		}
		_, err = cli.Get(ctx, "shared/big")
		wantStatus(t, err, proto.StatusTooLarge)
	})
}
