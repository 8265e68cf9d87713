package config

import (
	"github.com/zmesh/zmesh/internal/yamlx"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/zmesh/zmesh/transport"
)

// Endpoint is an endpoint in libzmq's URI form: "tcp://127.0.0.1:5555",
// "tcp://127.0.0.1:*", "ipc:///tmp/feed.sock", "inproc://jobs",
// "udp://239.1.1.1:5555". In YAML it may also be written as libzmq-rs
// serialises its Endpoint enum, externally tagged by transport without the
// scheme:
//
//	connect:
//	  - tcp://127.0.0.1:3000        # URI form
//	  - {tcp: "127.0.0.1:3000"}     # libzmq-rs form; also udp, inproc, ipc
//
// Loading checks every endpoint's syntax, and that it suits its socket:
// udp only for a radio's connect and a dish's bind, no wildcard host or port
// in a connect.
type Endpoint string

// endpointRule is what one list of endpoints (a socket type's connect or
// bind) accepts.
type endpointRule struct {
	connect bool // connect endpoints: no wildcard host or port
	udp     bool // udp allowed
	socket  string
}

// endpointSchemes are the libzmq-rs tags zmesh reads; pgm and epgm, which
// libzmq-rs also has, are refused with a clear error.
var endpointSchemes = []string{"tcp", "udp", "inproc", "ipc"}

func endpointsField(key string, dst *[]Endpoint, rule endpointRule) yamlx.Field {
	return yamlx.Field{Key: key, Decode: func(d *yamlx.Decoder, path string, n *yaml.Node) error {
		var eps []Endpoint
		err := d.Seq(path, n, "endpoints", func(path string, item *yaml.Node) error {
			ep, err := endpoint(d, path, item, rule)
			eps = append(eps, ep)
			return err
		})
		*dst = eps
		return err
	}}
}

const endpointWant = `an endpoint such as tcp://127.0.0.1:5555 or {tcp: "127.0.0.1:5555"}`

func endpoint(d *yamlx.Decoder, path string, n *yaml.Node, rule endpointRule) (Endpoint, error) {
	n, err := d.Resolve(path, n)
	if err != nil {
		return "", err
	}
	var uri string
	switch n.Kind {
	case yaml.MappingNode:
		if len(n.Content) != 2 {
			return "", d.Errorf(n, path, ErrType, nil, "want %s: a mapping with one key (tcp, udp, inproc or ipc), got %d keys", endpointWant, len(n.Content)/2)
		}
		k, err := d.Resolve(path, n.Content[0])
		if err != nil {
			return "", err
		}
		scheme := k.Value
		switch scheme {
		case "tcp", "udp", "inproc", "ipc":
		case "pgm", "epgm":
			return "", d.Errorf(k, path, ErrValue, nil, "zmesh does not speak %s (multicast over UDP is udp://)", scheme)
		default:
			return "", d.Errorf(k, path, ErrValue, nil, "unknown transport %s (want one of %s)", yamlx.Quote(scheme), strings.Join(endpointSchemes, ", "))
		}
		var addr string
		if err := d.Text(yamlx.Join(path, scheme), n.Content[1], &addr, "an address such as 127.0.0.1:5555"); err != nil {
			return "", err
		}
		uri = scheme + "://" + addr
	default:
		if err := d.Text(path, n, &uri, endpointWant); err != nil {
			return "", err
		}
		if yamlx.IsNull(n) {
			return "", d.Errorf(n, path, ErrType, nil, "want %s, got null", endpointWant)
		}
		if !strings.Contains(uri, "://") {
			return "", d.Errorf(n, path, ErrValue, transport.ErrInvalidEndpoint, "want %s, got %s (no scheme://)", endpointWant, yamlx.Quote(uri))
		}
	}
	e, err := transport.ParseEndpoint(uri)
	if err != nil {
		return "", d.Errorf(n, path, ErrValue, err, "%v", err)
	}
	if e.Scheme == transport.UDP && !rule.udp {
		what := "udp endpoints are for radio and dish sockets only"
		switch {
		case rule.socket == "radio":
			what = "a radio connects to udp endpoints; it cannot bind one"
		case rule.socket == "dish":
			what = "a dish binds udp endpoints; it cannot connect to one"
		}
		return "", d.Errorf(n, path, ErrValue, transport.ErrInvalidEndpoint, "%s (got %s)", what, yamlx.Quote(uri))
	}
	if rule.connect && (e.Scheme == transport.TCP || e.Scheme == transport.UDP) && (e.Host == "*" || e.Port == 0) {
		return "", d.Errorf(n, path, ErrValue, transport.ErrInvalidEndpoint, "a connect endpoint needs a definite host and port, got %s (* and port 0 are for bind)", yamlx.Quote(uri))
	}
	return Endpoint(uri), nil
}
