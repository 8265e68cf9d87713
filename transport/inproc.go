package transport

import (
	"fmt"
	"sync"
)

// Registry is a namespace of inproc endpoints, one per zmesh context: an
// inproc bind in one context is invisible to another, as in libzmq.
//
// The registry only pairs the two ends; what they exchange (H) is up to the
// layer above, which for zmesh is a pair of pipes, so an inproc message never
// touches a codec or copies its body. Connect before bind is allowed: the
// connect is held until a bind of that name appears.
//
// A Registry is safe for concurrent use. The zero value is not usable; call
// NewRegistry.
type Registry[H comparable] struct {
	mu      sync.Mutex
	bound   map[string]func(H)
	pending map[string][]H
}

// NewRegistry returns an empty registry.
func NewRegistry[H comparable]() *Registry[H] {
	return &Registry[H]{bound: make(map[string]func(H)), pending: make(map[string][]H)}
}

// Bind registers accept under name and hands it every connect already
// waiting for that name. It fails with ErrAddrInUse if name is bound.
// accept is called without the registry's lock held, from the goroutine that
// calls Bind or Connect, and must not block for long.
func (r *Registry[H]) Bind(name string, accept func(H)) error {
	r.mu.Lock()
	if _, ok := r.bound[name]; ok {
		r.mu.Unlock()
		return fmt.Errorf("bind inproc://%s: %w", name, ErrAddrInUse)
	}
	r.bound[name] = accept
	waiting := r.pending[name]
	delete(r.pending, name)
	r.mu.Unlock()
	for _, h := range waiting {
		accept(h)
	}
	return nil
}

// Unbind removes name; later connects wait for a new bind.
func (r *Registry[H]) Unbind(name string) {
	r.mu.Lock()
	delete(r.bound, name)
	r.mu.Unlock()
}

// Connect hands h to the bind of name, or keeps it until one appears. It
// reports whether h was delivered now.
func (r *Registry[H]) Connect(name string, h H) bool {
	r.mu.Lock()
	accept, ok := r.bound[name]
	if !ok {
		r.pending[name] = append(r.pending[name], h)
		r.mu.Unlock()
		return false
	}
	r.mu.Unlock()
	accept(h)
	return true
}

// Cancel withdraws a connect that is still waiting for its bind. It reports
// whether h was still waiting.
func (r *Registry[H]) Cancel(name string, h H) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	list := r.pending[name]
	for i, x := range list {
		if x == h {
			list = append(list[:i], list[i+1:]...)
			if len(list) == 0 {
				delete(r.pending, name)
			} else {
				r.pending[name] = list
			}
			return true
		}
	}
	return false
}
