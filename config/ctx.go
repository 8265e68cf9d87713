package config

import (
	"gopkg.in/yaml.v3"

	"github.com/zmesh/zmesh/internal/yamlx"
)

// CtxConfig is libzmq-rs's context configuration, accepted so its files
// load unchanged:
//
//	ctx:
//	  io_threads: 1
//	  max_sockets: 1023
//
// Neither setting changes anything in zmesh. IOThreads sized libzmq's pool
// of I/O threads; zmesh runs each connection's reading and writing on its
// own goroutines, which the Go runtime schedules over GOMAXPROCS threads.
// MaxSockets capped the sockets of one libzmq context; a socket.Ctx has no
// such cap. Both are still checked (positive numbers) so that a typo does
// not pass unnoticed.
type CtxConfig struct {
	// IOThreads is libzmq's I/O thread count (YAML: io_threads; libzmq-rs's
	// default 1).
	IOThreads int
	// MaxSockets is libzmq's socket limit (YAML: max_sockets; libzmq-rs's
	// default 1023).
	MaxSockets int
}

func (c *CtxConfig) fields() []yamlx.Field {
	return []yamlx.Field{
		{Key: "io_threads", Decode: func(d *yamlx.Decoder, path string, n *yaml.Node) error {
			return d.Int(path, n, &c.IOThreads, 1, 1<<20, "a positive integer")
		}},
		{Key: "max_sockets", Decode: func(d *yamlx.Decoder, path string, n *yaml.Node) error {
			return d.Int(path, n, &c.MaxSockets, 1, 1<<31-1, "a positive integer")
		}},
	}
}
