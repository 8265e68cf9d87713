package patterns

import "bytes"

// trie is a radix tree of subscription prefixes. Each node is an edge
// label (prefix) below its parent; a node whose key is a subscription
// holds its subscribers (a PUB's peers, as a set) or its count (a SUB's
// own subscriptions). A message's subscribers are found by walking the
// tree along its first frame, so a match costs the length of the frame's
// longest subscribed prefix, not the number of subscriptions. It is not
// safe for concurrent use; its owner locks.
type trie struct {
	root tnode
	n    int // keys with subscribers or a count
}

type tnode struct {
	prefix []byte
	kids   []*tnode // ordered by first byte of their prefix
	peers  []*pubPeer
	refs   int // SUB's count of subscriptions to this key
}

// live reports whether the node's key is subscribed.
func (n *tnode) live() bool { return len(n.peers) > 0 || n.refs > 0 }

// kid returns the child whose prefix starts with c, and its index.
func (n *tnode) kid(c byte) (*tnode, int) {
	lo, hi := 0, len(n.kids)
	for lo < hi {
		m := (lo + hi) / 2
		switch k := n.kids[m].prefix[0]; {
		case k == c:
			return n.kids[m], m
		case k < c:
			lo = m + 1
		default:
			hi = m
		}
	}
	return nil, lo
}

// node returns the node of key, creating it (and splitting edges) if
// create is set; nil if absent otherwise.
func (t *trie) node(key []byte, create bool) *tnode {
	n := &t.root
	for len(key) > 0 {
		k, i := n.kid(key[0])
		if k == nil {
			if !create {
				return nil
			}
			k = &tnode{prefix: bytes.Clone(key)}
			n.kids = append(n.kids, nil)
			copy(n.kids[i+1:], n.kids[i:])
			n.kids[i] = k
			return k
		}
		common := commonPrefix(k.prefix, key)
		if common < len(k.prefix) {
			if !create {
				return nil
			}
			// Split k: a new node for the common part, k below it.
			mid := &tnode{prefix: k.prefix[:common:common], kids: []*tnode{k}}
			k.prefix = k.prefix[common:]
			n.kids[i] = mid
			k = mid
		}
		n, key = k, key[common:]
	}
	return n
}

func commonPrefix(a, b []byte) int {
	n := min(len(a), len(b))
	for i := 0; i < n; i++ {
		if a[i] != b[i] {
			return i
		}
	}
	return n
}

// addPeer subscribes pp to key. added: pp was not subscribed to it;
// first: key had no subscriber at all before.
func (t *trie) addPeer(key []byte, pp *pubPeer) (added, first bool) {
	n := t.node(key, true)
	for _, x := range n.peers {
		if x == pp {
			return false, false
		}
	}
	first = len(n.peers) == 0
	if first {
		t.n++
	}
	n.peers = append(n.peers, pp)
	return true, first
}

// rmPeer unsubscribes pp from key. removed: it was subscribed; last: key
// has no subscriber left.
func (t *trie) rmPeer(key []byte, pp *pubPeer) (removed, last bool) {
	n := t.node(key, false)
	if n == nil {
		return false, true
	}
	for i, x := range n.peers {
		if x == pp {
			n.peers = append(n.peers[:i], n.peers[i+1:]...)
			if len(n.peers) == 0 {
				n.peers = nil
				t.n--
				t.prune(key)
				return true, true
			}
			return true, false
		}
	}
	return false, len(n.peers) == 0
}

// add counts one more subscription to key (SUB); it reports whether it is
// the first.
func (t *trie) add(key []byte) bool {
	n := t.node(key, true)
	n.refs++
	if n.refs == 1 {
		t.n++
	}
	return n.refs == 1
}

// rm counts one subscription to key less; known is false if there was
// none, last true if none is left.
func (t *trie) rm(key []byte) (known, last bool) {
	n := t.node(key, false)
	if n == nil || n.refs == 0 {
		return false, false
	}
	n.refs--
	if n.refs == 0 {
		t.n--
		t.prune(key)
		return true, true
	}
	return true, false
}

// prune removes the nodes along key that hold nothing any more, and
// merges a node left with one child into it.
func (t *trie) prune(key []byte) {
	t.root.kids = pruneKids(t.root.kids, key)
}

func pruneKids(kids []*tnode, key []byte) []*tnode {
	if len(key) == 0 {
		return kids
	}
	var k *tnode
	i := -1
	for j, x := range kids {
		if x.prefix[0] == key[0] {
			k, i = x, j
			break
		}
	}
	if k == nil || !bytes.HasPrefix(key, k.prefix) {
		return kids
	}
	k.kids = pruneKids(k.kids, key[len(k.prefix):])
	switch {
	case k.live():
	case len(k.kids) == 0:
		return append(kids[:i], kids[i+1:]...)
	case len(k.kids) == 1:
		c := k.kids[0]
		c.prefix = append(append(make([]byte, 0, len(k.prefix)+len(c.prefix)), k.prefix...), c.prefix...)
		kids[i] = c
	}
	return kids
}

// match calls fn for every subscribed key that is a prefix of msg, the
// empty key first, shortest first.
func (t *trie) match(msg []byte, fn func(n *tnode)) {
	n := &t.root
	for {
		if n.live() {
			fn(n)
		}
		if len(msg) == 0 {
			return
		}
		k, _ := n.kid(msg[0])
		if k == nil || !bytes.HasPrefix(msg, k.prefix) {
			return
		}
		msg = msg[len(k.prefix):]
		n = k
	}
}

// matches reports whether a subscribed key is a prefix of msg.
func (t *trie) matches(msg []byte) bool {
	found := false
	t.match(msg, func(*tnode) { found = true })
	return found
}

// walk calls fn with every subscribed key (a scratch buffer: copy it to
// keep it) and its node.
func (t *trie) walk(fn func(key []byte, n *tnode)) {
	var rec func(n *tnode, key []byte)
	rec = func(n *tnode, key []byte) {
		key = append(key, n.prefix...)
		if n.live() {
			fn(key, n)
		}
		for _, k := range n.kids {
			rec(k, key)
		}
	}
	rec(&t.root, nil)
}
