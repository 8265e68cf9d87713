package engine

import (
	"fmt"
	"time"

	"github.com/zmesh/zmesh/mechanism"
	"github.com/zmesh/zmesh/socket"
)

// normalize returns o with defaults filled in, or an error naming a bad
// field.
func normalize(o socket.Options) (socket.Options, error) {
	switch {
	case o.SendHWM == 0:
		o.SendHWM = socket.DefaultHWM
	case o.SendHWM < 0:
		o.SendHWM = 0
	}
	switch {
	case o.RecvHWM == 0:
		o.RecvHWM = socket.DefaultHWM
	case o.RecvHWM < 0:
		o.RecvHWM = 0
	}
	switch {
	case o.SendHWMBytes == 0:
		o.SendHWMBytes = socket.DefaultHWMBytes
	case o.SendHWMBytes < 0:
		o.SendHWMBytes = 0
	}
	switch {
	case o.RecvHWMBytes == 0:
		o.RecvHWMBytes = socket.DefaultHWMBytes
	case o.RecvHWMBytes < 0:
		o.RecvHWMBytes = 0
	}
	if o.SendTimeout < 0 || o.RecvTimeout < 0 {
		return o, fmt.Errorf("%w: negative send or receive timeout", socket.ErrInvalidInput)
	}
	if o.ReconnectInterval == 0 {
		o.ReconnectInterval = socket.DefaultReconnectInterval
	}
	if o.HandshakeTimeout == 0 {
		o.HandshakeTimeout = socket.DefaultHandshakeTimeout
	}
	if o.MaxMsgSize < 0 {
		return o, fmt.Errorf("%w: negative maximum message size", socket.ErrInvalidInput)
	}
	if o.SendBuffer < 0 || o.RecvBuffer < 0 {
		return o, fmt.Errorf("%w: negative socket buffer size", socket.ErrInvalidInput)
	}
	h := o.Heartbeat
	if h.Interval < 0 || h.Timeout < 0 || h.TTL < 0 {
		return o, fmt.Errorf("%w: negative heartbeat duration", socket.ErrInvalidInput)
	}
	if h.TTL > socket.MaxTTL {
		return o, fmt.Errorf("%w: heartbeat TTL %v exceeds the wire's maximum %v", socket.ErrInvalidInput, h.TTL, socket.MaxTTL)
	}
	if o.Mechanism == nil {
		o.Mechanism = mechanism.Null{}
	}
	if n := len(o.Mechanism.Name()); n == 0 || n > 20 {
		return o, fmt.Errorf("%w: mechanism name %q must be 1 to 20 bytes", socket.ErrInvalidInput, o.Mechanism.Name())
	}
	return o, nil
}

// hbTimeout is the effective heartbeat timeout.
func hbTimeout(h socket.Heartbeat) time.Duration {
	if h.Timeout > 0 {
		return h.Timeout
	}
	return h.Interval
}
