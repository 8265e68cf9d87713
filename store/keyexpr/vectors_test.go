package keyexpr

import (
	"bufio"
	"errors"
	"os"
	"strings"
	"testing"
)

// TestVectors runs every row of testdata/keyexpr-vectors.tsv (columns op,
// a, b, expected; see the package doc). A row with an unknown op or a
// malformed line fails the test; no row is skipped.
func TestVectors(t *testing.T) {
	f, err := os.Open("testdata/keyexpr-vectors.tsv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	line := 0
	counts := map[string]int{}
	for sc.Scan() {
		line++
		fields := strings.Split(sc.Text(), "\t")
		if len(fields) != 4 {
			t.Errorf("line %d: %d fields, want 4: %q", line, len(fields), sc.Text())
			continue
		}
		if line == 1 {
			if strings.Join(fields, " ") != "op a b expected" {
				t.Fatalf("header = %q", sc.Text())
			}
			continue
		}
		op, a, b, expected := fields[0], fields[1], fields[2], fields[3]
		var want bool
		switch expected {
		case "true":
			want = true
		case "false":
			want = false
		default:
			t.Errorf("line %d: expected = %q, want true or false", line, expected)
			continue
		}
		counts[op]++
		switch op {
		case "valid":
			err := Validate(a)
			if got := err == nil; got != want {
				t.Errorf("line %d: Validate(%q) = %v, want valid=%v", line, a, err, want)
			}
			if err != nil && !errors.Is(err, ErrInvalid) {
				t.Errorf("line %d: Validate(%q) error %v does not match ErrInvalid", line, a, err)
			}
			if _, kerr := New(a); (kerr == nil) != want {
				t.Errorf("line %d: New(%q) error = %v, want valid=%v", line, a, kerr, want)
			}
		case "canon":
			if !want {
				t.Errorf("line %d: canon rows must expect true", line)
				continue
			}
			got, err := Canonize(a)
			if b == "ERROR" {
				if err == nil {
					t.Errorf("line %d: Canonize(%q) = %q, want an error", line, a, got)
				} else if !errors.Is(err, ErrInvalid) {
					t.Errorf("line %d: Canonize(%q) error %v does not match ErrInvalid", line, a, err)
				}
				continue
			}
			if err != nil || got != b {
				t.Errorf("line %d: Canonize(%q) = %q, %v; want %q", line, a, got, err, b)
			}
		case "intersects":
			if got := Intersects(a, b); got != want {
				t.Errorf("line %d: Intersects(%q, %q) = %v, want %v", line, a, b, got, want)
			}
		case "includes":
			if got := Includes(a, b); got != want {
				t.Errorf("line %d: Includes(%q, %q) = %v, want %v", line, a, b, got, want)
			}
		default:
			t.Errorf("line %d: unknown op %q", line, op)
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	total := 0
	for _, c := range counts {
		total += c
	}
	t.Logf("ran %d rows: %v", total, counts)
	if total != line-1 {
		t.Errorf("ran %d rows of %d", total, line-1)
	}
}
