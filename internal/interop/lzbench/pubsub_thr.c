/*
 * pubsub_thr: PUB/SUB throughput on libzmq, the counterpart of
 * `zmesh bench thr --type pub-sub` for scripts/bench-vs-libzmq.sh (libzmq's
 * own perf tools have no pub-sub pair). Same roles and message rules:
 *
 *   pubsub_thr sub BIND_EP SIZE COUNT TOPICS
 *       a SUB binds, subscribes to TOPICS topics (t00000, t00001, ...; 0 =
 *       one subscription to everything), receives COUNT messages and prints
 *       "mean throughput: N [msg/s]", timed from the first message.
 *   pubsub_thr pub EP1[,EP2...] SIZE COUNT TOPICS
 *       an XPUB with ZMQ_XPUB_VERBOSE (every subscription is handed up) and
 *       ZMQ_XPUB_NODROP (wait at the high-water mark instead of dropping)
 *       connects to every SUB, waits until all their subscriptions are in,
 *       then sends COUNT messages of SIZE bytes, each starting with the next
 *       topic in turn, and closes (linger: until delivered).
 */
#include <zmq.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void die(const char *what)
{
	fprintf(stderr, "pubsub_thr: %s: %s\n", what, zmq_strerror(zmq_errno()));
	exit(1);
}

static void topic(char *b, int i) /* writes 6 bytes: t + 5 digits */
{
	char t[8];
	snprintf(t, sizeof t, "t%05d", i % 100000);
	memcpy(b, t, 6);
}

int main(int argc, char **argv)
{
	if (argc != 6) {
		fprintf(stderr, "usage: pubsub_thr sub|pub ENDPOINT(S) SIZE COUNT TOPICS\n");
		return 64;
	}
	int size = atoi(argv[3]), count = atoi(argv[4]), topics = atoi(argv[5]);
	if (size < 0 || count < 1 || topics < 0 || (topics > 0 && size < 6)) {
		fprintf(stderr, "pubsub_thr: bad SIZE, COUNT or TOPICS\n");
		return 64;
	}
	void *ctx = zmq_ctx_new();
	char *buf = calloc(1, (size_t)size + 1);
	if (!strcmp(argv[1], "sub")) {
		void *s = zmq_socket(ctx, ZMQ_SUB);
		/* libzmq's SUB drops the subscriptions it cannot queue when a pipe
		 * attaches (xsub.cpp:send_subscription): with thousands of topics
		 * the default SNDHWM of 1000 would lose most of them. */
		int unlimited = 0;
		if (!s || zmq_setsockopt(s, ZMQ_SNDHWM, &unlimited, sizeof unlimited) != 0) die("ZMQ_SNDHWM");
		if (zmq_bind(s, argv[2]) != 0) die("bind");
		if (topics == 0 && zmq_setsockopt(s, ZMQ_SUBSCRIBE, "", 0) != 0) die("subscribe");
		for (int i = 0; i < topics; i++) {
			topic(buf, i);
			if (zmq_setsockopt(s, ZMQ_SUBSCRIBE, buf, 6) != 0) die("subscribe");
		}
		zmq_msg_t m;
		zmq_msg_init(&m);
		void *watch = NULL;
		for (int i = 0; i < count; i++) {
			if (zmq_msg_recv(&m, s, 0) < 0) die("recv");
			if ((int)zmq_msg_size(&m) != size) {
				fprintf(stderr, "pubsub_thr: message of %zu bytes, want %d\n", zmq_msg_size(&m), size);
				return 1;
			}
			if (i == 0) watch = zmq_stopwatch_start();
		}
		unsigned long us = zmq_stopwatch_stop(watch);
		if (us == 0) us = 1;
		printf("message size: %d [B]\nmessage count: %d\nmean throughput: %d [msg/s]\n",
		       size, count, (int)((double)count * 1000000 / us));
		zmq_msg_close(&m);
		zmq_close(s);
	} else if (!strcmp(argv[1], "pub")) {
		void *s = zmq_socket(ctx, ZMQ_XPUB);
		int one = 1;
		if (!s || zmq_setsockopt(s, ZMQ_XPUB_VERBOSE, &one, sizeof one) != 0 ||
		    zmq_setsockopt(s, ZMQ_XPUB_NODROP, &one, sizeof one) != 0)
			die("xpub");
		int subs = 0;
		for (char *ep = strtok(argv[2], ","); ep; ep = strtok(NULL, ",")) {
			if (zmq_connect(s, ep) != 0) die("connect");
			subs++;
		}
		long want = (long)subs * (topics > 0 ? topics : 1);
		char note[300];
		for (long got = 0; got < want;) {
			int n = zmq_recv(s, note, sizeof note, 0);
			if (n < 0) die("recv subscription");
			if (n > 0 && note[0] == 1) got++;
		}
		for (int i = 0; i < count; i++) {
			if (topics > 0) topic(buf, i % topics);
			if (zmq_send(s, buf, (size_t)size, 0) < 0) die("send");
		}
		zmq_close(s);
	} else {
		fprintf(stderr, "pubsub_thr: want sub or pub\n");
		return 64;
	}
	zmq_ctx_term(ctx);
	free(buf);
	return 0;
}
