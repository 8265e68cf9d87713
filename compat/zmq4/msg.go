package zmq4

import (
	"fmt"
	"strings"
)

// MsgType says whether a Msg carries user data or a ZMTP command. The
// bridge only ever hands out user messages; the type exists so that code
// written for zmq4 that inspects it compiles.
type MsgType byte

// The message types.
const (
	UsrMsg MsgType = 0 // a user message
	CmdMsg MsgType = 1 // a ZMTP command (never received through the bridge)
)

// Msg is one message of one or more frames, as zmq4's Msg: Frames[0] is its
// first frame. Send and SendMulti both send every frame as one multipart
// message.
type Msg struct {
	Frames [][]byte
	Type   MsgType

	err error
}

// NewMsg returns a one-frame message. The frame's bytes are not copied.
func NewMsg(frame []byte) Msg { return Msg{Frames: [][]byte{frame}} }

// NewMsgFrom returns a message of the given frames, not copied.
func NewMsgFrom(frames ...[]byte) Msg { return Msg{Frames: frames} }

// NewMsgString returns a one-frame message holding frame.
func NewMsgString(frame string) Msg { return NewMsg([]byte(frame)) }

// NewMsgFromString returns a message with one frame per string.
func NewMsgFromString(frames []string) Msg {
	m := Msg{Frames: make([][]byte, len(frames))}
	for i, f := range frames {
		m.Frames[i] = []byte(f)
	}
	return m
}

// Err returns the error a receive recorded in the message, if any.
func (msg Msg) Err() error { return msg.err }

// Bytes returns all frames' bytes concatenated, in a new slice.
func (msg Msg) Bytes() []byte {
	n := 0
	for _, f := range msg.Frames {
		n += len(f)
	}
	b := make([]byte, 0, n)
	for _, f := range msg.Frames {
		b = append(b, f...)
	}
	return b
}

// String formats the message as zmq4 does: Msg{Frames:{"a", "b"}}.
func (msg Msg) String() string {
	var b strings.Builder
	b.WriteString("Msg{Frames:{")
	for i, f := range msg.Frames {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%q", f)
	}
	b.WriteString("}}")
	return b.String()
}

// Clone returns a deep copy of the message's frames.
func (msg Msg) Clone() Msg {
	o := Msg{Frames: make([][]byte, len(msg.Frames)), Type: msg.Type}
	for i, f := range msg.Frames {
		o.Frames[i] = append([]byte(nil), f...)
	}
	return o
}
