package mechanism

import (
	"bytes"
	"encoding/binary"
	"errors"
	"testing"

	"github.com/zmesh/zmesh/internal/zmtp"
)

// codecPairs returns fresh (client, server) codecs from real handshakes.
func codecPairs(t *testing.T) map[string][2]Codec {
	t.Helper()
	out := map[string][2]Codec{}
	for name, p := range map[string]pair{"CURVE": curvePair(), "NOISE": noisePair()} {
		cl, sv := p.run(t)
		if cl.err != nil || sv.err != nil {
			t.Fatalf("%s: client %v, server %v", name, cl.err, sv.err)
		}
		out[name] = [2]Codec{cl.res.Codec, sv.res.Codec}
	}
	return out
}

func pattern(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*7 + i>>8)
	}
	return b
}

func TestCodecRoundTrips(t *testing.T) {
	sizes := []int{0, 16, 1 << 10, 255 - 33, 256, 65518, 65519, 65520, 2 * 65519, 2*65519 + 1, 1 << 20}
	for name, cs := range codecPairs(t) {
		for _, n := range sizes {
			for _, flags := range []byte{0, FlagMore, FlagCommand} {
				body := pattern(n)
				for dir, pair := range [][2]Codec{{cs[0], cs[1]}, {cs[1], cs[0]}} {
					prefix := []byte("already queued")
					wire, err := pair[0].Seal(append([]byte(nil), prefix...), flags, body)
					if err != nil {
						t.Fatalf("%s Seal %d: %v", name, n, err)
					}
					if !bytes.HasPrefix(wire, prefix) {
						t.Fatalf("%s Seal overwrote dst", name)
					}
					f, rest, err := splitFrame(wire[len(prefix):])
					if err != nil || len(rest) != 0 {
						t.Fatalf("%s %d: bad frame %v", name, n, err)
					}
					if len(f.body) != n+pair[0].Overhead(n) {
						t.Errorf("%s %d: wire body %d bytes, Overhead says %d", name, n, len(f.body), pair[0].Overhead(n))
					}
					if (f.flags&FlagLong != 0) != (len(f.body) > 255) {
						t.Errorf("%s %d: flags %#x for a %d-byte body", name, n, f.flags, len(f.body))
					}
					gf, got, err := pair[1].Open(f.flags, f.body)
					if err != nil || gf != flags || !bytes.Equal(got, body) {
						t.Fatalf("%s dir %d size %d flags %#x: got flags %#x, %d bytes, %v", name, dir, n, flags, gf, len(got), err)
					}
				}
			}
		}
	}
}

func TestCurveMessageFraming(t *testing.T) {
	cs := codecPairs(t)["CURVE"]
	for _, flags := range []byte{0, FlagMore, FlagCommand, FlagMore | FlagCommand} {
		// Outer flags: never COMMAND, never MORE (CURVE.md, MESSAGE).
		if f := mustSeal(t, cs[0], flags, []byte("x")); f.flags != 0 {
			t.Errorf("flags %#x: outer flags %#x", flags, f.flags)
		}
		if f := mustSeal(t, cs[0], flags, make([]byte, 300)); f.flags != FlagLong {
			t.Errorf("long outer flags %#x", f.flags)
		}
	}
	// A MESSAGE arriving with the outer COMMAND bit is accepted too.
	f := mustSeal(t, cs[1], FlagCommand, zmtp.AppendPong(nil, nil))
	if fl, b, err := cs[0].Open(FlagCommand, f.body); err != nil || fl != FlagCommand || !bytes.Equal(b, zmtp.AppendPong(nil, nil)) {
		t.Fatalf("outer COMMAND: %#x %q %v", fl, b, err)
	}
}

func TestCodecRejectsReplayAndReorder(t *testing.T) {
	for name, cs := range codecPairs(t) {
		seal := func(body string) frame { return mustSeal(t, cs[0], 0, []byte(body)) }
		a, b, c := seal("a"), seal("b"), seal("c")
		if _, got, err := cs[1].Open(a.flags, a.body); err != nil || string(got) != "a" {
			t.Fatalf("%s: first message: %q %v", name, got, err)
		}
		_, _, replayErr := cs[1].Open(a.flags, a.body)
		_, got, skipErr := cs[1].Open(c.flags, c.body)
		switch name {
		case "CURVE":
			// Explicit nonces: a replay or an older nonce is refused as
			// such; a gap is tolerated, as libzmq does (CURVE.md, MESSAGE).
			if !errors.Is(replayErr, ErrReplay) {
				t.Errorf("CURVE replay: %v", replayErr)
			}
			if skipErr != nil || string(got) != "c" {
				t.Errorf("CURVE gap: %q %v", got, skipErr)
			}
			if _, _, err := cs[1].Open(b.flags, b.body); !errors.Is(err, ErrReplay) {
				t.Errorf("CURVE older nonce after a newer one: %v", err)
			}
		case "NOISE":
			// Implicit nonces: anything but the next message fails to
			// authenticate.
			if !errors.Is(replayErr, ErrDecrypt) || !errors.Is(skipErr, ErrDecrypt) {
				t.Errorf("NOISE replay: %v; skipped message: %v", replayErr, skipErr)
			}
		}
	}
}

func TestCodecRejectsTamperedFrames(t *testing.T) {
	type mutation struct {
		name string
		mut  func(f *frame)
		want error
	}
	curveMuts := []mutation{
		{"ciphertext bit", func(f *frame) { f.body[len(f.body)-1] ^= 1 }, ErrDecrypt},
		{"tag bit", func(f *frame) { f.body[16] ^= 0x80 }, ErrDecrypt},
		{"nonce raised", func(f *frame) { f.body[15]++ }, ErrDecrypt},
		{"nonce lowered", func(f *frame) { binary.BigEndian.PutUint64(f.body[8:], 0) }, ErrReplay},
		{"truncated", func(f *frame) { f.body = f.body[:len(f.body)-1] }, ErrDecrypt},
		{"too short", func(f *frame) { f.body = f.body[:32] }, ErrMalformed},
		{"not MESSAGE", func(f *frame) { f.body[1] = 'm' }, ErrMalformed},
		{"plain ERROR", func(f *frame) { f.body = zmtp.AppendError(nil, "400") }, ErrMalformed},
	}
	noiseMuts := []mutation{
		{"ciphertext bit", func(f *frame) { f.body[0] ^= 1 }, ErrDecrypt},
		{"tag bit", func(f *frame) { f.body[len(f.body)-1] ^= 1 }, ErrDecrypt},
		{"MORE flag set", func(f *frame) { f.flags |= FlagMore }, ErrDecrypt},
		{"COMMAND flag set", func(f *frame) { f.flags |= FlagCommand }, ErrDecrypt},
		{"truncated", func(f *frame) { f.body = f.body[:len(f.body)-1] }, ErrDecrypt},
		{"too short", func(f *frame) { f.body = f.body[:15] }, ErrMalformed},
		{"last whole chunk dropped", func(f *frame) { f.body = f.body[:noiseMaxMessage] }, ErrDecrypt},
		{"one byte past a whole chunk", func(f *frame) { f.body = f.body[:noiseMaxMessage+1] }, ErrMalformed},
		{"empty chunk appended", func(f *frame) { f.body = f.body[:noiseMaxMessage+noiseTagSize] }, ErrMalformed},
	}
	for name, muts := range map[string][]mutation{"CURVE": curveMuts, "NOISE": noiseMuts} {
		for _, m := range muts {
			cs := codecPairs(t)[name]
			f := mustSeal(t, cs[0], 0, pattern(70000))
			m.mut(&f)
			if _, _, err := cs[1].Open(f.flags, f.body); !errors.Is(err, m.want) {
				t.Errorf("%s %s: got %v, want %v", name, m.name, err, m.want)
			}
		}
	}
}

func TestCodecAllocations(t *testing.T) {
	for name, cs := range codecPairs(t) {
		for _, n := range []int{16, 1 << 10} {
			body := pattern(n)
			buf := make([]byte, 0, 4*n+256)
			if a := testing.AllocsPerRun(100, func() {
				if _, err := cs[0].Seal(buf[:0], 0, body); err != nil {
					t.Fatal(err)
				}
			}); a != 0 {
				t.Errorf("%s Seal %d B: %v allocations, want 0", name, n, a)
			}
			// Open's one allocation is the body it returns. Every Open
			// needs the next nonce, so seal a batch first, on a fresh pair
			// (the Seal runs above used nonces no one opened).
			cs := codecPairs(t)[name]
			frames := make([]frame, 101)
			for i := range frames {
				frames[i] = mustSeal(t, cs[0], 0, body)
			}
			i := 0
			if a := testing.AllocsPerRun(100, func() {
				if _, _, err := cs[1].Open(frames[i].flags, frames[i].body); err != nil {
					t.Fatal(err)
				}
				i++
			}); a != 1 {
				t.Errorf("%s Open %d B: %v allocations, want 1", name, n, a)
			}
		}
	}
}
