package hlc

import (
	"bytes"
	"errors"
	"math"
	"strings"
	"sync"
	"testing"
	"time"
)

var idA = ID{0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f}
var idB = ID{0xff, 0xee, 0xdd, 0xcc, 0xbb, 0xaa, 0x99, 0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11, 0x00}

func TestCompareOrdersByTimeThenCounterThenSource(t *testing.T) {
	tests := []struct {
		name string
		a, b Timestamp
		want int
	}{
		{"equal", Timestamp{5, 1, idA}, Timestamp{5, 1, idA}, 0},
		{"earlier time", Timestamp{4, 9, idB}, Timestamp{5, 0, idA}, -1},
		{"later time", Timestamp{6, 0, idA}, Timestamp{5, 9, idB}, 1},
		{"negative time", Timestamp{-1, 0, idB}, Timestamp{0, 0, idA}, -1},
		{"smaller counter", Timestamp{5, 1, idB}, Timestamp{5, 2, idA}, -1},
		{"larger counter", Timestamp{5, 3, idA}, Timestamp{5, 2, idB}, 1},
		{"smaller source", Timestamp{5, 2, idA}, Timestamp{5, 2, idB}, -1},
		{"larger source", Timestamp{5, 2, idB}, Timestamp{5, 2, idA}, 1},
		{"counter max", Timestamp{5, math.MaxUint32, idA}, Timestamp{6, 0, idA}, -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.a.Compare(tt.b); got != tt.want {
				t.Errorf("%v.Compare(%v) = %d, want %d", tt.a, tt.b, got, tt.want)
			}
			if got := tt.b.Compare(tt.a); got != -tt.want {
				t.Errorf("reverse Compare = %d, want %d", got, -tt.want)
			}
		})
	}
}

func TestIsZeroOnlyForTheZeroTimestamp(t *testing.T) {
	if !(Timestamp{}).IsZero() {
		t.Error("zero Timestamp: IsZero = false")
	}
	for _, ts := range []Timestamp{{Time: 1}, {Counter: 1}, {Source: ID{15: 1}}} {
		if ts.IsZero() {
			t.Errorf("%v: IsZero = true", ts)
		}
	}
}

func TestIDStringAndParse(t *testing.T) {
	if got, want := idA.String(), "000102030405060708090a0b0c0d0e0f"; got != want {
		t.Fatalf("String = %q, want %q", got, want)
	}
	id, err := ParseID("FFEEDDCCBBAA99887766554433221100")
	if err != nil || id != idB {
		t.Fatalf("ParseID upper case = %v, %v; want %v", id, err, idB)
	}
	for _, bad := range []string{"", "00", "000102030405060708090a0b0c0d0e0", "000102030405060708090a0b0c0d0e0f0", "000102030405060708090a0b0c0d0e0g"} {
		if _, err := ParseID(bad); !errors.Is(err, ErrMalformed) {
			t.Errorf("ParseID(%q) error = %v, want ErrMalformed", bad, err)
		}
	}
	if a, b := NewID(), NewID(); a == b || a.IsZero() {
		t.Errorf("NewID gave %v and %v", a, b)
	}
}

func TestStringIsLosslessRFC3339(t *testing.T) {
	tests := []struct {
		ts   Timestamp
		want string
	}{
		{Timestamp{Time: time.Date(2026, 11, 21, 23, 50, 30, 123456789, time.UTC).UnixNano(), Counter: 3, Source: idA},
			"2026-11-21T23:50:30.123456789Z/3/000102030405060708090a0b0c0d0e0f"},
		{Timestamp{}, "1970-01-01T00:00:00.000000000Z/0/00000000000000000000000000000000"},
		{Timestamp{Time: 1, Counter: math.MaxUint32, Source: idB},
			"1970-01-01T00:00:00.000000001Z/4294967295/ffeeddccbbaa99887766554433221100"},
		{Timestamp{Time: -1},
			"1969-12-31T23:59:59.999999999Z/0/00000000000000000000000000000000"},
		{Timestamp{Time: math.MaxInt64},
			"2262-04-11T23:47:16.854775807Z/0/00000000000000000000000000000000"},
		{Timestamp{Time: math.MinInt64},
			"1677-09-21T00:12:43.145224192Z/0/00000000000000000000000000000000"},
	}
	for _, tt := range tests {
		if got := tt.ts.String(); got != tt.want {
			t.Errorf("String = %q, want %q", got, tt.want)
		}
		got, err := ParseTimestamp(tt.want)
		if err != nil || got != tt.ts {
			t.Errorf("ParseTimestamp(%q) = %+v, %v; want %+v", tt.want, got, err, tt.ts)
		}
	}
}

func TestParseTimestampAcceptsOtherRFC3339Spellings(t *testing.T) {
	want := Timestamp{Time: time.Date(2026, 1, 2, 3, 4, 5, 500000000, time.UTC).UnixNano(), Counter: 7, Source: idB}
	for _, s := range []string{
		"2026-01-02T03:04:05.5Z/7/ffeeddccbbaa99887766554433221100",
		"2026-01-02T04:04:05.500+01:00/7/FFEEDDCCBBAA99887766554433221100",
	} {
		got, err := ParseTimestamp(s)
		if err != nil || got != want {
			t.Errorf("ParseTimestamp(%q) = %v, %v; want %v", s, got, err, want)
		}
	}
}

func TestParseTimestampRejectsMalformedText(t *testing.T) {
	const id = "000102030405060708090a0b0c0d0e0f"
	tests := []struct{ in, mention string }{
		{"", "want <time>/<counter>/<id>"},
		{"2026-01-02T03:04:05Z", "want <time>/<counter>/<id>"},
		{"2026-01-02T03:04:05Z/1", "want <time>/<counter>/<id>"},
		{"yesterday/1/" + id, "time"},
		{"2026-01-02T03:04:05Z/-1/" + id, "counter"},
		{"2026-01-02T03:04:05Z/+1/" + id, "counter"},
		{"2026-01-02T03:04:05Z/4294967296/" + id, "counter"},
		{"2026-01-02T03:04:05Z//" + id, "counter"},
		{"2026-01-02T03:04:05Z/1/" + id + "/x", "id"},
		{"2026-01-02T03:04:05Z/1/xyz", "id"},
		{"2263-01-01T00:00:00Z/0/" + id, "outside the range"},
		{"1677-09-21T00:12:43.145224191Z/0/" + id, "outside the range"},
	}
	for _, tt := range tests {
		_, err := ParseTimestamp(tt.in)
		if !errors.Is(err, ErrMalformed) {
			t.Errorf("ParseTimestamp(%q) error = %v, want ErrMalformed", tt.in, err)
			continue
		}
		if !strings.Contains(err.Error(), tt.mention) {
			t.Errorf("ParseTimestamp(%q) error %q does not mention %q", tt.in, err, tt.mention)
		}
	}
}

func TestTextMarshalRoundTrip(t *testing.T) {
	ts := Timestamp{Time: 1234567890123456789, Counter: 42, Source: idB}
	b, err := ts.MarshalText()
	if err != nil {
		t.Fatal(err)
	}
	var got Timestamp
	if err := got.UnmarshalText(b); err != nil || got != ts {
		t.Fatalf("UnmarshalText(%q) = %v, %v", b, got, err)
	}
	if err := got.UnmarshalText([]byte("nope")); !errors.Is(err, ErrMalformed) {
		t.Fatalf("UnmarshalText(nope) error = %v", err)
	}
	if got != ts {
		t.Fatal("failed UnmarshalText changed the timestamp")
	}
	app, err := ts.AppendText([]byte("x="))
	if err != nil || string(app) != "x="+ts.String() {
		t.Fatalf("AppendText = %q, %v", app, err)
	}
}

func TestBinaryFormIsBigEndianTimeCounterSource(t *testing.T) {
	ts := Timestamp{Time: 0x0102030405060708, Counter: 0x090a0b0c, Source: idB}
	want := []byte{
		0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08,
		0x09, 0x0a, 0x0b, 0x0c,
		0xff, 0xee, 0xdd, 0xcc, 0xbb, 0xaa, 0x99, 0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11, 0x00,
	}
	got := ts.Append([]byte{0xaa})
	if !bytes.Equal(got, append([]byte{0xaa}, want...)) {
		t.Fatalf("Append = % x\nwant      aa % x", got, want)
	}
	if len(want) != EncodedLen {
		t.Fatalf("EncodedLen = %d, layout has %d", EncodedLen, len(want))
	}
	ab, err := ts.AppendBinary(nil)
	if err != nil || !bytes.Equal(ab, want) {
		t.Fatalf("AppendBinary = % x, %v", ab, err)
	}
	mb, err := ts.MarshalBinary()
	if err != nil || !bytes.Equal(mb, want) {
		t.Fatalf("MarshalBinary = % x, %v", mb, err)
	}
	dec, err := DecodeTimestamp(want)
	if err != nil || dec != ts {
		t.Fatalf("DecodeTimestamp = %v, %v; want %v", dec, err, ts)
	}
	neg := Timestamp{Time: -2}
	if got := neg.Append(nil)[:8]; !bytes.Equal(got, []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe}) {
		t.Fatalf("negative time encodes as % x", got)
	}
	var u Timestamp
	if err := u.UnmarshalBinary(want); err != nil || u != ts {
		t.Fatalf("UnmarshalBinary = %v, %v", u, err)
	}
}

func TestDecodeTimestampRejectsWrongLengths(t *testing.T) {
	for _, n := range []int{0, 1, 27, 29, 56} {
		_, err := DecodeTimestamp(make([]byte, n))
		if !errors.Is(err, ErrMalformed) {
			t.Errorf("DecodeTimestamp(%d bytes) error = %v, want ErrMalformed", n, err)
		}
	}
	var u Timestamp
	if err := u.UnmarshalBinary(nil); !errors.Is(err, ErrMalformed) {
		t.Errorf("UnmarshalBinary(nil) error = %v", err)
	}
}

// fakeTime is a settable time source for clocks under test.
type fakeTime struct {
	mu sync.Mutex
	ns int64
}

func (f *fakeTime) now() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return time.Unix(0, f.ns)
}

func (f *fakeTime) set(ns int64) {
	f.mu.Lock()
	f.ns = ns
	f.mu.Unlock()
}

// TestNowFollowsTheWallClock: Now takes the wall clock's time when it has
// moved forward, and counts on from the last timestamp when it stands
// still or steps back.
func TestNowFollowsTheWallClock(t *testing.T) {
	ft := &fakeTime{}
	c := NewClock(idA, WithTimeSource(ft.now))
	for i, step := range []struct {
		wall int64
		want Timestamp
		why  string
	}{
		{1000, Timestamp{1000, 0, idA}, "first"},
		{2000, Timestamp{2000, 0, idA}, "the wall clock moved forward"},
		{2000, Timestamp{2000, 1, idA}, "it stands still"},
		{2000, Timestamp{2000, 2, idA}, "it still stands still"},
		{10, Timestamp{2000, 3, idA}, "it stepped back"},
		{2001, Timestamp{2001, 0, idA}, "it caught up"},
	} {
		ft.set(step.wall)
		if got := c.Now(); got != step.want {
			t.Fatalf("Now #%d (%s) = %+v, want %+v", i, step.why, got, step.want)
		}
	}
}

func TestNowMovesTimeOnWhenTheCounterWouldOverflow(t *testing.T) {
	ft := &fakeTime{ns: 100}
	c := NewClock(idA, WithTimeSource(ft.now), WithMaxDrift(-1))
	if err := c.Update(Timestamp{Time: 100, Counter: math.MaxUint32 - 1, Source: idB}); err != nil {
		t.Fatal(err)
	}
	if got, w := c.Now(), (Timestamp{100, math.MaxUint32, idA}); got != w {
		t.Fatalf("Now = %+v, want %+v", got, w)
	}
	if got, w := c.Now(), (Timestamp{101, 0, idA}); got != w {
		t.Fatalf("Now on overflow = %+v, want %+v", got, w)
	}
}

func TestUpdateMakesLaterTimestampsGreater(t *testing.T) {
	ft := &fakeTime{ns: 1_000_000_000}
	c := NewClock(idA, WithTimeSource(ft.now))
	remote := Timestamp{Time: 1_000_000_000 + int64(100*time.Millisecond), Counter: 7, Source: idB}
	if err := c.Update(remote); err != nil {
		t.Fatalf("Update within drift: %v", err)
	}
	got := c.Now()
	if want := (Timestamp{remote.Time, 8, idA}); got != want {
		t.Fatalf("Now after Update = %+v, want %+v", got, want)
	}
	// An older remote timestamp changes nothing.
	if err := c.Update(Timestamp{Time: 5, Source: idB}); err != nil {
		t.Fatal(err)
	}
	if got, want := c.Now(), (Timestamp{remote.Time, 9, idA}); got != want {
		t.Fatalf("Now after old Update = %+v, want %+v", got, want)
	}
}

func TestUpdateRefusesTimestampsBeyondMaxDrift(t *testing.T) {
	const now = int64(1_000_000_000_000)
	tests := []struct {
		name   string
		opts   []Option
		remote int64
		ok     bool
	}{
		{"default drift, just inside", nil, now + int64(DefaultMaxDrift), true},
		{"default drift, just outside", nil, now + int64(DefaultMaxDrift) + 1, false},
		{"custom drift", []Option{WithMaxDrift(time.Second)}, now + int64(time.Second), true},
		{"custom drift exceeded", []Option{WithMaxDrift(time.Second)}, now + int64(time.Second) + 1, false},
		{"zero drift refuses any future", []Option{WithMaxDrift(0)}, now + 1, false},
		{"zero drift accepts now", []Option{WithMaxDrift(0)}, now, true},
		{"negative drift disables the check", []Option{WithMaxDrift(-1)}, math.MaxInt64, true},
		{"far past is fine", nil, math.MinInt64, true},
		{"far future", nil, math.MaxInt64, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ft := &fakeTime{ns: now}
			c := NewClock(idA, append([]Option{WithTimeSource(ft.now)}, tt.opts...)...)
			before := c.Now()
			err := c.Update(Timestamp{Time: tt.remote, Source: idB})
			if tt.ok {
				if err != nil {
					t.Fatalf("Update: %v", err)
				}
				return
			}
			if !errors.Is(err, ErrDrift) {
				t.Fatalf("Update error = %v, want ErrDrift", err)
			}
			if !strings.Contains(err.Error(), "ahead of the local clock") {
				t.Errorf("error %q does not say how far ahead", err)
			}
			if got, want := c.Now(), (Timestamp{before.Time, before.Counter + 1, idA}); got != want {
				t.Errorf("refused Update moved the clock: Now = %+v, want %+v", got, want)
			}
		})
	}
}

func TestNewClockDefaultsAndZeroClock(t *testing.T) {
	c := NewClock(idB, nil)
	if c.ID() != idB || c.MaxDrift() != DefaultMaxDrift {
		t.Fatalf("ID = %v, MaxDrift = %v", c.ID(), c.MaxDrift())
	}
	var z Clock
	a, b := z.Now(), z.Now()
	if a.Compare(b) >= 0 || !a.Source.IsZero() {
		t.Fatalf("zero Clock: %v then %v", a, b)
	}
	if d := time.Since(time.Unix(0, a.Time)); d < 0 || d > time.Minute {
		t.Fatalf("zero Clock reads time %v away from time.Now", d)
	}
	if z.MaxDrift() != DefaultMaxDrift {
		t.Fatalf("zero Clock MaxDrift = %v", z.MaxDrift())
	}
}

func TestNowIsStrictlyIncreasingAcrossGoroutines(t *testing.T) {
	ft := &fakeTime{ns: 42} // a stuck wall clock: only the counter moves
	c := NewClock(idA, WithTimeSource(ft.now))
	const workers, each = 8, 2000
	results := make([][]Timestamp, workers)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			out := make([]Timestamp, each)
			for i := range out {
				out[i] = c.Now()
				if w == 0 && i%100 == 0 {
					_ = c.Update(Timestamp{Time: 42, Counter: uint32(i), Source: idB})
				}
			}
			results[w] = out
		}()
	}
	wg.Wait()
	seen := make(map[Timestamp]bool, workers*each)
	for _, out := range results {
		for i, ts := range out {
			if seen[ts] {
				t.Fatalf("duplicate timestamp %v", ts)
			}
			seen[ts] = true
			if i > 0 && out[i-1].Compare(ts) >= 0 {
				t.Fatalf("not increasing within a goroutine: %v then %v", out[i-1], ts)
			}
		}
	}
}
