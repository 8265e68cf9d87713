package server

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"reflect"
	"slices"
	"strings"

	"github.com/zmesh/zmesh/store/backend"
)

// Runtime management: the volumes and storages of a running server can be
// added, replaced and removed while it serves, as Zenoh's storage manager
// allows through its admin space: volumes first when adding, storages
// first when removing. Every change builds a new view (view.go) and
// swaps it in; requests never wait for a change, and a change waits for
// the requests still using the storages it takes away before it closes
// them. Changes are serialised by Server.adminMu.
//
// The rules, Zenoh's with one difference:
//
//   - Adding a storage or volume under a name already in use replaces it
//     (delete, then add), unless the configuration is equal, in which case
//     nothing happens. A replaced storage's data stays where its backend
//     keeps it (on_closure permitting).
//   - Removing a storage stops routing requests to it, waits for those in
//     flight, then closes its store, which runs its on_closure (S3
//     destroy_bucket, ...).
//   - Removing (or replacing) a volume that storages still use is refused
//     with ErrInUse naming them, where Zenoh stops those storages: remove
//     the storages first. Stopping storages as a side effect of a volume
//     change is too easy to do by mistake on a running server.
//   - A change that fails returns its error and leaves every other storage
//     and volume as it was. (A replacement whose new storage fails to open
//     leaves the storage removed, as in Zenoh; the error says so.)
//   - Reconfigure applies a whole new set in Zenoh's order: delete
//     storages, delete volumes, add volumes, add storages.

// Errors of runtime management; test for them with errors.Is.
var (
	// ErrNotFound: no storage or volume has that name.
	ErrNotFound = errors.New("store: not found")
	// ErrInUse: the volume still has storages.
	ErrInUse = errors.New("store: volume in use")
)

// volume is a named volume the server owns.
type volume struct {
	name    string
	kind    string
	options backend.Options // as configured, secrets included: never reported
	vol     backend.Volume
}

// storageRun is what runtime management and health reporting keep about a
// storage.
type storageRun struct {
	config *StorageConfig // how it was configured; nil for Options.Storages
	kind   string         // its volume's kind, if known
	health *health
}

// kindOf returns the kind of the named volume called name, or "".
func kindOf(vols []*volume, name string) string {
	for _, v := range vols {
		if v.name == name {
			return v.kind
		}
	}
	return ""
}

// newStorage makes the running form of a checked Storage: defaults
// resolved, its store observed for health and metrics, its retained
// wildcard deletes read.
func (s *Server) newStorage(ctx context.Context, cfg Storage, sc *StorageConfig, kind string) (*storage, error) {
	st := &storage{Storage: cfg, lifespan: cfg.TombstoneLifespan, period: cfg.GCPeriod}
	if st.lifespan == 0 {
		st.lifespan = s.opts.TombstoneLifespan
	}
	if st.period == 0 {
		st.period = s.opts.GCPeriod
	}
	st.run = storageRun{config: sc, kind: kind, health: newHealth()}
	st.Store = observe(cfg.Store, st.run.health)
	if ba, ok := cfg.Store.(backend.BatchApplier); ok && !cfg.ReadOnly {
		st.batch = observedBatch{ba: ba, h: st.run.health}
	}
	n, err := st.wild.load(ctx, st.Store)
	if err != nil {
		return nil, fmt.Errorf("storage %q: reading retained wildcard deletes: %w", st.Name, err)
	}
	if n > 0 {
		s.log.Info("store: retained wildcard deletes loaded", "storage", st.Name, "count", n)
	}
	return st, nil
}

// AddVolume adds a volume, or replaces the volume of that name (refused
// with ErrInUse while storages use it; nothing happens if cfg equals its
// configuration). cfg.Kind "" means cfg.Name, as in YAML. Errors from the
// backend (bad options, unreachable endpoint) leave everything as it was.
// An fs volume whose root is not under Options.VolumeRoot is refused with
// ErrForbidden (see VolumeRoot).
func (s *Server) AddVolume(ctx context.Context, cfg VolumeConfig) error {
	if err := s.checkVolumeRoot(cfg); err != nil {
		return err
	}
	return s.change(ctx, func(cur *view) error { return s.addVolume(ctx, cur, cfg) })
}

func (s *Server) addVolume(ctx context.Context, cur *view, cfg VolumeConfig) error {
	if err := validVolumeName(cfg.Name); err != nil {
		return fmt.Errorf("%w: %w", ErrInvalidOptions, err)
	}
	if cfg.Kind == "" {
		cfg.Kind = cfg.Name
	}
	if !slices.Contains(backend.Kinds(), cfg.Kind) {
		return fmt.Errorf("%w: volume %q: %w %q (known: %s)", ErrInvalidOptions, cfg.Name, backend.ErrUnknownKind,
			cfg.Kind, strings.Join(backend.Kinds(), ", "))
	}
	if old := cur.volume(cfg.Name); old != nil {
		if old.kind == cfg.Kind && optionsEqual(old.options, cfg.Options) {
			return nil
		}
		if err := s.removeVolume(ctx, cur, old); err != nil {
			return err
		}
		cur = s.cur.Load()
	}
	bv, err := backend.NewVolume(backend.WithLogger(ctx, s.log), cfg.Kind, cfg.Options)
	if err != nil {
		return fmt.Errorf("volume %q: %w", cfg.Name, err)
	}
	vol := &volume{name: cfg.Name, kind: cfg.Kind, options: cfg.Options, vol: bv}
	s.swap(ctx, cur.storages, append(slices.Clone(cur.volumes), vol))
	s.log.Info("store: volume added", "volume", cfg.Name, "kind", cfg.Kind)
	return nil
}

// RemoveVolume closes the volume called name and forgets it. It is refused
// with ErrInUse while storages use the volume, and with ErrNotFound if
// there is none of that name.
func (s *Server) RemoveVolume(ctx context.Context, name string) error {
	return removeNamed(ctx, s, "volume", name, (*view).volume, s.removeVolume)
}

// removeVolume takes vol, a volume of cur, out of service and closes it.
func (s *Server) removeVolume(ctx context.Context, cur *view, vol *volume) error {
	if users := usersOf(cur, vol.name); len(users) > 0 {
		return fmt.Errorf("%w: volume %q has storages %s; remove them first", ErrInUse, vol.name, strings.Join(users, ", "))
	}
	s.swap(ctx, cur.storages, without(cur.volumes, vol))
	return s.closeRemoved(ctx, "volume", vol.name, vol.vol.Close)
}

// usersOf names the storages of v opened from the volume called name
// (Options.Storages only name a volume; their stores are the caller's).
func usersOf(v *view, name string) []string {
	var users []string
	for _, st := range v.storages {
		if st.Volume == name && st.run.config != nil {
			users = append(users, st.Name)
		}
	}
	return users
}

// AddStorage opens a storage in one of the server's volumes and starts
// serving it, or replaces the storage of that name (nothing happens if cfg
// equals its configuration). The volume "memory" is created if it does not
// exist, as in a configuration file. Requests already in flight do not see
// the new storage; every request received after AddStorage returns does.
func (s *Server) AddStorage(ctx context.Context, cfg StorageConfig) error {
	return s.change(ctx, func(cur *view) error { return s.addStorage(ctx, cur, cfg) })
}

func (s *Server) addStorage(ctx context.Context, cur *view, cfg StorageConfig) error {
	spec := Storage{Name: cfg.Name, KeyExpr: cfg.KeyExpr, StripPrefix: cfg.StripPrefix, ReadOnly: cfg.ReadOnly,
		Volume: cfg.Volume, TombstoneLifespan: cfg.GC.Lifespan, GCPeriod: cfg.GC.Period}
	if err := validName(cfg.Name); err != nil {
		return fmt.Errorf("%w: %w", ErrInvalidOptions, err)
	}
	if err := checkStorageKeys(&spec); err != nil {
		return fmt.Errorf("%w: %w", ErrInvalidOptions, err)
	}
	if cfg.Volume == "" {
		return fmt.Errorf("%w: storage %q: no volume", ErrInvalidOptions, cfg.Name)
	}
	if old := cur.storage(cfg.Name); old != nil {
		if old.run.config != nil && sameStorage(*old.run.config, cfg) {
			return nil
		}
	}
	if cur.volume(cfg.Volume) == nil {
		if cfg.Volume != "memory" {
			var names []string
			for _, v := range cur.volumes {
				names = append(names, v.name)
			}
			return fmt.Errorf("%w: storage %q: no volume %q (volumes: %s)", ErrNotFound, cfg.Name, cfg.Volume, strings.Join(names, ", "))
		}
		if err := s.addVolume(ctx, cur, VolumeConfig{Name: "memory", Kind: "memory"}); err != nil {
			return err
		}
		cur = s.cur.Load()
	}
	replaced := ""
	if old := cur.storage(cfg.Name); old != nil {
		if err := s.removeStorage(ctx, cur, old); err != nil {
			return err
		}
		cur = s.cur.Load()
		replaced = " (the storage it replaces is removed)"
	}
	vol := cur.volume(cfg.Volume)
	bs, err := vol.vol.Open(ctx, cfg.Name, backend.StorageConfig{ReadOnly: cfg.ReadOnly, Options: cfg.Options})
	if err != nil {
		return fmt.Errorf("storage %q: %w%s", cfg.Name, err, replaced)
	}
	spec.Store = bs
	kept := cfg
	kept.Options = cloneOptions(cfg.Options)
	st, err := s.newStorage(ctx, spec, &kept, vol.kind)
	if err != nil {
		bs.Close(context.WithoutCancel(ctx))
		return fmt.Errorf("%w%s", err, replaced)
	}
	s.swap(ctx, append(slices.Clone(cur.storages), st), cur.volumes)
	s.log.Info("store: storage added", "storage", cfg.Name, "key_expr", cfg.KeyExpr, "volume", cfg.Volume)
	return nil
}

// RemoveStorage stops serving the storage called name: requests received
// afterwards no longer reach it, those in flight finish (until ctx ends),
// then its store is closed, which runs its on_closure. ErrNotFound if there
// is no storage of that name.
func (s *Server) RemoveStorage(ctx context.Context, name string) error {
	return removeNamed(ctx, s, "storage", name, (*view).storage, s.removeStorage)
}

// removeStorage takes st, a storage of cur, out of service and closes its
// store.
func (s *Server) removeStorage(ctx context.Context, cur *view, st *storage) error {
	if err := s.swap(ctx, without(cur.storages, st), cur.volumes); err != nil {
		s.log.Warn("store: closing a removed storage with requests still in flight", "storage", st.Name, "err", err)
	}
	return s.closeRemoved(ctx, "storage", st.Name, st.Store.Close)
}

// Reconfigure makes the server's volumes and storages those given, in
// Zenoh's order: it removes the storages that are gone or changed, then
// the volumes that are gone or changed, then adds the new and changed
// volumes, then the new and changed storages. Unchanged ones are left
// alone, requests and all. A step that fails is logged and reported in the
// joined error; the others still run.
func (s *Server) Reconfigure(ctx context.Context, volumes []VolumeConfig, storages []StorageConfig) error {
	return s.locked(ctx, func() error { return s.reconfigure(ctx, volumes, storages) })
}

func (s *Server) reconfigure(ctx context.Context, volumes []VolumeConfig, storages []StorageConfig) error {
	var errs []error
	// step runs one change on the view as it is then.
	step := func(change func(cur *view) error) {
		cur, err := s.current()
		if err == nil {
			err = change(cur)
		}
		if err != nil {
			s.log.Warn("store: reconfiguration step failed", "err", err)
			errs = append(errs, err)
		}
	}
	wantVol := map[string]VolumeConfig{}
	for _, v := range volumes {
		if v.Kind == "" {
			v.Kind = v.Name
		}
		wantVol[v.Name] = v
	}
	wantSt := map[string]StorageConfig{}
	for _, sc := range storages {
		wantSt[sc.Name] = sc
	}
	for _, st := range s.cur.Load().storages {
		if sc, ok := wantSt[st.Name]; !ok || st.run.config == nil || !sameStorage(*st.run.config, sc) {
			step(func(cur *view) error { return s.removeStorage(ctx, cur, st) })
		}
	}
	for _, v := range s.cur.Load().volumes {
		vc, ok := wantVol[v.name]
		if ok && vc.Kind == v.kind && optionsEqual(vc.Options, v.options) {
			continue
		}
		if !ok && v.name == "memory" && v.kind == "memory" {
			continue // exists without being declared
		}
		step(func(cur *view) error { return s.removeVolume(ctx, cur, v) })
	}
	for _, vc := range volumes {
		step(func(cur *view) error { return s.addVolume(ctx, cur, vc) })
	}
	for _, sc := range storages {
		step(func(cur *view) error { return s.addStorage(ctx, cur, sc) })
	}
	return errors.Join(errs...)
}

// locked runs change, one of the changes below, under adminMu, which
// serialises them; they call one another with it held. A nil ctx is
// refused.
func (s *Server) locked(ctx context.Context, change func() error) error {
	if ctx == nil {
		return errNilContext
	}
	s.adminMu.Lock()
	defer s.adminMu.Unlock()
	return change()
}

// change runs change, one of the changes below, under adminMu (see
// locked) on the current view; ErrClosed once Close has begun.
func (s *Server) change(ctx context.Context, change func(cur *view) error) error {
	return s.locked(ctx, func() error {
		cur, err := s.current()
		if err != nil {
			return err
		}
		return change(cur)
	})
}

// removeNamed is RemoveVolume and RemoveStorage: it runs remove, as a
// change, on the volume or storage (what) called name that find returns
// from the current view, and refuses with ErrNotFound if there is none.
func removeNamed[T comparable](ctx context.Context, s *Server, what, name string, find func(*view, string) T,
	remove func(context.Context, *view, T) error) error {
	return s.change(ctx, func(cur *view) error {
		var none T
		if x := find(cur, name); x != none {
			return remove(ctx, cur, x)
		}
		return fmt.Errorf("%w: no %s %q", ErrNotFound, what, name)
	})
}

// current returns the view a change starts from, or ErrClosed once Close
// has begun. Called with adminMu held.
func (s *Server) current() (*view, error) {
	cur := s.cur.Load()
	if cur.closing {
		return nil, ErrClosed
	}
	return cur, nil
}

// closeRemoved closes what a change took out of service (a storage's
// store, a volume, called name) once the requests using it are done,
// waiting for the close at most as long as closeContext allows.
func (s *Server) closeRemoved(ctx context.Context, what, name string, close func(context.Context) error) error {
	cctx, cancel := s.closeContext(ctx)
	defer cancel()
	if err := close(cctx); err != nil {
		return fmt.Errorf("%s %q removed; closing it: %w", what, name, err)
	}
	s.log.Info("store: "+what+" removed", what, name)
	return nil
}

// swap makes storages and volumes the current view, then waits (until ctx
// ends) for the requests holding the views it replaced. Called with adminMu
// held.
func (s *Server) swap(ctx context.Context, storages []*storage, volumes []*volume) error {
	old := s.cur.Load()
	s.cur.Store(newView(storages, volumes, old.info))
	return s.waitRetired(ctx, old)
}

// waitRetired retires old and waits until no request holds it or any view
// retired before it (until ctx ends). Called with adminMu held.
func (s *Server) waitRetired(ctx context.Context, old *view) error {
	old.retire()
	s.retired = append(s.retired, old)
	var err error
	kept := s.retired[:0]
	for _, v := range s.retired {
		if err == nil {
			select {
			case <-v.drained:
				continue
			case <-ctx.Done():
				err = fmt.Errorf("waiting for requests in flight: %w", ctx.Err())
			}
		}
		select {
		case <-v.drained:
		default:
			kept = append(kept, v)
		}
	}
	clear(s.retired[len(kept):])
	s.retired = kept
	return err
}

// closeContext is the context a removed store or volume is closed under:
// not the caller's, whose end (an HTTP client gone) must not stop an
// on_closure half-way, but bounded by the request timeout.
func (s *Server) closeContext(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), s.opts.RequestTimeout)
}

// sameStorage reports whether two storage configurations are equal.
func sameStorage(a, b StorageConfig) bool {
	return a.Name == b.Name && a.KeyExpr == b.KeyExpr && a.StripPrefix == b.StripPrefix && a.Volume == b.Volume &&
		a.ReadOnly == b.ReadOnly && a.GC == b.GC && optionsEqual(a.Options, b.Options)
}

// without returns a copy of list without x.
func without[T comparable](list []T, x T) []T {
	return slices.DeleteFunc(slices.Clone(list), func(y T) bool { return y == x })
}

func optionsEqual(a, b backend.Options) bool {
	if len(a) == 0 && len(b) == 0 {
		return true
	}
	return reflect.DeepEqual(a, b)
}

func cloneOptions(o backend.Options) backend.Options {
	if o == nil {
		return nil
	}
	out := make(backend.Options, len(o))
	for k, v := range o {
		out[k] = v
	}
	return out
}

// validVolumeName applies the storage name rules to volume names.
func validVolumeName(name string) error {
	if err := validName(name); err != nil {
		return errors.New("volume" + strings.TrimPrefix(err.Error(), "storage"))
	}
	return nil
}

// VolumeStatus describes one volume of a running server.
type VolumeStatus struct {
	// Name is the volume's name.
	Name string `json:"name"`
	// Kind is its backend ("memory", "fs", "s3").
	Kind string `json:"kind"`
	// Options are its options with every secret (credentials, keys,
	// tokens, passwords in URLs) replaced by "<redacted>".
	Options map[string]any `json:"options,omitempty"`
	// Storages names the storages that use it.
	Storages []string `json:"storages"`
}

// StorageStatus describes one storage of a running server.
type StorageStatus struct {
	// Name is the storage's name, and the group of its change feed.
	Name string `json:"name"`
	// KeyExpr is the key expression it holds.
	KeyExpr string `json:"key_expr"`
	// StripPrefix is removed from keys before they are stored.
	StripPrefix string `json:"strip_prefix,omitempty"`
	// Volume names the volume it lives in.
	Volume string `json:"volume,omitempty"`
	// Kind is the volume's backend, if known.
	Kind string `json:"kind,omitempty"`
	// ReadOnly says it refuses writes.
	ReadOnly bool `json:"read_only"`
	// Options are its backend options (bucket, on_closure...), secrets
	// redacted as in VolumeStatus.
	Options map[string]any `json:"options,omitempty"`
	// Health is the state of its backend.
	Health StorageHealth `json:"health"`
}

// Storages describes the storages the server serves now, in order.
func (s *Server) Storages() []StorageStatus {
	v := s.cur.Load()
	out := make([]StorageStatus, 0, len(v.storages))
	for _, st := range v.storages {
		ss := StorageStatus{Name: st.Name, KeyExpr: st.KeyExpr, StripPrefix: st.StripPrefix, Volume: st.Volume,
			Kind: st.run.kind, ReadOnly: st.ReadOnly, Health: st.run.health.state()}
		if st.run.config != nil {
			ss.Options = Redact(st.run.config.Options)
		}
		out = append(out, ss)
	}
	return out
}

// Volumes describes the server's named volumes, in order.
func (s *Server) Volumes() []VolumeStatus {
	v := s.cur.Load()
	out := make([]VolumeStatus, 0, len(v.volumes))
	for _, vol := range v.volumes {
		out = append(out, VolumeStatus{Name: vol.name, Kind: vol.kind, Options: Redact(vol.options),
			Storages: append([]string{}, usersOf(v, vol.name)...)})
	}
	return out
}

// Redacted replaces secret option values in what Redact returns.
const Redacted = "<redacted>"

// Redact returns a copy of backend options fit for reporting: the value of
// every option whose name suggests a secret (secret, password, token,
// credential, private, access_key, session...) is Redacted, at any depth,
// and so is the password of a URL. It never returns the secrets
// themselves, whatever their spelling of case.
func Redact(o backend.Options) map[string]any {
	if len(o) == 0 {
		return nil
	}
	out := make(map[string]any, len(o))
	for k, v := range o {
		out[k] = redactValue(k, v)
	}
	return out
}

func secretName(k string) bool {
	k = strings.ToLower(k)
	for _, w := range []string{"secret", "password", "passwd", "token", "credential", "private", "access_key",
		"accesskey", "session", "auth", "apikey", "api_key"} {
		if strings.Contains(k, w) {
			return true
		}
	}
	return k == "key"
}

func redactValue(k string, v any) any {
	if secretName(k) {
		return Redacted
	}
	switch x := v.(type) {
	case backend.Options:
		return Redact(x)
	case map[string]any:
		return Redact(backend.Options(x))
	case map[any]any:
		m := backend.Options{}
		for kk, vv := range x {
			m[fmt.Sprint(kk)] = vv
		}
		return Redact(m)
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = redactValue("", e)
		}
		return out
	case string:
		if u, err := url.Parse(x); err == nil && u.User != nil {
			if _, has := u.User.Password(); has {
				u.User = url.UserPassword(u.User.Username(), "redacted")
				return u.String()
			}
		}
		return x
	}
	return v
}
