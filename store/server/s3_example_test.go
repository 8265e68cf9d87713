package server

import (
	"fmt"
	"slices"
	"testing"

	"github.com/minio/minio-go/v7"

	"github.com/zmesh/zmesh/config"
	"github.com/zmesh/zmesh/internal/s3test"
	s3backend "github.com/zmesh/zmesh/store/backend/s3"
)

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
	var names []string
	for o := range s3.Client(t).ListObjects(testCtx(t), "zmesh-demo", minio.ListObjectsOptions{Recursive: true}) {
		must(t, o.Err)
		names = append(names, o.Key)
	}
	var wantNames []string
	for _, k := range []string{"", "greeting", "sensors/s1/temp"} {
		name, err := s3backend.ObjectName(k)
		must(t, err)
		wantNames = append(wantNames, name)
	}
	slices.Sort(names)
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
