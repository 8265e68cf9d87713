package proto_test

import (
	"errors"
	"fmt"

	"github.com/zmesh/zmesh/store/proto"
)

func Example() {
	// Client side: encode a query into a reusable buffer.
	buf := make([]byte, 0, 512)
	q := proto.Message{Kind: proto.KindQuery, ID: 7, Key: "demo/*/temp", Parameters: "limit=10"}
	buf, err := q.AppendBinary(buf[:0])
	if err != nil {
		fmt.Println(err)
		return
	}

	// Server side: decode it and answer with one REPLY and the FINAL.
	req, err := proto.Decode(buf)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(req.Kind, req.ID, req.Key, req.Parameters)
	// Output: QUERY 7 demo/*/temp limit=10
}

func ExampleDecode() {
	b := []byte{0x01, 0x01, 0x00, 0, 0, 0, 0, 0, 0, 0, 0x01, 0x00, 0x03, 0x00, 0x00, 'a', '/', 'b', 'h', 'i'}
	m, err := proto.Decode(b)
	fmt.Printf("%v id=%d key=%q value=%q stamped=%v %v\n", m.Kind, m.ID, m.Key, m.Value, !m.Timestamp.IsZero(), err)

	_, err = proto.Decode([]byte{0x02, 0x01})
	fmt.Println(errors.Is(err, proto.ErrVersion), err)
	// Output:
	// PUT id=1 key="a/b" value="hi" stamped=false <nil>
	// true unsupported storage protocol version: version at offset 0: version 2, this side speaks 1
}

func ExampleMessage_Err() {
	final := proto.NewFinal(5, 0, fmt.Errorf("storage demo: %w", proto.StatusReadOnly))
	b, _ := final.AppendBinary(nil)

	got, _ := proto.Decode(b)
	err := got.Err()
	fmt.Println(errors.Is(err, proto.StatusReadOnly))
	fmt.Println(err)
	// Output:
	// true
	// storage server: read-only storage: storage demo: read-only storage
}

func ExamplePeekID() {
	// A request from a newer client: the server cannot decode it, but can
	// still address its answer.
	req := []byte{0x02, 0x05, 0x00, 0, 0, 0, 0, 0, 0, 0, 0x2a, 0xff}
	_, err := proto.Decode(req)
	id, _ := proto.PeekID(req)
	final := proto.NewFinal(id, 0, err)
	fmt.Println(final.ID, final.Status)
	// Output: 42 unsupported protocol version
}
