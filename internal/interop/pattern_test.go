package interop

import (
	"bytes"
	"testing"
)

func TestPatternBytes(t *testing.T) {
	cases := []struct {
		seq, size int
		want      []byte
	}{
		{0, 0, []byte{}},
		{0, 1, []byte{0}},
		{5, 3, []byte{5, 6, 7}},
		{255, 2, []byte{0xff, 0x00}},
		{0, 4, []byte{0, 0, 0, 0}},
		{1, 6, []byte{0, 0, 0, 1, 5, 6}},
		{0x01020304, 7, []byte{1, 2, 3, 4, 0x08, 0x09, 0x0a}},
		{0xfe, 6, []byte{0, 0, 0, 0xfe, 0x02, 0x03}},
	}
	for _, c := range cases {
		got := Pattern(c.seq, c.size)
		if !bytes.Equal(got, c.want) {
			t.Errorf("Pattern(%d, %d) = % x, want % x", c.seq, c.size, got, c.want)
		}
		if err := CheckPattern(got); err != nil {
			t.Errorf("CheckPattern(Pattern(%d, %d)): %v", c.seq, c.size, err)
		}
	}
}

func TestPatternSeq(t *testing.T) {
	for _, size := range []int{4, 5, 300, 1 << 16} {
		for _, seq := range []int{0, 1, 255, 256, 70000, 1<<32 - 1} {
			got, err := PatternSeq(Pattern(seq, size))
			if err != nil || got != uint32(seq) {
				t.Errorf("PatternSeq(Pattern(%d, %d)) = %d, %v", seq, size, got, err)
			}
		}
	}
	if got, err := PatternSeq(Pattern(300, 2)); err != nil || got != 300&0xff {
		t.Errorf("short message: PatternSeq = %d, %v; want %d (low byte only)", got, err, 300&0xff)
	}
}

// Every single-byte change is caught wherever the rule leaves no freedom:
// from byte 4 on in long messages (bytes 0..3 hold seq), from byte 1 on in
// short ones (byte 0 gives seq).
func TestCheckPatternCatchesCorruption(t *testing.T) {
	for _, size := range []int{2, 3, 5, 8, 257} {
		first := 4
		if size < 4 {
			first = 1
		}
		for j := first; j < size; j++ {
			b := Pattern(42, size)
			b[j] ^= 0x10
			if err := CheckPattern(b); err == nil {
				t.Errorf("size %d: corrupted byte %d not detected", size, j)
			}
		}
	}
	// A changed sequence number makes the tail wrong.
	b := Pattern(7, 10)
	b[3] = 8
	if err := CheckPattern(b); err == nil {
		t.Error("changed seq with the old tail not detected")
	}
	// Foreign data.
	if err := CheckPattern([]byte("hello world")); err == nil {
		t.Error(`"hello world" accepted as a pattern`)
	}
}

func TestPatternNegativeSizePanics(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("Pattern(0, -1) did not panic")
		}
	}()
	Pattern(0, -1)
}
