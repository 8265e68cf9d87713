package zmtp_test

import (
	"bytes"
	"fmt"

	"github.com/zmesh/zmesh/internal/zmtp"
)

// A hostile-peer test sends a greeting, a READY and then a frame with a
// reserved flag bit through the same Writer that writes good frames.
func ExampleWriter() {
	var wire bytes.Buffer
	w := zmtp.NewWriter(&wire)
	_ = w.WriteGreeting(zmtp.NewGreeting("NULL", false))
	_ = w.WriteReady(zmtp.Metadata{{Name: "Socket-Type", Value: "CLIENT"}})
	fmt.Println(w.WriteFrame(0x80, []byte("a")))
	w.AllowIllegal = true
	fmt.Println(w.WriteFrame(0x80, []byte("a")))
	fmt.Printf("% x\n", wire.Bytes()[64+30:])
	// Output:
	// illegal ZMTP write (set Writer.AllowIllegal to send it anyway)
	// <nil>
	// 80 01 61
}

// The engine decodes headers straight out of its read buffer: ParseHeader
// says how many bytes it still needs, or checks the size before anything
// is allocated.
func ExampleParseHeader() {
	buf := zmtp.AppendHeader(nil, zmtp.FlagMore, 300)
	for _, n := range []int{1, 5, len(buf)} {
		h, err := zmtp.ParseHeader(buf[:n], 1<<20)
		fmt.Printf("%d bytes: %+v %v\n", n, h, err)
	}
	_, err := zmtp.ParseHeader(buf, 256)
	fmt.Println(err)
	// Output:
	// 1 bytes: {Flags:0 Size:0 Len:0 Need:2} <nil>
	// 5 bytes: {Flags:0 Size:0 Len:0 Need:9} <nil>
	// 9 bytes: {Flags:1 Size:300 Len:9 Need:0} <nil>
	// peer announced a 300-byte frame, the maximum message size is 256
}
