package config

import (
	"fmt"
	"github.com/zmesh/zmesh/internal/yamlx"
	"net/netip"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/zmesh/zmesh/mechanism"
)

// AuthConfig configures an authenticator, as libzmq-rs's AuthConfig does
// (its decision rules are mechanism.Auth's):
//
//	auth:
//	  blacklist: ["10.0.0.1", "192.168.0.0/16"]   # or deny:
//	  whitelist: ["127.0.0.1", "::1"]             # or allow:
//	  plain_registry: [{username: admin, password: "${ADMIN_PASSWORD}"}]
//	  curve_registry: ["<z85 client public key>"]
//	  curve_auth: true
//
// Addresses may be single IPs or CIDR prefixes (libzmq-rs takes single IPs
// only). A non-empty allow list makes the deny list irrelevant.
type AuthConfig struct {
	// Deny lists addresses and CIDR prefixes refused a connection
	// (YAML: blacklist, or deny).
	Deny []string
	// Allow, if not empty, lists the only addresses and prefixes admitted
	// (YAML: whitelist, or allow).
	Allow []string
	// PlainRegistry lists the PLAIN users and their passwords
	// (YAML: plain_registry). An empty registry admits no PLAIN client.
	PlainRegistry []PlainUser
	// CurveRegistry lists the public keys CURVE and NOISE clients may use
	// (YAML: curve_registry, Z85 keys).
	CurveRegistry []mechanism.PublicKey
	// CurveAuth turns the public-key check on or off (YAML: curve_auth);
	// nil means on, as in libzmq-rs, so an empty CurveRegistry admits no
	// CURVE or NOISE client.
	CurveAuth *bool
}

// PlainUser is one PLAIN user (YAML: {username: u, password: p}).
type PlainUser struct {
	Username string
	Password string
}

// Build returns a new authenticator holding this configuration. Its lists
// can be changed at run time through its methods.
func (a *AuthConfig) Build() (*mechanism.Auth, error) {
	auth := new(mechanism.Auth)
	if a == nil {
		return auth, nil
	}
	if err := auth.SetDeniedAddrs(a.Deny); err != nil {
		return nil, fmt.Errorf("config: auth deny list: %w", err)
	}
	if err := auth.SetAllowedAddrs(a.Allow); err != nil {
		return nil, fmt.Errorf("config: auth allow list: %w", err)
	}
	for _, u := range a.PlainRegistry {
		if err := auth.AddUser(u.Username, u.Password); err != nil {
			return nil, fmt.Errorf("config: auth plain_registry: %w", err)
		}
	}
	auth.SetKeys(a.CurveRegistry)
	auth.SetCurveAuth(a.CurveAuth == nil || *a.CurveAuth)
	return auth, nil
}

func (a *AuthConfig) fields() []yamlx.Field {
	return []yamlx.Field{
		{Key: "blacklist", Aliases: []string{"deny"}, Decode: func(d *yamlx.Decoder, path string, n *yaml.Node) error {
			return addrs(d, path, n, &a.Deny)
		}},
		{Key: "whitelist", Aliases: []string{"allow"}, Decode: func(d *yamlx.Decoder, path string, n *yaml.Node) error {
			return addrs(d, path, n, &a.Allow)
		}},
		{Key: "plain_registry", Decode: func(d *yamlx.Decoder, path string, n *yaml.Node) error {
			a.PlainRegistry = nil
			return d.Seq(path, n, "PLAIN users {username, password}", func(path string, item *yaml.Node) error {
				var u PlainUser
				err := d.Fields(path, item, "a PLAIN user {username, password}", []yamlx.Field{
					{Key: "username", Required: true, Decode: func(d *yamlx.Decoder, path string, n *yaml.Node) error {
						return credential(d, path, n, &u.Username, "a user name")
					}},
					{Key: "password", Required: true, Decode: func(d *yamlx.Decoder, path string, n *yaml.Node) error {
						return credential(d, path, n, &u.Password, "a password")
					}},
				})
				a.PlainRegistry = append(a.PlainRegistry, u)
				return err
			})
		}},
		{Key: "curve_registry", Decode: func(d *yamlx.Decoder, path string, n *yaml.Node) error {
			a.CurveRegistry = nil
			return d.Seq(path, n, "Z85 public keys", func(path string, item *yaml.Node) error {
				var k mechanism.PublicKey
				err := key(d, path, item, k[:], false)
				a.CurveRegistry = append(a.CurveRegistry, k)
				return err
			})
		}},
		{Key: "curve_auth", Decode: func(d *yamlx.Decoder, path string, n *yaml.Node) error {
			on := true
			if err := d.Bool(path, n, &on); err != nil {
				return err
			}
			a.CurveAuth = &on
			return nil
		}},
	}
}

// addrs decodes a list of IP addresses and CIDR prefixes, checking each.
func addrs(d *yamlx.Decoder, path string, n *yaml.Node, dst *[]string) error {
	*dst = nil
	return d.Seq(path, n, "IP addresses or CIDR prefixes", func(path string, item *yaml.Node) error {
		var s string
		if err := d.Text(path, item, &s, "an IP address or CIDR prefix"); err != nil {
			return err
		}
		var err error
		if strings.Contains(s, "/") {
			_, err = netip.ParsePrefix(s)
		} else {
			_, err = netip.ParseAddr(s)
		}
		if err != nil || s == "" {
			return d.Errorf(item, path, ErrValue, err, "want an IP address such as 10.0.0.1 or a CIDR prefix such as 10.0.0.0/8, got %s", yamlx.Quote(s))
		}
		*dst = append(*dst, s)
		return nil
	})
}
