package hlc_test

import (
	"errors"
	"fmt"
	"time"

	"github.com/zmesh/zmesh/store/hlc"
)

func Example() {
	// Two servers, each with its own clock.
	a := hlc.NewClock(hlc.NewID())
	b := hlc.NewClock(hlc.NewID())

	t1 := a.Now()
	// b receives a write stamped by a and merges the timestamp, so
	// whatever b stamps next is ordered after it.
	if err := b.Update(t1); err != nil {
		fmt.Println(err)
		return
	}
	t2 := b.Now()
	fmt.Println(t1.Compare(t2) < 0)
	// Output: true
}

func ExampleTimestamp_String() {
	id, _ := hlc.ParseID("000102030405060708090a0b0c0d0e0f")
	ts := hlc.Timestamp{
		Time:    time.Date(2026, 11, 21, 23, 50, 30, 123456789, time.UTC).UnixNano(),
		Counter: 3,
		Source:  id,
	}
	s := ts.String()
	fmt.Println(s)
	back, err := hlc.ParseTimestamp(s)
	fmt.Println(back == ts, err)
	// Output:
	// 2026-11-21T23:50:30.123456789Z/3/000102030405060708090a0b0c0d0e0f
	// true <nil>
}

func ExampleTimestamp_Append() {
	ts := hlc.Timestamp{Time: 1, Counter: 2, Source: hlc.ID{15: 3}}
	buf := ts.Append(make([]byte, 0, hlc.EncodedLen))
	fmt.Printf("% x\n", buf)
	back, _ := hlc.DecodeTimestamp(buf)
	fmt.Println(back == ts)
	// Output:
	// 00 00 00 00 00 00 00 01 00 00 00 02 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 03
	// true
}

func ExampleClock_Update() {
	now := time.Unix(1_800_000_000, 0)
	c := hlc.NewClock(hlc.NewID(),
		hlc.WithMaxDrift(500*time.Millisecond),
		hlc.WithTimeSource(func() time.Time { return now }),
	)
	future := hlc.Timestamp{Time: now.Add(2 * time.Second).UnixNano()}
	err := c.Update(future)
	fmt.Println(errors.Is(err, hlc.ErrDrift))
	// Output: true
}
