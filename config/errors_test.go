package config

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/zmesh/zmesh/mechanism"
	"github.com/zmesh/zmesh/socket"
	"github.com/zmesh/zmesh/transport"
)

// Every error is one line naming the file, the line and column, the
// setting, what was wanted and what was found; and matches its kind (and
// the lower layer's error, if any) with errors.Is.
func TestErrors(t *testing.T) {
	for _, tc := range []struct {
		name  string
		src   string
		want  string
		kind  error
		cause error
	}{
		// Unknown keys.
		{"typo", "server:\n  send_hwn: 3\n",
			`x.yaml:2:3: server: unknown key "send_hwn"; did you mean send_hwm?`, ErrUnknownKey, nil},
		{"top-level typo", "sever: {}\n",
			`x.yaml:1:1: unknown key "sever"; did you mean server?`, ErrUnknownKey, nil},
		{"unknown key lists the known ones", "auth:\n  users: []\n",
			`x.yaml:2:3: auth: unknown key "users" (want one of blacklist, whitelist, plain_registry, curve_registry, curve_auth)`, ErrUnknownKey, nil},
		{"a field of another socket type", "client:\n  no_drop: true\n",
			`x.yaml:2:3: client: unknown key "no_drop" (want one of connect, bind, heartbeat, mechanism, send_hwm, send_hwm_bytes, send_timeout, recv_hwm, recv_hwm_bytes, recv_timeout, linger, reconnect_interval, reconnect_interval_max, connect_timeout, handshake_timeout, max_msg_size, max_connections, max_connections_per_address, send_buffer, recv_buffer, immediate, tcp_keepalive, tcp_keepalive_cnt, tcp_keepalive_idle, tcp_keepalive_intvl, auth)`, ErrUnknownKey, nil},
		{"a dish has no linger", "dish:\n  linger: 1s\n",
			`x.yaml:2:3: dish: unknown key "linger" (want one of connect, bind, heartbeat, mechanism, recv_hwm, recv_hwm_bytes, recv_timeout, groups, reconnect_interval, reconnect_interval_max, connect_timeout, handshake_timeout, max_msg_size, max_connections, max_connections_per_address, send_buffer, recv_buffer, immediate, tcp_keepalive, tcp_keepalive_cnt, tcp_keepalive_idle, tcp_keepalive_intvl, auth)`, ErrUnknownKey, nil},
		{"radio has no recv side", "radio: {recv_hwm: 1}\n",
			`x.yaml:1:9: radio: unknown key "recv_hwm" (want one of connect, bind, heartbeat, mechanism, send_hwm, send_hwm_bytes, send_timeout, no_drop, linger, reconnect_interval, reconnect_interval_max, connect_timeout, handshake_timeout, max_msg_size, max_connections, max_connections_per_address, send_buffer, recv_buffer, immediate, tcp_keepalive, tcp_keepalive_cnt, tcp_keepalive_idle, tcp_keepalive_intvl, auth)`, ErrUnknownKey, nil},
		{"unknown heartbeat key", "client:\n  heartbeat: {interval: 1s, ivl: 2s}\n",
			`x.yaml:2:29: client.heartbeat: unknown key "ivl" (want one of interval, timeout, ttl)`, ErrUnknownKey, nil},
		{"unknown key in a merged mapping", "client:\n  <<: {send_hwm: 1, no_drop: true}\n",
			`x.yaml:2:21: client: unknown key "no_drop" (want one of connect, bind, heartbeat, mechanism, send_hwm, send_hwm_bytes, send_timeout, recv_hwm, recv_hwm_bytes, recv_timeout, linger, reconnect_interval, reconnect_interval_max, connect_timeout, handshake_timeout, max_msg_size, max_connections, max_connections_per_address, send_buffer, recv_buffer, immediate, tcp_keepalive, tcp_keepalive_cnt, tcp_keepalive_idle, tcp_keepalive_intvl, auth)`, ErrUnknownKey, nil},

		// Wrong types.
		{"list for a number", "server:\n  send_hwm: [1]\n",
			`x.yaml:2:13: server.send_hwm: want a non-negative integer, got a list`, ErrType, nil},
		{"text for a number", "server:\n  send_hwm: ten\n",
			`x.yaml:2:13: server.send_hwm: want a non-negative integer, got "ten"`, ErrType, nil},
		{"quoted number", "server:\n  recv_hwm: \"10\"\n",
			`x.yaml:2:13: server.recv_hwm: want a non-negative integer, got "10"`, ErrType, nil},
		{"float for a number", "server:\n  recv_hwm: 1.5\n",
			`x.yaml:2:13: server.recv_hwm: want a non-negative integer, got "1.5"`, ErrType, nil},
		{"text for a boolean", "radio:\n  no_drop: \"yes\"\n",
			`x.yaml:2:12: radio.no_drop: want true or false, got "yes"`, ErrType, nil},
		{"scalar for a list", "client:\n  connect: tcp://127.0.0.1:5555\n",
			`x.yaml:2:12: client.connect: want a list of endpoints, got "tcp://127.0.0.1:5555"`, ErrType, nil},
		{"scalar for a section", "server: 5\n",
			`x.yaml:1:9: server: want a server configuration (a mapping), got "5"`, ErrType, nil},
		{"list for a section", "- server\n",
			`x.yaml:1:1: want a configuration (a mapping), got a list`, ErrType, nil},
		{"mapping for a duration", "client:\n  send_timeout: {s: 1}\n",
			`x.yaml:2:17: client.send_timeout: want a duration such as 300ms or 1s, got a mapping`, ErrType, nil},
		{"mapping for a group", "dish:\n  groups: [{a: b}]\n",
			`x.yaml:2:12: dish.groups[0]: want a group name, got a mapping`, ErrType, nil},
		{"two mechanisms", "client:\n  mechanism: {plain_server: ~, curve_server: ~}\n",
			`x.yaml:2:14: client.mechanism: want one mechanism (a mapping with one key), got 2 keys`, ErrType, nil},
		{"mechanism without its settings", "client:\n  mechanism: plain_client\n",
			`x.yaml:2:14: client.mechanism: plain_client needs settings: write {plain_client: {...}}`, ErrType, nil},
		{"named socket of two types", "sockets:\n  a: {client: {}, server: {}}\n",
			`x.yaml:2:6: sockets.a: want one socket, tagged by its type ({client: {...}}, {server: {...}}, ...), got 2 keys`, ErrType, nil},
		{"named socket without settings", "sockets:\n  a: {server: ~}\n",
			`x.yaml:2:6: sockets.a: want one socket, tagged by its type ({client: {...}}, {server: {...}}, ...), got no settings (write {server: {}} for every default)`, ErrType, nil},

		// Bad endpoints.
		{"no scheme", "server:\n  bind: [\"127.0.0.1:5555\"]\n",
			`x.yaml:2:10: server.bind[0]: want an endpoint such as tcp://127.0.0.1:5555 or {tcp: "127.0.0.1:5555"}, got "127.0.0.1:5555" (no scheme://)`, ErrValue, transport.ErrInvalidEndpoint},
		{"missing port", "server:\n  bind:\n    - tcp: \"127.0.0.1\"\n",
			`x.yaml:3:7: server.bind[0]: invalid endpoint "tcp://127.0.0.1": missing :port`, ErrValue, transport.ErrInvalidEndpoint},
		{"bad port", "client:\n  connect: [tcp://127.0.0.1:70000]\n",
			`x.yaml:2:13: client.connect[0]: invalid endpoint "tcp://127.0.0.1:70000": port "70000" is not a number from 1 to 65535 or *`, ErrValue, transport.ErrInvalidEndpoint},
		{"unknown transport", "client:\n  connect: [{sctp: \"1.2.3.4:5\"}]\n",
			`x.yaml:2:14: client.connect[0]: unknown transport "sctp" (want one of tcp, udp, inproc, ipc)`, ErrValue, nil},
		{"pgm", "radio:\n  connect: [{pgm: \"eth0;239.1.1.1:5555\"}]\n",
			`x.yaml:2:14: radio.connect[0]: zmesh does not speak pgm (multicast over UDP is udp://)`, ErrValue, nil},
		{"wildcard in a connect", "client:\n  connect: [tcp://127.0.0.1:*]\n",
			`x.yaml:2:13: client.connect[0]: a connect endpoint needs a definite host and port, got "tcp://127.0.0.1:*" (* and port 0 are for bind)`, ErrValue, transport.ErrInvalidEndpoint},
		{"udp on a client", "client:\n  connect: [udp://127.0.0.1:5555]\n",
			`x.yaml:2:13: client.connect[0]: udp endpoints are for radio and dish sockets only (got "udp://127.0.0.1:5555")`, ErrValue, transport.ErrInvalidEndpoint},
		{"radio binding udp", "radio:\n  bind: [udp://127.0.0.1:5555]\n",
			`x.yaml:2:10: radio.bind[0]: a radio connects to udp endpoints; it cannot bind one (got "udp://127.0.0.1:5555")`, ErrValue, transport.ErrInvalidEndpoint},
		{"dish connecting udp", "dish:\n  connect: [udp://127.0.0.1:5555]\n",
			`x.yaml:2:13: dish.connect[0]: a dish binds udp endpoints; it cannot connect to one (got "udp://127.0.0.1:5555")`, ErrValue, transport.ErrInvalidEndpoint},
		{"null endpoint", "client:\n  connect: [~]\n",
			`x.yaml:2:13: client.connect[0]: want an endpoint such as tcp://127.0.0.1:5555 or {tcp: "127.0.0.1:5555"}, got null`, ErrType, nil},

		// Bad keys.
		{"short secret key", "server:\n  mechanism:\n    curve_server:\n      secret: \"q7v%+:)^Mt@CIzw1+cU%tzC$m20um9MiG(Funzw\"\n",
			`x.yaml:4:15: server.mechanism.curve_server.secret: want a 40-character Z85 key, got 39 characters`, ErrValue, mechanism.ErrInvalidKey},
		{"long public key", "client:\n  mechanism: {curve_client: {server: \"" + serverPublic + "x\"}}\n",
			`x.yaml:2:38: client.mechanism.curve_client.server: want a 40-character Z85 key, got 41 characters`, ErrValue, mechanism.ErrInvalidKey},
		{"bad Z85 in a secret key (the key is not shown)", "server:\n  mechanism: {curve_server: {secret: \"q7v%+:)^Mt@CIzw1+cU%tzC$m20um9MiG(Funzw~\"}}\n",
			`x.yaml:2:38: server.mechanism.curve_server.secret: not a valid Z85 key (bad character or group at position 39)`, ErrValue, mechanism.ErrInvalidKey},
		{"bad Z85 in a public key", "auth:\n  curve_registry: [\"" + serverPublic[:39] + "~\"]\n",
			`x.yaml:2:20: auth.curve_registry[0]: want a 40-character Z85 key: invalid key: invalid Z85: character '~' (0x7e) at position 39 is not in the alphabet`, ErrValue, mechanism.ErrInvalidZ85},
		{"public key of another secret", "client:\n  mechanism:\n    curve_client:\n      server: \"" + serverPublic + "\"\n      client: {public: \"" + otherPublic + "\", secret: \"" + clientSecret + "\"}\n",
			`x.yaml:5:24: client.mechanism.curve_client.client.public: this public key does not belong to the secret key beside it (whose public key is ` + clientPublic + `)`, ErrValue, mechanism.ErrInvalidKey},
		{"curve client without a server key", "client:\n  mechanism: {curve_client: {}}\n",
			`x.yaml:2:29: client.mechanism.curve_client: missing key server`, ErrMissing, nil},
		{"client key pair without a secret", "client:\n  mechanism: {noise_client: {client: {public: \"" + clientPublic + "\"}}}\n",
			`x.yaml:2:38: client.mechanism.noise_client.client: missing key secret`, ErrMissing, nil},
		{"null key", "server:\n  mechanism: {curve_server: {secret: ~}}\n",
			`x.yaml:2:38: server.mechanism.curve_server.secret: want a 40-character Z85 key, got null`, ErrMissing, mechanism.ErrInvalidKey},
		{"unknown mechanism", "client:\n  mechanism: gssapi\n",
			`x.yaml:2:14: client.mechanism: unknown mechanism "gssapi" (want one of "null", plain_server, plain_client, curve_server, curve_client, noise_server, noise_client)`, ErrValue, nil},
		{"PLAIN user name too long", "client:\n  mechanism: {plain_client: {username: " + strings.Repeat("u", 256) + ", password: p}}\n",
			`x.yaml:2:40: client.mechanism.plain_client.username: want at most 255 bytes, got 256`, ErrValue, mechanism.ErrInvalidConfig},
		{"PLAIN client without settings", "client:\n  mechanism: {plain_client: ~}\n",
			`x.yaml:2:29: client.mechanism.plain_client: missing key username`, ErrMissing, nil},
		{"PLAIN client without a password", "client:\n  mechanism: {plain_client: {username: u}}\n",
			`x.yaml:2:29: client.mechanism.plain_client: missing key password`, ErrMissing, nil},

		// Numbers out of range.
		{"negative high-water mark", "server:\n  send_hwm: -3\n",
			`x.yaml:2:13: server.send_hwm: want a non-negative integer, got "-3"`, ErrValue, nil},
		{"negative high-water mark, libzmq-rs spelling", "server:\n  recv_high_water_mark: -1\n",
			`x.yaml:2:25: server.recv_high_water_mark: want a non-negative integer, got "-1"`, ErrValue, nil},
		{"high-water mark over libzmq's int", "server:\n  send_hwm: 2147483648\n",
			`x.yaml:2:13: server.send_hwm: want a non-negative integer, got "2147483648"`, ErrValue, nil},
		{"huge number", "server:\n  max_msg_size: 99999999999999999999\n",
			`x.yaml:2:17: server.max_msg_size: want a non-negative number of bytes, got "99999999999999999999"`, ErrType, nil},
		{"zero io threads", "ctx: {io_threads: 0}\n",
			`x.yaml:1:19: ctx.io_threads: want a positive integer, got "0"`, ErrValue, nil},

		// Bad durations.
		{"words", "client:\n  send_timeout: 3 seconds\n",
			`x.yaml:2:17: client.send_timeout: want a duration such as 300ms or 1s, got "3 seconds"`, ErrValue, nil},
		{"no unit", "client:\n  recv_timeout: 300\n",
			`x.yaml:2:17: client.recv_timeout: want a duration such as 300ms or 1s, got "300" (a number needs a unit: write 300s, not 300; units are ns, us, ms, s, m and h)`, ErrValue, nil},
		{"negative", "client:\n  heartbeat: {interval: -1s}\n",
			`x.yaml:2:25: client.heartbeat.interval: want a non-negative duration, got "-1s"`, ErrValue, nil},
		{"zero timeout", "client:\n  send_timeout: 0s\n",
			`x.yaml:2:17: client.send_timeout: want a positive duration, got "0s" (null means no timeout; for a call that never blocks use TrySend)`, ErrValue, nil},
		{"zero heartbeat interval", "gather:\n  heartbeat: {interval: 0s}\n",
			`x.yaml:2:25: gather.heartbeat.interval: want a positive duration, got "0s" (to turn heartbeats off, leave heartbeat out or set it to null)`, ErrValue, nil},
		{"TTL over the wire's limit", "client:\n  heartbeat: {interval: 1s, ttl: 2h}\n",
			`x.yaml:2:34: client.heartbeat.ttl: want at most 1h49m13.5s, got "2h"`, ErrValue, nil},
		{"heartbeat without an interval", "client:\n  heartbeat: {timeout: 1s}\n",
			`x.yaml:2:14: client.heartbeat: missing key interval (a heartbeat needs one)`, ErrMissing, nil},
		{"linger keyword misspelt", "server:\n  linger: forevr\n",
			`x.yaml:2:11: server.linger: want a duration such as 300ms or 1s, or forever, got "forevr"`, ErrValue, nil},

		// One setting given twice.
		{"both spellings", "client: {send_hwm: 1, send_high_water_mark: 2}\n",
			`x.yaml:1:23: client: send_hwm and send_high_water_mark are two spellings of one setting (send_hwm at line 1); give only one`, ErrConflict, nil},
		{"deny and blacklist", "auth:\n  deny: [10.0.0.1]\n  blacklist: [10.0.0.2]\n",
			`x.yaml:3:3: auth: deny and blacklist are two spellings of one setting (deny at line 2); give only one`, ErrConflict, nil},
		{"repeated key", "server:\n  bind: [inproc://a]\n  bind: [inproc://b]\n",
			`x.yaml:3:3: server: key "bind" given twice (first at line 2)`, ErrConflict, nil},
		{"repeated group", "dish:\n  groups: [a, b, a]\n",
			`x.yaml:2:18: dish.groups[2]: group "a" is already listed (item 0)`, ErrConflict, nil},

		// Other values.
		{"group too long", "dish:\n  groups: [" + strings.Repeat("g", 256) + "]\n",
			`x.yaml:2:12: dish.groups[0]: want a group of at most 255 bytes, got 256`, ErrValue, socket.ErrInvalidInput},
		{"bad address", "auth:\n  whitelist: [127.0.0.300]\n",
			`x.yaml:2:15: auth.whitelist[0]: want an IP address such as 10.0.0.1 or a CIDR prefix such as 10.0.0.0/8, got "127.0.0.300"`, ErrValue, nil},
		{"bad prefix", "auth:\n  allow: [10.0.0.0/33]\n",
			`x.yaml:2:11: auth.allow[0]: want an IP address such as 10.0.0.1 or a CIDR prefix such as 10.0.0.0/8, got "10.0.0.0/33"`, ErrValue, nil},

		// The environment.
		{"missing variable", "server:\n  mechanism: {curve_server: {secret: \"${ZMESH_TEST_UNSET_SECRET}\"}}\n",
			`x.yaml:2:38: server.mechanism.curve_server.secret: environment variable ZMESH_TEST_UNSET_SECRET is not set`, ErrEnv, nil},
		{"quoted variable stays text", "server:\n  send_hwm: \"${ZMESH_TEST_HWM}\"\n",
			`x.yaml:2:13: server.send_hwm: want a non-negative integer, got "12"`, ErrType, nil},

		// YAML itself.
		{"syntax", "server:\n  bind: [tcp://127.0.0.1:*\n",
			`x.yaml:2: invalid YAML: did not find expected ',' or ']'`, ErrSyntax, nil},
		{"tabs", "server:\n\tbind: []\n",
			`x.yaml:2: invalid YAML: found character that cannot start any token`, ErrSyntax, nil},
		{"undefined anchor", "client:\n  bind: *eps\n",
			`x.yaml:2:9: invalid YAML: unknown anchor 'eps' referenced`, ErrSyntax, nil},
		{"two documents", "server: {}\n---\nclient: {}\n",
			`x.yaml:2:1: a second YAML document (after ---); a configuration file holds one`, ErrSyntax, nil},
		{"alias cycle through merge keys", "client: &a\n  <<: *a\n",
			`x.yaml:2:7: client: merge keys (<<) nested more than 16 deep`, ErrValue, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("ZMESH_TEST_HWM", "12")
			_, err := Parse("x.yaml", []byte(tc.src))
			if err == nil {
				t.Fatalf("no error; want %s", tc.want)
			}
			if err.Error() != tc.want {
				t.Errorf("error:\n got %s\nwant %s", err, tc.want)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Error("the error spans lines")
			}
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("%T is not an *Error", err)
			}
			if !errors.Is(err, tc.kind) {
				t.Errorf("errors.Is(err, %v) is false", tc.kind)
			}
			if tc.cause != nil && !errors.Is(err, tc.cause) {
				t.Errorf("errors.Is(err, %v) is false", tc.cause)
			}
			for _, k := range []error{ErrSyntax, ErrUnknownKey, ErrType, ErrValue, ErrMissing, ErrConflict, ErrEnv} {
				if k != tc.kind && errors.Is(err, k) {
					t.Errorf("the error also matches %v", k)
				}
			}
		})
	}
}

func TestSecretsStayOutOfErrors(t *testing.T) {
	secret := serverSecret[:39] + "~" // one bad character in an otherwise real key
	_, err := Parse("x.yaml", []byte("server: {mechanism: {curve_server: {secret: \""+secret+"\"}}}\n"))
	if err == nil || strings.Contains(err.Error(), serverSecret[:20]) {
		t.Fatalf("error %v", err)
	}
	_, err = Parse("x.yaml", []byte("client: {mechanism: {curve_client: {server: \""+serverPublic+"\", client: {secret: \""+clientSecret[:30]+"\"}}}}\n"))
	if err == nil || strings.Contains(err.Error(), clientSecret[:30]) {
		t.Fatalf("error %v", err)
	}
}

func TestLoadNamesTheFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "secure.yaml")
	if err := os.WriteFile(path, []byte("server:\n  bind: [tcp://127.0.0.1:*]\n  mechanism: \"null\"\n  send_hwm: -3\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := Load(path)
	if err == nil || err.Error() != path+`:4:13: server.send_hwm: want a non-negative integer, got "-3"` {
		t.Fatalf("error %v", err)
	}
	if _, err := Load(filepath.Join(t.TempDir(), "missing.yaml")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("missing file: %v", err)
	}
}

func TestAliasBombIsRefused(t *testing.T) {
	// Expanded, the last item would merge 2^40 mappings.
	src := "client:\n  <<: [" + ladder(40) + "]\n"
	_, err := Parse("bomb.yaml", []byte(src))
	if err == nil || !errors.Is(err, ErrValue) || !strings.Contains(err.Error(), "bomb.yaml:") {
		t.Fatalf("error %v", err)
	}
}

// ladder builds a flow sequence whose last item, if expanded, merges 2^n
// mappings: each item is a mapping merging the previous item twice.
func ladder(n int) string {
	var b strings.Builder
	b.WriteString("&l0 {send_hwm: 1}")
	for i := 1; i <= n; i++ {
		b.WriteString(", &l" + itoa(i) + " {<<: [*l" + itoa(i-1) + ", *l" + itoa(i-1) + "]}")
	}
	return b.String()
}

func itoa(i int) string {
	if i < 10 {
		return string(rune('0' + i))
	}
	return itoa(i/10) + string(rune('0'+i%10))
}
