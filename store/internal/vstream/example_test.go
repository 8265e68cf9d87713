package vstream_test

import (
	"bytes"
	"fmt"

	"github.com/zmesh/zmesh/store/internal/vstream"
)

// A sender hashes a value (first pass), then sends each chunk with its
// proof; the receiver verifies each chunk against the root as it arrives.
func Example() {
	value := bytes.Repeat([]byte("zmesh "), 1000) // 6000 bytes
	layout, _ := vstream.NewLayout(int64(len(value)), vstream.MinChunkSize)

	h := vstream.NewHasher(layout)
	_, _ = h.Write(value)
	tree, _ := h.Sum()
	fmt.Println("root:", tree.Root())

	v := vstream.NewVerifier(layout, tree.Root())
	for i := range layout.Chunks() {
		proof, _ := tree.Proof(nil, i, i == 0)
		off := layout.Offset(i)
		chunk := value[off : off+int64(layout.ChunkLen(i))]
		if err := v.Verify(proof, chunk); err != nil {
			fmt.Println("refused:", err)
			return
		}
	}
	fmt.Println("chunks:", layout.Chunks(), "finish:", v.Finish())

	// A corrupted chunk is refused before it is accepted.
	v = vstream.NewVerifier(layout, tree.Root())
	proof, _ := tree.Proof(nil, 0, true)
	bad := bytes.Clone(value[:vstream.MinChunkSize])
	bad[10] ^= 1
	fmt.Println(v.Verify(proof, bad))
	// Output:
	// root: 865e8fc2e7d9eac905656265b2b428cffc67d01271f8009379d3887962469e96
	// chunks: 6 finish: <nil>
	// vstream: chunk does not match the root: chunk 0
}
