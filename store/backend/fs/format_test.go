package fs

import (
	"bytes"
	"errors"
	"testing"

	"github.com/zmesh/zmesh/store/backend"
	"github.com/zmesh/zmesh/store/hlc"
)

func encodeFile(e backend.Entry) []byte {
	return append(appendHeader(nil, e), e.Value...)
}

func TestFileFormatBytes(t *testing.T) {
	e := backend.Entry{
		Value:     []byte("hi"),
		Encoding:  "t",
		Timestamp: hlc.Timestamp{Time: 1, Counter: 2, Source: hlc.ID{15: 3}},
	}
	got := encodeFile(e)
	want := []byte{
		'z', 'm', 'k', 'v', 1, 0, 0, 1, // magic, version, flags, encoding length
		0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 3, // timestamp
		0, 0, 0, 0, 0, 0, 0, 2, // value length
		0, 0, 0, 0, // value CRC, checked below
		't',
		0, 0, 0, 0, // header CRC, checked below
		'h', 'i',
	}
	// CRC-32C("hi") and of the header, computed independently.
	putU32 := func(b []byte, v uint32) { b[0], b[1], b[2], b[3] = byte(v>>24), byte(v>>16), byte(v>>8), byte(v) }
	putU32(want[44:], crc32c([]byte("hi")))
	putU32(want[49:], crc32c(want[:49]))
	if !bytes.Equal(got, want) {
		t.Fatalf("encoded\n% x\nwant\n% x", got, want)
	}
	back, err := decodeFile(got)
	if err != nil || !bytes.Equal(back.Value, e.Value) || back.Encoding != e.Encoding || back.Timestamp != e.Timestamp || back.Deleted {
		t.Fatalf("decodeFile = %+v, %v", back, err)
	}
}

// crc32c is a bitwise CRC-32C (Castagnoli), independent of hash/crc32.
func crc32c(b []byte) uint32 {
	crc := ^uint32(0)
	for _, c := range b {
		crc ^= uint32(c)
		for range 8 {
			if crc&1 != 0 {
				crc = crc>>1 ^ 0x82f63b78
			} else {
				crc >>= 1
			}
		}
	}
	return ^crc
}

func TestDecodeRefusesDamage(t *testing.T) {
	good := encodeFile(backend.Entry{Value: []byte("value"), Encoding: "enc", Timestamp: hlc.Timestamp{Time: 5}})
	tomb := encodeFile(backend.Entry{Timestamp: hlc.Timestamp{Time: 5}, Deleted: true})
	if e, err := decodeFile(tomb); err != nil || !e.Deleted || e.Value != nil {
		t.Fatalf("tombstone decodes to %+v, %v", e, err)
	}
	mutate := func(b []byte, f func([]byte) []byte) []byte { return f(bytes.Clone(b)) }
	cases := map[string][]byte{
		"empty":               {},
		"short":               good[:10],
		"header only":         good[:len(good)-5],
		"truncated value":     good[:len(good)-1],
		"extra byte":          append(bytes.Clone(good), 0),
		"bad magic":           mutate(good, func(b []byte) []byte { b[0] = 'x'; return b }),
		"bad version":         mutate(good, func(b []byte) []byte { b[4] = 2; return b }),
		"unknown flag":        mutate(good, func(b []byte) []byte { b[5] = 2; return b }),
		"flipped timestamp":   mutate(good, func(b []byte) []byte { b[10] ^= 1; return b }),
		"flipped value":       mutate(good, func(b []byte) []byte { b[len(b)-1] ^= 1; return b }),
		"flipped encoding":    mutate(good, func(b []byte) []byte { b[fixedLen] ^= 1; return b }),
		"huge encoding":       mutate(good, func(b []byte) []byte { b[6], b[7] = 0xff, 0xff; return b }),
		"zero timestamp":      encodeFile(backend.Entry{Value: []byte("v")}),
		"tombstone and value": encodeFile(backend.Entry{Value: []byte("v"), Timestamp: hlc.Timestamp{Time: 1}, Deleted: true}),
	}
	for name, b := range cases {
		if _, err := decodeFile(b); !errors.Is(err, backend.ErrCorrupt) {
			t.Errorf("%s: decodeFile error = %v, want ErrCorrupt", name, err)
		}
	}
}

func FuzzDecodeFile(f *testing.F) {
	f.Add(encodeFile(backend.Entry{Value: []byte("value"), Encoding: "enc", Timestamp: hlc.Timestamp{Time: 5}}))
	f.Add(encodeFile(backend.Entry{Timestamp: hlc.Timestamp{Time: 5}, Deleted: true}))
	f.Add([]byte("zmkv"))
	f.Fuzz(func(t *testing.T, b []byte) {
		e, err := decodeFile(b)
		if err != nil {
			if !errors.Is(err, backend.ErrCorrupt) {
				t.Fatalf("error %v does not match ErrCorrupt", err)
			}
			return
		}
		if again := encodeFile(e); !bytes.Equal(again, b) {
			t.Fatalf("decoded %+v re-encodes differently", e)
		}
		if _, need, err := decodeHeader(b[:min(len(b), maxHeaderLen)]); err != nil || need != 0 {
			t.Fatalf("decodeHeader of a good file: need %d, %v", need, err)
		}
	})
}
