//go:build amd64 && gc && !purego

package mechanism

import "golang.org/x/sys/cpu"

// salsa20x16 writes 16 Salsa20/20 keystream blocks to out, block j made
// from key and w[0..3][j] as its input words 6 to 9 (nonce and block
// counter) (salsa_amd64.s; AVX-512F).
//
//go:noescape
func salsa20x16(out *[1024]byte, key *[32]byte, w *[4][16]uint32)

// haveSalsa20x16 is whether salsa20x16 may run here.
var haveSalsa20x16 = cpu.X86.HasAVX512F
