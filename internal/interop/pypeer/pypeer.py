"""pypeer: one classic ZeroMQ socket in pyzmq (Debian's python3-zmq on the
stock libzmq5), driven line by line on stdin, for zmesh's interop tests.

It speaks cpeer's command language (see ../cpeer/cpeer.c): bind, connect,
send SPEC, recv [MS], sub HEX, unsub HEX, sleep MS, quit. Unlike cpeer it
authenticates through zmq.auth: --plain-server USER:PASS (repeatable) admits
exactly those users, --curve-server SECRET admits the --curve-allow keys (any
key when none is given).

Run it with /usr/bin/python3 (the interpreter python3-zmq is installed for).
"""

import argparse
import os
import select
import sys
import time

import zmq
import zmq.auth
from zmq.auth.thread import ThreadAuthenticator

TYPES = {
    "req": zmq.REQ, "rep": zmq.REP, "dealer": zmq.DEALER, "router": zmq.ROUTER,
    "pub": zmq.PUB, "sub": zmq.SUB, "xpub": zmq.XPUB, "xsub": zmq.XSUB,
    "push": zmq.PUSH, "pull": zmq.PULL, "pair": zmq.PAIR,
}


def parse_spec(spec):
    """Frames of a message written as hex joined by ',', '.' for empty."""
    return [b"" if f == "." else bytes.fromhex(f) for f in spec.split(",")]


def format_spec(frames):
    return ",".join(f.hex() if f else "." for f in frames)


class AllowKeys:
    """A zmq.auth CURVE credentials provider admitting a set of Z85 keys."""

    def __init__(self, keys):
        self.keys = {k.encode() for k in keys}

    def callback(self, domain, key):
        return not self.keys or key in self.keys


def commands(s):
    """Command lines from stdin. While none is there, ZMQ_EVENTS is read
    every 20 ms: libzmq does a socket's deferred work (attaching a new
    peer, sending an XSUB's subscriptions to it) only inside an API call on
    that socket, so an idle peer must keep calling."""
    buf = b""
    while True:
        while b"\n" in buf:
            line, buf = buf.split(b"\n", 1)
            yield line.decode().rstrip("\r")
        r, _, _ = select.select([0], [], [], 0.02)
        if not r:
            s.getsockopt(zmq.EVENTS)
            continue
        chunk = os.read(0, 1 << 16)
        if not chunk:
            return
        buf += chunk


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--type", required=True, choices=sorted(TYPES))
    ap.add_argument("--routing-id")
    ap.add_argument("--timeout", type=int, default=10000)
    ap.add_argument("--linger", type=int, default=0)
    ap.add_argument("--plain-server", action="append", default=[])
    ap.add_argument("--plain-client")
    ap.add_argument("--curve-server")
    ap.add_argument("--curve-allow", action="append", default=[])
    ap.add_argument("--curve-client")
    ap.add_argument("--curve-public")
    ap.add_argument("--curve-secret")
    try:
        a = ap.parse_args()
    except SystemExit:
        sys.exit(64)

    ctx = zmq.Context()
    auth = None
    if a.plain_server or a.curve_server:
        auth = ThreadAuthenticator(ctx)
        auth.start()
        if a.plain_server:
            auth.configure_plain(domain="*", passwords=dict(u.split(":", 1) for u in a.plain_server))
        else:
            auth.configure_curve_callback(domain="*", credentials_provider=AllowKeys(a.curve_allow))
    s = ctx.socket(TYPES[a.type])
    s.linger = a.linger
    s.rcvtimeo = a.timeout
    s.sndtimeo = a.timeout
    if a.routing_id:
        s.routing_id = bytes.fromhex(a.routing_id)
    if a.plain_server:
        s.plain_server = True
    if a.plain_client:
        user, pw = a.plain_client.split(":", 1)
        s.plain_username = user.encode()
        s.plain_password = pw.encode()
    if a.curve_server:
        s.curve_server = True
        s.curve_secretkey = a.curve_server.encode()
    if a.curve_client:
        s.curve_serverkey = a.curve_client.encode()
        s.curve_publickey = a.curve_public.encode()
        s.curve_secretkey = a.curve_secret.encode()

    def say(line):
        sys.stdout.write(line + "\n")
        sys.stdout.flush()

    for line in commands(s):
        cmd, _, arg = line.partition(" ")
        try:
            if cmd == "quit":
                break
            elif cmd == "bind":
                s.bind(arg)
                say("bound " + s.last_endpoint.decode())
            elif cmd == "connect":
                s.connect(arg)
                say("ok")
            elif cmd == "send":
                s.send_multipart(parse_spec(arg))
                say("ok")
            elif cmd == "recv":
                if arg:
                    s.rcvtimeo = int(arg)
                try:
                    say("msg " + format_spec(s.recv_multipart()))
                except zmq.Again:
                    say("timeout")
                finally:
                    s.rcvtimeo = a.timeout
            elif cmd in ("sub", "unsub"):
                topic = bytes.fromhex(arg)
                if a.type == "xsub":
                    s.send((b"\x01" if cmd == "sub" else b"\x00") + topic)
                elif cmd == "sub":
                    s.subscribe(topic)
                else:
                    s.unsubscribe(topic)
                say("ok")
            elif cmd == "sleep":
                time.sleep(int(arg) / 1000)
                say("ok")
            else:
                say("err unknown command " + cmd)
        except (zmq.ZMQError, ValueError) as e:
            say("err %s: %s" % (cmd, e))
    say("bye")
    s.close()
    if auth:
        auth.stop()
    ctx.term()


if __name__ == "__main__":
    main()
