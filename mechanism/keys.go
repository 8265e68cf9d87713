package mechanism

import (
	"crypto/ecdh"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha512"
	"crypto/subtle"
	"errors"
	"fmt"
	"io"
	"math/big"
	"sync"
)

// KeySize is the size of a Curve25519 key, public or secret.
const KeySize = 32

// PublicKey is a long-term Curve25519 public key, as CURVE and NOISE use
// them. Its text form is 40 Z85 characters (RFC 32), as libzmq prints them.
type PublicKey [KeySize]byte

// SecretKey is a long-term Curve25519 secret key. Its String method does not
// reveal it (so a logged key stays secret); Z85 does.
type SecretKey [KeySize]byte

// ErrInvalidKey is the sentinel every key parsing or key configuration
// error matches with errors.Is.
var ErrInvalidKey = errors.New("invalid key")

// GenerateKeyPair returns a new random key pair.
func GenerateKeyPair() (PublicKey, SecretKey, error) {
	return generateKeyPair(rand.Reader)
}

func generateKeyPair(r io.Reader) (PublicKey, SecretKey, error) {
	var s SecretKey
	if _, err := io.ReadFull(r, s[:]); err != nil {
		return PublicKey{}, SecretKey{}, fmt.Errorf("generate key pair: %w", err)
	}
	return PublicFromSecret(s), s, nil
}

// PublicFromSecret derives the public key of a secret key (X25519 with the
// base point, like zmq_curve_public).
func PublicFromSecret(s SecretKey) PublicKey {
	// NewPrivateKey only fails on a wrong length, and s is always 32 bytes.
	priv, err := ecdh.X25519().NewPrivateKey(s[:])
	if err != nil {
		return PublicKey{}
	}
	var p PublicKey
	copy(p[:], priv.PublicKey().Bytes())
	return p
}

// ParsePublicKey parses a public key given as 40 Z85 characters (41 with a
// trailing NUL, as libzmq's options accept) or as 32 raw bytes.
func ParsePublicKey(s string) (PublicKey, error) {
	var k PublicKey
	err := parseKey(k[:], s)
	return k, err
}

// ParseSecretKey parses a secret key given as 40 Z85 characters (41 with a
// trailing NUL) or as 32 raw bytes.
func ParseSecretKey(s string) (SecretKey, error) {
	var k SecretKey
	err := parseKey(k[:], s)
	return k, err
}

func parseKey(dst []byte, s string) error {
	switch {
	case len(s) == KeySize:
		copy(dst, s)
		return nil
	case len(s) == 41 && s[40] == 0:
		s = s[:40]
	case len(s) != 40:
		return fmt.Errorf("%w: %d bytes; want 40 Z85 characters or 32 raw bytes", ErrInvalidKey, len(s))
	}
	b, err := decodeZ85(dst[:0:KeySize], s)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrInvalidKey, err)
	}
	copy(dst, b)
	return nil
}

// String returns the key's 40-character Z85 form.
func (k PublicKey) String() string { return string(appendZ85(make([]byte, 0, 40), k[:])) }

// IsZero reports whether the key is unset (all zero bytes).
func (k PublicKey) IsZero() bool { return k == PublicKey{} }

// Equal reports whether k and o are the same key, in constant time.
func (k PublicKey) Equal(o PublicKey) bool { return subtle.ConstantTimeCompare(k[:], o[:]) == 1 }

// MarshalText returns the key's Z85 form, so keys read and write as text in
// configuration files.
func (k PublicKey) MarshalText() ([]byte, error) { return appendZ85(make([]byte, 0, 40), k[:]), nil }

// UnmarshalText parses a key as ParsePublicKey does.
func (k *PublicKey) UnmarshalText(b []byte) error {
	p, err := ParsePublicKey(string(b))
	if err != nil {
		return err
	}
	*k = p
	return nil
}

// Z85 returns the secret key's 40-character Z85 form. Handle it as the
// secret it is.
func (k SecretKey) Z85() string { return string(appendZ85(make([]byte, 0, 40), k[:])) }

// String hides the key: it returns "SecretKey(redacted)" (or
// "SecretKey(zero)" for an unset key), so printing a configuration does not
// leak it. Use Z85 to export it on purpose.
func (k SecretKey) String() string {
	if k.IsZero() {
		return "SecretKey(zero)"
	}
	return "SecretKey(redacted)"
}

// IsZero reports whether the key is unset (all zero bytes).
func (k SecretKey) IsZero() bool { return subtle.ConstantTimeCompare(k[:], make([]byte, KeySize)) == 1 }

// Public returns the public key of k (PublicFromSecret).
func (k SecretKey) Public() PublicKey { return PublicFromSecret(k) }

// UnmarshalText parses a key as ParseSecretKey does, so secret keys can be
// read from configuration files. There is deliberately no MarshalText: a
// secret key must not turn into text by accident (in logs, for instance).
func (k *SecretKey) UnmarshalText(b []byte) error {
	s, err := ParseSecretKey(string(b))
	if err != nil {
		return err
	}
	*k = s
	return nil
}

// clientKeys is a client mechanism's long-term key pair, worked out on
// first use and kept for every connection: the configured pair (its public
// key derived if missing), or a fresh pair when none is configured.
type clientKeys struct {
	once sync.Once
	pub  PublicKey
	sec  SecretKey
	err  error
}

func (k *clientKeys) get(who string, pub PublicKey, sec SecretKey) (PublicKey, SecretKey, error) {
	k.once.Do(func() {
		if pub.IsZero() && sec.IsZero() {
			k.pub, k.sec, k.err = GenerateKeyPair()
			return
		}
		k.pub, k.sec, k.err = keyPairFor(who, pub, sec)
	})
	return k.pub, k.sec, k.err
}

// serverKey is a server mechanism's public key, derived from its secret
// key on first use and kept.
type serverKey struct {
	once sync.Once
	pub  PublicKey
	err  error
}

func (k *serverKey) get(who string, sec SecretKey) (PublicKey, error) {
	k.once.Do(func() { k.pub, _, k.err = keyPairFor(who, PublicKey{}, sec) })
	return k.pub, k.err
}

// keyPairFor completes a configured key pair: it derives a missing public
// key from the secret key, and checks that a given public key matches its
// secret key. who names the configuration in errors.
func keyPairFor(who string, pub PublicKey, sec SecretKey) (PublicKey, SecretKey, error) {
	if sec.IsZero() {
		if !pub.IsZero() {
			return PublicKey{}, SecretKey{}, fmt.Errorf("%w: %s has a public key but no secret key", ErrInvalidKey, who)
		}
		return PublicKey{}, SecretKey{}, fmt.Errorf("%w: %s has no secret key", ErrInvalidKey, who)
	}
	derived := PublicFromSecret(sec)
	if !pub.IsZero() && !pub.Equal(derived) {
		return PublicKey{}, SecretKey{}, fmt.Errorf("%w: %s's public key %s does not belong to its secret key (that would be %s)", ErrInvalidKey, who, pub, derived)
	}
	return derived, sec, nil
}

// field25519 is the prime of Curve25519's field, 2^255 - 19.
var field25519 = new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), 255), big.NewInt(19))

// generateEphemeral makes a key pair for one connection (CURVE's
// transient keys, NOISE's ephemeral ones) from 32 random bytes. The
// secret is the first half of their SHA-512, the scalar ed25519 derives
// from the same seed; the public key is that scalar times the base
// point, computed by ed25519's fixed-base multiplication, several times
// faster than the X25519 ladder PublicFromSecret runs, and mapped from
// the Edwards curve to the Montgomery one: u = (1+y)/(1-y). X25519
// clamps a secret the same way ed25519 clamps its scalar, so
// X25519(secret, 9) is that u. The map's inversion runs on the public key
// alone, so its timing reveals nothing secret.
func generateEphemeral(r io.Reader, pub, sec *[32]byte) error {
	var seed [ed25519.SeedSize]byte
	defer clear(seed[:])
	if _, err := io.ReadFull(r, seed[:]); err != nil {
		return err
	}
	h := sha512.Sum512(seed[:])
	copy(sec[:], h[:32])
	clear(h[:])
	priv := ed25519.NewKeyFromSeed(seed[:])
	defer clear(priv)
	a := priv[ed25519.SeedSize:] // the public key: y, little-endian, x's sign in the top bit
	var be [32]byte
	for i := range be {
		be[i] = a[31-i]
	}
	be[0] &= 0x7f
	y := new(big.Int).SetBytes(be[:])
	num := new(big.Int).Add(big.NewInt(1), y)
	den := new(big.Int).Sub(big.NewInt(1), y)
	den.Mod(den, field25519)
	if den.ModInverse(den, field25519) == nil {
		// y = 1, the neutral point: no clamped scalar gives it.
		*pub = PublicFromSecret(SecretKey(*sec))
		return nil
	}
	u := num.Mul(num, den).Mod(num, field25519)
	u.FillBytes(be[:])
	for i := range pub {
		pub[i] = be[31-i]
	}
	return nil
}
