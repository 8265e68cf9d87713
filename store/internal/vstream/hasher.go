package vstream

import (
	"fmt"
	"io"
)

// Hasher computes a value's tree while the value is written to it, in
// order, with one chunk of buffer: the sender's first pass. Sum then gives
// the Tree, from which the root and every chunk's proof are read.
//
// A Hasher is not safe for concurrent use.
type Hasher struct {
	layout Layout
	buf    []byte // the chunk being filled
	leaves []cv   // CVs of the chunks hashed so far
	n      int64  // bytes written
	cvs    []cv   // scratch for leafNode
	root   cv     // set once the last chunk is hashed
	done   bool
}

// NewHasher returns a Hasher for a value laid out as l.
func NewHasher(l Layout) *Hasher {
	return &Hasher{
		layout: l,
		buf:    make([]byte, 0, min(int64(l.ChunkSize), l.Size)),
		leaves: make([]cv, 0, l.Chunks()),
	}
}

// Write hashes p, the next bytes of the value. Writing more than the
// declared size fails with ErrSize.
func (h *Hasher) Write(p []byte) (int, error) {
	if int64(len(p)) > h.layout.Size-h.n {
		return 0, fmt.Errorf("%w: more than the declared %d bytes", ErrSize, h.layout.Size)
	}
	written := len(p)
	for len(p) > 0 {
		i := int64(len(h.leaves))
		want := h.layout.ChunkLen(i) - len(h.buf)
		if len(h.buf) == 0 && len(p) >= want {
			// A whole chunk in p: hash it in place.
			h.addLeaf(p[:want])
			p = p[want:]
			h.n += int64(want)
			continue
		}
		k := min(want, len(p))
		h.buf = append(h.buf, p[:k]...)
		p = p[k:]
		h.n += int64(k)
		if len(h.buf) == h.layout.ChunkLen(i) {
			h.addLeaf(h.buf)
			h.buf = h.buf[:0]
		}
	}
	return written, nil
}

// addLeaf hashes the next chunk. The only chunk of a one-chunk value is
// the root, compressed as such.
func (h *Hasher) addLeaf(chunk []byte) {
	i := int64(len(h.leaves))
	node, cvs := leafNode(chunk, h.layout.Offset(i), h.cvs)
	h.cvs = cvs
	h.leaves = append(h.leaves, compress(node, h.layout.Chunks() == 1))
}

// ReadFrom hashes everything r gives, up to EOF, and checks that it was
// exactly the declared size (else ErrSize).
func (h *Hasher) ReadFrom(r io.Reader) (int64, error) {
	buf := make([]byte, min(int64(h.layout.ChunkSize), max(h.layout.Size, 1)))
	var total int64
	for {
		n, err := io.ReadFull(r, buf)
		if n > 0 {
			if _, werr := h.Write(buf[:n]); werr != nil {
				return total, werr
			}
			total += int64(n)
		}
		switch err {
		case nil:
			continue
		case io.EOF, io.ErrUnexpectedEOF:
			if h.n != h.layout.Size {
				return total, fmt.Errorf("%w: read %d bytes, declared %d", ErrSize, h.n, h.layout.Size)
			}
			return total, nil
		default:
			return total, err
		}
	}
}

// Sum returns the value's tree once every declared byte has been written,
// else an error matching ErrSize.
func (h *Hasher) Sum() (*Tree, error) {
	if h.n != h.layout.Size {
		return nil, fmt.Errorf("%w: %d bytes written, declared %d", ErrSize, h.n, h.layout.Size)
	}
	if h.layout.Size == 0 && len(h.leaves) == 0 {
		h.addLeaf(nil)
	}
	return newTree(h.layout, h.leaves), nil
}
