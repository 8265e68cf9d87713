package httpapi_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/zmesh/zmesh/internal/s3test"
	"github.com/zmesh/zmesh/store"
	_ "github.com/zmesh/zmesh/store/backend/s3" // volume kind "s3"
	"github.com/zmesh/zmesh/store/httpapi"
	"github.com/zmesh/zmesh/store/proto"
	"github.com/zmesh/zmesh/store/server"
)

// MinIO stops while puts are in flight: those puts fail (never
// acknowledged), /health says 503 naming the storage, the server keeps
// serving the rest; when MinIO is back, /health is 200 again by itself and
// puts work. Every put that was acknowledged is there afterwards. The S3
// volume and storage are added at run time through the admin routes, and
// their credentials never show in the admin answers.
func TestMinIOStoppedWhilePutsInFlight(t *testing.T) {
	s3 := s3test.StartMinIO(t)
	e := newEnv(t, server.Options{
		Storages:    []server.Storage{mem("mem", "mem/**")},
		HealthProbe: 100 * time.Millisecond,
	}, httpapi.Options{AdminToken: token})
	ctx := testCtx(t)

	vol := fmt.Sprintf(`{"kind":"s3","url":%q,"access_key":%q,"secret_key":%q,"max_retries":1}`, s3.Endpoint(), s3.AccessKey, s3.SecretKey)
	e.want(http.StatusOK, "PUT", "/@admin/volumes/s3", "application/json", vol, bearer...)
	bucket := fmt.Sprintf("zmesh-http-%d", time.Now().UnixNano()%1e9)
	e.want(http.StatusOK, "PUT", "/@admin/storages/data", "application/json",
		fmt.Sprintf(`{"key_expr":"data/**","strip_prefix":"data","volume":{"id":"s3","bucket":%q,"create_bucket":true,"on_closure":"destroy_bucket"}}`, bucket),
		bearer...)
	for _, path := range []string{"/@admin", "/@admin/volumes", "/@admin/volumes/s3", "/@admin/storages/data"} {
		body := e.want(http.StatusOK, "GET", path, "", "", bearer...)
		if strings.Contains(body, s3.SecretKey) || strings.Contains(body, s3.AccessKey) {
			t.Fatalf("GET %s shows the credentials:\n%s", path, body)
		}
		if path == "/@admin/volumes/s3" && !strings.Contains(body, server.Redacted) {
			t.Fatalf("GET %s does not say the credentials are hidden:\n%s", path, body)
		}
	}
	e.want(http.StatusOK, "PUT", "/data/first", "text/plain", "1")
	e.want(http.StatusOK, "GET", "/health", "", "")

	// Writers: two over HTTP, two over the socket, each with its own keys.
	var (
		mu        sync.Mutex
		acked     = map[string]string{} // key -> value, acknowledged
		bad       []string
		failedOut atomic.Int64 // puts refused since MinIO stopped
		stopped   atomic.Bool
		stop      = make(chan struct{})
		wg        sync.WaitGroup
	)
	for g := range 4 {
		wg.Go(func() {
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				key, value := fmt.Sprintf("data/w%d/%d", g, i), fmt.Sprintf("v%d-%d", g, i)
				var err error
				if g%2 == 0 {
					req, rerr := http.NewRequest("PUT", e.url+"/"+key, strings.NewReader(value))
					if rerr != nil {
						t.Error(rerr)
						return
					}
					req.Header.Set("Content-Type", "text/plain")
					resp, herr := e.http.Do(req)
					if herr != nil {
						err = herr
					} else {
						body, _ := io.ReadAll(resp.Body)
						resp.Body.Close()
						switch resp.StatusCode {
						case http.StatusOK:
						case http.StatusServiceUnavailable, http.StatusGatewayTimeout:
							err = fmt.Errorf("%d %s", resp.StatusCode, body)
						default:
							mu.Lock()
							bad = append(bad, fmt.Sprintf("HTTP put %s: unexpected %d %s", key, resp.StatusCode, body))
							mu.Unlock()
							continue
						}
					}
				} else {
					err = e.cli.Put(ctx, key, []byte(value), store.WithEncoding("text/plain"))
					var se *proto.StatusError
					if err != nil && !errors.As(err, &se) {
						mu.Lock()
						bad = append(bad, fmt.Sprintf("socket put %s: not a refusal: %v", key, err))
						mu.Unlock()
						continue
					}
				}
				mu.Lock()
				if err == nil {
					acked[key] = value
				}
				mu.Unlock()
				if err != nil {
					if !stopped.Load() {
						mu.Lock()
						bad = append(bad, fmt.Sprintf("put %s failed while MinIO was up: %v", key, err))
						mu.Unlock()
					} else {
						failedOut.Add(1)
					}
					time.Sleep(5 * time.Millisecond)
				}
			}
		})
	}
	eventually(t, "puts acknowledged before the stop", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(acked) >= 20
	})
	stopped.Store(true)
	s3.Stop()
	eventually(t, "puts failing while MinIO is down", func() bool { return failedOut.Load() >= 8 })

	code, body, _ := e.do("GET", "/health", "", nil)
	var rep server.HealthReport
	must(t, json.Unmarshal([]byte(body), &rep))
	if code != http.StatusServiceUnavailable || rep.Healthy || len(rep.Unhealthy) != 1 || rep.Unhealthy[0] != "data" ||
		rep.Storages["data"].LastError == "" || !rep.Storages["mem"].Healthy {
		t.Fatalf("/health with MinIO down: %d %s", code, body)
	}
	// The server is up and its other storage works, over both faces.
	e.want(http.StatusOK, "PUT", "/mem/x", "text/plain", "still here")
	must(t, e.cli.Put(ctx, "mem/y", []byte("still here")))
	code, body, _ = e.do("PUT", "/data/down", "text/plain", strings.NewReader("no"))
	if code != http.StatusServiceUnavailable {
		t.Fatalf("PUT with MinIO down: %d %s", code, body)
	}
	close(stop)
	wg.Wait()

	s3.Start()
	eventually(t, "/health 200 after MinIO restarted", func() bool {
		code, _, _ := e.do("GET", "/health", "", nil)
		return code == http.StatusOK
	})
	e.want(http.StatusOK, "PUT", "/data/after", "text/plain", "back")
	must(t, e.cli.Put(ctx, "data/after2", []byte("back")))

	for _, b := range bad {
		t.Error(b)
	}
	// Every acknowledged put is stored.
	got, err := e.cli.Get(ctx, "data/**")
	must(t, err)
	stored := map[string]string{}
	for _, s := range got {
		stored[s.Key] = string(s.Value)
	}
	mu.Lock()
	defer mu.Unlock()
	for k, v := range acked {
		if stored[k] != v {
			t.Errorf("acknowledged put %s=%s: stored %q", k, v, stored[k])
		}
	}
	t.Logf("%d puts acknowledged, %d refused while MinIO was down", len(acked), failedOut.Load())
}
