//go:build amd64 && gc && !purego

package mechanism

import "golang.org/x/sys/cpu"

// salsa20x16 writes 16 Salsa20/20 keystream blocks to out, from the block
// counter in counter[8:16] on (salsa_amd64.s; AVX-512F).
//
//go:noescape
func salsa20x16(out *[1024]byte, key *[32]byte, counter *[16]byte)

// haveSalsa20x16 is whether salsa20x16 may run here.
var haveSalsa20x16 = cpu.X86.HasAVX512F
