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
	o.SendHWM = bound(o.SendHWM, socket.DefaultHWM)
	o.RecvHWM = bound(o.RecvHWM, socket.DefaultHWM)
	o.SendHWMBytes = bound(o.SendHWMBytes, socket.DefaultHWMBytes)
	o.RecvHWMBytes = bound(o.RecvHWMBytes, socket.DefaultHWMBytes)
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
	if len(o.RoutingID) > 255 {
		return o, fmt.Errorf("%w: routing id of %d bytes (the limit is 255)", socket.ErrInvalidInput, len(o.RoutingID))
	}
	if o.TCPKeepalive < -1 || o.TCPKeepalive > 1 || o.TCPKeepaliveCount < 0 || o.TCPKeepaliveIdle < 0 || o.TCPKeepaliveInterval < 0 {
		return o, fmt.Errorf("%w: TCPKeepalive must be -1, 0 or 1 and its count, idle time and interval not negative", socket.ErrInvalidInput)
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

// bound resolves a high-water mark as Options documents them: 0 means def,
// a negative value (socket.Unlimited) no bound, which the engine spells 0.
func bound[T int | int64](v, def T) T {
	switch {
	case v == 0:
		return def
	case v < 0:
		return 0
	}
	return v
}
