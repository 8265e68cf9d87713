package patterns

import (
	"bytes"
	"math/rand/v2"
	"slices"
	"testing"
)

// The radix tree agrees with a plain list of prefixes through random
// subscribes and cancels, for the SUB count and the PUB peer sets.
func TestTrieAgainstList(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	alphabet := []byte("ab\x00")
	word := func(n int) []byte {
		b := make([]byte, r.IntN(n))
		for i := range b {
			b[i] = alphabet[r.IntN(len(alphabet))]
		}
		return b
	}
	peers := []*pubPeer{{}, {}, {}}
	var tr trie
	counts := map[string]int{}
	sets := map[string]map[*pubPeer]bool{}
	for step := 0; step < 20000; step++ {
		k := word(6)
		switch r.IntN(4) {
		case 0:
			first := tr.add(k)
			if first != (counts[string(k)] == 0) {
				t.Fatalf("step %d: add %q first=%v with count %d", step, k, first, counts[string(k)])
			}
			counts[string(k)]++
		case 1:
			known, last := tr.rm(k)
			c := counts[string(k)]
			if known != (c > 0) || (known && last != (c == 1)) {
				t.Fatalf("step %d: rm %q = %v %v with count %d", step, k, known, last, c)
			}
			if c > 0 {
				counts[string(k)]--
			}
		case 2:
			pp := peers[r.IntN(len(peers))]
			added, first := tr.addPeer(k, pp)
			set := sets[string(k)]
			if added != !set[pp] || first != (len(set) == 0) {
				t.Fatalf("step %d: addPeer %q = %v %v", step, k, added, first)
			}
			if set == nil {
				set = map[*pubPeer]bool{}
				sets[string(k)] = set
			}
			set[pp] = true
		case 3:
			pp := peers[r.IntN(len(peers))]
			removed, last := tr.rmPeer(k, pp)
			set := sets[string(k)]
			if removed != set[pp] {
				t.Fatalf("step %d: rmPeer %q removed=%v", step, k, removed)
			}
			delete(set, pp)
			if last != (len(set) == 0) {
				t.Fatalf("step %d: rmPeer %q last=%v with %d left", step, k, last, len(set))
			}
		}
		msg := word(9)
		want, wantPeers := false, map[*pubPeer]bool{}
		for key, c := range counts {
			if c > 0 && bytes.HasPrefix(msg, []byte(key)) {
				want = true
			}
		}
		for key, set := range sets {
			if bytes.HasPrefix(msg, []byte(key)) {
				for pp := range set {
					wantPeers[pp] = true
				}
			}
		}
		gotPeers := map[*pubPeer]bool{}
		tr.match(msg, func(n *tnode) {
			for _, pp := range n.peers {
				gotPeers[pp] = true
			}
		})
		if !want && tr.matches(msg) && len(wantPeers) == 0 {
			t.Fatalf("step %d: %q matches, want no match", step, msg)
		}
		if len(gotPeers) != len(wantPeers) {
			t.Fatalf("step %d: %q matched %d peers, want %d", step, msg, len(gotPeers), len(wantPeers))
		}
	}
	// Everything walked is subscribed, and vice versa.
	var keys []string
	tr.walk(func(k []byte, n *tnode) { keys = append(keys, string(k)) })
	var want []string
	for k, c := range counts {
		if c > 0 || len(sets[k]) > 0 {
			want = append(want, k)
		}
	}
	for k, set := range sets {
		if len(set) > 0 && counts[k] == 0 {
			want = append(want, k)
		}
	}
	slices.Sort(keys)
	slices.Sort(want)
	want = slices.Compact(want)
	if !slices.Equal(keys, want) {
		t.Fatalf("walk %q, want %q", keys, want)
	}
}

// Matching costs the message's length, not the number of subscriptions:
// 10 000 subscriptions (it prints ns per match).
func BenchmarkTrieMatch10k(b *testing.B) {
	var tr trie
	pp := &pubPeer{}
	for i := 0; i < 10000; i++ {
		tr.addPeer([]byte("topic."+string(rune('a'+i%26))+string(rune('a'+i/26%26))+string(rune('a'+i/676))), pp)
	}
	msg := []byte("topic.qrs.payload")
	b.ResetTimer()
	for b.Loop() {
		tr.match(msg, func(*tnode) {})
	}
}
