package config

import (
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/zmesh/zmesh/mechanism"
	"github.com/zmesh/zmesh/socket"
)

// Test keys (from gen-curve-cert); the same pairs are in testdata.
const (
	serverPublic = "+@AA(<Mi={cwN*zWSxLJboanVA3K4a4Jdz%[GcvZ"
	serverSecret = "q7v%+:)^Mt@CIzw1+cU%tzC$m20um9MiG(Funzw^"
	clientPublic = "k8YnHuzVTBH%MqW68EX]{so.9KP.}{f[Mhq*NhFy"
	clientSecret = "!E[e5@.}$4kL$8deVganoYbL@5$.97x=LTW*}If7"
	otherPublic  = "c[6A7Wt:6rO#(pjdIDx&@Bt^Mlt>mFaDnG9wm*uN"
	otherSecret  = "i@oz93-^Tofmy:{YxID]0^e*wCHLcUC:*WOb[RWQ"
)

// pub and sec parse the Z85 keys above.
func pub(t *testing.T, z string) mechanism.PublicKey {
	t.Helper()
	return parseKey(t, z, mechanism.ParsePublicKey)
}

func sec(t *testing.T, z string) mechanism.SecretKey {
	t.Helper()
	return parseKey(t, z, mechanism.ParseSecretKey)
}

func parseKey[K any](t *testing.T, z string, parse func(string) (K, error)) K {
	t.Helper()
	k, err := parse(z)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func mustParse(t *testing.T, src string) *Config {
	t.Helper()
	c, err := Parse("test.yaml", []byte(src))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	return c
}

func TestLibzmqRsSecureExampleLoads(t *testing.T) {
	c, err := Load("testdata/secure_req_rep.yml")
	if err != nil {
		t.Fatal(err)
	}
	if c.Client == nil || c.Server == nil || c.Auth == nil {
		t.Fatalf("sections: client %v, server %v, auth %v", c.Client, c.Server, c.Auth)
	}
	cl, sv := c.Client, c.Server
	if !reflect.DeepEqual(cl.Connect, []Endpoint{"tcp://127.0.0.1:3000"}) || !reflect.DeepEqual(sv.Bind, []Endpoint{"tcp://127.0.0.1:3000"}) {
		t.Errorf("endpoints: client connect %v, server bind %v", cl.Connect, sv.Bind)
	}
	// libzmq-rs's own structs drop these keys; zmesh reads them as aliases.
	if cl.Socket.SendHWM != 10 || cl.Socket.RecvHWM != 10 || sv.Socket.SendHWM != 10 || sv.Socket.RecvHWM != 10 {
		t.Errorf("high-water marks: client %d/%d, server %d/%d", cl.Socket.SendHWM, cl.Socket.RecvHWM, sv.Socket.SendHWM, sv.Socket.RecvHWM)
	}
	if cl.Socket.Heartbeat != (socket.Heartbeat{Interval: time.Second, Timeout: 3 * time.Second}) {
		t.Errorf("heartbeat %+v", cl.Socket.Heartbeat)
	}
	if cl.Socket.SendTimeout != 300*time.Millisecond || cl.Socket.RecvTimeout != 0 {
		t.Errorf("timeouts %v %v", cl.Socket.SendTimeout, cl.Socket.RecvTimeout)
	}
	cc, ok := cl.Socket.Mechanism.(*mechanism.CurveClient)
	if !ok {
		t.Fatalf("client mechanism %T", cl.Socket.Mechanism)
	}
	if cc.ServerKey != pub(t, serverPublic) || cc.PublicKey != pub(t, clientPublic) || cc.SecretKey != sec(t, clientSecret) {
		t.Error("client mechanism keys differ from the file's")
	}
	cs, ok := sv.Socket.Mechanism.(*mechanism.CurveServer)
	if !ok || cs.SecretKey != sec(t, serverSecret) {
		t.Fatalf("server mechanism %T", sv.Socket.Mechanism)
	}
	if p, err := cs.PublicKey(); err != nil || p != pub(t, serverPublic) {
		t.Errorf("server public key: %v", err)
	}
	if !reflect.DeepEqual(c.Auth.CurveRegistry, []mechanism.PublicKey{pub(t, clientPublic)}) || c.Auth.CurveAuth != nil {
		t.Errorf("auth %+v", c.Auth)
	}
	// One authenticator, shared by both sockets, built from the auth section.
	if c.Authenticator == nil || cl.Socket.Auth != mechanism.Authenticator(c.Authenticator) || sv.Socket.Auth != mechanism.Authenticator(c.Authenticator) {
		t.Fatal("the file's authenticator is not shared by its sockets")
	}
	if !c.Authenticator.CurveAuth() || !reflect.DeepEqual(c.Authenticator.Keys(), []mechanism.PublicKey{pub(t, clientPublic)}) {
		t.Error("authenticator contents")
	}
}

func TestEmptyFileIsAnEmptyConfig(t *testing.T) {
	for _, src := range []string{"", "# only a comment\n", "~\n", "---\n"} {
		c := mustParse(t, src)
		if !reflect.DeepEqual(c, &Config{}) {
			t.Errorf("%q: %+v", src, c)
		}
	}
}

func TestEndpointForms(t *testing.T) {
	for _, tc := range []struct{ yaml, want string }{
		{`tcp://127.0.0.1:3000`, "tcp://127.0.0.1:3000"},
		{`"tcp://[::1]:3000"`, "tcp://[::1]:3000"},
		{`{tcp: "127.0.0.1:3000"}`, "tcp://127.0.0.1:3000"},
		{`{tcp: "eth0;10.0.0.1:3000"}`, "tcp://eth0;10.0.0.1:3000"},
		{`{tcp: "localhost:3000"}`, "tcp://localhost:3000"},
		{`{ipc: /tmp/x.sock}`, "ipc:///tmp/x.sock"},
		{`{ipc: "@abstract"}`, "ipc://@abstract"},
		{`{inproc: jobs}`, "inproc://jobs"},
		{`inproc://jobs`, "inproc://jobs"},
	} {
		c := mustParse(t, "client:\n  connect:\n    - "+tc.yaml+"\n")
		if got := c.Client.Connect; len(got) != 1 || string(got[0]) != tc.want {
			t.Errorf("%s: got %v, want %s", tc.yaml, got, tc.want)
		}
	}
	c := mustParse(t, "server:\n  bind: [{tcp: \"127.0.0.1:*\"}, tcp://*:0, 'ipc:///tmp/s.sock']\n")
	if want := []Endpoint{"tcp://127.0.0.1:*", "tcp://*:0", "ipc:///tmp/s.sock"}; !reflect.DeepEqual(c.Server.Bind, want) {
		t.Errorf("bind %v", c.Server.Bind)
	}
	// udp: a radio connects, a dish binds.
	c = mustParse(t, "radio: {connect: [{udp: \"239.1.1.1:5555\"}]}\ndish: {bind: [udp://lo;239.1.1.1:5555, udp://127.0.0.1:*]}\n")
	if c.Radio.Connect[0] != "udp://239.1.1.1:5555" || c.Dish.Bind[1] != "udp://127.0.0.1:*" {
		t.Errorf("udp endpoints %v %v", c.Radio.Connect, c.Dish.Bind)
	}
}

func TestMechanismForms(t *testing.T) {
	for _, tc := range []struct {
		yaml  string
		check func(m mechanism.Mechanism) bool
	}{
		{`~`, func(m mechanism.Mechanism) bool { return m == nil }},
		{`"null"`, func(m mechanism.Mechanism) bool { return m == mechanism.Null{} }},
		{`'null'`, func(m mechanism.Mechanism) bool { return m == mechanism.Null{} }},
		{`{"null": ~}`, func(m mechanism.Mechanism) bool { return m == mechanism.Null{} }},
		{`plain_server`, func(m mechanism.Mechanism) bool { return m == mechanism.PlainServer{} }},
		{`{plain_server: {}}`, func(m mechanism.Mechanism) bool { return m == mechanism.PlainServer{} }},
		{`{plain_client: {username: admin, password: 1234}}`, func(m mechanism.Mechanism) bool {
			return m == mechanism.PlainClient{Username: "admin", Password: "1234"}
		}},
		{`{plain_client: {username: "", password: ""}}`, func(m mechanism.Mechanism) bool {
			return m == mechanism.PlainClient{}
		}},
		{`{curve_server: {secret: "` + serverSecret + `"}}`, func(m mechanism.Mechanism) bool {
			s, ok := m.(*mechanism.CurveServer)
			return ok && s.SecretKey.Z85() == serverSecret
		}},
		{`{curve_client: {server: "` + serverPublic + `"}}`, func(m mechanism.Mechanism) bool {
			c, ok := m.(*mechanism.CurveClient)
			return ok && c.ServerKey.String() == serverPublic && c.PublicKey.IsZero() && c.SecretKey.IsZero()
		}},
		// The public key is derived when left out.
		{`{curve_client: {server: "` + serverPublic + `", client: {secret: "` + clientSecret + `"}}}`, func(m mechanism.Mechanism) bool {
			c, ok := m.(*mechanism.CurveClient)
			return ok && c.PublicKey.String() == clientPublic && c.SecretKey.Z85() == clientSecret
		}},
		{`{noise_server: {secret: "` + serverSecret + `"}}`, func(m mechanism.Mechanism) bool {
			s, ok := m.(*mechanism.NoiseServer)
			return ok && s.SecretKey.Z85() == serverSecret
		}},
		{`{curve_client: {server: "` + serverPublic + `", client: ~}}`, func(m mechanism.Mechanism) bool {
			c, ok := m.(*mechanism.CurveClient)
			return ok && c.PublicKey.IsZero() && c.SecretKey.IsZero()
		}},
		{`{noise_client: {}}`, func(m mechanism.Mechanism) bool {
			c, ok := m.(*mechanism.NoiseClient)
			return ok && c.ServerKey.IsZero() && c.SecretKey.IsZero()
		}},
		{`{noise_client: {server: "` + serverPublic + `", client: {public: "` + clientPublic + `", secret: "` + clientSecret + `"}}}`, func(m mechanism.Mechanism) bool {
			c, ok := m.(*mechanism.NoiseClient)
			return ok && c.ServerKey.String() == serverPublic && c.PublicKey.String() == clientPublic && c.SecretKey.Z85() == clientSecret
		}},
	} {
		c := mustParse(t, "client:\n  mechanism: "+tc.yaml+"\n")
		if !tc.check(c.Client.Socket.Mechanism) {
			t.Errorf("mechanism: %s gave %#v", tc.yaml, c.Client.Socket.Mechanism)
		}
	}
}

func TestHighWaterMarks(t *testing.T) {
	for _, tc := range []struct {
		yaml       string
		send, recv int
	}{
		{"{}", 0, 0}, // absent: socket.Options's default (1000)
		{"{send_hwm: 5, recv_hwm: 7}", 5, 7},
		{"{send_high_water_mark: 5, recv_high_water_mark: 7}", 5, 7},
		{"{send_hwm: 0, recv_hwm: 0}", socket.Unlimited, socket.Unlimited}, // 0: no limit, as in libzmq
		{"{send_hwm: ~, recv_hwm: 0x10}", 0, 16},
		{"{send_hwm: 2147483647}", 2147483647, 0},
	} {
		c := mustParse(t, "client: "+tc.yaml+"\n")
		if c.Client.Socket.SendHWM != tc.send || c.Client.Socket.RecvHWM != tc.recv {
			t.Errorf("%s: send %d recv %d, want %d %d", tc.yaml, c.Client.Socket.SendHWM, c.Client.Socket.RecvHWM, tc.send, tc.recv)
		}
	}
}

func TestDurations(t *testing.T) {
	for _, tc := range []struct {
		yaml string
		want time.Duration
	}{
		{"300ms", 300 * time.Millisecond},
		{"1s", time.Second},
		{"1.5s", 1500 * time.Millisecond},
		{"1m30s", 90 * time.Second},
		{`"1s 500ms"`, 1500 * time.Millisecond}, // libzmq-rs's humantime output
		{"~", 0},
		{"null", 0},
	} {
		c := mustParse(t, "gather: {recv_timeout: "+tc.yaml+"}\n")
		if c.Gather.Socket.RecvTimeout != tc.want {
			t.Errorf("%s: %v, want %v", tc.yaml, c.Gather.Socket.RecvTimeout, tc.want)
		}
	}
}

func TestSocketOptionKeys(t *testing.T) {
	c := mustParse(t, `
scatter:
  linger: forever
  reconnect_interval: "off"
  reconnect_interval_max: 5s
  connect_timeout: 2s
  handshake_timeout: "off"
  max_msg_size: 1_048_576
  max_connections: 100
  send_buffer: 262144
  recv_buffer: 4194304
  immediate: true
gather:
  linger: 250ms
  reconnect_interval: 50ms
  handshake_timeout: 10s
`)
	want := socket.Options{Linger: -1, ReconnectInterval: -1, ReconnectIntervalMax: 5 * time.Second, ConnectTimeout: 2 * time.Second,
		HandshakeTimeout: -1, MaxMsgSize: 1 << 20, MaxConnections: 100, SendBuffer: 256 << 10, RecvBuffer: 4 << 20, Immediate: true}
	if !reflect.DeepEqual(c.Scatter.Socket, want) {
		t.Errorf("scatter extras %+v", c.Scatter.Socket)
	}
	want = socket.Options{Linger: 250 * time.Millisecond, ReconnectInterval: 50 * time.Millisecond, HandshakeTimeout: 10 * time.Second}
	if !reflect.DeepEqual(c.Gather.Socket, want) {
		t.Errorf("gather extras %+v", c.Gather.Socket)
	}
	o, err := c.Scatter.Options()
	if err != nil {
		t.Fatal(err)
	}
	if o.Linger != -1 || o.ReconnectInterval != -1 || o.MaxMsgSize != 1<<20 || !o.Immediate || o.Auth != nil ||
		o.SendBuffer != 256<<10 || o.RecvBuffer != 4<<20 {
		t.Errorf("options %+v", o)
	}
}

func TestEverySocketType(t *testing.T) {
	c := mustParse(t, `
client:  {connect: [inproc://a], heartbeat: {interval: 1s}, send_hwm: 1, send_timeout: 1s, recv_hwm: 2, recv_timeout: 2s}
server:  {bind: [inproc://a], heartbeat: {interval: 1s, timeout: 2s, ttl: 10s}, send_hwm: 3, recv_hwm: 4}
radio:   {bind: [inproc://r], send_hwm: 5, send_timeout: 1s, no_drop: true, heartbeat: {interval: 1s}}
dish:    {connect: [inproc://r], recv_hwm: 6, recv_timeout: 1s, groups: [weather, 42, ""]}
scatter: {bind: [inproc://s], send_hwm: 7, send_timeout: 1s, heartbeat: {interval: 2s}}
gather:  {connect: [inproc://s], recv_hwm: 8, recv_timeout: 1s, heartbeat: {interval: 3s}}
ctx:     {io_threads: 4, max_sockets: 1023}
`)
	if !c.Radio.NoDrop || c.Radio.Socket.SendHWM != 5 || c.Radio.Socket.Heartbeat.Interval != time.Second {
		t.Errorf("radio %+v", c.Radio)
	}
	if !reflect.DeepEqual(c.Dish.Groups, []string{"weather", "42", ""}) || c.Dish.Socket.RecvHWM != 6 {
		t.Errorf("dish %+v", c.Dish)
	}
	if c.Server.Socket.Heartbeat != (socket.Heartbeat{Interval: time.Second, Timeout: 2 * time.Second, TTL: 10 * time.Second}) {
		t.Errorf("server heartbeat %+v", c.Server.Socket.Heartbeat)
	}
	if c.Scatter.Socket.SendHWM != 7 || c.Gather.Socket.RecvHWM != 8 || c.Gather.Socket.Heartbeat.Interval != 3*time.Second {
		t.Errorf("scatter %+v gather %+v", c.Scatter, c.Gather)
	}
	if *c.Ctx != (CtxConfig{IOThreads: 4, MaxSockets: 1023}) {
		t.Errorf("ctx %+v", c.Ctx)
	}
	if c.Authenticator != nil || c.Client.Socket.Auth != nil {
		t.Error("an authenticator without an auth section")
	}
}

func TestNamedSockets(t *testing.T) {
	c := mustParse(t, `
auth:
  whitelist: [127.0.0.1]
sockets:
  frontend:
    server: {bind: [tcp://127.0.0.1:*]}
  feed:
    radio: {bind: [inproc://feed]}
  private:
    server:
      bind: [inproc://private]
      auth: {allow: [10.0.0.0/8]}
`)
	if len(c.Sockets) != 3 || c.Sockets["frontend"].Type() != "server" || c.Sockets["feed"].Type() != "radio" {
		t.Fatalf("sockets %+v", c.Sockets)
	}
	if c.Sockets["frontend"].Server.Socket.Auth != mechanism.Authenticator(c.Authenticator) ||
		c.Sockets["feed"].Radio.Socket.Auth != mechanism.Authenticator(c.Authenticator) {
		t.Error("named sockets do not share the file's authenticator")
	}
	p := c.Sockets["private"].Server
	if p.Socket.Auth != nil || p.Auth == nil || !reflect.DeepEqual(p.Auth.Allow, []string{"10.0.0.0/8"}) {
		t.Errorf("a socket's own auth section: %+v", p.Common)
	}
}

func TestAuthSection(t *testing.T) {
	c := mustParse(t, `
auth:
  deny: ["10.0.0.1", "192.168.0.0/16"]
  allow: ["::1"]
  plain_registry:
    - {username: admin, password: secret}
    - {username: 7, password: 8}
  curve_registry: ["`+clientPublic+`", "`+otherPublic+`"]
  curve_auth: false
`)
	a := c.Auth
	if !reflect.DeepEqual(a.Deny, []string{"10.0.0.1", "192.168.0.0/16"}) || !reflect.DeepEqual(a.Allow, []string{"::1"}) {
		t.Errorf("lists %v %v", a.Deny, a.Allow)
	}
	if !reflect.DeepEqual(a.PlainRegistry, []PlainUser{{"admin", "secret"}, {"7", "8"}}) {
		t.Errorf("plain registry %v", a.PlainRegistry)
	}
	if len(a.CurveRegistry) != 2 || a.CurveAuth == nil || *a.CurveAuth {
		t.Errorf("curve %v %v", a.CurveRegistry, a.CurveAuth)
	}
	au := c.Authenticator
	if !reflect.DeepEqual(au.DeniedAddrs(), []string{"10.0.0.1", "192.168.0.0/16"}) || !reflect.DeepEqual(au.AllowedAddrs(), []string{"::1"}) ||
		!reflect.DeepEqual(au.Users(), []string{"7", "admin"}) || len(au.Keys()) != 2 || au.CurveAuth() {
		t.Errorf("built authenticator: deny %v allow %v users %v keys %v curve %v", au.DeniedAddrs(), au.AllowedAddrs(), au.Users(), au.Keys(), au.CurveAuth())
	}
}

func TestAuthDecisionsFollowTheFile(t *testing.T) {
	c := mustParse(t, `
auth:
  blacklist: [10.0.0.0/8]
  plain_registry: [{username: admin, password: s3cret}]
  curve_registry: ["`+clientPublic+`"]
`)
	a := c.Authenticator
	cpub, opub := pub(t, clientPublic), pub(t, otherPublic)
	for _, tc := range []struct {
		req  mechanism.AuthRequest
		user string
		ok   bool
	}{
		{mechanism.AuthRequest{Mechanism: "NULL", Address: "127.0.0.1"}, "", true},
		{mechanism.AuthRequest{Mechanism: "NULL", Address: "10.1.2.3"}, "", false},
		{mechanism.AuthRequest{Mechanism: "NULL", Address: "::ffff:10.1.2.3"}, "", false},
		{mechanism.AuthRequest{Mechanism: "PLAIN", Address: "127.0.0.1", Username: "admin", Password: "s3cret"}, "admin", true},
		{mechanism.AuthRequest{Mechanism: "PLAIN", Address: "127.0.0.1", Username: "admin", Password: "wrong"}, "", false},
		{mechanism.AuthRequest{Mechanism: "CURVE", Address: "127.0.0.1", PublicKey: cpub[:]}, clientPublic, true},
		{mechanism.AuthRequest{Mechanism: "CURVE", Address: "127.0.0.1", PublicKey: opub[:]}, "", false},
	} {
		user, err := a.Authenticate(t.Context(), &tc.req)
		if (err == nil) != tc.ok || user != tc.user {
			t.Errorf("%+v: user %q err %v", tc.req, user, err)
		}
	}
}

func TestEnvironmentVariables(t *testing.T) {
	env := map[string]string{"SECRET": serverSecret, "HWM": "42", "HOST": "127.0.0.1", "EMPTY": "", "USER_": "admin"}
	l := &Loader{LookupEnv: func(k string) (string, bool) { v, ok := env[k]; return v, ok }}
	c, err := l.Parse("env.yaml", []byte(`
server:
  bind: ["tcp://${HOST}:5555", {tcp: "${HOST}:5556"}]
  send_hwm: ${HWM}
  recv_hwm: ${EMPTY}
  mechanism: {curve_server: {secret: "${SECRET}"}}
client:
  mechanism: {plain_client: {username: "${USER_}", password: "$${NOT_EXPANDED} and ${not a name} and ${"}}
`))
	if err != nil {
		t.Fatal(err)
	}
	if want := []Endpoint{"tcp://127.0.0.1:5555", "tcp://127.0.0.1:5556"}; !reflect.DeepEqual(c.Server.Bind, want) {
		t.Errorf("bind %v", c.Server.Bind)
	}
	// A plain ${HWM} is typed after expansion; an empty one is null.
	if c.Server.Socket.SendHWM != 42 || c.Server.Socket.RecvHWM != 0 {
		t.Errorf("hwm %d %d", c.Server.Socket.SendHWM, c.Server.Socket.RecvHWM)
	}
	if c.Server.Socket.Mechanism.(*mechanism.CurveServer).SecretKey.Z85() != serverSecret {
		t.Error("secret from the environment")
	}
	if pc := c.Client.Socket.Mechanism.(mechanism.PlainClient); pc.Username != "admin" || pc.Password != "${NOT_EXPANDED} and ${not a name} and ${" {
		t.Errorf("plain client %+v", pc)
	}
	// Keys are never expanded, and nor is anything in comments.
	if _, err := l.Parse("env.yaml", []byte("# ${MISSING}\nclient: {}\n")); err != nil {
		t.Error(err)
	}
}

func TestAnchorsAliasesAndMergeKeys(t *testing.T) {
	c := mustParse(t, `
client: &c
  connect: &eps [inproc://a, inproc://b]
  send_hwm: 50
  heartbeat: {interval: 1s}
server:
  <<: *c
  connect: ~
  bind: *eps
  send_hwm: 60
scatter:
  <<: [{send_hwm: 1}, {send_hwm: 3, send_timeout: 1s}]
`)
	if !reflect.DeepEqual(c.Client.Connect, []Endpoint{"inproc://a", "inproc://b"}) || c.Client.Socket.SendHWM != 50 {
		t.Errorf("client %+v", c.Client)
	}
	s := c.Server
	// Explicit keys override merged ones, null included.
	if s.Connect != nil || !reflect.DeepEqual(s.Bind, []Endpoint{"inproc://a", "inproc://b"}) || s.Socket.SendHWM != 60 || s.Socket.Heartbeat.Interval != time.Second {
		t.Errorf("server %+v", s)
	}
	// Of several merged mappings, the first wins.
	if c.Scatter.Socket.SendHWM != 1 || c.Scatter.Socket.SendTimeout != time.Second {
		t.Errorf("scatter %+v", c.Scatter)
	}
}

func TestSectionsDecodeInsideOtherYAML(t *testing.T) {
	var app struct {
		Name   string       `yaml:"name"`
		Server ServerConfig `yaml:"server"`
		Auth   *AuthConfig  `yaml:"auth"`
	}
	err := yaml.Unmarshal([]byte("name: app\nserver:\n  bind: [tcp://127.0.0.1:*]\n  send_high_water_mark: 5\nauth: {allow: [127.0.0.1]}\n"), &app)
	if err != nil {
		t.Fatal(err)
	}
	if app.Name != "app" || app.Server.Socket.SendHWM != 5 || len(app.Server.Bind) != 1 || app.Auth.Allow[0] != "127.0.0.1" {
		t.Errorf("%+v", app)
	}
	// The same strict rules, with line and column but no file name.
	err = yaml.Unmarshal([]byte("name: app\nserver:\n  send_hwm: -3\n"), &app)
	if err == nil || err.Error() != `3:13: send_hwm: want a non-negative integer, got "-3"` {
		t.Errorf("error %v", err)
	}
}

func TestUnmarshalOneSection(t *testing.T) {
	var s ServerConfig
	if err := Unmarshal("server.yaml", []byte("bind: [tcp://127.0.0.1:*]\nrecv_hwm: 9\n"), &s); err != nil {
		t.Fatal(err)
	}
	if s.Socket.RecvHWM != 9 || s.Bind[0] != "tcp://127.0.0.1:*" {
		t.Errorf("%+v", s)
	}
	var sc SocketConfig
	if err := Unmarshal("one.yaml", []byte("dish: {groups: [a]}\n"), &sc); err != nil || sc.Type() != "dish" || sc.Dish.Groups[0] != "a" {
		t.Errorf("%+v %v", sc, err)
	}
	err := Unmarshal("server.yaml", []byte("recv_hwm: 9\nno_drop: true\n"), &s)
	if err == nil || err.Error() != `server.yaml:2:1: unknown key "no_drop" (want one of connect, bind, heartbeat, mechanism, send_hwm, send_hwm_bytes, send_timeout, recv_hwm, recv_hwm_bytes, recv_timeout, linger, reconnect_interval, reconnect_interval_max, connect_timeout, handshake_timeout, max_msg_size, max_connections, max_connections_per_address, send_buffer, recv_buffer, immediate, tcp_keepalive, tcp_keepalive_cnt, tcp_keepalive_idle, tcp_keepalive_intvl, auth)` {
		t.Errorf("error %v", err)
	}
}

// The full example in doc.go is a file that loads.
func TestDocExampleLoads(t *testing.T) {
	src, err := os.ReadFile("doc.go")
	if err != nil {
		t.Fatal(err)
	}
	doc := string(src)
	start, end := strings.Index(doc, "//\tctx:"), strings.Index(doc, "// # Values")
	if start < 0 || end < start {
		t.Fatal("doc.go's example not found")
	}
	var yamlText strings.Builder
	for _, line := range strings.Split(doc[start:end], "\n") {
		if s, ok := strings.CutPrefix(line, "//\t"); ok {
			yamlText.WriteString(s)
		}
		yamlText.WriteByte('\n')
	}
	t.Setenv("ADMIN_PASSWORD", "x")
	t.Setenv("SERVER_SECRET", serverSecret)
	c, err := Parse("doc.go", []byte(yamlText.String()))
	if err != nil {
		t.Fatal(err)
	}
	if c.Ctx == nil || c.Server == nil || len(c.Sockets) != 2 || c.Server.Socket.ReconnectIntervalMax != 5*time.Second ||
		c.Sockets["updates"].Dish.Groups[0] != "weather" || c.Authenticator == nil {
		t.Fatalf("%+v", c)
	}
}
