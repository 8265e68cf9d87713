//go:build !amd64 || !gc || purego

package mechanism

// Without the AVX-512 keystream (salsa_amd64.s) every block comes from
// x/crypto.

func salsa20x16(*[1024]byte, *[32]byte, *[4][16]uint32) {
	panic("mechanism: salsa20x16 without AVX-512")
}

const haveSalsa20x16 = false
