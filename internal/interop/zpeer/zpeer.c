/*
 * zpeer: a small libzmq (draft API) peer that zmesh's Go tests run as a
 * subprocess, so that zmesh sockets are tested against the real libzmq.
 *
 * Build (internal/interop does this for the tests):
 *   cc -O2 -o zpeer zpeer.c -I$PREFIX/include -L$PREFIX/lib \
 *      -Wl,-rpath,$PREFIX/lib -lzmq -lpthread
 *
 * Command line
 * ------------
 *   zpeer --type client|server|radio|dish|scatter|gather
 *         [--bind EP]... [--connect EP]...
 *         --mode echo|send|recv|reqrep|idle
 *         [--count N] [--size BYTES] [--group G] [--join G]...
 *         [--heartbeat-ivl MS] [--heartbeat-timeout MS] [--heartbeat-ttl MS]
 *         [--linger MS] [--sndhwm N] [--rcvhwm N] [--timeout MS]
 *         [--plain-client USER:PASS] [--plain-server USER:PASS]...
 *         [--curve-server SECRET_Z85] [--curve-allow PUBLIC_Z85]...
 *         [--curve-client SERVER_PUBLIC_Z85 --curve-public Z85 --curve-secret Z85]
 *         [--zap-domain D] [--zap-no-user-id]
 *   extras: [--verbose] [--monitor] [--delay MS] [--interval MS] [--reconnect-ivl MS]
 *           [--handshake-ivl MS] [--ipv6]; --mode pattern
 *
 *   --verbose        dish recv: print "msg <group> <len>" per message
 *   --monitor        print libzmq socket monitor events ("event ..." below)
 *   --delay MS       send: wait MS after "ready" before the first send (a
 *                    RADIO drops what it sends before the DISH's JOIN arrives)
 *   --interval MS    send: wait MS between two sends (a RADIO sending a slow
 *                    stream that a DISH can join at any time)
 *   --reconnect-ivl MS, --handshake-ivl MS, --ipv6
 *                    ZMQ_RECONNECT_IVL, ZMQ_HANDSHAKE_IVL, ZMQ_IPV6=1
 *
 * Every option takes its value as the next argument. Options are applied in
 * this order: socket options and mechanism, ZAP handler and monitor, binds
 * (in the order given), connects (in the order given), joins; then the mode
 * runs.
 *
 * Output (stdout, one line each, line buffered; stderr only for diagnostics)
 *   bound <ZMQ_LAST_ENDPOINT>   after each --bind, e.g. "bound tcp://127.0.0.1:40123"
 *   ready                       after all binds, connects and joins
 *   done echoed=N | done sent=N | done recv=N | done reqrep=N | done idle
 *                               when the mode has finished its work
 *   msg <group> <len>           dish in recv mode with --verbose, per message
 *   bad <i> <reason>            message number i (0-based, in order of
 *                               receipt) failed the check; exit 1
 *   timeout                     the overall deadline or a send/recv timeout
 *                               passed; exit 2
 *   zap <status> <mechanism> <who>
 *                               the ZAP handler's decision (who: the PLAIN
 *                               user name, the CURVE client key in Z85, "-"
 *                               for NULL)
 *   event <NAME> <value> <endpoint>
 *                               with --monitor: a libzmq socket monitor event,
 *                               NAME without the ZMQ_EVENT_ prefix
 *                               (CONNECTED, HANDSHAKE_SUCCEEDED, DISCONNECTED,
 *                               HANDSHAKE_FAILED_AUTH, ...); value in
 *                               decimal (e.g. the ZAP status for
 *                               HANDSHAKE_FAILED_AUTH, a ZMQ_PROTOCOL_ERROR_*
 *                               code for HANDSHAKE_FAILED_PROTOCOL)
 *
 * Exit status: 0 success, 1 failure (bad message, libzmq error), 2 timeout,
 * 64 bad command line. A usage or libzmq error is explained on stderr.
 *
 * Modes
 *   echo    client, server: receive a message and send the same body back
 *           (server: to the sender's routing id). Stops after --count
 *           messages; --count 0 (the default for echo) means forever. A
 *           server whose peer has gone (EHOSTUNREACH) prints "lost <rid>" and
 *           goes on.
 *   send    client, radio, scatter: after --delay, send --count messages of
 *           --size bytes with the pattern below (radio: to --group, default
 *           "g"), blocking, --interval apart; print "done sent=N", then close and exit, which
 *           waits per --linger (libzmq default -1: until delivered, bounded by
 *           --timeout).
 *   recv    client, server, dish, gather: receive --count messages and check
 *           each against the pattern; --size -1 (the default for recv)
 *           accepts any size, otherwise the size must match exactly.
 *   reqrep  client: for i in 0..count-1 send pattern(i, size), receive the
 *           reply and check it equals what was sent.
 *   idle    any type: stay connected until killed or --timeout, then print
 *           "done idle" and exit 0 (the deadline is this mode's success).
 *   pattern (extra; no socket, no --type) print "pattern <seq> <hex>" for
 *           seq 0..count-1 of --size bytes ("-" for 0 bytes): the harness
 *           checks Go's Pattern against it.
 *
 * Defaults: --count 1 (echo: 0 = forever), --size 16 (recv: -1 = any),
 * --timeout 10000 ms (0 = no deadline), --group g. --timeout sets
 * ZMQ_SNDTIMEO and ZMQ_RCVTIMEO and bounds the whole run.
 *
 * Message pattern: message number seq (0-based) of length len. If len >= 4
 * the first 4 bytes are seq as a big-endian uint32, and each byte j >= 4 is
 * (seq + j) & 0xff. If len < 4, byte j is (seq + j) & 0xff. A receiver checks
 * a message on its own: it reads seq from the first 4 bytes (or byte 0 when
 * len < 4) and checks the rest. Go has the same rule in
 * internal/interop (Pattern, CheckPattern).
 *
 * Security
 *   --plain-client U:P     ZMQ_PLAIN_USERNAME/PASSWORD.
 *   --plain-server U:P     ZMQ_PLAIN_SERVER, and a ZAP handler thread bound
 *                          at inproc://zeromq.zap.01 that answers 200 for
 *                          exactly these users and 400 for anyone else.
 *   --curve-server S       ZMQ_CURVE_SERVER with secret key S; the ZAP
 *                          handler answers 200 for the --curve-allow keys
 *                          (any key when none is given), 400 otherwise.
 *   --curve-client P       ZMQ_CURVE_SERVERKEY P with --curve-public and
 *                          --curve-secret as this client's key pair (a fresh
 *                          pair when both are left out).
 *   --zap-domain D         ZMQ_ZAP_DOMAIN (with NULL this turns on ZAP; the
 *                          handler answers 200 for NULL). The handler also
 *                          answers 400 when a request's domain is not D.
 *   --zap-no-user-id       the handler's 200 replies carry an empty user id
 *                          (by default the PLAIN user name or the CURVE key).
 *                          libzmq 4.3's DISH drops every link whose ZAP reply
 *                          has a user id: the engine pushes the credential
 *                          message first, and dish_session_t::push_msg, which
 *                          wants a group frame with MORE, fails it (EFAULT).
 */
#define _GNU_SOURCE
#define ZMQ_BUILD_DRAFT_API 1
#include <zmq.h>

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

enum { EXIT_OK = 0, EXIT_FAIL = 1, EXIT_TIMEOUT = 2, EXIT_USAGE = 64 };
enum { MAX_LIST = 64 };

struct list {
	const char *v[MAX_LIST];
	int n;
};

static struct {
	const char *type, *mode;
	struct list binds, connects, joins;
	long count;  /* -1 until given */
	long size;   /* LONG_MIN-ish sentinel until given */
	int size_set;
	const char *group;
	int hb_ivl, hb_timeout, hb_ttl;
	int hb_ivl_set, hb_timeout_set, hb_ttl_set;
	int linger, linger_set;
	int sndhwm, sndhwm_set, rcvhwm, rcvhwm_set;
	int timeout;
	const char *plain_client;
	struct list plain_users;
	const char *curve_server;
	struct list curve_allow;
	const char *curve_client, *curve_public, *curve_secret;
	const char *zap_domain;
	int verbose, monitor, delay, interval, ipv6, zap_no_user_id;
	int reconnect_ivl, reconnect_ivl_set, handshake_ivl, handshake_ivl_set;
} opt;

/* ---- output ---------------------------------------------------------- */

static pthread_mutex_t out_mu = PTHREAD_MUTEX_INITIALIZER;
static int finished; /* under out_mu: the watchdog must not fire any more */

static void out(const char *fmt, ...) {
	va_list ap;
	pthread_mutex_lock(&out_mu);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
	pthread_mutex_unlock(&out_mu);
}

/* finish ends the process; _exit, so that threads still inside libzmq (on
 * an error path) cannot race with exit-time teardown. */
static void finish(int code) {
	pthread_mutex_lock(&out_mu);
	finished = 1;
	fflush(stdout);
	fflush(stderr);
	_exit(code);
}

static void usage(const char *fmt, ...) {
	va_list ap;
	fputs("zpeer: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs("\n(see the comment at the top of zpeer.c for the command line)\n", stderr);
	exit(EXIT_USAGE);
}

static void zfail(const char *what, const char *arg) {
	fprintf(stderr, "zpeer: %s%s%s: %s\n", what, arg ? " " : "", arg ? arg : "",
	        zmq_strerror(zmq_errno()));
	finish(EXIT_FAIL);
}

static void timed_out(void) {
	out("timeout");
	finish(EXIT_TIMEOUT);
}

/* ---- watchdog: the overall deadline ------------------------------------ */

static struct timespec deadline;
static int idle_mode;

static void *watchdog(void *arg) {
	(void)arg;
	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &deadline, NULL) == EINTR)
		;
	pthread_mutex_lock(&out_mu);
	if (!finished) {
		printf("timeout\n");
		fflush(stdout);
		_exit(EXIT_TIMEOUT);
	}
	pthread_mutex_unlock(&out_mu);
	return NULL;
}

static void start_watchdog(int ms) {
	pthread_t th;
	clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline.tv_sec += ms / 1000;
	deadline.tv_nsec += (long)(ms % 1000) * 1000000L;
	if (deadline.tv_nsec >= 1000000000L) {
		deadline.tv_sec++;
		deadline.tv_nsec -= 1000000000L;
	}
	if (pthread_create(&th, NULL, watchdog, NULL) != 0) {
		fprintf(stderr, "zpeer: cannot start the watchdog thread\n");
		exit(EXIT_FAIL);
	}
	pthread_detach(th);
}

/* ---- the message pattern ----------------------------------------------- */

static void fill_pattern(unsigned char *b, size_t len, uint32_t seq) {
	size_t j = 0;
	if (len >= 4) {
		b[0] = (unsigned char)(seq >> 24);
		b[1] = (unsigned char)(seq >> 16);
		b[2] = (unsigned char)(seq >> 8);
		b[3] = (unsigned char)seq;
		j = 4;
	}
	for (; j < len; j++)
		b[j] = (unsigned char)((seq + j) & 0xff);
}

/* check_pattern returns NULL when b is a pattern message, else a reason
 * written into why. */
static const char *check_pattern(const unsigned char *b, size_t len, char *why, size_t whylen) {
	uint32_t seq;
	size_t j = 0;
	if (len == 0)
		return NULL;
	if (len >= 4) {
		seq = (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
		j = 4;
	} else {
		seq = b[0];
		j = 1;
	}
	for (; j < len; j++) {
		unsigned char want = (unsigned char)((seq + j) & 0xff);
		if (b[j] != want) {
			snprintf(why, whylen, "byte %zu is 0x%02x, want 0x%02x (seq %u, len %zu)", j, b[j],
			         want, seq, len);
			return why;
		}
	}
	return NULL;
}

/* ---- argument parsing -------------------------------------------------- */

static long parse_long(const char *name, const char *s, long min, long max) {
	char *end;
	long v;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *s == '\0' || *end != '\0' || v < min || v > max)
		usage("%s: %s is not a number in [%ld, %ld]", name, s, min, max);
	return v;
}

static void push(struct list *l, const char *name, const char *v) {
	if (l->n == MAX_LIST)
		usage("too many %s", name);
	l->v[l->n++] = v;
}

static void parse_args(int argc, char **argv) {
	opt.count = -1;
	opt.timeout = 10000;
	opt.group = "g";
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *v = NULL;
		/* flags without a value */
		if (!strcmp(a, "--verbose")) {
			opt.verbose = 1;
			continue;
		}
		if (!strcmp(a, "--monitor")) {
			opt.monitor = 1;
			continue;
		}
		if (!strcmp(a, "--ipv6")) {
			opt.ipv6 = 1;
			continue;
		}
		if (!strcmp(a, "--zap-no-user-id")) {
			opt.zap_no_user_id = 1;
			continue;
		}
		if (strncmp(a, "--", 2) != 0)
			usage("unexpected argument %s", a);
		if (i + 1 >= argc)
			usage("%s needs a value", a);
		v = argv[++i];
#define IS(s) (!strcmp(a, s))
		if (IS("--type"))
			opt.type = v;
		else if (IS("--mode"))
			opt.mode = v;
		else if (IS("--bind"))
			push(&opt.binds, a, v);
		else if (IS("--connect"))
			push(&opt.connects, a, v);
		else if (IS("--join"))
			push(&opt.joins, a, v);
		else if (IS("--count"))
			opt.count = parse_long(a, v, 0, 0x7fffffffL);
		else if (IS("--size")) {
			opt.size = parse_long(a, v, -1, 256L << 20);
			opt.size_set = 1;
		} else if (IS("--group"))
			opt.group = v;
		else if (IS("--heartbeat-ivl")) {
			opt.hb_ivl = (int)parse_long(a, v, 0, 0x7fffffffL);
			opt.hb_ivl_set = 1;
		} else if (IS("--heartbeat-timeout")) {
			opt.hb_timeout = (int)parse_long(a, v, -1, 0x7fffffffL);
			opt.hb_timeout_set = 1;
		} else if (IS("--heartbeat-ttl")) {
			opt.hb_ttl = (int)parse_long(a, v, 0, 6553599L);
			opt.hb_ttl_set = 1;
		} else if (IS("--linger")) {
			opt.linger = (int)parse_long(a, v, -1, 0x7fffffffL);
			opt.linger_set = 1;
		} else if (IS("--sndhwm")) {
			opt.sndhwm = (int)parse_long(a, v, 0, 0x7fffffffL);
			opt.sndhwm_set = 1;
		} else if (IS("--rcvhwm")) {
			opt.rcvhwm = (int)parse_long(a, v, 0, 0x7fffffffL);
			opt.rcvhwm_set = 1;
		} else if (IS("--timeout"))
			opt.timeout = (int)parse_long(a, v, 0, 0x7fffffffL);
		else if (IS("--plain-client"))
			opt.plain_client = v;
		else if (IS("--plain-server"))
			push(&opt.plain_users, a, v);
		else if (IS("--curve-server"))
			opt.curve_server = v;
		else if (IS("--curve-allow"))
			push(&opt.curve_allow, a, v);
		else if (IS("--curve-client"))
			opt.curve_client = v;
		else if (IS("--curve-public"))
			opt.curve_public = v;
		else if (IS("--curve-secret"))
			opt.curve_secret = v;
		else if (IS("--zap-domain"))
			opt.zap_domain = v;
		else if (IS("--delay"))
			opt.delay = (int)parse_long(a, v, 0, 0x7fffffffL);
		else if (IS("--interval"))
			opt.interval = (int)parse_long(a, v, 0, 0x7fffffffL);
		else if (IS("--reconnect-ivl")) {
			opt.reconnect_ivl = (int)parse_long(a, v, -1, 0x7fffffffL);
			opt.reconnect_ivl_set = 1;
		} else if (IS("--handshake-ivl")) {
			opt.handshake_ivl = (int)parse_long(a, v, 0, 0x7fffffffL);
			opt.handshake_ivl_set = 1;
		} else
			usage("unknown option %s", a);
#undef IS
	}
	if (!opt.mode)
		usage("--mode is required");
	if (!strcmp(opt.mode, "pattern")) { /* no socket at all */
		if (opt.count < 0)
			opt.count = 1;
		if (!opt.size_set)
			opt.size = 16;
		if (opt.size < 0)
			usage("--mode pattern needs --size >= 0");
		return;
	}
	if (!opt.type)
		usage("--type is required");
	if (opt.count < 0)
		opt.count = strcmp(opt.mode, "echo") == 0 ? 0 : 1;
	if (!opt.size_set)
		opt.size = strcmp(opt.mode, "recv") == 0 ? -1 : 16;
	if (opt.size < 0 && strcmp(opt.mode, "recv") != 0)
		usage("--size -1 is only for --mode recv");
	if (opt.plain_client && (opt.plain_users.n || opt.curve_server || opt.curve_client))
		usage("choose one mechanism");
	if (opt.plain_users.n && (opt.curve_server || opt.curve_client))
		usage("choose one mechanism");
	if (opt.curve_server && opt.curve_client)
		usage("choose one mechanism");
	if (opt.curve_allow.n && !opt.curve_server)
		usage("--curve-allow needs --curve-server");
	if ((opt.curve_public || opt.curve_secret) && !opt.curve_client)
		usage("--curve-public/--curve-secret need --curve-client");
	if (!!opt.curve_public != !!opt.curve_secret)
		usage("give both --curve-public and --curve-secret, or neither");
	const char *keys[] = {opt.curve_server, opt.curve_client, opt.curve_public, opt.curve_secret};
	for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
		if (keys[i] && strlen(keys[i]) != 40)
			usage("a Z85 CURVE key is 40 characters: %s", keys[i]);
	for (int i = 0; i < opt.curve_allow.n; i++)
		if (strlen(opt.curve_allow.v[i]) != 40)
			usage("a Z85 CURVE key is 40 characters: %s", opt.curve_allow.v[i]);
	if (opt.plain_client && !strchr(opt.plain_client, ':'))
		usage("--plain-client wants USER:PASS");
	for (int i = 0; i < opt.plain_users.n; i++)
		if (!strchr(opt.plain_users.v[i], ':'))
			usage("--plain-server wants USER:PASS");
	if (opt.joins.n && strcmp(opt.type, "dish") != 0)
		usage("--join is for --type dish");
	if (opt.binds.n + opt.connects.n == 0)
		usage("give at least one --bind or --connect");
}

static int socket_type(const char *t) {
	if (!strcmp(t, "client"))
		return ZMQ_CLIENT;
	if (!strcmp(t, "server"))
		return ZMQ_SERVER;
	if (!strcmp(t, "radio"))
		return ZMQ_RADIO;
	if (!strcmp(t, "dish"))
		return ZMQ_DISH;
	if (!strcmp(t, "scatter"))
		return ZMQ_SCATTER;
	if (!strcmp(t, "gather"))
		return ZMQ_GATHER;
	usage("unknown --type %s", t);
	return -1;
}

/* the types each mode works with */
static void check_mode(const char *mode, const char *type) {
	static const struct {
		const char *mode, *types;
	} modes[] = {
	    {"echo", " client server "},
	    {"send", " client radio scatter "},
	    {"recv", " client server dish gather "},
	    {"reqrep", " client "},
	    {"handshakes", " client "},
	    {"idle", " client server radio dish scatter gather "},
	};
	char pad[32];
	snprintf(pad, sizeof pad, " %s ", type);
	for (size_t i = 0; i < sizeof modes / sizeof modes[0]; i++)
		if (!strcmp(mode, modes[i].mode)) {
			if (!strstr(modes[i].types, pad))
				usage("--mode %s works with:%s(not %s)", mode, modes[i].types, type);
			return;
		}
	usage("unknown --mode %s", mode);
}

/* ---- ZAP handler (RFC 27) ---------------------------------------------- */

static int recv_str(void *s, char *buf, size_t cap, size_t *len, int *more) {
	int n = zmq_recv(s, buf, cap, 0);
	size_t sz = sizeof *more;
	if (n < 0)
		return -1;
	*len = (size_t)n < cap ? (size_t)n : cap;
	zmq_getsockopt(s, ZMQ_RCVMORE, more, &sz);
	return 0;
}

static int zap_decide(char frames[][256], size_t *lens, int nframes, char *who, size_t wholen) {
	/* frames: version, request id, domain, address, identity, mechanism, creds... */
	const char *mech = frames[5];
	snprintf(who, wholen, "-");
	if (nframes < 6 || lens[0] != 3 || memcmp(frames[0], "1.0", 3) != 0)
		return 500;
	if (opt.zap_domain &&
	    (lens[2] != strlen(opt.zap_domain) || memcmp(frames[2], opt.zap_domain, lens[2]) != 0))
		return 400;
	if (!strcmp(mech, "NULL"))
		return 200;
	if (!strcmp(mech, "PLAIN")) {
		if (nframes != 8)
			return 500;
		snprintf(who, wholen, "%.*s", (int)lens[6], frames[6]);
		for (int i = 0; i < opt.plain_users.n; i++) {
			const char *u = opt.plain_users.v[i];
			const char *colon = strchr(u, ':');
			size_t ulen = (size_t)(colon - u);
			const char *p = colon + 1;
			if (ulen == lens[6] && memcmp(u, frames[6], ulen) == 0 && strlen(p) == lens[7] &&
			    memcmp(p, frames[7], lens[7]) == 0)
				return 200;
		}
		return 400;
	}
	if (!strcmp(mech, "CURVE")) {
		char z85[41];
		if (nframes != 7 || lens[6] != 32)
			return 500;
		zmq_z85_encode(z85, (const uint8_t *)frames[6], 32);
		snprintf(who, wholen, "%s", z85);
		if (opt.curve_allow.n == 0)
			return 200;
		for (int i = 0; i < opt.curve_allow.n; i++)
			if (!strcmp(opt.curve_allow.v[i], z85))
				return 200;
		return 400;
	}
	return 400;
}

static void *zap_handler(void *arg) {
	void *s = arg;
	for (;;) {
		char frames[10][256];
		size_t lens[10];
		int n = 0, more = 1, status;
		char who[300];
		memset(frames, 0, sizeof frames);
		while (more) {
			char tmp[256];
			size_t len;
			if (recv_str(s, n < 10 ? frames[n] : tmp, 255, &len, &more) < 0) {
				if (zmq_errno() == EINTR || zmq_errno() == EAGAIN)
					continue;
				goto out; /* ETERM: the context is closing */
			}
			if (n < 10)
				lens[n] = len;
			n++;
		}
		status = n > 10 ? 500 : zap_decide(frames, lens, n, who, sizeof who);
		out("zap %d %s %s", status, n > 5 ? frames[5] : "?", who);
		const char *code = status == 200 ? "200" : status == 400 ? "400" : "500";
		const char *text = status == 200 ? "OK" : "NOT OK";
		const char *uid = status == 200 && !opt.zap_no_user_id && strcmp(who, "-") != 0 ? who : "";
		if (zmq_send(s, "1.0", 3, ZMQ_SNDMORE) < 0 ||
		    zmq_send(s, frames[1], lens[1], ZMQ_SNDMORE) < 0 ||
		    zmq_send(s, code, 3, ZMQ_SNDMORE) < 0 ||
		    zmq_send(s, text, strlen(text), ZMQ_SNDMORE) < 0 ||
		    zmq_send(s, uid, strlen(uid), ZMQ_SNDMORE) < 0 || zmq_send(s, "", 0, 0) < 0) {
			if (zmq_errno() == ETERM)
				goto out;
			fprintf(stderr, "zpeer: zap reply: %s\n", zmq_strerror(zmq_errno()));
		}
	}
out:
	zmq_close(s);
	return NULL;
}

/* ---- socket monitor ------------------------------------------------------ */

static const char *event_name(unsigned ev) {
	switch (ev) {
	case ZMQ_EVENT_CONNECTED: return "CONNECTED";
	case ZMQ_EVENT_CONNECT_DELAYED: return "CONNECT_DELAYED";
	case ZMQ_EVENT_CONNECT_RETRIED: return "CONNECT_RETRIED";
	case ZMQ_EVENT_LISTENING: return "LISTENING";
	case ZMQ_EVENT_BIND_FAILED: return "BIND_FAILED";
	case ZMQ_EVENT_ACCEPTED: return "ACCEPTED";
	case ZMQ_EVENT_ACCEPT_FAILED: return "ACCEPT_FAILED";
	case ZMQ_EVENT_CLOSED: return "CLOSED";
	case ZMQ_EVENT_CLOSE_FAILED: return "CLOSE_FAILED";
	case ZMQ_EVENT_DISCONNECTED: return "DISCONNECTED";
	case ZMQ_EVENT_MONITOR_STOPPED: return "MONITOR_STOPPED";
	case ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL: return "HANDSHAKE_FAILED_NO_DETAIL";
	case ZMQ_EVENT_HANDSHAKE_SUCCEEDED: return "HANDSHAKE_SUCCEEDED";
	case ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL: return "HANDSHAKE_FAILED_PROTOCOL";
	case ZMQ_EVENT_HANDSHAKE_FAILED_AUTH: return "HANDSHAKE_FAILED_AUTH";
	default: return "UNKNOWN";
	}
}

static void *monitor_thread(void *arg) {
	void *m = arg;
	for (;;) {
		unsigned char head[6];
		char ep[1024];
		int more = 0, n;
		size_t sz = sizeof more;
		n = zmq_recv(m, head, sizeof head, 0);
		if (n < 0) {
			if (zmq_errno() == EINTR)
				continue;
			break;
		}
		zmq_getsockopt(m, ZMQ_RCVMORE, &more, &sz);
		ep[0] = '\0';
		if (more) {
			n = zmq_recv(m, ep, sizeof ep - 1, 0);
			if (n < 0)
				break;
			ep[(size_t)n < sizeof ep - 1 ? n : (int)sizeof ep - 1] = '\0';
		}
		if (n >= 0) {
			uint16_t ev; /* both fields are in host byte order */
			uint32_t value;
			memcpy(&ev, head, 2);
			memcpy(&value, head + 2, 4);
			out("event %s %u %s", event_name(ev), value, ep[0] ? ep : "-");
			if (ev == ZMQ_EVENT_MONITOR_STOPPED)
				break;
		}
	}
	zmq_close(m);
	return NULL;
}

/* ---- helpers ------------------------------------------------------------- */

static void setopt_int(void *s, int name, int v, const char *what) {
	if (zmq_setsockopt(s, name, &v, sizeof v) != 0)
		zfail("setsockopt", what);
}

static void setopt_str(void *s, int name, const char *v, size_t len, const char *what) {
	if (zmq_setsockopt(s, name, v, len) != 0)
		zfail("setsockopt", what);
}

static void set_curve_key(void *s, int name, const char *z85, const char *what) {
	setopt_str(s, name, z85, 41, what); /* 40 chars + NUL: libzmq decodes Z85 */
}

/* recv_msg receives one message, retrying on EINTR; a timeout ends the run. */
static void recv_msg(void *s, zmq_msg_t *m) {
	for (;;) {
		if (zmq_msg_recv(m, s, 0) >= 0)
			return;
		if (zmq_errno() == EINTR)
			continue;
		if (zmq_errno() == EAGAIN)
			timed_out();
		zfail("receive", NULL);
	}
}

/* send_msg sends one message (consuming m on success); it returns -1 with
 * errno EHOSTUNREACH for a gone SERVER peer, and ends the run on a timeout
 * or any other error. */
static int send_msg(void *s, zmq_msg_t *m) {
	for (;;) {
		if (zmq_msg_send(m, s, 0) >= 0)
			return 0;
		if (zmq_errno() == EINTR)
			continue;
		if (zmq_errno() == EAGAIN)
			timed_out();
		if (zmq_errno() == EHOSTUNREACH)
			return -1;
		zfail("send", NULL);
	}
}

static void sleep_ms(int ms) {
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

/* ---- modes --------------------------------------------------------------- */

static int is_type(const char *t) { return strcmp(opt.type, t) == 0; }

static int run_echo(void *s) {
	long echoed = 0;
	while (opt.count == 0 || echoed < opt.count) {
		zmq_msg_t m;
		zmq_msg_init(&m);
		recv_msg(s, &m);
		uint32_t rid = zmq_msg_routing_id(&m);
		if (is_type("server"))
			zmq_msg_set_routing_id(&m, rid);
		if (send_msg(s, &m) < 0) {
			out("lost %u", rid);
			zmq_msg_close(&m);
			continue;
		}
		echoed++;
	}
	out("done echoed=%ld", echoed);
	return EXIT_OK;
}

static int run_send(void *s) {
	long sent;
	if (opt.delay > 0)
		sleep_ms(opt.delay);
	for (sent = 0; sent < opt.count; sent++) {
		zmq_msg_t m;
		if (sent > 0 && opt.interval > 0)
			sleep_ms(opt.interval);
		if (zmq_msg_init_size(&m, (size_t)opt.size) != 0)
			zfail("zmq_msg_init_size", NULL);
		fill_pattern(zmq_msg_data(&m), (size_t)opt.size, (uint32_t)sent);
		if (is_type("radio") && zmq_msg_set_group(&m, opt.group) != 0)
			zfail("zmq_msg_set_group", opt.group);
		if (send_msg(s, &m) < 0)
			zfail("send", NULL);
	}
	out("done sent=%ld", sent);
	return EXIT_OK;
}

static int run_recv(void *s) {
	long got;
	char why[200];
	for (got = 0; opt.count == 0 || got < opt.count; got++) {
		zmq_msg_t m;
		zmq_msg_init(&m);
		recv_msg(s, &m);
		size_t len = zmq_msg_size(&m);
		if (is_type("dish") && opt.verbose) {
			const char *g = zmq_msg_group(&m);
			out("msg %s %zu", g ? g : "", len);
		}
		if (opt.size >= 0 && len != (size_t)opt.size) {
			out("bad %ld size %zu, want %ld", got, len, opt.size);
			zmq_msg_close(&m);
			return EXIT_FAIL;
		}
		if (check_pattern(zmq_msg_data(&m), len, why, sizeof why)) {
			out("bad %ld %s", got, why);
			zmq_msg_close(&m);
			return EXIT_FAIL;
		}
		zmq_msg_close(&m);
	}
	out("done recv=%ld", got);
	return EXIT_OK;
}

static int run_reqrep(void *s) {
	long i;
	unsigned char *want = malloc(opt.size > 0 ? (size_t)opt.size : 1);
	if (!want) {
		fprintf(stderr, "zpeer: out of memory\n");
		return EXIT_FAIL;
	}
	for (i = 0; i < opt.count; i++) {
		zmq_msg_t m;
		fill_pattern(want, (size_t)opt.size, (uint32_t)i);
		if (zmq_msg_init_size(&m, (size_t)opt.size) != 0)
			zfail("zmq_msg_init_size", NULL);
		memcpy(zmq_msg_data(&m), want, (size_t)opt.size);
		if (send_msg(s, &m) < 0)
			zfail("send", NULL);
		zmq_msg_init(&m);
		recv_msg(s, &m);
		size_t len = zmq_msg_size(&m);
		if (len != (size_t)opt.size) {
			out("bad %ld reply size %zu, want %ld", i, len, opt.size);
			zmq_msg_close(&m);
			free(want);
			return EXIT_FAIL;
		}
		if (len && memcmp(zmq_msg_data(&m), want, len) != 0) {
			const unsigned char *got = zmq_msg_data(&m);
			size_t j = 0;
			while (got[j] == want[j])
				j++;
			out("bad %ld reply byte %zu is 0x%02x, want 0x%02x", i, j, got[j], want[j]);
			zmq_msg_close(&m);
			free(want);
			return EXIT_FAIL;
		}
		zmq_msg_close(&m);
	}
	free(want);
	out("done reqrep=%ld", i);
	return EXIT_OK;
}

/* configure sets every socket option and the mechanism on s: all before
 * bind/connect (libzmq copies them then). */
static void configure(void *s) {
	int tmo = opt.timeout > 0 ? opt.timeout : -1;
	setopt_int(s, ZMQ_RCVTIMEO, tmo, "ZMQ_RCVTIMEO");
	setopt_int(s, ZMQ_SNDTIMEO, tmo, "ZMQ_SNDTIMEO");
	if (opt.linger_set)
		setopt_int(s, ZMQ_LINGER, opt.linger, "ZMQ_LINGER");
	if (opt.sndhwm_set)
		setopt_int(s, ZMQ_SNDHWM, opt.sndhwm, "ZMQ_SNDHWM");
	if (opt.rcvhwm_set)
		setopt_int(s, ZMQ_RCVHWM, opt.rcvhwm, "ZMQ_RCVHWM");
	if (opt.hb_ivl_set)
		setopt_int(s, ZMQ_HEARTBEAT_IVL, opt.hb_ivl, "ZMQ_HEARTBEAT_IVL");
	if (opt.hb_timeout_set)
		setopt_int(s, ZMQ_HEARTBEAT_TIMEOUT, opt.hb_timeout, "ZMQ_HEARTBEAT_TIMEOUT");
	if (opt.hb_ttl_set)
		setopt_int(s, ZMQ_HEARTBEAT_TTL, opt.hb_ttl, "ZMQ_HEARTBEAT_TTL");
	if (opt.reconnect_ivl_set)
		setopt_int(s, ZMQ_RECONNECT_IVL, opt.reconnect_ivl, "ZMQ_RECONNECT_IVL");
	if (opt.handshake_ivl_set)
		setopt_int(s, ZMQ_HANDSHAKE_IVL, opt.handshake_ivl, "ZMQ_HANDSHAKE_IVL");
	if (opt.ipv6)
		setopt_int(s, ZMQ_IPV6, 1, "ZMQ_IPV6");
	if (opt.zap_domain)
		setopt_str(s, ZMQ_ZAP_DOMAIN, opt.zap_domain, strlen(opt.zap_domain), "ZMQ_ZAP_DOMAIN");

	/* mechanism */
	if (opt.plain_client) {
		const char *colon = strchr(opt.plain_client, ':');
		setopt_str(s, ZMQ_PLAIN_USERNAME, opt.plain_client, (size_t)(colon - opt.plain_client),
		           "ZMQ_PLAIN_USERNAME");
		setopt_str(s, ZMQ_PLAIN_PASSWORD, colon + 1, strlen(colon + 1), "ZMQ_PLAIN_PASSWORD");
	}
	if (opt.plain_users.n)
		setopt_int(s, ZMQ_PLAIN_SERVER, 1, "ZMQ_PLAIN_SERVER");
	if (opt.curve_server) {
		setopt_int(s, ZMQ_CURVE_SERVER, 1, "ZMQ_CURVE_SERVER");
		set_curve_key(s, ZMQ_CURVE_SECRETKEY, opt.curve_server, "--curve-server");
	}
	if (opt.curve_client) {
		/* a generated pair is made once and kept for every socket */
		static char pub[41], sec[41];
		if (opt.curve_public) {
			snprintf(pub, sizeof pub, "%s", opt.curve_public);
			snprintf(sec, sizeof sec, "%s", opt.curve_secret);
		} else if (!pub[0] && zmq_curve_keypair(pub, sec) != 0) {
			zfail("zmq_curve_keypair", NULL);
		}
		set_curve_key(s, ZMQ_CURVE_SERVERKEY, opt.curve_client, "--curve-client");
		set_curve_key(s, ZMQ_CURVE_PUBLICKEY, pub, "--curve-public");
		set_curve_key(s, ZMQ_CURVE_SECRETKEY, sec, "--curve-secret");
	}
}

/* handshakes mode measures connections per second: --count times, a new
 * socket configured like the first connects to every --connect endpoint,
 * sends one --size message, waits for its echo and closes. Each round is a
 * whole connection: TCP connect, greeting, mechanism handshake, one round
 * trip. The first socket, made by main, is never connected. */
static int run_handshakes(void *ctx, int type) {
	unsigned char *want = malloc(opt.size > 0 ? (size_t)opt.size : 1);
	if (!want) {
		fprintf(stderr, "zpeer: out of memory\n");
		return EXIT_FAIL;
	}
	fill_pattern(want, (size_t)opt.size, 0);
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	long i;
	for (i = 0; i < opt.count; i++) {
		void *s = zmq_socket(ctx, type);
		if (!s)
			zfail("zmq_socket", opt.type);
		configure(s);
		setopt_int(s, ZMQ_LINGER, 0, "ZMQ_LINGER");
		for (int j = 0; j < opt.connects.n; j++)
			if (zmq_connect(s, opt.connects.v[j]) != 0)
				zfail("zmq_connect", opt.connects.v[j]);
		zmq_msg_t m;
		if (zmq_msg_init_size(&m, (size_t)opt.size) != 0)
			zfail("zmq_msg_init_size", NULL);
		memcpy(zmq_msg_data(&m), want, (size_t)opt.size);
		if (send_msg(s, &m) < 0)
			zfail("send", NULL);
		zmq_msg_init(&m);
		recv_msg(s, &m);
		size_t len = zmq_msg_size(&m);
		int bad = len != (size_t)opt.size || (len && memcmp(zmq_msg_data(&m), want, len) != 0);
		zmq_msg_close(&m);
		zmq_close(s);
		if (bad) {
			out("bad %ld reply (%zu bytes)", i, len);
			free(want);
			return EXIT_FAIL;
		}
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	free(want);
	double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	out("done handshakes=%ld seconds=%.6f per_sec=%.0f", i, secs, secs > 0 ? (double)i / secs : 0.0);
	return EXIT_OK;
}

/* pattern mode prints what send mode would send, as hex, so the harness can
 * check that Go's Pattern and this file agree byte for byte. */
static int run_pattern(void) {
	unsigned char *b = malloc(opt.size > 0 ? (size_t)opt.size : 1);
	char *hex = malloc(2 * (size_t)opt.size + 1);
	if (!b || !hex) {
		fprintf(stderr, "zpeer: out of memory\n");
		return EXIT_FAIL;
	}
	for (long seq = 0; seq < opt.count; seq++) {
		fill_pattern(b, (size_t)opt.size, (uint32_t)seq);
		for (long j = 0; j < opt.size; j++)
			snprintf(hex + 2 * j, 3, "%02x", b[j]);
		hex[2 * opt.size] = '\0';
		out("pattern %ld %s", seq, opt.size ? hex : "-");
	}
	free(b);
	free(hex);
	return EXIT_OK;
}

static int run_idle(void) {
	if (opt.timeout == 0)
		for (;;)
			pause();
	sleep_ms(opt.timeout);
	out("done idle");
	return EXIT_OK;
}

/* ---- main ---------------------------------------------------------------- */

int main(int argc, char **argv) {
	setvbuf(stdout, NULL, _IOLBF, 0);
	parse_args(argc, argv);
	if (!strcmp(opt.mode, "pattern"))
		finish(run_pattern());
	int type = socket_type(opt.type);
	check_mode(opt.mode, opt.type);
	idle_mode = strcmp(opt.mode, "idle") == 0;

	/* The deadline covers everything, teardown included; idle mode's own
	 * deadline is its success, so its watchdog allows 5 s to tear down. */
	if (opt.timeout > 0)
		start_watchdog(idle_mode ? opt.timeout + 5000 : opt.timeout);

	void *ctx = zmq_ctx_new();
	if (!ctx)
		zfail("zmq_ctx_new", NULL);
	void *s = zmq_socket(ctx, type);
	if (!s)
		zfail("zmq_socket", opt.type);

	configure(s);

	/* ZAP handler: bound before any bind so no handshake can miss it */
	pthread_t zap_th, mon_th;
	int zap_on = opt.plain_users.n || opt.curve_server || opt.zap_domain;
	if (zap_on) {
		void *z = zmq_socket(ctx, ZMQ_REP);
		if (!z)
			zfail("zmq_socket", "ZAP REP");
		setopt_int(z, ZMQ_LINGER, 0, "ZMQ_LINGER (ZAP)");
		if (zmq_bind(z, "inproc://zeromq.zap.01") != 0)
			zfail("zmq_bind", "inproc://zeromq.zap.01");
		if (pthread_create(&zap_th, NULL, zap_handler, z) != 0) {
			fprintf(stderr, "zpeer: cannot start the ZAP thread\n");
			finish(EXIT_FAIL);
		}
	}

	/* monitor: connected before any bind/connect so no event is lost */
	if (opt.monitor) {
		if (zmq_socket_monitor(s, "inproc://zpeer.monitor", ZMQ_EVENT_ALL) != 0)
			zfail("zmq_socket_monitor", NULL);
		void *m = zmq_socket(ctx, ZMQ_PAIR);
		if (!m)
			zfail("zmq_socket", "monitor PAIR");
		setopt_int(m, ZMQ_LINGER, 0, "ZMQ_LINGER (monitor)");
		if (zmq_connect(m, "inproc://zpeer.monitor") != 0)
			zfail("zmq_connect", "inproc://zpeer.monitor");
		if (pthread_create(&mon_th, NULL, monitor_thread, m) != 0) {
			fprintf(stderr, "zpeer: cannot start the monitor thread\n");
			finish(EXIT_FAIL);
		}
	}

	for (int i = 0; i < opt.binds.n; i++) {
		char ep[1024];
		size_t len = sizeof ep;
		if (zmq_bind(s, opt.binds.v[i]) != 0)
			zfail("zmq_bind", opt.binds.v[i]);
		if (zmq_getsockopt(s, ZMQ_LAST_ENDPOINT, ep, &len) != 0)
			zfail("ZMQ_LAST_ENDPOINT", NULL);
		out("bound %s", ep);
	}
	int handshakes = strcmp(opt.mode, "handshakes") == 0;
	for (int i = 0; i < opt.connects.n && !handshakes; i++)
		if (zmq_connect(s, opt.connects.v[i]) != 0)
			zfail("zmq_connect", opt.connects.v[i]);
	for (int i = 0; i < opt.joins.n; i++) {
		if (zmq_join(s, opt.joins.v[i]) != 0)
			zfail("zmq_join", opt.joins.v[i]);
	}
	out("ready");

	int rc;
	if (!strcmp(opt.mode, "echo"))
		rc = run_echo(s);
	else if (!strcmp(opt.mode, "send"))
		rc = run_send(s);
	else if (!strcmp(opt.mode, "recv"))
		rc = run_recv(s);
	else if (!strcmp(opt.mode, "reqrep"))
		rc = run_reqrep(s);
	else if (handshakes)
		rc = run_handshakes(ctx, type);
	else
		rc = run_idle();

	/* Teardown: closing the socket stops its monitor; ctx_term waits for
	 * linger and makes the ZAP and monitor threads' recv fail with ETERM. */
	zmq_close(s);
	zmq_ctx_term(ctx);
	if (zap_on)
		pthread_join(zap_th, NULL);
	if (opt.monitor)
		pthread_join(mon_th, NULL);
	finish(rc);
	return rc;
}
