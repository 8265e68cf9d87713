// Package backendtest is the conformance suite of the storage backends:
// every backend.Store implementation runs it from its own tests, so that
// memory, fs and s3 give the storage server exactly the same semantics.
//
// Run checks what any store must do: last-writer-wins by timestamp
// (older and equal timestamps ignored), tombstones that block older puts,
// Collect, Scan by prefix (keys "", "a", "a/b", "ab"...), large values,
// concurrent writers converging to the newest timestamp, hostile keys,
// context cancellation and Close. RunPersistent adds what a durable store
// must keep across a close and reopen: values, encodings, timestamps and
// tombstones.
//
// A backend's test file is typically:
//
//	func TestConformance(t *testing.T) {
//		backendtest.Run(t, func(t *testing.T) backend.Store {
//			s, err := fs.Open(t.TempDir())
//			if err != nil {
//				t.Fatal(err)
//			}
//			return s
//		})
//	}
package backendtest
