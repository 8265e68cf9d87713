// Package config loads zmesh sockets, their security and their
// authenticator from YAML, in the shape libzmq-rs reads and writes (its
// ConfigType, ClientConfig, ServerConfig... serialised with serde, field
// for field), and builds ready sockets from it.
//
// One struct per socket type (ClientConfig, ServerConfig, RadioConfig,
// DishConfig, ScatterConfig, GatherConfig) serves both YAML and Go code;
// each has Build, which creates the socket with every option set and then
// connects and binds it, in libzmq-rs's order (options, heartbeat,
// mechanism, connect, bind):
//
//	cfg, err := config.Load("secure.yaml")
//	if err != nil {
//		log.Fatal(err) // secure.yaml:7:13: server.send_hwm: want a non-negative integer, got "-3"
//	}
//	srv, err := cfg.Server.Build(nil) // nil: socket.DefaultCtx()
//
// The classic ZeroMQ types have sections of the same shape (ReqConfig,
// RepConfig, DealerConfig, RouterConfig, PubConfig, SubConfig,
// XPubConfig, XSubConfig, PushConfig, PullConfig, PairConfig; YAML req,
// rep, dealer, ...; see Classic), with the classic options (routing_id,
// router_mandatory, xpub_verbose, conflate, ...) and, for sub and xsub, a
// subscribe list. libzmq-rs has no such types; the keys follow libzmq's
// option names. tcp_keepalive, tcp_keepalive_cnt, tcp_keepalive_idle and
// tcp_keepalive_intvl apply to every type.
//
// # A file
//
// Every section is optional, and a file in libzmq-rs's shape (such as its
// secure request-reply example, {auth, client, server}) loads as it is:
//
//	ctx:                          # libzmq-rs's CtxConfig: accepted, no effect in zmesh
//	  io_threads: 1
//	  max_sockets: 1023
//
//	auth:                         # AuthConfig, used by every socket below without its own
//	  whitelist: ["127.0.0.1", "10.0.0.0/8"]    # or allow:
//	  blacklist: []                             # or deny:
//	  plain_registry:
//	    - {username: admin, password: "${ADMIN_PASSWORD}"}
//	  curve_registry:
//	    - "k8YnHuzVTBH%MqW68EX]{so.9KP.}{f[Mhq*NhFy"  # a client's public key
//	  curve_auth: true
//
//	server:                       # ServerConfig (and client:, radio:, dish:, scatter:, gather:)
//	  bind:
//	    - tcp://0.0.0.0:5555                   # URI form
//	    - {ipc: "/run/app/server.sock"}        # libzmq-rs's externally tagged form
//	  heartbeat: {interval: 1s, timeout: 3s, ttl: 10s}
//	  send_hwm: 1000                           # or send_high_water_mark (libzmq-rs's example)
//	  send_timeout: 300ms
//	  recv_hwm: 1000                           # or recv_high_water_mark
//	  recv_timeout: ~                          # null: no timeout
//	  mechanism:
//	    curve_server:
//	      secret: "${SERVER_SECRET}"           # from the environment
//	  # zmesh extras (see socket.Options):
//	  linger: 1s
//	  reconnect_interval: 100ms
//	  reconnect_interval_max: 5s
//	  handshake_timeout: 10s
//	  max_msg_size: 1048576
//	  send_hwm_bytes: 67108864                 # per peer, in bytes (the default, 64 MiB; 0: no bound)
//	  recv_hwm_bytes: 67108864                 # likewise for each peer's incoming queue
//	  max_connections: 1000                    # accepted at once; 0 or null: no cap
//	  max_connections_per_address: 16          # accepted at once from one source address
//
//	sockets:                      # any number of named sockets, as libzmq-rs's ConfigType
//	  feed:
//	    radio: {bind: [tcp://0.0.0.0:5556], no_drop: false}
//	  updates:
//	    dish: {bind: [udp://239.1.1.1:5557], groups: [weather]}
//
// # Values
//
// These rules are the grammar of every zmesh configuration file: the
// storage server's file (package store/server: requests,
// garbage_collection, volumes, storages) and its HTTP admin API follow
// them too.
//
//   - Endpoints: "tcp://host:port" (and ipc://, inproc://, udp://), or
//     libzmq-rs's {tcp: "host:port"} (also udp, inproc, ipc). udp is only
//     for a radio's connect and a dish's bind; a connect endpoint has no
//     wildcard host or port.
//   - Durations: a number with a unit, "300ms", "1s", "1m30s", "1.5h"
//     (time.ParseDuration; libzmq-rs's humantime "1s 500ms" too; units ns,
//     us, ms, s, m, h). A bare number is refused, with a message saying to
//     write 30s rather than 30; only 0 needs no unit. Some settings also
//     take a word: "forever" (linger), "off" (reconnect_interval,
//     handshake_timeout, the storage server's max_drift). Null or absent
//     means not set. A send or receive timeout of 0 is refused: libzmq
//     reads it as "never block" where zmesh reads 0 as "no timeout"; use
//     null, or TrySend/TryRecv.
//   - Booleans: YAML's true and false, unquoted (True and FALSE too). A
//     quoted "true" is text and is refused, as are yes, no, on, off, 1 and
//     0, with a message that says how to write the value.
//   - High-water marks: non-negative integers; 0 means no limit, as in
//     libzmq; absent means the default, 1000.
//   - Mechanisms: "null" (quoted; a bare null means not set), plain_server,
//     {plain_client: {username, password}}, {curve_server: {secret}},
//     {curve_client: {server, client: {public, secret}}} (client optional:
//     a key pair is generated), {noise_server: {secret}} and
//     {noise_client: {server, client: {public, secret}}} (both optional;
//     server pins the server's key). Keys are 40 Z85 characters; a public
//     key beside its secret key must belong to it.
//   - ${NAME} in any value is replaced by the environment variable NAME
//     (an error if it is not set), so secrets stay out of files. A plain
//     value is typed after expansion (send_hwm: ${HWM} is a number); a
//     quoted one stays text. $${ writes a literal ${, and a ${ not followed
//     by a name and } is left alone (Z85 keys may contain one).
//   - YAML anchors, aliases and merge keys (<<: *defaults) work; explicit
//     keys override merged ones.
//
// # Auth
//
// The top-level auth section is built once into Config.Authenticator (a
// *mechanism.Auth) and shared by every socket of the file that has no auth
// section of its own, as libzmq-rs's authenticator serves every socket of
// its context; edit its lists at run time to change who those sockets
// admit. A socket's own auth section (a zmesh extra) gives it a separate
// authenticator. Without any auth section, sockets have no authenticator:
// PLAIN servers refuse everyone, CURVE and NOISE servers admit any client
// that completes the handshake (libzmq-rs, which always runs one, denies
// every CURVE client until curve_registry lists it).
//
// # Errors
//
// Decoding is strict: an unknown key (often a typo, and the closest known
// key is suggested), a value of the wrong type, a bad endpoint, key,
// duration or address, a negative high-water mark, a setting given twice
// (send_hwm together with send_high_water_mark), a missing environment
// variable: each stops the load with one *Error whose message is one line
// naming the file, line, column and setting, what was expected and what was
// found:
//
//	app.yaml:4:13: server.send_hwm: want a non-negative integer, got "-3"
//	app.yaml:2:3: server: unknown key "send_hwn"; did you mean send_hwm?
//	app.yaml:9:11: server.mechanism.curve_server.secret: want a 40-character Z85 key, got 39 characters
//
// Every *Error matches one of ErrSyntax, ErrUnknownKey, ErrType, ErrValue,
// ErrMissing, ErrConflict or ErrEnv with errors.Is, and also the lower
// layer's error where there is one (transport.ErrInvalidEndpoint,
// mechanism.ErrInvalidKey, ...). Secret keys never appear in messages.
//
// Every section type also implements yaml.Unmarshaler with these rules, so
// it can sit inside a larger struct that yaml.v3 decodes.
//
// # Sections of other packages
//
// Package store/server puts its volumes and storages beside these sections
// in one file. It decodes the whole file with the module's internal YAML
// decoder (internal/yamlx) and hands these sections to DecodeSection, so
// that every section follows the rules and the grammar above, and its
// errors are *Error values of the same form.
package config
