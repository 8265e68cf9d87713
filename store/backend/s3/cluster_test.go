package s3

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"

	"github.com/zmesh/zmesh/internal/s3test"
	"github.com/zmesh/zmesh/store/backend"
)

// cluster is a distributed MinIO of several processes on 127.0.0.1, one
// drive each, erasure coded across them (4 drives: 2 data and 2 parity
// shards per object, so writes need 3 drives and reads 2).
type cluster struct {
	t          *testing.T
	addrs      []string
	user, pass string
	mu         sync.Mutex
	procs      []*exec.Cmd     // nil once killed
	dones      []chan struct{} // closed when the process has exited
}

// startCluster starts n MinIO processes that form one erasure set, and
// waits until the cluster answers. Everything is killed when the test
// ends.
func startCluster(t *testing.T, n int) *cluster {
	t.Helper()
	bin := s3test.Binary(t, s3test.MinIO)
	c := &cluster{t: t, user: "zmeshcluster", pass: "zmesh-cluster-secret"}
	root := t.TempDir()
	var endpoints []string
	for i := range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		c.addrs = append(c.addrs, l.Addr().String())
		l.Close()
		dir := filepath.Join(root, fmt.Sprintf("drive%d", i))
		if err := os.Mkdir(dir, 0o700); err != nil {
			t.Fatal(err)
		}
		endpoints = append(endpoints, "http://"+c.addrs[i]+dir)
	}
	t.Cleanup(c.stop)
	for i, addr := range c.addrs {
		logf, err := os.Create(filepath.Join(root, fmt.Sprintf("node%d.log", i)))
		if err != nil {
			t.Fatal(err)
		}
		args := append([]string{"server", "--address", addr, "--quiet", "--anonymous"}, endpoints...)
		cmd := exec.Command(bin, args...)
		cmd.Env = append(os.Environ(),
			"MINIO_ROOT_USER="+c.user, "MINIO_ROOT_PASSWORD="+c.pass,
			"MINIO_BROWSER=off", "MINIO_UPDATE=off", "MINIO_CALLHOME_ENABLE=off",
			// Drives on the root file system (a container's) are refused
			// in distributed mode unless in CI/CD mode.
			"MINIO_CI_CD=1",
			// In a container MinIO waits for 127.0.0.1 to resolve to "a
			// valid IP" forever; this names the endpoint that is local.
			"_MINIO_SERVER_LOCAL="+addr)
		cmd.Stdout, cmd.Stderr = logf, logf
		cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
		err = cmd.Start()
		logf.Close()
		if err != nil {
			t.Fatal(err)
		}
		done := make(chan struct{})
		go func() { // ends when the process exits; stop and kill wait for it
			_ = cmd.Wait()
			close(done)
		}()
		c.mu.Lock()
		c.procs, c.dones = append(c.procs, cmd), append(c.dones, done)
		c.mu.Unlock()
	}
	deadline := time.Now().Add(40 * time.Second)
	for {
		resp, err := http.Get("http://" + c.addrs[0] + "/minio/health/cluster")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return c
			}
		}
		if time.Now().After(deadline) {
			log, _ := os.ReadFile(filepath.Join(root, "node0.log"))
			t.Fatalf("the %d-node MinIO cluster is not healthy after 40s (%v); node 0 log:\n%s", n, err, tail(log))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func tail(b []byte) string {
	if len(b) > 3000 {
		b = b[len(b)-3000:]
	}
	return string(b)
}

// kill kills node i with SIGKILL and waits until it is gone.
func (c *cluster) kill(i int) {
	c.mu.Lock()
	cmd, done := c.procs[i], c.dones[i]
	c.procs[i] = nil
	c.mu.Unlock()
	if cmd == nil {
		return
	}
	_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	<-done
}

func (c *cluster) stop() {
	for i := range c.addrs {
		c.kill(i)
	}
}

// killingReader gives a pattern of n bytes and calls kill once at bytes
// have been read.
type killingReader struct {
	patternReader
	at   int64
	kill func()
	once sync.Once
}

func (k *killingReader) Read(b []byte) (int, error) {
	if k.off >= k.at {
		k.once.Do(k.kill)
	}
	return k.patternReader.Read(b)
}

func patternBytes(n int64) []byte {
	b, _ := io.ReadAll(&patternReader{n: n})
	return b
}

// TestDistributedMinIONodeKilled writes a large value to a 4-node
// distributed MinIO with PutStream (a multipart upload) and kills one
// node half-way. The put must either complete, and the value read back
// whole, or fail with an error and leave the key's previous value; a
// watcher checks throughout that the object is never seen torn (the new
// timestamp with a size other than the whole value's). With three of
// four drives left the cluster keeps its write quorum, so a put after the
// kill completes.
func TestDistributedMinIONodeKilled(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 55*time.Second)
	defer cancel()
	c := startCluster(t, 4)
	v, err := NewVolume(ctx, backend.Options{"url": "http://" + c.addrs[0], "max_retries": 2,
		"private": map[string]any{"access_key": c.user, "secret_key": c.pass}})
	if err != nil {
		t.Fatal(err)
	}
	defer mustClose(t, v)
	st, err := v.Open(ctx, "cluster", backend.StorageConfig{Options: backend.Options{"bucket": newBucket()}})
	if err != nil {
		t.Fatal(err)
	}
	s := st.(*Store)

	const size = 5*MinPartSize + 12345
	old := []byte("the value before")
	mustApply(t, s, backend.Entry{Key: "big", Value: old, Timestamp: ts(0, 1)}, true)
	name := encodeKey("big")

	// The watcher HEADs the object until the put returns.
	stopWatch := make(chan struct{})
	var watchErr error
	var heads int
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			select {
			case <-stopWatch:
				return
			case <-time.After(20 * time.Millisecond):
			}
			info, err := s.v.client.StatObject(ctx, s.bucket, name, minio.StatObjectOptions{})
			if err != nil {
				continue // a node down may fail a HEAD; torn data is what we look for
			}
			heads++
			e, ok, err := metaEntry("big", info.UserMetadata)
			switch {
			case err != nil || !ok:
				watchErr = fmt.Errorf("object metadata unreadable: %v", err)
			case e.Timestamp == ts(0, 1) && info.Size != int64(headerLen+len(old)):
				watchErr = fmt.Errorf("old timestamp with %d bytes", info.Size)
			case e.Timestamp == ts(time.Second, 1) && info.Size != int64(headerLen)+size:
				watchErr = fmt.Errorf("new timestamp with %d bytes: a torn object", info.Size)
			}
			if watchErr != nil {
				return
			}
		}
	})
	r := &killingReader{patternReader: patternReader{n: size}, at: 2*MinPartSize + 1, kill: func() { c.kill(3) }}
	e := streamed("big", size, time.Second)
	applied, putErr := s.PutStream(ctx, e, r)
	close(stopWatch)
	wg.Wait()
	if watchErr != nil {
		t.Fatalf("watcher (%d HEADs): %v", heads, watchErr)
	}
	t.Logf("PutStream with node 3 killed after %d MiB: applied=%v err=%v (%d HEADs watched)", r.at>>20, applied, putErr, heads)
	want := patternBytes(size)
	switch {
	case putErr == nil && applied:
		mustReadAll(t, s, e, want)
	case putErr != nil && !applied:
		mustGet(t, s, backend.Entry{Key: "big", Value: old, Timestamp: ts(0, 1)})
	default:
		t.Fatalf("PutStream = %v, %v", applied, putErr)
	}

	// Three drives of four keep the write quorum.
	e2 := streamed("big", size, 2*time.Second)
	if applied, err := s.PutStream(ctx, e2, &patternReader{n: size}); err != nil || !applied {
		t.Fatalf("PutStream with one node down = %v, %v", applied, err)
	}
	mustReadAll(t, s, e2, want)
}

// mustReadAll reads key whole through OpenStream and compares it with want.
func mustReadAll(t *testing.T, s *Store, e backend.StreamEntry, want []byte) {
	t.Helper()
	got, rc, ok, err := s.OpenStream(context.Background(), e.Key, 0)
	if err != nil || !ok || got.Timestamp != e.Timestamp || got.Size != int64(len(want)) {
		t.Fatalf("OpenStream = %+v, %v, %v", got, ok, err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil || !bytes.Equal(b, want) {
		t.Fatalf("read %d bytes (%v), want the %d written", len(b), err, len(want))
	}
}
