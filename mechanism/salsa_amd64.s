//go:build amd64 && gc && !purego

#include "textflag.h"

// salsa20x16 computes 16 consecutive Salsa20/20 keystream blocks (1 KiB)
// with AVX-512F: register Zi holds state word i of all 16 blocks, one
// block per 32-bit lane, so the rounds are the reference's, on vectors.
// The blocks are then scattered to out in block order.
//
// Registers: Z0-Z15 state, Z16-Z19 temporaries, Z20 the first blocks'
// counter words (word 8), Z21 the scatter indexes.

// iota16: the lane numbers, added to the first block's counter.
DATA iota16<>+0(SB)/4, $0
DATA iota16<>+4(SB)/4, $1
DATA iota16<>+8(SB)/4, $2
DATA iota16<>+12(SB)/4, $3
DATA iota16<>+16(SB)/4, $4
DATA iota16<>+20(SB)/4, $5
DATA iota16<>+24(SB)/4, $6
DATA iota16<>+28(SB)/4, $7
DATA iota16<>+32(SB)/4, $8
DATA iota16<>+36(SB)/4, $9
DATA iota16<>+40(SB)/4, $10
DATA iota16<>+44(SB)/4, $11
DATA iota16<>+48(SB)/4, $12
DATA iota16<>+52(SB)/4, $13
DATA iota16<>+56(SB)/4, $14
DATA iota16<>+60(SB)/4, $15
GLOBL iota16<>(SB), RODATA|NOPTR, $64

// blockIdx16: each lane's block start in out, in 32-bit words.
DATA blockIdx16<>+0(SB)/4, $0
DATA blockIdx16<>+4(SB)/4, $16
DATA blockIdx16<>+8(SB)/4, $32
DATA blockIdx16<>+12(SB)/4, $48
DATA blockIdx16<>+16(SB)/4, $64
DATA blockIdx16<>+20(SB)/4, $80
DATA blockIdx16<>+24(SB)/4, $96
DATA blockIdx16<>+28(SB)/4, $112
DATA blockIdx16<>+32(SB)/4, $128
DATA blockIdx16<>+36(SB)/4, $144
DATA blockIdx16<>+40(SB)/4, $160
DATA blockIdx16<>+44(SB)/4, $176
DATA blockIdx16<>+48(SB)/4, $192
DATA blockIdx16<>+52(SB)/4, $208
DATA blockIdx16<>+56(SB)/4, $224
DATA blockIdx16<>+60(SB)/4, $240
GLOBL blockIdx16<>(SB), RODATA|NOPTR, $64

// STEP: c ^= (a + b) <<< s, through temporary t.
#define STEP(a, b, c, s, t) VPADDD a, b, t; VPROLD $s, t, t; VPXORD t, c, c

// func salsa20x16(out *[1024]byte, key *[32]byte, counter *[16]byte)
// counter: the 8-byte nonce, then the first block's 64-bit little-endian
// block counter, whose low word must not wrap within the 16 blocks.
TEXT ·salsa20x16(SB), NOSPLIT, $0-24
	MOVQ out+0(FP), DI
	MOVQ key+8(FP), SI
	MOVQ counter+16(FP), DX

	MOVL $0x61707865, AX
	VPBROADCASTD AX, Z0
	VPBROADCASTD 0(SI), Z1
	VPBROADCASTD 4(SI), Z2
	VPBROADCASTD 8(SI), Z3
	VPBROADCASTD 12(SI), Z4
	MOVL $0x3320646e, AX
	VPBROADCASTD AX, Z5
	VPBROADCASTD 0(DX), Z6
	VPBROADCASTD 4(DX), Z7
	VPBROADCASTD 8(DX), Z8
	VPADDD iota16<>(SB), Z8, Z8
	VMOVDQU32 Z8, Z20
	VPBROADCASTD 12(DX), Z9
	MOVL $0x79622d32, AX
	VPBROADCASTD AX, Z10
	VPBROADCASTD 16(SI), Z11
	VPBROADCASTD 20(SI), Z12
	VPBROADCASTD 24(SI), Z13
	VPBROADCASTD 28(SI), Z14
	MOVL $0x6b206574, AX
	VPBROADCASTD AX, Z15
	MOVQ $10, CX

loop:
	STEP(Z0, Z12, Z4, 7, Z16)
	STEP(Z5, Z1, Z9, 7, Z17)
	STEP(Z10, Z6, Z14, 7, Z18)
	STEP(Z15, Z11, Z3, 7, Z19)
	STEP(Z4, Z0, Z8, 9, Z16)
	STEP(Z9, Z5, Z13, 9, Z17)
	STEP(Z14, Z10, Z2, 9, Z18)
	STEP(Z3, Z15, Z7, 9, Z19)
	STEP(Z8, Z4, Z12, 13, Z16)
	STEP(Z13, Z9, Z1, 13, Z17)
	STEP(Z2, Z14, Z6, 13, Z18)
	STEP(Z7, Z3, Z11, 13, Z19)
	STEP(Z12, Z8, Z0, 18, Z16)
	STEP(Z1, Z13, Z5, 18, Z17)
	STEP(Z6, Z2, Z10, 18, Z18)
	STEP(Z11, Z7, Z15, 18, Z19)
	STEP(Z0, Z3, Z1, 7, Z16)
	STEP(Z5, Z4, Z6, 7, Z17)
	STEP(Z10, Z9, Z11, 7, Z18)
	STEP(Z15, Z14, Z12, 7, Z19)
	STEP(Z1, Z0, Z2, 9, Z16)
	STEP(Z6, Z5, Z7, 9, Z17)
	STEP(Z11, Z10, Z8, 9, Z18)
	STEP(Z12, Z15, Z13, 9, Z19)
	STEP(Z2, Z1, Z3, 13, Z16)
	STEP(Z7, Z6, Z4, 13, Z17)
	STEP(Z8, Z11, Z9, 13, Z18)
	STEP(Z13, Z12, Z14, 13, Z19)
	STEP(Z3, Z2, Z0, 18, Z16)
	STEP(Z4, Z7, Z5, 18, Z17)
	STEP(Z9, Z8, Z10, 18, Z18)
	STEP(Z14, Z13, Z15, 18, Z19)
	DECQ CX
	JNZ  loop

	MOVL $0x61707865, AX
	VPBROADCASTD AX, Z16
	VPADDD Z16, Z0, Z0
	VPBROADCASTD 0(SI), Z16
	VPADDD Z16, Z1, Z1
	VPBROADCASTD 4(SI), Z17
	VPADDD Z17, Z2, Z2
	VPBROADCASTD 8(SI), Z18
	VPADDD Z18, Z3, Z3
	VPBROADCASTD 12(SI), Z19
	VPADDD Z19, Z4, Z4
	MOVL $0x3320646e, AX
	VPBROADCASTD AX, Z16
	VPADDD Z16, Z5, Z5
	VPBROADCASTD 0(DX), Z17
	VPADDD Z17, Z6, Z6
	VPBROADCASTD 4(DX), Z18
	VPADDD Z18, Z7, Z7
	VPADDD Z20, Z8, Z8
	VPBROADCASTD 12(DX), Z19
	VPADDD Z19, Z9, Z9
	MOVL $0x79622d32, AX
	VPBROADCASTD AX, Z16
	VPADDD Z16, Z10, Z10
	VPBROADCASTD 16(SI), Z17
	VPADDD Z17, Z11, Z11
	VPBROADCASTD 20(SI), Z18
	VPADDD Z18, Z12, Z12
	VPBROADCASTD 24(SI), Z19
	VPADDD Z19, Z13, Z13
	VPBROADCASTD 28(SI), Z16
	VPADDD Z16, Z14, Z14
	MOVL $0x6b206574, AX
	VPBROADCASTD AX, Z17
	VPADDD Z17, Z15, Z15

	// Word i of block j goes to out[64j+4i]. Each scatter clears its
	// mask, which is set again before the next.
	VMOVDQU32 blockIdx16<>(SB), Z21

	KXNORW K1, K1, K1
	VPSCATTERDD Z0, K1, 0(DI)(Z21*4)
	KXNORW K1, K1, K1
	VPSCATTERDD Z1, K1, 4(DI)(Z21*4)
	KXNORW K1, K1, K1
	VPSCATTERDD Z2, K1, 8(DI)(Z21*4)
	KXNORW K1, K1, K1
	VPSCATTERDD Z3, K1, 12(DI)(Z21*4)
	KXNORW K1, K1, K1
	VPSCATTERDD Z4, K1, 16(DI)(Z21*4)
	KXNORW K1, K1, K1
	VPSCATTERDD Z5, K1, 20(DI)(Z21*4)
	KXNORW K1, K1, K1
	VPSCATTERDD Z6, K1, 24(DI)(Z21*4)
	KXNORW K1, K1, K1
	VPSCATTERDD Z7, K1, 28(DI)(Z21*4)
	KXNORW K1, K1, K1
	VPSCATTERDD Z8, K1, 32(DI)(Z21*4)
	KXNORW K1, K1, K1
	VPSCATTERDD Z9, K1, 36(DI)(Z21*4)
	KXNORW K1, K1, K1
	VPSCATTERDD Z10, K1, 40(DI)(Z21*4)
	KXNORW K1, K1, K1
	VPSCATTERDD Z11, K1, 44(DI)(Z21*4)
	KXNORW K1, K1, K1
	VPSCATTERDD Z12, K1, 48(DI)(Z21*4)
	KXNORW K1, K1, K1
	VPSCATTERDD Z13, K1, 52(DI)(Z21*4)
	KXNORW K1, K1, K1
	VPSCATTERDD Z14, K1, 56(DI)(Z21*4)
	KXNORW K1, K1, K1
	VPSCATTERDD Z15, K1, 60(DI)(Z21*4)
	VZEROUPPER
	RET
