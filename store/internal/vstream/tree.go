package vstream

import (
	"encoding/binary"

	"lukechampine.com/blake3/guts"
)

// cv is a BLAKE3 chaining value, in the compression function's words.
type cv = [8]uint32

func cvBytes(c *cv) (h Hash) {
	for i, w := range c {
		binary.LittleEndian.PutUint32(h[4*i:], w)
	}
	return h
}

func bytesCV(b []byte) (c cv) {
	for i := range c {
		c[i] = binary.LittleEndian.Uint32(b[4*i:])
	}
	return c
}

// groupSize is how many bytes guts.CompressBuffer hashes at once.
const groupSize = guts.MaxSIMD * guts.ChunkSize

// leafNode returns the last, not yet compressed node of the BLAKE3 subtree
// over data, the chunk that starts at byte offset off (a multiple of its
// power-of-two size, so the subtree is one of BLAKE3's). The caller
// compresses it with or without the ROOT flag. cvs is scratch space,
// returned for reuse.
func leafNode(data []byte, off int64, cvs []cv) (guts.Node, []cv) {
	counter := uint64(off) / guts.ChunkSize
	if len(data) <= groupSize {
		return guts.CompressSlice(data, &guts.IV, counter, 0), cvs
	}
	// Whole 16 KiB groups, each an aligned subtree, then the rest; then
	// the subtree above them, whose splits fall on group boundaries.
	full := len(data) / groupSize
	cvs = cvs[:0]
	for range full {
		cvs = append(cvs, cv{})
	}
	guts.CompressBuffers(cvs, data[:full*groupSize], &guts.IV, counter, 0)
	if rest := data[full*groupSize:]; len(rest) > 0 {
		n := guts.CompressSlice(rest, &guts.IV, counter+uint64(full)*guts.MaxSIMD, 0)
		cvs = append(cvs, guts.ChainingValue(n))
	}
	return mergeNode(cvs), cvs
}

// mergeNode returns the top node (not compressed) of BLAKE3's tree over
// the subtrees whose CVs are cvs (at least two; every one but the last a
// complete subtree of the same power-of-two size).
func mergeNode(cvs []cv) guts.Node {
	mid := split(0, int64(len(cvs)))
	return guts.ParentNode(mergeCV(cvs[:mid]), mergeCV(cvs[mid:]), &guts.IV, 0)
}

func mergeCV(cvs []cv) cv {
	if len(cvs) == 1 {
		return cvs[0]
	}
	return guts.ChainingValue(mergeNode(cvs))
}

// parentCV returns the CV of a parent node (64 bytes: left CV, right CV),
// compressed as the root when root is set.
func parentCV(node []byte, root bool) cv {
	var flags uint32
	if root {
		flags = guts.FlagRoot
	}
	return guts.ChainingValue(guts.ParentNode(bytesCV(node[:32]), bytesCV(node[32:64]), &guts.IV, flags))
}

// compress returns n's CV, compressed as the root when root is set.
func compress(n guts.Node, root bool) cv {
	if root {
		n.Flags |= guts.FlagRoot
	}
	return guts.ChainingValue(n)
}

// Sum returns the BLAKE3-256 hash of data: the root of any layout of it.
func Sum(data []byte) Hash {
	n, _ := leafNode(data, 0, nil)
	c := compress(n, true)
	return cvBytes(&c)
}
