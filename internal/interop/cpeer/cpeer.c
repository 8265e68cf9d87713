/*
 * cpeer: one classic ZeroMQ socket on a stock libzmq (Debian's libzmq5, no
 * draft API), driven line by line on stdin, for zmesh's interop tests. The
 * same command language is spoken by pypeer.py (pyzmq) and zmq4peer (go-
 * zeromq/zmq4); internal/interop/classic.go drives all three.
 *
 * cpeer --type req|rep|dealer|router|pub|sub|xpub|xsub|push|pull|pair
 *       [--routing-id HEX] [--timeout MS] [--linger MS]
 *       [--plain-server USER:PASS] [--plain-client USER:PASS]
 *       [--curve-server SECRET_Z85 [--curve-allow PUBLIC_Z85]...]
 *       [--curve-client SERVER_PUBLIC_Z85 --curve-public Z85 --curve-secret Z85]
 * A PLAIN or CURVE server runs a ZAP handler admitting the --plain-server
 * USER:PASS users and the --curve-allow Z85 keys (both repeatable; none
 * given: anyone).
 * cpeer --check          prints "libzmq X.Y.Z draft=0|1 curve=0|1" and exits
 *
 * Commands (one a line) and their answers (one a line, stdout):
 *   bind EP            bound <ZMQ_LAST_ENDPOINT>
 *   connect EP         ok
 *   send SPEC          ok | err <text>
 *   recv [MS]          msg SPEC | timeout | err <text>   (waits up to MS, default --timeout)
 *   sub HEX / unsub HEX   ok   (SUB: ZMQ_SUBSCRIBE/UNSUBSCRIBE; XSUB: sends 01/00+topic)
 *   sleep MS           ok
 *   quit               bye, then close and exit 0 (also on end of input)
 * SPEC is a message: its frames in hex joined by ",", an empty frame as ".".
 * Exit status: 0 after quit or end of input, 1 on a libzmq setup error, 64
 * on a bad command line.
 */
#include <zmq.h>
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAXLINE (1 << 20)
#define MAXFRAMES 4096

static void die(const char *what)
{
	fprintf(stderr, "cpeer: %s: %s\n", what, zmq_strerror(zmq_errno()));
	exit(1);
}

static void usage(const char *msg)
{
	fprintf(stderr, "cpeer: %s\n", msg);
	exit(64);
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9') return c - '0';
	if (c >= 'a' && c <= 'f') return c - 'a' + 10;
	if (c >= 'A' && c <= 'F') return c - 'A' + 10;
	return -1;
}

/* unhex decodes s[0..n) into out; returns the length or -1. */
static long unhex(const char *s, size_t n, unsigned char *out)
{
	if (n % 2) return -1;
	for (size_t i = 0; i < n; i += 2) {
		int hi = hexval(s[i]), lo = hexval(s[i + 1]);
		if (hi < 0 || lo < 0) return -1;
		out[i / 2] = (unsigned char)(hi << 4 | lo);
	}
	return (long)(n / 2);
}

static const struct { const char *name; int type; } types[] = {
	{"req", ZMQ_REQ}, {"rep", ZMQ_REP}, {"dealer", ZMQ_DEALER},
	{"router", ZMQ_ROUTER}, {"pub", ZMQ_PUB}, {"sub", ZMQ_SUB},
	{"xpub", ZMQ_XPUB}, {"xsub", ZMQ_XSUB}, {"push", ZMQ_PUSH},
	{"pull", ZMQ_PULL}, {"pair", ZMQ_PAIR},
};

static void setopt(void *s, int opt, const void *v, size_t n, const char *what)
{
	if (zmq_setsockopt(s, opt, v, n) != 0) die(what);
}

static void setint(void *s, int opt, int v, const char *what)
{
	setopt(s, opt, &v, sizeof v, what);
}

/* sendspec sends the message SPEC; returns 0 or -1 with errno set. */
static int sendspec(void *s, char *spec, unsigned char *buf)
{
	char *frames[MAXFRAMES];
	int n = 0;
	char *p = spec;
	for (;;) {
		if (n == MAXFRAMES) { errno = EINVAL; return -1; }
		frames[n++] = p;
		char *c = strchr(p, ',');
		if (!c) break;
		*c = 0;
		p = c + 1;
	}
	for (int i = 0; i < n; i++) {
		long len = 0;
		if (strcmp(frames[i], ".") != 0) {
			len = unhex(frames[i], strlen(frames[i]), buf);
			if (len < 0) { errno = EINVAL; return -1; }
		}
		if (zmq_send(s, buf, (size_t)len, i < n - 1 ? ZMQ_SNDMORE : 0) < 0) return -1;
	}
	return 0;
}

/* recvspec receives one message and prints "msg SPEC"; returns 0 or -1. */
static int recvspec(void *s)
{
	static char out[2 * MAXLINE + 16];
	size_t o = 0;
	int more = 1, first = 1;
	while (more) {
		zmq_msg_t m;
		zmq_msg_init(&m);
		if (zmq_msg_recv(&m, s, 0) < 0) {
			zmq_msg_close(&m);
			return -1;
		}
		size_t n = zmq_msg_size(&m);
		const unsigned char *d = zmq_msg_data(&m);
		more = zmq_msg_more(&m);
		if (!first && o < sizeof out - 1) out[o++] = ',';
		first = 0;
		if (n == 0 && o < sizeof out - 1) out[o++] = '.';
		for (size_t i = 0; i < n && o + 2 < sizeof out - 1; i++)
			o += (size_t)sprintf(out + o, "%02x", d[i]);
		zmq_msg_close(&m);
	}
	out[o] = 0;
	printf("msg %s\n", out);
	return 0;
}

/*
 * readline reads one command line from fd 0 into line (without the newline);
 * returns 0, or -1 at end of input. While no command is there it calls
 * ZMQ_EVENTS on the socket every 20 ms: libzmq does a socket's deferred work
 * (attaching a new peer's pipe, sending an XSUB's subscriptions to it) only
 * inside an API call on that socket, so an idle peer must keep calling.
 */
static char inbuf[2 * MAXLINE + 64];
static size_t inlen;

static int readline(void *s, char *line, size_t cap)
{
	for (;;) {
		char *nl = memchr(inbuf, '\n', inlen);
		if (nl) {
			size_t n = (size_t)(nl - inbuf);
			if (n >= cap) n = cap - 1;
			memcpy(line, inbuf, n);
			line[n] = 0;
			if (n && line[n - 1] == '\r') line[n - 1] = 0;
			size_t used = (size_t)(nl - inbuf) + 1;
			memmove(inbuf, inbuf + used, inlen - used);
			inlen -= used;
			return 0;
		}
		if (inlen == sizeof inbuf) return -1; /* a line longer than any command */
		struct pollfd p = {.fd = 0, .events = POLLIN};
		int rc = poll(&p, 1, 20);
		if (rc == 0) {
			int ev;
			size_t evl = sizeof ev;
			zmq_getsockopt(s, ZMQ_EVENTS, &ev, &evl);
			continue;
		}
		if (rc < 0 && errno == EINTR) continue;
		ssize_t r = read(0, inbuf + inlen, sizeof inbuf - inlen);
		if (r <= 0) return -1;
		inlen += (size_t)r;
	}
}

/*
 * The ZAP handler (RFC 27): libzmq 4.3's PLAIN server refuses every client
 * unless a handler answers on inproc://zeromq.zap.01. This one admits the
 * --plain-server USER:PASS users (any user when none is given) and every
 * CURVE or NULL client. It runs until the context is terminated.
 */
#define MAXUSERS 16
static const char *plain_users[MAXUSERS];
static int nplain_users;
static unsigned char curve_keys[MAXUSERS][32];
static int ncurve_keys;

static int zap_frame(void *s, zmq_msg_t *m)
{
	zmq_msg_init(m);
	return zmq_msg_recv(m, s, 0);
}

/* The handler's socket is bound by main before the thread starts (which
 * hands it over with a full fence, as libzmq allows), so no handshake can
 * come before it and a quick run cannot end before the thread binds. */
static void *zap_handler(void *zap_socket)
{
	void *s = zap_socket;
	for (;;) {
		zmq_msg_t f[8];
		int n = 0, more = 1;
		while (more) {
			zmq_msg_t m;
			if (zap_frame(s, &m) < 0) {
				zmq_msg_close(&m);
				for (int i = 0; i < n; i++) zmq_msg_close(&f[i]);
				zmq_close(s);
				return NULL; /* context terminated */
			}
			more = zmq_msg_more(&m);
			if (n < 8) f[n++] = m;
			else zmq_msg_close(&m);
		}
		/* version, request id, domain, address, identity, mechanism, credentials... */
		const char *status = "200";
		if (n >= 7 && zmq_msg_size(&f[5]) == 5 && !memcmp(zmq_msg_data(&f[5]), "CURVE", 5) && ncurve_keys) {
			status = "400";
			for (int i = 0; i < ncurve_keys; i++)
				if (zmq_msg_size(&f[6]) == 32 && !memcmp(zmq_msg_data(&f[6]), curve_keys[i], 32)) status = "200";
		}
		if (n >= 6 && zmq_msg_size(&f[5]) == 5 && !memcmp(zmq_msg_data(&f[5]), "PLAIN", 5) && nplain_users) {
			status = "400";
			if (n >= 8) {
				char up[600];
				int len = snprintf(up, sizeof up, "%.*s:%.*s",
					(int)zmq_msg_size(&f[6]), (const char *)zmq_msg_data(&f[6]),
					(int)zmq_msg_size(&f[7]), (const char *)zmq_msg_data(&f[7]));
				for (int i = 0; i < nplain_users && len > 0; i++)
					if (!strcmp(up, plain_users[i])) status = "200";
			}
		}
		zmq_send(s, "1.0", 3, ZMQ_SNDMORE);
		zmq_send(s, n > 1 ? zmq_msg_data(&f[1]) : "", n > 1 ? zmq_msg_size(&f[1]) : 0, ZMQ_SNDMORE);
		zmq_send(s, status, 3, ZMQ_SNDMORE);
		zmq_send(s, "", 0, ZMQ_SNDMORE);
		zmq_send(s, "", 0, ZMQ_SNDMORE);
		zmq_send(s, "", 0, 0);
		for (int i = 0; i < n; i++) zmq_msg_close(&f[i]);
	}
}

int main(int argc, char **argv)
{
	const char *type = NULL, *rid = NULL, *plain_client = NULL, *curve_server = NULL;
	const char *curve_client = NULL, *curve_public = NULL, *curve_secret = NULL;
	int timeout = 10000, linger = 0, plain_server = 0;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (!strcmp(a, "--check")) {
			int ma, mi, pa;
			zmq_version(&ma, &mi, &pa);
			printf("libzmq %d.%d.%d draft=%d curve=%d\n", ma, mi, pa, zmq_has("draft"), zmq_has("curve"));
			return 0;
		}
		if (!v) usage("missing value after an option");
		i++;
		if (!strcmp(a, "--type")) type = v;
		else if (!strcmp(a, "--routing-id")) rid = v;
		else if (!strcmp(a, "--timeout")) timeout = atoi(v);
		else if (!strcmp(a, "--linger")) linger = atoi(v);
		else if (!strcmp(a, "--plain-server")) {
			plain_server = 1;
			if (nplain_users == MAXUSERS) usage("too many --plain-server users");
			plain_users[nplain_users++] = v;
		}
		else if (!strcmp(a, "--plain-client")) plain_client = v;
		else if (!strcmp(a, "--curve-server")) curve_server = v;
		else if (!strcmp(a, "--curve-client")) curve_client = v;
		else if (!strcmp(a, "--curve-allow")) {
			if (ncurve_keys == MAXUSERS || strlen(v) != 40 || !zmq_z85_decode(curve_keys[ncurve_keys++], v))
				usage("bad --curve-allow key");
		}
		else if (!strcmp(a, "--curve-public")) curve_public = v;
		else if (!strcmp(a, "--curve-secret")) curve_secret = v;
		else usage("unknown option");
	}
	if (!type) usage("--type is required");
	int zt = -1;
	for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
		if (!strcmp(type, types[i].name)) zt = types[i].type;
	if (zt < 0) usage("unknown --type");

	setvbuf(stdout, NULL, _IOLBF, 0);
	void *ctx = zmq_ctx_new();
	pthread_t zap;
	if (plain_server || curve_server) {
		void *zs = zmq_socket(ctx, ZMQ_REP);
		if (!zs || zmq_bind(zs, "inproc://zeromq.zap.01") != 0) die("ZAP handler");
		if (pthread_create(&zap, NULL, zap_handler, zs) != 0) usage("cannot start the ZAP handler");
	}
	void *s = zmq_socket(ctx, zt);
	if (!s) die("zmq_socket");
	setint(s, ZMQ_LINGER, linger, "ZMQ_LINGER");
	setint(s, ZMQ_RCVTIMEO, timeout, "ZMQ_RCVTIMEO");
	setint(s, ZMQ_SNDTIMEO, timeout, "ZMQ_SNDTIMEO");
	static unsigned char buf[MAXLINE];
	if (rid) {
		long n = unhex(rid, strlen(rid), buf);
		if (n < 0) usage("--routing-id is not hex");
		setopt(s, ZMQ_ROUTING_ID, buf, (size_t)n, "ZMQ_ROUTING_ID");
	}
	if (plain_server) setint(s, ZMQ_PLAIN_SERVER, 1, "ZMQ_PLAIN_SERVER");
	if (plain_client) {
		const char *c = strchr(plain_client, ':');
		if (!c) usage("--plain-client wants USER:PASS");
		setopt(s, ZMQ_PLAIN_USERNAME, plain_client, (size_t)(c - plain_client), "ZMQ_PLAIN_USERNAME");
		setopt(s, ZMQ_PLAIN_PASSWORD, c + 1, strlen(c + 1), "ZMQ_PLAIN_PASSWORD");
	}
	if (curve_server) {
		setint(s, ZMQ_CURVE_SERVER, 1, "ZMQ_CURVE_SERVER");
		setopt(s, ZMQ_CURVE_SECRETKEY, curve_server, 40, "ZMQ_CURVE_SECRETKEY");
	}
	if (curve_client) {
		if (!curve_public || !curve_secret) usage("--curve-client needs --curve-public and --curve-secret");
		setopt(s, ZMQ_CURVE_SERVERKEY, curve_client, 40, "ZMQ_CURVE_SERVERKEY");
		setopt(s, ZMQ_CURVE_PUBLICKEY, curve_public, 40, "ZMQ_CURVE_PUBLICKEY");
		setopt(s, ZMQ_CURVE_SECRETKEY, curve_secret, 40, "ZMQ_CURVE_SECRETKEY");
	}

	static char line[2 * MAXLINE + 64];
	while (readline(s, line, sizeof line) == 0) {
		size_t n = strlen(line);
		char *arg = strchr(line, ' ');
		if (arg) *arg++ = 0;
		else arg = line + n;
		if (!strcmp(line, "quit")) break;
		if (!strcmp(line, "bind")) {
			if (zmq_bind(s, arg) != 0) { printf("err bind: %s\n", zmq_strerror(zmq_errno())); continue; }
			char ep[256];
			size_t el = sizeof ep;
			if (zmq_getsockopt(s, ZMQ_LAST_ENDPOINT, ep, &el) != 0) die("ZMQ_LAST_ENDPOINT");
			printf("bound %s\n", ep);
		} else if (!strcmp(line, "connect")) {
			if (zmq_connect(s, arg) != 0) printf("err connect: %s\n", zmq_strerror(zmq_errno()));
			else printf("ok\n");
		} else if (!strcmp(line, "send")) {
			if (sendspec(s, arg, buf) != 0) printf("err send: %s\n", zmq_strerror(zmq_errno()));
			else printf("ok\n");
		} else if (!strcmp(line, "recv")) {
			if (*arg) setint(s, ZMQ_RCVTIMEO, atoi(arg), "ZMQ_RCVTIMEO");
			if (recvspec(s) != 0) {
				if (zmq_errno() == EAGAIN) printf("timeout\n");
				else printf("err recv: %s\n", zmq_strerror(zmq_errno()));
			}
			if (*arg) setint(s, ZMQ_RCVTIMEO, timeout, "ZMQ_RCVTIMEO");
		} else if (!strcmp(line, "sub") || !strcmp(line, "unsub")) {
			int on = !strcmp(line, "sub");
			long tl = unhex(arg, strlen(arg), buf + 1);
			if (tl < 0) { printf("err topic is not hex\n"); continue; }
			int rc;
			if (zt == ZMQ_XSUB) {
				buf[0] = on ? 1 : 0;
				rc = zmq_send(s, buf, (size_t)tl + 1, 0) < 0 ? -1 : 0;
			} else {
				rc = zmq_setsockopt(s, on ? ZMQ_SUBSCRIBE : ZMQ_UNSUBSCRIBE, buf + 1, (size_t)tl);
			}
			if (rc != 0) printf("err %s: %s\n", line, zmq_strerror(zmq_errno()));
			else printf("ok\n");
		} else if (!strcmp(line, "sleep")) {
			usleep((useconds_t)atoi(arg) * 1000);
			printf("ok\n");
		} else {
			printf("err unknown command %s\n", line);
		}
	}
	printf("bye\n");
	zmq_close(s);
	zmq_ctx_term(ctx);
	if (plain_server || curve_server) pthread_join(zap, NULL);
	return 0;
}
