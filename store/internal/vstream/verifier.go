package vstream

import "fmt"

// pending is a subtree the Verifier trusts the CV of: chunks [lo, hi).
type pending struct {
	cv     cv
	lo, hi int64
}

// Verifier checks a value's chunks as they arrive, in order, against the
// root announced before them: the receiver's side. It holds no chunk, only
// the CVs of the subtrees still to come (at most one per tree level).
//
// A Verifier is not safe for concurrent use.
type Verifier struct {
	layout Layout
	root   Hash
	stack  []pending // subtrees still to come, the next one last
	next   int64     // index of the next chunk
	cvs    []cv      // scratch for leafNode
	err    error     // the first failure: every later call returns it
}

// NewVerifier returns a Verifier for a value laid out as l whose hash is
// root, expecting chunk 0 first.
func NewVerifier(l Layout, root Hash) *Verifier {
	v := &Verifier{layout: l, root: root}
	v.Resume(0)
	return v
}

// Resume makes the verifier expect chunk i next, with a full proof (see
// Tree.Proof): a resumed upload continues after its last verified chunk,
// with the data before it already checked and kept. It also clears a
// previous failure. i may be Chunks() (nothing left to verify).
func (v *Verifier) Resume(i int64) error {
	if i < 0 || i > v.layout.Chunks() {
		return fmt.Errorf("%w: resume at chunk %d of %d", ErrInvalid, i, v.layout.Chunks())
	}
	v.err = nil
	v.next = i
	v.stack = v.stack[:0]
	if i < v.layout.Chunks() {
		v.stack = append(v.stack, pending{cv: bytesCV(v.root[:]), lo: 0, hi: v.layout.Chunks()})
	}
	return nil
}

// Next returns the index of the chunk the verifier expects next.
func (v *Verifier) Next() int64 { return v.next }

// Layout returns the layout the verifier checks against.
func (v *Verifier) Layout() Layout { return v.layout }

// ProofLen returns how many proof bytes the next chunk must come with.
func (v *Verifier) ProofLen() int {
	if len(v.stack) == 0 {
		return 0
	}
	top := v.stack[len(v.stack)-1]
	k := 0
	for lo, hi := top.lo, top.hi; hi-lo > 1; k++ {
		if mid := split(lo, hi); v.next < mid {
			hi = mid
		} else {
			lo = mid
		}
	}
	return k * ParentLen
}

// Verify checks chunk Next() with its proof. On success the chunk is
// authentic, the caller may keep it, and Next advances. Otherwise the
// error matches ErrExtraChunk, ErrProof, ErrSize or ErrCorrupt, and the
// verifier refuses everything after it (until Resume).
func (v *Verifier) Verify(proof, chunk []byte) error {
	if v.err != nil {
		return v.err
	}
	v.err = v.verify(proof, chunk)
	return v.err
}

func (v *Verifier) verify(proof, chunk []byte) error {
	i := v.next
	if len(v.stack) == 0 {
		return fmt.Errorf("%w: chunk %d of a %d-chunk value", ErrExtraChunk, i, v.layout.Chunks())
	}
	if want := v.ProofLen(); len(proof) != want {
		return fmt.Errorf("%w: chunk %d: %d proof bytes, its place needs %d", ErrProof, i, len(proof), want)
	}
	if want := v.layout.ChunkLen(i); len(chunk) != want {
		return fmt.Errorf("%w: chunk %d: %d bytes, the declared size %d gives it %d",
			ErrSize, i, len(chunk), v.layout.Size, want)
	}
	top := v.stack[len(v.stack)-1]
	v.stack = v.stack[:len(v.stack)-1]
	whole := v.layout.Chunks()
	for top.hi-top.lo > 1 {
		node := proof[:ParentLen]
		proof = proof[ParentLen:]
		isRoot := top.lo == 0 && top.hi == whole
		if parentCV(node, isRoot) != top.cv {
			return fmt.Errorf("%w: chunk %d: proof node for chunks %d-%d", ErrCorrupt, i, top.lo, top.hi-1)
		}
		mid := split(top.lo, top.hi)
		left, right := bytesCV(node[:32]), bytesCV(node[32:])
		if i < mid {
			v.stack = append(v.stack, pending{cv: right, lo: mid, hi: top.hi})
			top = pending{cv: left, lo: top.lo, hi: mid}
		} else {
			top = pending{cv: right, lo: mid, hi: top.hi}
		}
	}
	node, cvs := leafNode(chunk, v.layout.Offset(i), v.cvs)
	v.cvs = cvs
	if compress(node, whole == 1) != top.cv {
		return fmt.Errorf("%w: chunk %d", ErrCorrupt, i)
	}
	v.next++
	return nil
}

// Finish reports whether every chunk was verified: nil when they were,
// an error matching ErrTruncated when the stream stopped early, or the
// verifier's earlier failure.
func (v *Verifier) Finish() error {
	if v.err != nil {
		return v.err
	}
	if n := v.layout.Chunks(); v.next < n {
		return fmt.Errorf("%w: %d of %d chunks verified", ErrTruncated, v.next, n)
	}
	return nil
}
