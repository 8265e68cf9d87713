package proto

import (
	"bytes"
	"testing"
)

func benchPut(size int) Message {
	return Message{Kind: KindPut, ID: 12345, Key: "demo/building/3/sensor/temp", Encoding: "application/octet-stream",
		Timestamp: docTS, Value: bytes.Repeat([]byte{0xab}, size)}
}

func benchEncode(b *testing.B, m Message) {
	buf := make([]byte, 0, m.Size())
	b.SetBytes(int64(m.Size()))
	b.ReportAllocs()
	for b.Loop() {
		var err error
		if buf, err = m.AppendBinary(buf[:0]); err != nil {
			b.Fatal(err)
		}
	}
}

func benchDecode(b *testing.B, m Message) {
	enc, err := m.AppendBinary(nil)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(enc)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Decode(enc); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkEncodePut16B(b *testing.B)  { benchEncode(b, benchPut(16)) }
func BenchmarkEncodePut1KiB(b *testing.B) { benchEncode(b, benchPut(1024)) }
func BenchmarkDecodePut16B(b *testing.B)  { benchDecode(b, benchPut(16)) }
func BenchmarkDecodePut1KiB(b *testing.B) { benchDecode(b, benchPut(1024)) }

func BenchmarkEncodeReply1KiB(b *testing.B) {
	m := benchPut(1024)
	m.Kind = KindReply
	benchEncode(b, m)
}

func BenchmarkDecodeQuery(b *testing.B) {
	benchDecode(b, Message{Kind: KindQuery, ID: 9, Key: "demo/**/temp", Parameters: "limit=10"})
}

func BenchmarkDecodeFinalOK(b *testing.B) {
	benchDecode(b, Message{Kind: KindFinal, ID: 9, Count: 3})
}
