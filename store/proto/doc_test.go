package proto

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"os"
	"strconv"
	"strings"
	"testing"
)

// docPage is the protocol's specification; the examples in it are test
// vectors.
const docPage = "../../docs/storage-protocol.md"

// readDocExamples returns the hex dumps under "# example: NAME" lines in
// the page's code blocks, checking the offset column as it goes.
func readDocExamples(t *testing.T) map[string][]byte {
	t.Helper()
	f, err := os.Open(docPage)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := map[string][]byte{}
	var name string
	sc := bufio.NewScanner(f)
	for line := 1; sc.Scan(); line++ {
		text := sc.Text()
		switch {
		case strings.HasPrefix(text, "# example: "):
			name = strings.TrimPrefix(text, "# example: ")
			if _, dup := out[name]; dup {
				t.Fatalf("%s:%d: example %q twice", docPage, line, name)
			}
			out[name] = nil
		case name != "" && strings.HasPrefix(text, "```"):
			name = ""
		case name != "":
			off, rest, ok := strings.Cut(text, "  ")
			if !ok {
				t.Fatalf("%s:%d: want \"OFFS  hex bytes\", got %q", docPage, line, text)
			}
			n, err := strconv.ParseUint(off, 16, 32)
			if err != nil || int(n) != len(out[name]) {
				t.Fatalf("%s:%d: offset %q, want %04x", docPage, line, off, len(out[name]))
			}
			b, err := hex.DecodeString(strings.ReplaceAll(rest, " ", ""))
			if err != nil {
				t.Fatalf("%s:%d: %v", docPage, line, err)
			}
			out[name] = append(out[name], b...)
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestDocExamples checks every example on docs/storage-protocol.md both
// ways: the message encodes to the page's bytes, and the bytes decode to
// the message. Every example on the page must be in docExamples and the
// other way round.
func TestDocExamples(t *testing.T) {
	page := readDocExamples(t)
	for name := range page {
		if strings.HasPrefix(name, "stream-") {
			delete(page, name) // TestDocStreamExamples
		}
	}
	if len(page) != len(docExamples) {
		t.Errorf("page has %d examples, the test %d", len(page), len(docExamples))
	}
	for _, e := range docExamples {
		want, ok := page[e.name]
		if !ok {
			t.Errorf("example %q is not on the page", e.name)
			continue
		}
		got, err := e.msg.AppendBinary(nil)
		if err != nil {
			t.Errorf("%s: encode: %v", e.name, err)
			continue
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s: encodes to\n% x\nthe page says\n% x", e.name, got, want)
		}
		dec, err := Decode(want)
		if err != nil {
			t.Errorf("%s: decode the page's bytes: %v", e.name, err)
			continue
		}
		if !equalMessages(dec, e.msg) {
			t.Errorf("%s: page's bytes decode to %+v, want %+v", e.name, dec, e.msg)
		}
	}
}

// equalMessages compares messages field by field, nil and empty values
// alike.
func equalMessages(a, b Message) bool {
	return a.Kind == b.Kind && a.ID == b.ID && a.Key == b.Key && a.Encoding == b.Encoding &&
		a.Parameters == b.Parameters && a.Timestamp == b.Timestamp && bytes.Equal(a.Value, b.Value) &&
		a.Delete == b.Delete && a.Stream == b.Stream && a.Omitted == b.Omitted && a.AcceptLast == b.AcceptLast &&
		a.Last == b.Last && a.Status == b.Status && a.Count == b.Count && a.Text == b.Text
}
