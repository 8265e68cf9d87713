package s3test

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
)

// Kind names a kind of S3 server.
type Kind string

// The kinds of server this package runs.
const (
	// MinIO is the MinIO server, single node, single drive.
	MinIO Kind = "minio"
	// VersityGW is versitygw with its posix backend: buckets are
	// directories and objects are files, so object names that a directory
	// tree cannot hold are refused.
	VersityGW Kind = "versitygw"
)

// StartFunc starts a server of one kind; StartMinIO and StartVersityGW are
// StartFuncs.
type StartFunc func(t testing.TB, opts ...Option) *Server

// Each runs fn as one subtest per kind of server, named after the kind.
func Each(t *testing.T, fn func(t *testing.T, kind Kind, start StartFunc)) {
	t.Helper()
	for _, k := range []struct {
		kind  Kind
		start StartFunc
	}{{MinIO, StartMinIO}, {VersityGW, StartVersityGW}} {
		t.Run(string(k.kind), func(t *testing.T) { fn(t, k.kind, k.start) })
	}
}

// Option configures a server at start.
type Option func(*config)

type config struct {
	tls bool
}

// WithTLS makes the server speak HTTPS only, with a certificate for
// 127.0.0.1 and localhost signed by a CA generated for this server (see
// Server.CAPEM and Server.CAFile).
func WithTLS() Option { return func(c *config) { c.tls = true } }

// readyTimeout bounds how long a server may take to answer after start: a
// cold MinIO on a loaded two-core machine takes several seconds.
const readyTimeout = 90 * time.Second

// Server is one S3 server process. Its methods are safe for concurrent
// use; Stop and Start are serialised.
type Server struct {
	// Kind is the kind of server.
	Kind Kind
	// AccessKey and SecretKey are the root credentials, random per server.
	AccessKey, SecretKey string
	// CAPEM is the PEM certificate of the CA that signed the server's
	// certificate, and CAFile a file holding it; both empty without TLS.
	CAPEM  []byte
	CAFile string

	t       testing.TB
	bin     string
	addr    string // 127.0.0.1:port, fixed for the server's life
	dataDir string // absolute
	certDir string // holds public.crt and private.key (MinIO's layout)
	logPath string
	tls     bool

	mu   sync.Mutex    // serialises Start and Stop; guards cmd and done
	cmd  *exec.Cmd     // nil while stopped
	done chan struct{} // closed when cmd has exited
}

// StartMinIO starts a MinIO server (single drive, in a fresh temporary
// folder) on a free port of 127.0.0.1 and waits until it answers S3
// requests. It is stopped when the test ends.
func StartMinIO(t testing.TB, opts ...Option) *Server {
	t.Helper()
	return start(t, MinIO, opts)
}

// StartVersityGW starts versitygw with its posix backend (in a fresh
// temporary folder) on a free port of 127.0.0.1 and waits until it answers
// S3 requests. It is stopped when the test ends.
func StartVersityGW(t testing.TB, opts ...Option) *Server {
	t.Helper()
	return start(t, VersityGW, opts)
}

// BinDir returns the folder scripts/install-s3.sh installs the servers
// into: $ZMESH_CACHE/bin, by default $HOME/.cache/zmesh/bin.
func BinDir() string {
	cache := os.Getenv("ZMESH_CACHE")
	if cache == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			home = os.TempDir()
		}
		cache = filepath.Join(home, ".cache", "zmesh")
	}
	return filepath.Join(cache, "bin")
}

// Binary returns the path of kind's server binary, or skips the test (fails
// it when CI=true) if it is not installed.
func Binary(t testing.TB, kind Kind) string {
	t.Helper()
	bin := filepath.Join(BinDir(), string(kind))
	if fi, err := os.Stat(bin); err == nil && !fi.IsDir() && fi.Mode()&0o111 != 0 {
		return bin
	}
	msg := fmt.Sprintf("s3test: %s is not installed at %s: run `make test`, or `bash scripts/install-s3.sh` to install the S3 servers", kind, bin)
	if os.Getenv("CI") == "true" {
		t.Fatal(msg)
	}
	t.Skip(msg)
	return ""
}

func start(t testing.TB, kind Kind, opts []Option) *Server {
	t.Helper()
	var cfg config
	for _, o := range opts {
		o(&cfg)
	}
	s := &Server{
		Kind:      kind,
		AccessKey: "zmesh" + randomHex(t, 6),
		SecretKey: randomHex(t, 20),
		t:         t,
		bin:       Binary(t, kind),
		tls:       cfg.tls,
	}
	root := t.TempDir()
	s.dataDir = filepath.Join(root, "data")
	s.certDir = filepath.Join(root, "certs")
	s.logPath = filepath.Join(root, string(kind)+".log")
	for _, dir := range []string{s.dataDir, s.certDir} {
		if err := os.Mkdir(dir, 0o700); err != nil {
			t.Fatalf("s3test: %v", err)
		}
	}
	if cfg.tls {
		ca, err := writeCerts(s.certDir)
		if err != nil {
			t.Fatalf("s3test: %v", err)
		}
		s.CAPEM = ca
		s.CAFile = filepath.Join(root, "ca.crt")
		if err := os.WriteFile(s.CAFile, ca, 0o600); err != nil {
			t.Fatalf("s3test: %v", err)
		}
	}
	t.Cleanup(s.Stop)
	// Another process may take the free port between our probe and the
	// server's bind; try a few ports before giving up.
	var err error
	for range 3 {
		if s.addr, err = freeAddr(); err != nil {
			t.Fatalf("s3test: %v", err)
		}
		if err = s.start(); err == nil {
			return s
		}
	}
	t.Fatalf("s3test: %v", err)
	return nil
}

// Endpoint returns the server's URL, "http://127.0.0.1:<port>" or
// "https://127.0.0.1:<port>".
func (s *Server) Endpoint() string {
	if s.tls {
		return "https://" + s.addr
	}
	return "http://" + s.addr
}

// Host returns the server's address, "127.0.0.1:<port>".
func (s *Server) Host() string { return s.addr }

// Secure reports whether the server speaks HTTPS.
func (s *Server) Secure() bool { return s.tls }

// DataDir returns the folder holding the server's data.
func (s *Server) DataDir() string { return s.dataDir }

// Transport returns a new HTTP transport that trusts the server's CA (when
// it has TLS). Callers close its idle connections when done.
func (s *Server) Transport() *http.Transport {
	tr, err := minio.DefaultTransport(s.tls)
	if err != nil { // only fails on a bad SSL_CERT_FILE
		s.t.Fatalf("s3test: %v", err)
	}
	if s.tls {
		pool := x509.NewCertPool()
		pool.AppendCertsFromPEM(s.CAPEM)
		tr.TLSClientConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	}
	return tr
}

// Client returns a minio-go client for the server with its root
// credentials and path-style requests, retrying nothing; its idle
// connections are closed when the test ends.
func (s *Server) Client(t testing.TB) *minio.Client {
	t.Helper()
	tr := s.Transport()
	t.Cleanup(tr.CloseIdleConnections)
	c, err := s.newClient(tr)
	if err != nil {
		t.Fatalf("s3test: %v", err)
	}
	return c
}

// Objects returns the names of every object in bucket, listed recursively
// and sorted; a listing error fails the test.
func (s *Server) Objects(t testing.TB, bucket string) []string {
	t.Helper()
	var names []string
	for info := range s.Client(t).ListObjectsIter(context.Background(), bucket, minio.ListObjectsOptions{Recursive: true}) {
		if info.Err != nil {
			t.Fatalf("s3test: listing %s: %v", bucket, info.Err)
		}
		names = append(names, info.Key)
	}
	slices.Sort(names)
	return names
}

func (s *Server) newClient(tr http.RoundTripper) (*minio.Client, error) {
	return minio.New(s.addr, &minio.Options{
		Creds:        credentials.NewStaticV4(s.AccessKey, s.SecretKey, ""),
		Secure:       s.tls,
		Transport:    tr,
		BucketLookup: minio.BucketLookupPath,
		Region:       "us-east-1",
		MaxRetries:   1,
	})
}

// Stop kills the server and every process it started, as a crash would,
// and waits for it to exit. Its data stays. Stop on a stopped server does
// nothing.
func (s *Server) Stop() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stopLocked()
}

func (s *Server) stopLocked() {
	if s.cmd == nil {
		return
	}
	// The server runs in its own process group: kill the group, so no
	// helper process outlives it.
	_ = syscall.Kill(-s.cmd.Process.Pid, syscall.SIGKILL)
	<-s.done
	s.cmd, s.done = nil, nil
}

// Start starts a stopped server again on the same address with the same
// data and credentials, and waits until it answers. The test fails if it
// cannot. Start on a running server does nothing.
func (s *Server) Start() {
	s.t.Helper()
	if err := s.start(); err != nil {
		s.t.Fatalf("s3test: restart %s: %v", s.Kind, err)
	}
}

func (s *Server) args() []string {
	switch s.Kind {
	case MinIO:
		// --certs-dir always points at our folder, so MinIO never reads
		// ~/.minio; it holds certificates only in TLS mode.
		return []string{"server", "--address", s.addr, "--certs-dir", s.certDir, "--quiet", "--anonymous", s.dataDir}
	case VersityGW:
		args := []string{"--port", s.addr, "--access", s.AccessKey, "--secret", s.SecretKey, "--keep-alive", "--quiet"}
		if s.tls {
			args = append(args, "--cert", filepath.Join(s.certDir, "public.crt"), "--key", filepath.Join(s.certDir, "private.key"))
		}
		return append(args, "posix", s.dataDir)
	}
	panic("s3test: unknown kind " + string(s.Kind))
}

func (s *Server) env() []string {
	env := os.Environ()
	if s.Kind == MinIO {
		env = append(env,
			"MINIO_ROOT_USER="+s.AccessKey,
			"MINIO_ROOT_PASSWORD="+s.SecretKey,
			"MINIO_BROWSER=off",         // no console listener
			"MINIO_UPDATE=off",          // no update checks
			"MINIO_CALLHOME_ENABLE=off", // nothing leaves the machine
		)
	}
	return env
}

func (s *Server) start() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd != nil {
		return nil
	}
	logf, err := os.OpenFile(s.logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	cmd := exec.Command(s.bin, s.args()...)
	cmd.Env = s.env()
	cmd.Dir = s.dataDir
	cmd.Stdout, cmd.Stderr = logf, logf
	// Its own process group, so Stop can kill everything it started; and
	// killed by the kernel if the test binary dies without cleaning up
	// (a test timeout), so no server outlives its test.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	err = cmd.Start()
	logf.Close() // the child holds its own descriptor
	if err != nil {
		return fmt.Errorf("start %s: %w", s.bin, err)
	}
	done := make(chan struct{})
	go func() { // ends when the process exits; Stop waits for it
		_ = cmd.Wait()
		close(done)
	}()
	s.cmd, s.done = cmd, done
	if err := s.waitReady(); err != nil {
		s.stopLocked()
		return fmt.Errorf("%s on %s: %w\n--- log %s (tail) ---\n%s", s.Kind, s.addr, err, s.logPath, s.logTail())
	}
	return nil
}

// waitReady polls with an authenticated ListBuckets until it succeeds, the
// process exits, or readyTimeout passes.
func (s *Server) waitReady() error {
	tr := s.Transport()
	defer tr.CloseIdleConnections()
	c, err := s.newClient(tr)
	if err != nil {
		return err
	}
	deadline := time.Now().Add(readyTimeout)
	var last error
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		_, last = c.ListBuckets(ctx)
		cancel()
		if last == nil {
			return nil
		}
		select {
		case <-s.done:
			return errors.New("exited before answering")
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("no answer within %v: %w", readyTimeout, last)
		}
	}
}

func (s *Server) logTail() string {
	b, err := os.ReadFile(s.logPath)
	if err != nil {
		return err.Error()
	}
	if len(b) > 4000 {
		b = b[len(b)-4000:]
	}
	return string(bytes.TrimSpace(b))
}

// freeAddr returns 127.0.0.1:<a port free right now>.
func freeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("find a free port: %w", err)
	}
	defer l.Close()
	return "127.0.0.1:" + strconv.Itoa(l.Addr().(*net.TCPAddr).Port), nil
}

func randomHex(t testing.TB, n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatalf("s3test: %v", err)
	}
	return hex.EncodeToString(b)
}
