package s3

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"

	"github.com/zmesh/zmesh/internal/s3test"
	"github.com/zmesh/zmesh/store/backend"
)

// nameKeys are keys whose naive object names break on real servers:
// folders of each other, empty and dot chunks, long chunks, escapes.
var nameKeys = []string{
	"", "a", "a/b", "ab", "a/b/c", "a/", "a//b", "/", "//", "/a",
	".", "..", "./a", "a/./b", "a/../b", "../..", "...",
	strings.Repeat("x", 255), strings.Repeat("x", 256), strings.Repeat("y", 600),
	strings.Repeat("z", 255) + "/" + strings.Repeat("z", 255),
	strings.Repeat("é", 128), strings.Repeat("日本", 42),
	"%", "%2F", "a%2Fb", "100%/done", "%%", "_", "a_b", "!", "a!", "a!/b", "~",
	"é", "e\u0301", "日本/語", "\U0001F600", "a b", " ", "tab\t", "nl\n", "\x00", "a\x00/b",
	"@@none_key@@", "@root", "__XLDIR__", "a/__XLDIR__", "xl.meta", "a/xl.meta", ".sgwtmp", ".minio.sys",
}

// TestObjectNamesOnRealServers stores every nameKeys key as its own entry
// on both servers, reads each back, finds each with Scan under each of its
// prefixes, and checks the bucket holds exactly the encoded names, all
// visible to a plain recursive listing.
func TestObjectNamesOnRealServers(t *testing.T) {
	s3test.Each(t, func(t *testing.T, _ s3test.Kind, start s3test.StartFunc) {
		srv := start(t)
		v := newVolume(t, srv)
		bucket := newBucket()
		s := openStore(t, v, bucket, nil)
		var want []backend.Entry
		for i, k := range nameKeys {
			e := putEntry(k, "value of "+k, ts(time.Duration(i), 1))
			if i%4 == 3 {
				e = backend.Entry{Key: k, Timestamp: e.Timestamp, Deleted: true}
			}
			mustApply(t, s, e, true)
			want = append(want, e)
		}
		for _, e := range want {
			mustGet(t, s, e)
		}
		for _, e := range want {
			for i := 0; i <= len(e.Key); i++ {
				if i != 0 && i != len(e.Key) && e.Key[i-1] != '/' && i != len(e.Key)/2 {
					continue // chunk boundaries, the middle, the ends
				}
				p := e.Key[:i]
				got := scanKeys(t, s, p, backend.ScanMeta)
				var gotKeys, wantKeys []string
				for k := range got {
					gotKeys = append(gotKeys, k)
				}
				for _, w := range want {
					if strings.HasPrefix(w.Key, p) {
						wantKeys = append(wantKeys, w.Key)
					}
				}
				slices.Sort(gotKeys)
				slices.Sort(wantKeys)
				if !slices.Equal(gotKeys, wantKeys) {
					t.Fatalf("Scan(%q) = %q, want %q", p, gotKeys, wantKeys)
				}
			}
		}

		// What the server itself lists: exactly our names, none hidden.
		listed := srv.Objects(t, bucket)
		var names []string
		for _, k := range nameKeys {
			n, err := ObjectName(k)
			if err != nil {
				t.Fatal(err)
			}
			names = append(names, n)
		}
		slices.Sort(names)
		if !slices.Equal(listed, names) {
			t.Fatalf("bucket lists %d objects %q\nwant %d: %q", len(listed), listed, len(names), names)
		}
	})
}

// TestNaiveNamesBreak documents why the encoding exists: stored under raw
// keys, "a" and "a/b" cannot both be listed on MinIO, nor both stored on
// versitygw, and servers refuse "a/" and long segments. If a server
// version stops behaving so, this test says which fact changed.
func TestNaiveNamesBreak(t *testing.T) {
	s3test.Each(t, func(t *testing.T, kind s3test.Kind, start s3test.StartFunc) {
		srv := start(t)
		c := srv.Client(t)
		ctx := context.Background()
		bucket := newBucket()
		if err := c.MakeBucket(ctx, bucket, minio.MakeBucketOptions{}); err != nil {
			t.Fatal(err)
		}
		put := func(name string) error {
			_, err := c.PutObject(ctx, bucket, name, strings.NewReader("v"), 1, minio.PutObjectOptions{})
			return err
		}
		if err := put("a"); err != nil {
			t.Fatalf("put a: %v", err)
		}
		errAB := put("a/b")
		listed := srv.Objects(t, bucket)
		if errAB == nil && slices.Equal(listed, []string{"a", "a/b"}) {
			t.Errorf("%s stored and listed both %q; the encoding is no longer needed for this", kind, listed)
		}
		t.Logf("%s: put a/b after a: %v; recursive listing: %q", kind, errAB, listed)
		if err := put("trailing/"); err == nil {
			t.Logf("%s accepted a name ending in '/' (a directory object)", kind)
		}
		if err := put(strings.Repeat("s", 256)); err == nil {
			t.Errorf("%s accepted a 256-byte segment", kind)
		}
	})
}
