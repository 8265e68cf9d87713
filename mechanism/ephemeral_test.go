package mechanism

import (
	"bytes"
	"crypto/rand"
	"testing"

	"golang.org/x/crypto/curve25519"
)

// TestGenerateEphemeralMatchesX25519: the public key generateEphemeral
// computes through ed25519 is the X25519 public key of its secret, for
// many random secrets and for seeds at the edges.
func TestGenerateEphemeralMatchesX25519(t *testing.T) {
	seeds := [][]byte{make([]byte, 32), bytes.Repeat([]byte{0xff}, 32)}
	for range 500 {
		s := make([]byte, 32)
		if _, err := rand.Read(s); err != nil {
			t.Fatal(err)
		}
		seeds = append(seeds, s)
	}
	for _, seed := range seeds {
		var pub, sec [32]byte
		if err := generateEphemeral(bytes.NewReader(seed), &pub, &sec); err != nil {
			t.Fatal(err)
		}
		want, err := curve25519.X25519(sec[:], curve25519.Basepoint)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(pub[:], want) {
			t.Fatalf("seed %x: public %x, X25519 says %x", seed, pub, want)
		}
	}
	var pub, sec [32]byte
	if err := generateEphemeral(bytes.NewReader(make([]byte, 31)), &pub, &sec); err == nil {
		t.Fatal("a short read gave a key")
	}
}

func BenchmarkGenerateEphemeral(b *testing.B) {
	var pub, sec [32]byte
	b.ReportAllocs()
	for b.Loop() {
		if err := generateEphemeral(rand.Reader, &pub, &sec); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkPublicFromSecret(b *testing.B) {
	var sec SecretKey
	b.ReportAllocs()
	for b.Loop() {
		sec[0]++
		PublicFromSecret(sec)
	}
}
