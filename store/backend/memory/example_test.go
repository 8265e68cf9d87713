package memory_test

import (
	"context"
	"fmt"

	"github.com/zmesh/zmesh/store/backend"
	"github.com/zmesh/zmesh/store/backend/memory"
	"github.com/zmesh/zmesh/store/hlc"
)

func Example() {
	ctx := context.Background()
	s := memory.New()
	defer s.Close(ctx)

	clock := hlc.NewClock(hlc.NewID())
	t1, t2, t3 := clock.Now(), clock.Now(), clock.Now()

	s.Apply(ctx, backend.Entry{Key: "room/1", Value: []byte("21.5"), Encoding: "text/plain", Timestamp: t1})
	s.Apply(ctx, backend.Entry{Key: "room/2", Value: []byte("19.0"), Encoding: "text/plain", Timestamp: t1})
	// A delete leaves a tombstone...
	s.Apply(ctx, backend.Entry{Key: "room/2", Timestamp: t3, Deleted: true})
	// ...so a put stamped before it, arriving late, is refused.
	applied, _ := s.Apply(ctx, backend.Entry{Key: "room/2", Value: []byte("stale"), Timestamp: t2})
	fmt.Println("stale put applied:", applied)

	s.Scan(ctx, "room/", backend.ScanValues, func(e backend.Entry) error {
		fmt.Printf("%s deleted=%v value=%q\n", e.Key, e.Deleted, e.Value)
		return nil
	})
	// Output:
	// stale put applied: false
	// room/1 deleted=false value="21.5"
	// room/2 deleted=true value=""
}
