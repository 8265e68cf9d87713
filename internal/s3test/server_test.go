package s3test

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net/http"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// roundTrip creates a bucket, writes an object and reads it back.
func roundTrip(t *testing.T, c *minio.Client, bucket, object, body string) {
	t.Helper()
	ctx := context.Background()
	if err := c.MakeBucket(ctx, bucket, minio.MakeBucketOptions{}); err != nil {
		t.Fatalf("MakeBucket: %v", err)
	}
	if _, err := c.PutObject(ctx, bucket, object, strings.NewReader(body), int64(len(body)), minio.PutObjectOptions{}); err != nil {
		t.Fatalf("PutObject: %v", err)
	}
	mustRead(t, c, bucket, object, body)
}

func mustRead(t *testing.T, c *minio.Client, bucket, object, want string) {
	t.Helper()
	obj, err := c.GetObject(context.Background(), bucket, object, minio.GetObjectOptions{})
	if err != nil {
		t.Fatalf("GetObject: %v", err)
	}
	defer obj.Close()
	got, err := io.ReadAll(obj)
	if err != nil || string(got) != want {
		t.Fatalf("GetObject = %q, %v; want %q", got, err, want)
	}
}

func TestServerServesS3(t *testing.T) {
	Each(t, func(t *testing.T, kind Kind, start StartFunc) {
		srv := start(t)
		if srv.Kind != kind || !strings.HasPrefix(srv.Endpoint(), "http://127.0.0.1:") || srv.Secure() || srv.CAPEM != nil {
			t.Fatalf("server %s at %s (secure %v)", srv.Kind, srv.Endpoint(), srv.Secure())
		}
		roundTrip(t, srv.Client(t), "plain", "a/b", "hello")
	})
}

func TestServerWrongCredentialsRefused(t *testing.T) {
	Each(t, func(t *testing.T, _ Kind, start StartFunc) {
		srv := start(t)
		tr := srv.Transport()
		defer tr.CloseIdleConnections()
		bad, err := minio.New(srv.Host(), &minio.Options{
			Creds:     credentials.NewStaticV4(srv.AccessKey, "not-the-secret", ""),
			Transport: tr,
		})
		if err != nil {
			t.Fatal(err)
		}
		_, err = bad.ListBuckets(context.Background())
		if code := minio.ToErrorResponse(err).Code; code != "SignatureDoesNotMatch" {
			t.Fatalf("ListBuckets with a wrong secret: %v (code %q), want SignatureDoesNotMatch", err, code)
		}
	})
}

func TestServerTLS(t *testing.T) {
	Each(t, func(t *testing.T, _ Kind, start StartFunc) {
		srv := start(t, WithTLS())
		if !strings.HasPrefix(srv.Endpoint(), "https://127.0.0.1:") || !srv.Secure() || srv.CAFile == "" {
			t.Fatalf("TLS server at %s, CA file %q", srv.Endpoint(), srv.CAFile)
		}
		roundTrip(t, srv.Client(t), "secure", "x", "over TLS")

		// The certificate really is checked: without the CA the
		// handshake fails.
		tr := srv.Transport()
		defer tr.CloseIdleConnections()
		tr.TLSClientConfig = &tls.Config{RootCAs: x509.NewCertPool(), MinVersion: tls.VersionTLS12}
		client := &http.Client{Transport: tr, Timeout: 10 * time.Second}
		resp, err := client.Get(srv.Endpoint())
		if err == nil {
			resp.Body.Close()
			t.Fatal("HTTPS request without the test CA succeeded")
		}
		var unknown x509.UnknownAuthorityError
		if !errors.As(err, &unknown) {
			t.Fatalf("HTTPS without the CA: %v, want a certificate error", err)
		}
	})
}

func TestServerStopAndRestartKeepData(t *testing.T) {
	Each(t, func(t *testing.T, _ Kind, start StartFunc) {
		srv := start(t)
		c := srv.Client(t)
		roundTrip(t, c, "durable", "k", "survives")
		endpoint := srv.Endpoint()

		srv.Stop()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if _, err := c.ListBuckets(ctx); err == nil {
			t.Fatal("ListBuckets on a stopped server succeeded")
		}
		srv.Stop() // idempotent

		srv.Start()
		srv.Start() // running: nothing to do
		if srv.Endpoint() != endpoint {
			t.Fatalf("endpoint after restart %s, want %s", srv.Endpoint(), endpoint)
		}
		mustRead(t, c, "durable", "k", "survives")
	})
}

// recorder is a testing.TB that records Skip and Fatal instead of acting
// on them (it ends the goroutine as they would).
type recorder struct {
	testing.TB
	skipped, failed string
}

func (r *recorder) Helper() {}
func (r *recorder) Skip(args ...any) {
	r.skipped = fmt.Sprint(args...)
	runtime.Goexit()
}
func (r *recorder) Fatal(args ...any) {
	r.failed = fmt.Sprint(args...)
	runtime.Goexit()
}

func TestMissingBinarySkipsOrFailsUnderCI(t *testing.T) {
	for _, ci := range []string{"", "true"} {
		t.Run("CI="+ci, func(t *testing.T) {
			t.Setenv("ZMESH_CACHE", t.TempDir())
			t.Setenv("CI", ci)
			r := &recorder{TB: t}
			done := make(chan struct{})
			go func() {
				defer close(done)
				StartMinIO(r)
			}()
			<-done
			got := r.skipped
			if ci == "true" {
				got = r.failed
				if r.skipped != "" {
					t.Fatalf("under CI=true the test was skipped: %s", r.skipped)
				}
			} else if r.failed != "" {
				t.Fatalf("without CI the test failed: %s", r.failed)
			}
			for _, want := range []string{"minio is not installed", "make test", "scripts/install-s3.sh"} {
				if !strings.Contains(got, want) {
					t.Errorf("message %q does not say %q", got, want)
				}
			}
		})
	}
}

func TestCAPEMIsTheSigner(t *testing.T) {
	dir := t.TempDir()
	ca, err := writeCerts(dir)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(ca) {
		t.Fatal("CA PEM does not parse")
	}
	pair, err := tls.LoadX509KeyPair(dir+"/public.crt", dir+"/private.key")
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := x509.ParseCertificate(pair.Certificate[0])
	if err != nil {
		t.Fatal(err)
	}
	for _, host := range []string{"127.0.0.1", "localhost", "::1"} {
		if _, err := leaf.Verify(x509.VerifyOptions{Roots: pool, DNSName: host}); err != nil {
			t.Errorf("server certificate for %s: %v", host, err)
		}
	}
	if bytes.Contains(ca, []byte("PRIVATE")) {
		t.Error("CA PEM holds a private key")
	}
}
