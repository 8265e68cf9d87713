package httpapi_test

import (
	"bytes"
	"context"
	"encoding/hex"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"lukechampine.com/blake3"

	"github.com/zmesh/zmesh/store/backend/engine"
	"github.com/zmesh/zmesh/store/backend/memory"
	"github.com/zmesh/zmesh/store/httpapi"
	"github.com/zmesh/zmesh/store/server"
)

// A PUT body over max_value_size is streamed into the storage; GET
// ?_raw streams the value back with Content-Length, an ETag (its BLAKE3
// hash), ranges and If-None-Match.
func TestStreamedPutAndRangedGet(t *testing.T) {
	eng, err := engine.Open(engine.Config{Root: t.TempDir(), MinFreeSpace: -1})
	must(t, err)
	e := newEnv(t, server.Options{MaxValueSize: 2 << 20, MaxStreamSize: 32 << 20, Storages: []server.Storage{
		{Name: "big", KeyExpr: "big/**", Store: eng, Volume: "engine"}, {Name: "small", KeyExpr: "small/**", Store: memory.NewLimited(1 << 20), Volume: "memory"},
	}}, httpapi.Options{})
	val := make([]byte, 5<<20+333)
	for i := range val {
		val[i] = byte(i * 7 / 3)
	}
	sum := blake3.Sum256(val)
	etag := `"` + hex.EncodeToString(sum[:]) + `"`
	for _, key := range []string{"big/v", "small/v"} {
		code, body, _ := e.do(http.MethodPut, "/"+key, "application/x-test", bytes.NewReader(val))
		if key == "small/v" {
			// Over the memory storage's byte budget: refused.
			if code != http.StatusRequestEntityTooLarge || !strings.Contains(body, "full") {
				t.Fatalf("PUT of 5 MiB into a whole-value storage: %d %s", code, body)
			}
			continue
		}
		if code != http.StatusOK {
			t.Fatalf("PUT %s: %d %s", key, code, body)
		}
		code, body, h := e.do(http.MethodGet, "/"+key+"?_raw", "", nil)
		if code != http.StatusOK || body != string(val) || h.Get("Content-Length") != strconv.Itoa(len(val)) ||
			h.Get("ETag") != etag || h.Get("Content-Type") != "application/x-test" {
			t.Fatalf("GET: %d, %d bytes, headers %v", code, len(body), h)
		}
		code, body, h = e.do(http.MethodGet, "/"+key+"?_raw", "", nil, "Range", "bytes=1048570-1048589")
		if code != http.StatusPartialContent || body != string(val[1048570:1048590]) || h.Get("Content-Range") != "bytes 1048570-1048589/"+strconv.Itoa(len(val)) {
			t.Fatalf("GET with a range: %d %q %v", code, body, h)
		}
		code, _, _ = e.do(http.MethodGet, "/"+key+"?_raw", "", nil, "If-None-Match", etag)
		if code != http.StatusNotModified {
			t.Fatalf("GET If-None-Match: %d", code)
		}
	}
	// A small value stored whole gets its ETag computed.
	e.want(http.StatusOK, http.MethodPut, "/small/s", "text/plain", "hello")
	_, body, h := e.do(http.MethodGet, "/small/s?_raw", "", nil)
	hs := blake3.Sum256([]byte("hello"))
	if body != "hello" || h.Get("ETag") != `"`+hex.EncodeToString(hs[:])+`"` {
		t.Fatalf("small value: %q %v", body, h)
	}
	// Over max_stream_size: refused at once, naming the limit.
	req, err := http.NewRequestWithContext(context.Background(), http.MethodPut, e.url+"/big/huge", io.LimitReader(zeros{}, 40<<20))
	must(t, err)
	req.ContentLength = 40 << 20
	resp, err := e.http.Do(req)
	must(t, err)
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestEntityTooLarge || !strings.Contains(string(b), "33554432") {
		t.Fatalf("oversized PUT: %d %s", resp.StatusCode, b)
	}
	e.want(http.StatusNotFound, http.MethodGet, "/big/none?_raw", "", "")
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

// A wildcard GET matching a value over max_value_size answers it in the
// JSON array with a null value, its size, "truncated": true and its
// BLAKE3 hash, as change events show a value left out; small values come
// whole; ?_raw of a key expression matching it alone streams it.
func TestWildcardGetTruncatesLargeValue(t *testing.T) {
	eng, err := engine.Open(engine.Config{Root: t.TempDir(), MinFreeSpace: -1})
	must(t, err)
	e := newEnv(t, server.Options{MaxValueSize: 1 << 20, Storages: []server.Storage{
		{Name: "big", KeyExpr: "big/**", Store: eng, Volume: "engine"}}}, httpapi.Options{})
	val := bytes.Repeat([]byte("abc"), 1<<20)
	sum := blake3.Sum256(val)
	e.want(http.StatusOK, http.MethodPut, "/big/v", "application/x-test", string(val))
	e.want(http.StatusOK, http.MethodPut, "/big/s", "text/plain", "hello")
	got := samples(t, e.want(http.StatusOK, http.MethodGet, "/big/**", "", ""))
	if len(got) != 2 || got[0].Key != "big/s" || string(got[0].Value) != `"hello"` || got[0].Truncated || got[0].Size != 0 {
		t.Fatalf("samples %+v", got)
	}
	if v := got[1]; v.Key != "big/v" || string(v.Value) != "null" || !v.Truncated || v.Size != int64(len(val)) ||
		v.BLAKE3 != hex.EncodeToString(sum[:]) || v.Encoding != "application/x-test" || v.Timestamp == "" {
		t.Fatalf("large sample %+v", v)
	}
	if body := e.want(http.StatusOK, http.MethodGet, "/big/v$*?_raw", "", ""); body != string(val) {
		t.Fatalf("GET ?_raw of a key expression: %d bytes", len(body))
	}
}
