package config

import (
	"errors"
	"github.com/zmesh/zmesh/internal/yamlx"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/zmesh/zmesh/mechanism"
)

// Mechanisms are written as libzmq-rs serialises its Mechanism enum
// (externally tagged, snake_case), plus zmesh's NOISE:
//
//	mechanism: "null"          # quoted: a bare null means "not set"
//	mechanism: plain_server
//	mechanism: {plain_client: {username: u, password: p}}
//	mechanism: {curve_server: {secret: <z85>}}
//	mechanism: {curve_client: {server: <z85 public>, client: {public: <z85>, secret: <z85>}}}
//	mechanism: {noise_server: {secret: <z85>}}
//	mechanism: {noise_client: {server: <z85 public>, client: {public: <z85>, secret: <z85>}}}
//
// curve_client's client, and noise_client's server and client, may be left
// out: a missing client key pair is generated when the socket first
// connects; a missing noise server key accepts any server (the link is
// still encrypted, the server's key is reported in socket.Peer). A client
// key pair's public key may be left out too: it is derived from the secret.

var mechanismNames = []string{`"null"`, "plain_server", "plain_client", "curve_server", "curve_client", "noise_server", "noise_client"}

const mechanismWant = "a mechanism"

func decodeMechanism(d *yamlx.Decoder, path string, n *yaml.Node) (mechanism.Mechanism, error) {
	n, err := d.Resolve(path, n)
	if err != nil {
		return nil, err
	}
	if yamlx.IsNull(n) {
		return nil, nil // not set: the socket's default, NULL
	}
	var name string
	var settings *yaml.Node
	switch n.Kind {
	case yaml.ScalarNode:
		text, tag, _, err := d.Scalar(path, n, mechanismWant)
		if err != nil || tag == "!!null" {
			return nil, err
		}
		name = text
	case yaml.MappingNode:
		if len(n.Content) != 2 {
			return nil, d.Errorf(n, path, ErrType, nil, "want one mechanism (a mapping with one key), got %d keys", len(n.Content)/2)
		}
		k, err := d.Resolve(path, n.Content[0])
		if err != nil {
			return nil, err
		}
		name, settings = k.Value, n.Content[1]
	default:
		return nil, d.Errorf(n, path, ErrType, nil, "want %s (one of %s), got %s", mechanismWant, strings.Join(mechanismNames, ", "), yamlx.Describe(n, ""))
	}
	sub := yamlx.Join(path, name)
	switch name {
	case "null", "plain_server":
		// Unit variants: written as a string, or as a key with no settings.
		if settings != nil {
			if err := d.Fields(sub, settings, name+"'s settings (none)", nil); err != nil {
				return nil, err
			}
		}
		if name == "null" {
			return mechanism.Null{}, nil
		}
		return mechanism.PlainServer{}, nil
	case "plain_client", "curve_server", "curve_client", "noise_server", "noise_client":
		if settings == nil {
			return nil, d.Errorf(n, path, ErrType, nil, "%s needs settings: write {%s: {...}}", name, name)
		}
	default:
		return nil, d.Errorf(n, path, ErrValue, nil, "unknown mechanism %s (want one of %s)", yamlx.Quote(name), strings.Join(mechanismNames, ", "))
	}
	switch name {
	case "plain_client":
		var m mechanism.PlainClient
		err := d.Fields(sub, settings, "PLAIN credentials", []yamlx.Field{
			{Key: "username", Required: true, Decode: func(d *yamlx.Decoder, path string, n *yaml.Node) error {
				return credential(d, path, n, &m.Username, "a user name")
			}},
			{Key: "password", Required: true, Decode: func(d *yamlx.Decoder, path string, n *yaml.Node) error {
				return credential(d, path, n, &m.Password, "a password")
			}},
		})
		return m, err
	case "curve_server", "noise_server":
		var sec mechanism.SecretKey
		err := d.Fields(sub, settings, "the server's secret key", []yamlx.Field{
			{Key: "secret", Required: true, Decode: func(d *yamlx.Decoder, path string, n *yaml.Node) error {
				return key(d, path, n, sec[:], true)
			}},
		})
		if err != nil {
			return nil, err
		}
		if name == "curve_server" {
			return &mechanism.CurveServer{SecretKey: sec}, nil
		}
		return &mechanism.NoiseServer{SecretKey: sec}, nil
	default: // curve_client, noise_client
		var server, pub mechanism.PublicKey
		var sec mechanism.SecretKey
		err := d.Fields(sub, settings, "the client's keys", []yamlx.Field{
			{Key: "server", Required: name == "curve_client", Decode: func(d *yamlx.Decoder, path string, n *yaml.Node) error {
				return key(d, path, n, server[:], false)
			}},
			{Key: "client", Decode: func(d *yamlx.Decoder, path string, n *yaml.Node) error {
				return keyPair(d, path, n, &pub, &sec)
			}},
		})
		if err != nil {
			return nil, err
		}
		if name == "curve_client" {
			return &mechanism.CurveClient{ServerKey: server, PublicKey: pub, SecretKey: sec}, nil
		}
		return &mechanism.NoiseClient{ServerKey: server, PublicKey: pub, SecretKey: sec}, nil
	}
}

// credential decodes a PLAIN user name or password: text of at most 255
// bytes (PLAIN carries one length byte).
func credential(d *yamlx.Decoder, path string, n *yaml.Node, dst *string, want string) error {
	if err := d.Text(path, n, dst, want); err != nil {
		return err
	}
	if len(*dst) > 255 {
		return d.Errorf(n, path, ErrValue, mechanism.ErrInvalidConfig, "want at most 255 bytes, got %d", len(*dst))
	}
	return nil
}

// keyPair decodes {public, secret}: the secret is required, the public key
// is derived from it when absent and must match it when present.
func keyPair(d *yamlx.Decoder, path string, n *yaml.Node, pub *mechanism.PublicKey, sec *mechanism.SecretKey) error {
	if r, err := d.Resolve(path, n); err != nil || yamlx.IsNull(r) {
		return err // not set: the mechanism generates a key pair
	}
	var pubNode *yaml.Node
	err := d.Fields(path, n, "a key pair {public, secret}", []yamlx.Field{
		{Key: "public", Decode: func(d *yamlx.Decoder, path string, n *yaml.Node) error {
			pubNode = n
			return key(d, path, n, pub[:], false)
		}},
		{Key: "secret", Required: true, Decode: func(d *yamlx.Decoder, path string, n *yaml.Node) error {
			return key(d, path, n, sec[:], true)
		}},
	})
	if err != nil {
		return err
	}
	derived := mechanism.PublicFromSecret(*sec)
	if pub.IsZero() {
		*pub = derived
	} else if !pub.Equal(derived) {
		return d.Errorf(pubNode, yamlx.Join(path, "public"), ErrValue, mechanism.ErrInvalidKey,
			"this public key does not belong to the secret key beside it (whose public key is %s)", derived)
	}
	return nil
}

// key decodes a 40-character Z85 key into dst (32 bytes). A secret key's
// text never appears in an error message.
func key(d *yamlx.Decoder, path string, n *yaml.Node, dst []byte, secret bool) error {
	const want = "a 40-character Z85 key"
	text, tag, n, err := d.Scalar(path, n, want)
	if err != nil {
		return err
	}
	switch tag {
	case "!!null":
		return d.Errorf(n, path, ErrMissing, mechanism.ErrInvalidKey, "want %s, got null", want)
	case "!!str", "!!int", "!!float", "!!bool", "!!timestamp":
	default:
		return d.Errorf(n, path, ErrType, mechanism.ErrInvalidKey, "want %s, got a value tagged %s", want, tag)
	}
	if len(text) != 40 {
		return d.Errorf(n, path, ErrValue, mechanism.ErrInvalidKey, "want %s, got %d characters", want, len(text))
	}
	k, err := mechanism.ParsePublicKey(text)
	if err != nil {
		var z *mechanism.Z85Error
		if secret && errors.As(err, &z) && z.Pos >= 0 {
			// Name the position only: the key is secret.
			return d.Errorf(n, path, ErrValue, err, "not a valid Z85 key (bad character or group at position %d)", z.Pos)
		}
		if secret {
			return d.Errorf(n, path, ErrValue, mechanism.ErrInvalidKey, "not a valid Z85 key")
		}
		return d.Errorf(n, path, ErrValue, err, "want %s: %v", want, err)
	}
	copy(dst, k[:])
	return nil
}
