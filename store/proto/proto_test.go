package proto

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/zmesh/zmesh/store/hlc"
	"github.com/zmesh/zmesh/store/keyexpr"
)

func TestRoundTripEveryKind(t *testing.T) {
	long := strings.Repeat("k", MaxStringLen)
	msgs := []Message{
		{Kind: KindPut, ID: 0, Key: "a"},
		{Kind: KindPut, ID: 1<<64 - 1, Key: "a/b", Encoding: "application/json", Value: []byte(`{"x":1}`), Timestamp: docTS},
		{Kind: KindPut, ID: 7, Key: long, Encoding: long, Value: bytes.Repeat([]byte{0}, 100000)},
		{Kind: KindDelete, ID: 8, Key: "a/**"},
		{Kind: KindDelete, ID: 9, Key: "a/b", Timestamp: docTS},
		{Kind: KindQuery, ID: 10, Key: "**"},
		{Kind: KindQuery, ID: 11, Key: "a/*", Parameters: "p1=v1;p2"},
		{Kind: KindReply, ID: 12, Key: "a/b", Timestamp: docTS},
		{Kind: KindReply, ID: 13, Key: "a/b", Encoding: "text/plain", Value: []byte("v"), Timestamp: hlc.Timestamp{Time: -1}},
		{Kind: KindFinal, ID: 14},
		{Kind: KindFinal, ID: 15, Status: StatusBackend, Count: 1<<32 - 1, Text: "disk full"},
		{Kind: KindFinal, ID: 16, Status: Status(200), Text: long},
		{Kind: KindSample, ID: 17, Key: "a/b", Timestamp: docTS, Value: []byte("x")},
		{Kind: KindSample, ID: 18, Key: "a/*", Delete: true, Timestamp: docTS},
		{Kind: KindQuery, ID: 19, Key: "a/b", AcceptLast: true},
		{Kind: KindQuery, ID: 20, Key: "a/b", Stream: true, AcceptLast: true},
		{Kind: KindReply, ID: 21, Key: "a/b", Value: []byte("v"), Timestamp: docTS, Last: true},
		{Kind: KindReply, ID: 22, Key: "a/b", Timestamp: docTS, Omitted: true, Value: OmittedValue(1, [32]byte{}), Last: true},
	}
	for _, m := range msgs {
		b, err := m.AppendBinary([]byte("prefix"))
		if err != nil {
			t.Errorf("%v %d: encode: %v", m.Kind, m.ID, err)
			continue
		}
		if !bytes.HasPrefix(b, []byte("prefix")) || len(b)-6 != m.Size() {
			t.Errorf("%v %d: appended %d bytes, Size says %d", m.Kind, m.ID, len(b)-6, m.Size())
		}
		got, err := Decode(b[6:])
		if err != nil {
			t.Errorf("%v %d: decode: %v", m.Kind, m.ID, err)
			continue
		}
		if !equalMessages(got, m) {
			t.Errorf("%v %d: round trip gave %+v", m.Kind, m.ID, got)
		}
		mb, err := m.MarshalBinary()
		if err != nil || !bytes.Equal(mb, b[6:]) {
			t.Errorf("%v %d: MarshalBinary differs from AppendBinary (err %v)", m.Kind, m.ID, err)
		}
		head, err := m.AppendHead(nil)
		if err != nil || !bytes.Equal(append(head, m.Value...), b[6:]) {
			t.Errorf("%v %d: AppendHead + Value differs from AppendBinary (err %v)", m.Kind, m.ID, err)
		}
	}
}

func TestDecodeAliasesValueAndUnmarshalCopies(t *testing.T) {
	b, err := (&Message{Kind: KindPut, ID: 1, Key: "k", Value: []byte("abc")}).AppendBinary(nil)
	if err != nil {
		t.Fatal(err)
	}
	m, err := Decode(b)
	if err != nil {
		t.Fatal(err)
	}
	b[len(b)-1] = 'X'
	if string(m.Value) != "abX" {
		t.Errorf("Decode's Value = %q, want it to alias the input", m.Value)
	}
	if cap(m.Value) != len(m.Value) {
		t.Errorf("Value has spare capacity %d: appending to it would overwrite the buffer", cap(m.Value)-len(m.Value))
	}
	var u Message
	if err := u.UnmarshalBinary(b); err != nil {
		t.Fatal(err)
	}
	b[len(b)-1] = 'Y'
	if string(u.Value) != "abX" || m.Key != "k" {
		t.Errorf("UnmarshalBinary's Value = %q, want a copy", u.Value)
	}
	if err := u.UnmarshalBinary([]byte{2}); !errors.Is(err, ErrVersion) {
		t.Errorf("UnmarshalBinary(bad) = %v", err)
	}
}

func TestDecodeRejects(t *testing.T) {
	hdr := func(kind, flags byte) []byte { return []byte{1, kind, flags, 0, 0, 0, 0, 0, 0, 0, 9} }
	cat := func(parts ...[]byte) []byte { return bytes.Join(parts, nil) }
	ts := docTS.Append(nil)
	tests := []struct {
		name   string
		in     []byte
		err    error
		field  string
		offset int
	}{
		{"empty", nil, ErrMalformed, "version", 0},
		{"version 0", []byte{0}, ErrVersion, "version", 0},
		{"version 2", cat([]byte{2}, hdr(1, 0)[1:], []byte{0, 0, 0, 0}), ErrVersion, "version", 0},
		{"short header", []byte{1, 1, 0, 0}, ErrMalformed, "header", 0},
		{"unknown kind", hdr(0x04, 0), ErrMalformed, "kind", 1},
		{"kind zero", hdr(0, 0), ErrMalformed, "kind", 1},
		{"reserved flag on PUT", cat(hdr(1, 0x02), []byte{0, 0, 0, 0}), ErrMalformed, "flags", 2},
		{"flag on QUERY", cat(hdr(3, 0x01), []byte{0, 0, 0, 0}), ErrMalformed, "flags", 2},
		{"flag on FINAL", cat(hdr(0x82, 0x80), make([]byte, 7)), ErrMalformed, "flags", 2},
		{"last flag on FINAL", cat(hdr(0x82, 0x08), make([]byte, 7)), ErrMalformed, "flags", 2},
		{"last flag on PUT", cat(hdr(1, 0x08), []byte{0, 0, 0, 0}), ErrMalformed, "flags", 2},
		{"last flag on DELETE", cat(hdr(2, 0x08), []byte{0, 0, 0, 0}), ErrMalformed, "flags", 2},
		{"last flag on SAMPLE", cat(hdr(0x83, 0x09), []byte{0, 0, 0, 0}, ts), ErrMalformed, "flags", 2},
		{"reserved flag on QUERY", cat(hdr(3, 0x10), []byte{0, 0, 0, 0}), ErrMalformed, "flags", 2},
		{"reserved flag on REPLY", cat(hdr(0x81, 0x11), []byte{0, 0, 0, 0}, ts), ErrMalformed, "flags", 2},
		{"REPLY without timestamp", cat(hdr(0x81, 0), []byte{0, 0, 0, 0}), ErrMalformed, "flags", 2},
		{"SAMPLE without timestamp", cat(hdr(0x83, 0x02), []byte{0, 0, 0, 0}), ErrMalformed, "flags", 2},
		{"no lengths", cat(hdr(1, 0), []byte{0, 0, 0}), ErrMalformed, "key length", 11},
		{"key past the end", cat(hdr(1, 0), []byte{0, 5, 0, 0}, []byte("abcd")), ErrMalformed, "key length", 11},
		{"encoding past the end", cat(hdr(1, 0), []byte{0, 1, 0, 4}, []byte("abcd")), ErrMalformed, "encoding length", 13},
		{"parameters past the end", cat(hdr(3, 0), []byte{0, 1, 0, 4}, []byte("a")), ErrMalformed, "parameters length", 13},
		{"QUERY trailing bytes", cat(hdr(3, 0), []byte{0, 1, 0, 1}, []byte("abc")), ErrMalformed, "end", 17},
		{"timestamp cut short", cat(hdr(1, 1), []byte{0, 1, 0, 0}, []byte("a"), ts[:27]), ErrMalformed, "timestamp", 16},
		{"zero timestamp", cat(hdr(1, 1), []byte{0, 1, 0, 0}, []byte("a"), make([]byte, 28)), ErrMalformed, "timestamp", 16},
		{"DELETE with encoding", cat(hdr(2, 0), []byte{0, 1, 0, 1}, []byte("ab")), ErrMalformed, "encoding length", 13},
		{"DELETE with value", cat(hdr(2, 0), []byte{0, 1, 0, 0}, []byte("ab")), ErrMalformed, "end", 16},
		{"DELETE with value after timestamp", cat(hdr(2, 1), []byte{0, 1, 0, 0}, []byte("a"), ts, []byte("v")), ErrMalformed, "end", 44},
		{"delete SAMPLE with encoding", cat(hdr(0x83, 3), []byte{0, 1, 0, 1}, []byte("ab"), ts), ErrMalformed, "encoding length", 13},
		{"delete SAMPLE with value", cat(hdr(0x83, 3), []byte{0, 1, 0, 0}, []byte("a"), ts, []byte("v")), ErrMalformed, "end", 44},
		{"FINAL too short", cat(hdr(0x82, 0), make([]byte, 6)), ErrMalformed, "status", 11},
		{"FINAL text past the end", cat(hdr(0x82, 0), []byte{0, 0, 0, 0, 0, 0, 3}, []byte("ab")), ErrMalformed, "text length", 16},
		{"FINAL trailing bytes", cat(hdr(0x82, 0), []byte{0, 0, 0, 0, 0, 0, 1}, []byte("ab")), ErrMalformed, "text length", 16},
	}
	for _, tt := range tests {
		m, err := Decode(tt.in)
		var fe *FormatError
		if !errors.Is(err, tt.err) || !errors.As(err, &fe) {
			t.Errorf("%s: Decode = %+v, %v; want %v", tt.name, m, err, tt.err)
			continue
		}
		if fe.Field != tt.field || fe.Offset != tt.offset {
			t.Errorf("%s: error names %q at %d, want %q at %d (%v)", tt.name, fe.Field, fe.Offset, tt.field, tt.offset, err)
		}
		if !equalMessages(m, Message{}) {
			t.Errorf("%s: failed Decode returned %+v", tt.name, m)
		}
	}
}

func TestFormatErrorMessage(t *testing.T) {
	_, err := Decode([]byte{1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 0x2c, 0, 0, 'a'})
	want := "malformed storage protocol message: PUT: key length at offset 11: 300 bytes, only 1 left"
	if err == nil || err.Error() != want {
		t.Errorf("error = %v\nwant    %s", err, want)
	}
	_, err = Decode([]byte{7})
	if want := "unsupported storage protocol version: version at offset 0: version 7, this side speaks 1"; err.Error() != want {
		t.Errorf("error = %v\nwant    %s", err, want)
	}
}

func TestAppendBinaryRefuses(t *testing.T) {
	long := strings.Repeat("x", MaxStringLen+1)
	tests := []struct {
		name string
		m    Message
		err  error
	}{
		{"unknown kind", Message{Kind: 0x04}, ErrMalformed},
		{"zero kind", Message{}, ErrMalformed},
		{"key too long", Message{Kind: KindPut, Key: long}, ErrTooLarge},
		{"encoding too long", Message{Kind: KindPut, Key: "a", Encoding: long}, ErrTooLarge},
		{"parameters too long", Message{Kind: KindQuery, Key: "a", Parameters: long}, ErrTooLarge},
		{"text too long", Message{Kind: KindFinal, Status: StatusInternal, Text: long}, ErrTooLarge},
		{"REPLY without timestamp", Message{Kind: KindReply, Key: "a"}, ErrMalformed},
		{"SAMPLE without timestamp", Message{Kind: KindSample, Key: "a"}, ErrMalformed},
		{"DELETE with value", Message{Kind: KindDelete, Key: "a", Value: []byte("v")}, ErrMalformed},
		{"DELETE with encoding", Message{Kind: KindDelete, Key: "a", Encoding: "e"}, ErrMalformed},
		{"delete SAMPLE with value", Message{Kind: KindSample, Key: "a", Delete: true, Timestamp: docTS, Value: []byte("v")}, ErrMalformed},
		{"QUERY with value", Message{Kind: KindQuery, Key: "a", Value: []byte("v")}, ErrMalformed},
		{"QUERY with timestamp", Message{Kind: KindQuery, Key: "a", Timestamp: docTS}, ErrMalformed},
		{"PUT with parameters", Message{Kind: KindPut, Key: "a", Parameters: "p"}, ErrMalformed},
		{"PUT with delete flag", Message{Kind: KindPut, Key: "a", Delete: true}, ErrMalformed},
		{"PUT with status", Message{Kind: KindPut, Key: "a", Status: StatusInternal}, ErrMalformed},
		{"REPLY with count", Message{Kind: KindReply, Key: "a", Timestamp: docTS, Count: 1}, ErrMalformed},
		{"FINAL with key", Message{Kind: KindFinal, Key: "a"}, ErrMalformed},
		{"FINAL with timestamp", Message{Kind: KindFinal, Timestamp: docTS}, ErrMalformed},
		{"PUT accepting last", Message{Kind: KindPut, Key: "a", AcceptLast: true}, ErrMalformed},
		{"REPLY accepting last", Message{Kind: KindReply, Key: "a", Timestamp: docTS, AcceptLast: true}, ErrMalformed},
		{"QUERY with last", Message{Kind: KindQuery, Key: "a", Last: true}, ErrMalformed},
		{"FINAL with last", Message{Kind: KindFinal, Last: true}, ErrMalformed},
		{"SAMPLE with last", Message{Kind: KindSample, Key: "a", Timestamp: docTS, Last: true}, ErrMalformed},
	}
	for _, tt := range tests {
		dst := []byte("keep")
		out, err := tt.m.AppendBinary(dst)
		if !errors.Is(err, tt.err) || string(out) != "keep" {
			t.Errorf("%s: AppendBinary = %q, %v; want dst unchanged and %v", tt.name, out, err, tt.err)
		}
		if out, herr := tt.m.AppendHead(dst); !errors.Is(herr, tt.err) || string(out) != "keep" {
			t.Errorf("%s: AppendHead = %q, %v; want dst unchanged and %v", tt.name, out, herr, tt.err)
		}
		var fe *FormatError
		if !errors.As(err, &fe) || fe.Offset != -1 || !strings.Contains(err.Error(), fe.Field) {
			t.Errorf("%s: error %v lacks the field", tt.name, err)
		}
	}
}

func TestPeekIDReadsAnyVersion(t *testing.T) {
	b := []byte{9, 0xff, 0xff, 1, 2, 3, 4, 5, 6, 7, 8, 0xaa}
	if id, ok := PeekID(b); !ok || id != 0x0102030405060708 {
		t.Errorf("PeekID = %x, %v", id, ok)
	}
	if _, ok := PeekID(b[:10]); ok {
		t.Error("PeekID on 10 bytes: ok")
	}
}

func TestEncodeDoesNotAllocate(t *testing.T) {
	for _, m := range []Message{docExamples[0].msg, docExamples[1].msg, docExamples[4].msg, docExamples[6].msg} {
		buf := make([]byte, 0, 256)
		if n := testing.AllocsPerRun(100, func() { buf, _ = m.AppendBinary(buf[:0]) }); n != 0 {
			t.Errorf("%v: AppendBinary allocates %v times", m.Kind, n)
		}
	}
}

func TestDecodeAllocatesAtMostOnce(t *testing.T) {
	for _, e := range docExamples {
		b, err := e.msg.AppendBinary(nil)
		if err != nil {
			t.Fatalf("%s: %v", e.name, err)
		}
		want := 1.0
		if e.name == "final-ok" {
			want = 0
		}
		if n := testing.AllocsPerRun(100, func() { _, _ = Decode(b) }); n != want {
			t.Errorf("%s: Decode allocates %v times, want %v", e.name, n, want)
		}
	}
}

func TestStatus(t *testing.T) {
	if StatusReadOnly.String() != "read-only storage" || Status(99).String() != "status(99)" {
		t.Errorf("String: %q, %q", StatusReadOnly, Status(99))
	}
	for s := StatusOK; s <= StatusStream; s++ {
		if strings.HasPrefix(s.String(), "status(") {
			t.Errorf("status %d has no name", s)
		}
	}
	final := Message{Kind: KindFinal, Status: StatusReadOnly, Text: "demo is read-only"}
	err := final.Err()
	if !errors.Is(err, StatusReadOnly) || errors.Is(err, StatusBackend) {
		t.Errorf("Err() = %v does not match StatusReadOnly only", err)
	}
	if err.Error() != "storage server: read-only storage: demo is read-only" {
		t.Errorf("Err().Error() = %q", err)
	}
	if (&Message{Kind: KindFinal}).Err() != nil || (&Message{Kind: KindReply}).Err() != nil {
		t.Error("OK FINAL or REPLY has an Err")
	}
	if (&StatusError{Status: StatusTimeout}).Error() != "storage server: timeout" {
		t.Error("StatusError without text")
	}
}

func TestStatusOf(t *testing.T) {
	_, kerr := keyexpr.Canonize("a//b")
	wild := keyexpr.ValidateKey("a/*")
	drift := hlc.NewClock(hlc.NewID()).Update(hlc.Timestamp{Time: 1 << 62})
	_, ferr := Decode([]byte{1, 9})
	_, verr := Decode([]byte{2})
	tests := []struct {
		err  error
		want Status
	}{
		{nil, StatusOK},
		{StatusNoStorage, StatusNoStorage},
		{fmt.Errorf("storage x: %w", StatusReadOnly), StatusReadOnly},
		{&StatusError{Status: StatusBackend, Text: "x"}, StatusBackend},
		{ferr, StatusMalformed},
		{verr, StatusVersion},
		{(&Message{Kind: KindPut, Key: strings.Repeat("k", 70000)}).check(), StatusTooLarge},
		{kerr, StatusInvalidKeyExpr},
		{wild, StatusWildcardKey},
		{drift, StatusTimestampDrift},
		{fmt.Errorf("query: %w", context.DeadlineExceeded), StatusTimeout},
		{context.Canceled, StatusUnavailable},
		{errors.New("boom"), StatusInternal},
	}
	for _, tt := range tests {
		if got := StatusOf(tt.err); got != tt.want {
			t.Errorf("StatusOf(%v) = %v, want %v", tt.err, got, tt.want)
		}
	}
}

func TestNewFinal(t *testing.T) {
	m := NewFinal(7, 3, nil)
	if m.Kind != KindFinal || m.ID != 7 || m.Count != 3 || m.Status != StatusOK || m.Text != "" {
		t.Errorf("NewFinal(nil) = %+v", m)
	}
	m = NewFinal(8, 0, fmt.Errorf("put demo/a: %w", StatusReadOnly))
	if m.Status != StatusReadOnly || m.Text != "put demo/a: read-only storage" {
		t.Errorf("NewFinal(read-only) = %+v", m)
	}
	m = NewFinal(9, 0, &StatusError{Status: StatusBackend, Text: "disk"})
	if m.Status != StatusBackend || m.Text != "disk" {
		t.Errorf("NewFinal(StatusError) = %+v", m)
	}
	// A text too long to encode is cut on a rune boundary.
	long := strings.Repeat("é", MaxStringLen) // 2 bytes each
	m = NewFinal(10, 0, errors.New("x"+long))
	if len(m.Text) != MaxStringLen || !strings.HasSuffix(m.Text, "é") {
		t.Errorf("cut text: %d bytes, ends %q", len(m.Text), m.Text[len(m.Text)-2:])
	}
	m = NewFinal(10, 0, errors.New(long))
	if len(m.Text) != MaxStringLen-1 {
		t.Errorf("cut text: %d bytes, want %d", len(m.Text), MaxStringLen-1)
	}
	if _, err := m.AppendBinary(nil); err != nil {
		t.Errorf("NewFinal's message does not encode: %v", err)
	}
}

func TestKindString(t *testing.T) {
	names := map[Kind]string{KindPut: "PUT", KindDelete: "DELETE", KindQuery: "QUERY", KindReply: "REPLY",
		KindFinal: "FINAL", KindSample: "SAMPLE", 0x7f: "kind(0x7f)"}
	for k, want := range names {
		if k.String() != want {
			t.Errorf("%d: %q, want %q", k, k.String(), want)
		}
	}
}

// A SAMPLE whose value is omitted round-trips its size and hash, and the
// flag is refused where it does not belong.
func TestOmittedSample(t *testing.T) {
	hash := [32]byte{1, 2, 3, 31: 0xff}
	m := Message{Kind: KindSample, ID: 7, Key: "big/v", Encoding: "text/plain", Timestamp: docTS,
		Omitted: true, Value: OmittedValue(3<<20, hash)}
	b, err := m.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	if b[2] != flagTimestamp|flagOmitted {
		t.Fatalf("flags 0x%02x", b[2])
	}
	d, err := Decode(b)
	if err != nil {
		t.Fatal(err)
	}
	size, h, err := ParseOmitted(d.Value)
	if err != nil || !d.Omitted || d.Key != "big/v" || d.Encoding != "text/plain" || size != 3<<20 || h != hash {
		t.Fatalf("decoded %+v: size %d hash %x err %v", d, size, h, err)
	}
	if _, _, err := ParseOmitted([]byte("short")); !errors.Is(err, ErrMalformed) {
		t.Fatalf("ParseOmitted of 5 bytes: %v", err)
	}
	// A wildcard query's REPLY omits a large value the same way.
	r := Message{Kind: KindReply, ID: 8, Key: "big/w", Encoding: "text/plain", Timestamp: docTS,
		Omitted: true, Value: OmittedValue(70<<20, hash)}
	rb, err := r.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	rd, err := Decode(rb)
	if err != nil || !rd.Omitted || rb[2] != flagTimestamp|flagOmitted {
		t.Fatalf("REPLY decoded %+v, flags 0x%02x, err %v", rd, rb[2], err)
	}
	if size, h, err := ParseOmitted(rd.Value); err != nil || size != 70<<20 || h != hash {
		t.Fatalf("REPLY descriptor: size %d hash %x err %v", size, h, err)
	}
	for name, bad := range map[string]Message{
		"put":          {Kind: KindPut, Key: "k", Omitted: true, Value: OmittedValue(1, hash)},
		"reply length": {Kind: KindReply, Key: "k", Timestamp: docTS, Omitted: true, Value: []byte("v")},
		"delete":       {Kind: KindSample, Key: "k", Timestamp: docTS, Delete: true, Omitted: true},
		"length":       {Kind: KindSample, Key: "k", Timestamp: docTS, Omitted: true, Value: []byte("v")},
	} {
		if _, err := bad.MarshalBinary(); !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: encoded, err %v", name, err)
		}
	}
	short := append([]byte(nil), b[:len(b)-1]...)
	if _, err := Decode(short); !errors.Is(err, ErrMalformed) {
		t.Fatalf("a 39-byte descriptor decoded: %v", err)
	}
	del := append([]byte(nil), b...)
	del[2] |= flagDelete
	if _, err := Decode(del); !errors.Is(err, ErrMalformed) {
		t.Fatalf("an omitted delete decoded: %v", err)
	}
	put := append([]byte(nil), b...)
	put[1] = byte(KindPut)
	if _, err := Decode(put); !errors.Is(err, ErrMalformed) {
		t.Fatalf("an omitted PUT decoded: %v", err)
	}
}

// AppendHead of an omitted REPLY frames it as AppendBinary does, the
// descriptor following.
func TestAppendHeadOmitted(t *testing.T) {
	m := Message{Kind: KindReply, ID: 3, Key: "k", Timestamp: docTS, Omitted: true, Value: OmittedValue(9, [32]byte{1})}
	head, err := m.AppendHead(nil)
	if err != nil {
		t.Fatal(err)
	}
	whole, err := m.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(append(head, m.Value...), whole) {
		t.Fatal("head and descriptor differ from the whole encoding")
	}
}

// HashHex shows the zero hash, which an omitted value whose hash the server
// does not know carries, as unknown, and any other hash in hex.
func TestHashHex(t *testing.T) {
	if got := HashHex([32]byte{}); got != "" {
		t.Errorf("zero hash: %q, want \"\"", got)
	}
	h := [32]byte{0: 0xab, 31: 0x01}
	if got, want := HashHex(h), "ab"+strings.Repeat("00", 30)+"01"; got != want {
		t.Errorf("HashHex = %q, want %q", got, want)
	}
}
