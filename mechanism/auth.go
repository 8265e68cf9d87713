package mechanism

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"fmt"
	"maps"
	"net/netip"
	"slices"
	"strings"
	"sync"
)

// Auth is a ready-made Authenticator, like libzmq's ZAP handler and
// libzmq-rs's AuthConfig. It holds allow and deny lists of
// addresses, the PLAIN user registry, and the registry of public keys that
// CURVE and NOISE clients may use. Every list can change at run time; an
// Auth is safe for concurrent use. The zero value is ready: empty lists,
// public-key checks on (so it admits no CURVE or NOISE client until keys
// are allowed, or SetCurveAuth(false)).
//
// Each request is decided in this order:
//  1. If the allow list is not empty and the peer's address is not on it
//     (an address that is not an IP, such as an ipc peer's, is never on
//     it), deny.
//  2. Otherwise, if the allow list is empty and the address is on the deny
//     list, deny. (A non-empty allow list makes the deny list irrelevant.)
//  3. By mechanism: NULL is allowed (user id ""). PLAIN is allowed if the
//     user is registered with exactly that password (user id: the user
//     name). CURVE and NOISE are allowed if public-key checks are off (user
//     id "", which the mechanisms replace by the key in Z85), or if the key
//     is registered (user id: the key in Z85).
//
// Every refusal wraps ErrDenied, so the server answers ERROR "400" and the
// client does not retry. IPv4 addresses and IPv4-mapped IPv6 addresses
// (::ffff:a.b.c.d) are the same address to every list, and lists take
// single addresses as well as CIDR prefixes.
type Auth struct {
	mu           sync.RWMutex
	allow, deny  addrSet
	users        map[string][sha256.Size]byte // user name → SHA-256 of the password
	keys         map[PublicKey]struct{}
	curveAuthOff bool // inverted so that the zero value has the checks on
}

var _ Authenticator = (*Auth)(nil)

// AllowAddr adds addresses or CIDR prefixes ("10.0.0.1", "10.0.0.0/8",
// "::1", "fe80::/10") to the allow list. It changes nothing if any of
// them does not parse.
func (a *Auth) AllowAddr(addrs ...string) error { return a.editAddrs(&a.allow, addrs, true) }

// DenyAddr adds addresses or CIDR prefixes to the deny list. It changes
// nothing if any of them does not parse.
func (a *Auth) DenyAddr(addrs ...string) error { return a.editAddrs(&a.deny, addrs, true) }

// RemoveAllowedAddr removes entries from the allow list (exactly as they
// were added: removing 10.0.0.1 does not punch a hole in 10.0.0.0/8).
func (a *Auth) RemoveAllowedAddr(addrs ...string) error { return a.editAddrs(&a.allow, addrs, false) }

// RemoveDeniedAddr removes entries from the deny list.
func (a *Auth) RemoveDeniedAddr(addrs ...string) error { return a.editAddrs(&a.deny, addrs, false) }

// SetAllowedAddrs replaces the allow list. It changes nothing if any entry
// does not parse.
func (a *Auth) SetAllowedAddrs(addrs []string) error { return a.replaceAddrs(&a.allow, addrs) }

// SetDeniedAddrs replaces the deny list. It changes nothing if any entry
// does not parse.
func (a *Auth) SetDeniedAddrs(addrs []string) error { return a.replaceAddrs(&a.deny, addrs) }

// AllowedAddrs returns the allow list, sorted, in canonical form.
func (a *Auth) AllowedAddrs() []string {
	a.mu.RLock()
	defer a.mu.RUnlock()
	return a.allow.list()
}

// DeniedAddrs returns the deny list, sorted, in canonical form.
func (a *Auth) DeniedAddrs() []string {
	a.mu.RLock()
	defer a.mu.RUnlock()
	return a.deny.list()
}

func (a *Auth) editAddrs(set *addrSet, addrs []string, add bool) error {
	ps, err := parsePrefixes(addrs)
	if err != nil {
		return err
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, p := range ps {
		if add {
			set.add(p)
		} else {
			set.remove(p)
		}
	}
	return nil
}

func (a *Auth) replaceAddrs(set *addrSet, addrs []string) error {
	ps, err := parsePrefixes(addrs)
	if err != nil {
		return err
	}
	var fresh addrSet
	for _, p := range ps {
		fresh.add(p)
	}
	a.mu.Lock()
	*set = fresh
	a.mu.Unlock()
	return nil
}

// AddUser registers a PLAIN user, or changes its password. User names and
// passwords are at most 255 bytes, as PLAIN carries them. Only a SHA-256 of
// the password is kept, so that checking one takes the same time whatever
// its length.
func (a *Auth) AddUser(username, password string) error {
	if len(username) > 255 || len(password) > 255 {
		return fmt.Errorf("PLAIN user %q: user names and passwords are at most 255 bytes: %w", username, ErrInvalidConfig)
	}
	d := sha256.Sum256([]byte(password))
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.users == nil {
		a.users = make(map[string][sha256.Size]byte)
	}
	a.users[username] = d
	return nil
}

// RemoveUser removes a PLAIN user; removing an unknown user does nothing.
func (a *Auth) RemoveUser(username string) {
	a.mu.Lock()
	delete(a.users, username)
	a.mu.Unlock()
}

// SetUsers replaces the PLAIN registry with users (name → password).
func (a *Auth) SetUsers(users map[string]string) error {
	fresh := make(map[string][sha256.Size]byte, len(users))
	for u, p := range users {
		if len(u) > 255 || len(p) > 255 {
			return fmt.Errorf("PLAIN user %q: user names and passwords are at most 255 bytes: %w", u, ErrInvalidConfig)
		}
		fresh[u] = sha256.Sum256([]byte(p))
	}
	a.mu.Lock()
	a.users = fresh
	a.mu.Unlock()
	return nil
}

// Users returns the registered PLAIN user names, sorted.
func (a *Auth) Users() []string {
	a.mu.RLock()
	defer a.mu.RUnlock()
	names := slices.AppendSeq(make([]string, 0, len(a.users)), maps.Keys(a.users))
	slices.Sort(names)
	return names
}

// AllowKey registers public keys that CURVE and NOISE clients may use.
func (a *Auth) AllowKey(keys ...PublicKey) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.keys == nil {
		a.keys = make(map[PublicKey]struct{})
	}
	for _, k := range keys {
		a.keys[k] = struct{}{}
	}
}

// RemoveKey unregisters public keys.
func (a *Auth) RemoveKey(keys ...PublicKey) {
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, k := range keys {
		delete(a.keys, k)
	}
}

// SetKeys replaces the registry of public keys.
func (a *Auth) SetKeys(keys []PublicKey) {
	fresh := make(map[PublicKey]struct{}, len(keys))
	for _, k := range keys {
		fresh[k] = struct{}{}
	}
	a.mu.Lock()
	a.keys = fresh
	a.mu.Unlock()
}

// Keys returns the registered public keys, sorted by their Z85 form.
func (a *Auth) Keys() []PublicKey {
	a.mu.RLock()
	defer a.mu.RUnlock()
	keys := slices.AppendSeq(make([]PublicKey, 0, len(a.keys)), maps.Keys(a.keys))
	slices.SortFunc(keys, func(x, y PublicKey) int { return strings.Compare(x.String(), y.String()) })
	return keys
}

// SetCurveAuth turns the public-key checks of CURVE and NOISE on (the
// default, as in libzmq-rs) or off. With them off, any client that
// completes the handshake is admitted (address lists still apply); its key
// is still reported in Result.PublicKey and as its user id.
func (a *Auth) SetCurveAuth(on bool) {
	a.mu.Lock()
	a.curveAuthOff = !on
	a.mu.Unlock()
}

// CurveAuth reports whether public-key checks are on.
func (a *Auth) CurveAuth() bool {
	a.mu.RLock()
	defer a.mu.RUnlock()
	return !a.curveAuthOff
}

// dummyDigest is compared against when the user is unknown, so an unknown
// user costs the same time as a wrong password.
var dummyDigest = sha256.Sum256([]byte("zmesh: no such user"))

// Authenticate decides one request in the order described on Auth.
func (a *Auth) Authenticate(_ context.Context, r *AuthRequest) (string, error) {
	ip, isIP := peerIP(r.Address)
	a.mu.RLock()
	defer a.mu.RUnlock()
	if !a.allow.empty() {
		if !isIP || !a.allow.contains(ip) {
			return "", fmt.Errorf("%w: address %q is not on the allow list", ErrDenied, r.Address)
		}
	} else if isIP && a.deny.contains(ip) {
		return "", fmt.Errorf("%w: address %q is on the deny list", ErrDenied, r.Address)
	}
	switch r.Mechanism {
	case "NULL":
		return "", nil
	case "PLAIN":
		want, known := a.users[r.Username]
		if !known {
			want = dummyDigest
		}
		got := sha256.Sum256([]byte(r.Password))
		if subtle.ConstantTimeCompare(want[:], got[:]) != 1 || !known {
			if !known {
				return "", fmt.Errorf("%w: unknown PLAIN user %q", ErrDenied, r.Username)
			}
			return "", fmt.Errorf("%w: wrong password for PLAIN user %q", ErrDenied, r.Username)
		}
		return r.Username, nil
	case "CURVE", "NOISE":
		if a.curveAuthOff {
			return "", nil
		}
		if len(r.PublicKey) != KeySize {
			return "", fmt.Errorf("%w: %s public key of %d bytes", ErrDenied, r.Mechanism, len(r.PublicKey))
		}
		k := PublicKey(r.PublicKey)
		if _, ok := a.keys[k]; !ok {
			return "", fmt.Errorf("%w: %s public key %s is not allowed", ErrDenied, r.Mechanism, k)
		}
		return k.String(), nil
	default:
		return "", fmt.Errorf("%w: unknown mechanism %q", ErrDenied, r.Mechanism)
	}
}

// AuthFunc adapts a function to the Authenticator interface.
type AuthFunc func(ctx context.Context, r *AuthRequest) (userID string, err error)

// Authenticate calls f.
func (f AuthFunc) Authenticate(ctx context.Context, r *AuthRequest) (string, error) { return f(ctx, r) }

// addrSet is a set of single addresses (a map) and wider prefixes (a
// slice). Every entry is normalised: IPv4-mapped IPv6 becomes IPv4, zones
// are dropped, prefixes are masked.
type addrSet struct {
	addrs    map[netip.Addr]struct{}
	prefixes []netip.Prefix
}

func (s *addrSet) empty() bool { return len(s.addrs) == 0 && len(s.prefixes) == 0 }

func (s *addrSet) add(p netip.Prefix) {
	if p.IsSingleIP() {
		if s.addrs == nil {
			s.addrs = make(map[netip.Addr]struct{})
		}
		s.addrs[p.Addr()] = struct{}{}
	} else if !slices.Contains(s.prefixes, p) {
		s.prefixes = append(s.prefixes, p)
	}
}

func (s *addrSet) remove(p netip.Prefix) {
	if p.IsSingleIP() {
		delete(s.addrs, p.Addr())
	} else {
		s.prefixes = slices.DeleteFunc(s.prefixes, func(q netip.Prefix) bool { return q == p })
	}
}

// contains reports whether ip (already unmapped) is in the set. An IPv6
// prefix wider than ::ffff:0:0/96, such as ::/0, also holds the mapped
// form of every IPv4 address.
func (s *addrSet) contains(ip netip.Addr) bool {
	if _, ok := s.addrs[ip]; ok {
		return true
	}
	mapped := netip.AddrFrom16(ip.As16())
	for _, p := range s.prefixes {
		if p.Contains(ip) || (ip.Is4() && p.Contains(mapped)) {
			return true
		}
	}
	return false
}

func (s *addrSet) list() []string {
	out := make([]string, 0, len(s.addrs)+len(s.prefixes))
	for a := range s.addrs {
		out = append(out, a.String())
	}
	for _, p := range s.prefixes {
		out = append(out, p.String())
	}
	slices.Sort(out)
	return out
}

// parsePrefixes parses addresses and CIDR prefixes into normalised
// prefixes (a single address becomes a /32 or /128).
func parsePrefixes(addrs []string) ([]netip.Prefix, error) {
	out := make([]netip.Prefix, 0, len(addrs))
	for _, s := range addrs {
		var p netip.Prefix
		if strings.Contains(s, "/") {
			q, err := netip.ParsePrefix(s)
			if err != nil {
				return nil, fmt.Errorf("auth: %q is not an address or a CIDR prefix: %w", s, err)
			}
			if q.Addr().Is4In6() && q.Bits() >= 96 {
				q = netip.PrefixFrom(q.Addr().Unmap(), q.Bits()-96)
			}
			p = q.Masked()
		} else {
			a, err := netip.ParseAddr(s)
			if err != nil {
				return nil, fmt.Errorf("auth: %q is not an address or a CIDR prefix: %w", s, err)
			}
			a = a.WithZone("").Unmap()
			p = netip.PrefixFrom(a, a.BitLen())
		}
		out = append(out, p)
	}
	return out, nil
}

// peerIP parses a Params.PeerAddress as an IP, unmapped and without zone.
func peerIP(addr string) (netip.Addr, bool) {
	a, err := netip.ParseAddr(addr)
	if err != nil {
		return netip.Addr{}, false
	}
	return a.WithZone("").Unmap(), true
}
