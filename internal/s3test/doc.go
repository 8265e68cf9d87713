// Package s3test runs real S3 servers for tests: MinIO and versitygw (its
// posix backend), each a child process listening on 127.0.0.1, with its own
// data folder, random root credentials, and optionally TLS with a CA made
// for the test.
//
// The binaries come from scripts/install-s3.sh, which installs them into
// ${ZMESH_CACHE:-$HOME/.cache/zmesh}/bin. When one is missing the test is
// skipped, or fails when the environment says CI=true, so that CI can
// never pass by skipping the S3 suite.
//
// A Server is stopped when its test ends. Stop and Start let fault tests
// kill a server as a crash would and bring it back on the same port with
// the same data:
//
//	srv := s3test.StartMinIO(t)
//	client := srv.Client(t)
//	...
//	srv.Stop()  // requests now fail
//	srv.Start() // same endpoint, same buckets
//
// Each runs a test against every kind of server, so a suite covers the
// differences between them (object names, conditional requests).
package s3test
