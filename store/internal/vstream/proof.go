package vstream

import "fmt"

// Tree is a value's hash tree, as the sender's Hasher computed it: the
// root and the leaves, from which it gives each chunk's proof. It is safe
// for concurrent use (read-only).
type Tree struct {
	layout Layout
	leaves []cv
	root   Hash
}

func newTree(l Layout, leaves []cv) *Tree {
	t := &Tree{layout: l, leaves: leaves}
	var root cv
	if len(leaves) == 1 {
		root = leaves[0] // compressed as the root already
	} else {
		n := int64(len(leaves))
		mid := split(0, n)
		root = parentCV(t.node(0, mid, n), true)
	}
	t.root = cvBytes(&root)
	return t
}

// Root returns the value's BLAKE3-256 hash.
func (t *Tree) Root() Hash { return t.root }

// Layout returns the value's layout.
func (t *Tree) Layout() Layout { return t.layout }

// cvOf returns the CV of the subtree over chunks [lo, hi), not the root.
func (t *Tree) cvOf(lo, hi int64) cv {
	if hi-lo == 1 {
		return t.leaves[lo]
	}
	return parentCV(t.node(lo, split(lo, hi), hi), false)
}

// node returns the parent node over [lo, mid) and [mid, hi).
func (t *Tree) node(lo, mid, hi int64) []byte {
	l, r := t.cvOf(lo, mid), t.cvOf(mid, hi)
	lb, rb := cvBytes(&l), cvBytes(&r)
	return append(lb[:], rb[:]...)
}

// Proof appends to dst the parent nodes (ParentLen bytes each, top down)
// that chunk i travels with. In order (full false) they are those of the
// subtrees starting at chunk i; for the first chunk sent on a connection
// (full true: index 0 of a new stream, or where a resumed stream picks
// up) they are every parent on the path from the root to chunk i. An
// index outside the value gives an error matching ErrInvalid.
//
// Computing a node costs a hash of the leaves under it, so sending every
// chunk in order costs about log2(chunks) compressions per chunk.
func (t *Tree) Proof(dst []byte, i int64, full bool) ([]byte, error) {
	n := int64(len(t.leaves))
	if i < 0 || i >= n {
		return dst, fmt.Errorf("%w: chunk %d of %d", ErrInvalid, i, n)
	}
	lo, hi := int64(0), n
	for hi-lo > 1 {
		mid := split(lo, hi)
		if full || lo == i {
			dst = append(dst, t.node(lo, mid, hi)...)
		}
		if i < mid {
			hi = mid
		} else {
			lo = mid
		}
	}
	return dst, nil
}

// ProofLen returns how many proof bytes chunk i travels with (see Proof)
// in a value of the layout l.
func ProofLen(l Layout, i int64, full bool) int {
	n := l.Chunks()
	lo, hi := int64(0), n
	k := 0
	for hi-lo > 1 {
		mid := split(lo, hi)
		if full || lo == i {
			k++
		}
		if i < mid {
			hi = mid
		} else {
			lo = mid
		}
	}
	return k * ParentLen
}

// AppendLeaves appends the tree's leaves, 32 bytes per chunk, to dst: the
// value's "outboard", from which TreeFromLeaves rebuilds the tree without
// reading the value again (a store keeps it beside a large value, so it
// can send proofs when it serves the value).
func (t *Tree) AppendLeaves(dst []byte) []byte {
	for i := range t.leaves {
		h := cvBytes(&t.leaves[i])
		dst = append(dst, h[:]...)
	}
	return dst
}

// TreeFromLeaves rebuilds the tree of a value laid out as l from its
// leaves (AppendLeaves), and checks them against root: an error matching
// ErrSize when there are not 32 bytes per chunk, ErrCorrupt when they do
// not hash to root.
func TreeFromLeaves(l Layout, root Hash, leaves []byte) (*Tree, error) {
	n := l.Chunks()
	if int64(len(leaves)) != n*int64(len(Hash{})) {
		return nil, fmt.Errorf("%w: %d bytes of leaves for %d chunks", ErrSize, len(leaves), n)
	}
	cvs := make([]cv, n)
	for i := range cvs {
		cvs[i] = bytesCV(leaves[32*i:])
	}
	t := newTree(l, cvs)
	if t.root != root {
		return nil, fmt.Errorf("%w: leaves hash to %s, not %s", ErrCorrupt, t.root, root)
	}
	return t, nil
}
