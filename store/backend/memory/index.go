package memory

// index is an ordered set of keys: a skip list (Pugh, 1990) with p = 1/4.
// It is not safe for concurrent use; Store guards it with idxMu.
//
// Invariant: the level-0 list holds every key once, in ascending byte order;
// the level-i list is a subsequence of the level-(i-1) list.
type index struct {
	head  [maxLevel]*node // head[i]: first node on level i
	level int             // levels in use: head[level..] are nil
	rnd   uint64          // xorshift state for node heights; never zero
	n     int             // number of keys
}

const maxLevel = 24 // enough for 4^24 keys at p = 1/4

type node struct {
	key  string
	next []*node // next[i]: following node on level i
	one  [1]*node
}

func newIndex() *index { return &index{rnd: 0x9e3779b97f4a7c15} }

// height draws a node height: 1 with probability 3/4, 2 with 3/16, ...
func (ix *index) height() int {
	ix.rnd ^= ix.rnd << 13
	ix.rnd ^= ix.rnd >> 7
	ix.rnd ^= ix.rnd << 17
	r, h := ix.rnd, 1
	for h < maxLevel && r&3 == 0 {
		h++
		r >>= 2
	}
	return h
}

// path fills prev[i] with the last node on level i whose key is < key (nil
// for the head) and returns the first level-0 node with key >= key.
func (ix *index) path(key string, prev *[maxLevel]*node) *node {
	var x *node // nil means the head
	for i := ix.level - 1; i >= 0; i-- {
		for {
			next := ix.nextOf(x, i)
			if next == nil || next.key >= key {
				break
			}
			x = next
		}
		prev[i] = x
	}
	return ix.nextOf(x, 0)
}

func (ix *index) nextOf(x *node, level int) *node {
	if x == nil {
		return ix.head[level]
	}
	return x.next[level]
}

func (ix *index) setNext(x *node, level int, n *node) {
	if x == nil {
		ix.head[level] = n
	} else {
		x.next[level] = n
	}
}

// insert adds key and reports whether it was absent.
func (ix *index) insert(key string) bool {
	var prev [maxLevel]*node
	if n := ix.path(key, &prev); n != nil && n.key == key {
		return false
	}
	h := ix.height()
	for i := ix.level; i < h; i++ {
		prev[i] = nil // the head
	}
	ix.level = max(ix.level, h)
	n := &node{key: key}
	if h == 1 {
		n.next = n.one[:] // most nodes: one allocation
	} else {
		n.next = make([]*node, h)
	}
	for i := range h {
		n.next[i] = ix.nextOf(prev[i], i)
		ix.setNext(prev[i], i, n)
	}
	ix.n++
	return true
}

// remove deletes key and reports whether it was present.
func (ix *index) remove(key string) bool {
	var prev [maxLevel]*node
	n := ix.path(key, &prev)
	if n == nil || n.key != key {
		return false
	}
	for i := range len(n.next) {
		ix.setNext(prev[i], i, n.next[i])
	}
	for ix.level > 0 && ix.head[ix.level-1] == nil {
		ix.level--
	}
	ix.n--
	return true
}

// seek returns the first node whose key is >= key, or nil.
func (ix *index) seek(key string) *node {
	var prev [maxLevel]*node // on the stack; only path's walk is wanted
	return ix.path(key, &prev)
}
