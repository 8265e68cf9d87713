#!/usr/bin/env bash
# Soak test of `zmesh serve` (not part of `make test`): builds zmesh and the
# load program (scripts/soak), runs the server with an fs volume in a
# temporary directory under mixed load for DURATION (default 10m; e.g.
# DURATION=60s): 64 callers doing puts and gets, a client that never reads,
# 4 slowloris connections (greeting, then one byte a second), junk
# connections (random bytes), and a kill -9 and restart of the server every
# minute. It prints per minute the callers' throughput and latency and the
# server's RSS, open fds and goroutines, and at the end acknowledged vs
# readable writes: every acknowledged put must be readable after the last
# restart (exit status 1 otherwise).
#
# Loopback only; bounded in connections and time; it stops by itself.
# Extra flags go to the load program (see `go run ./scripts/soak -h`).
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION=${DURATION:-10m}
work=$(mktemp -d "${TMPDIR:-/tmp}/zmesh-soak.XXXXXX")
trap 'rm -rf "$work"' EXIT
go build -o "$work/zmesh" ./cmd/zmesh
go build -o "$work/soak" ./scripts/soak
status=0
"$work/soak" -zmesh "$work/zmesh" -dir "$work" -duration "$DURATION" "$@" || status=$?
if [ "$status" -ne 0 ]; then
	echo "--- last lines of the server log ---"
	tail -n 20 "$work/server.log" || true
fi
exit "$status"
