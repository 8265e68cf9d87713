#!/usr/bin/env bash
# readme-plot.sh: measure and draw the plot the README shows,
# docs/plots/vs-anchors.svg, from figures taken now on this machine:
#
#   docs/plots/vs-libzmq.txt     scripts/bench-vs-libzmq.sh's table for the
#                                plain tcp cases (16 B, 1 KiB, 64 KiB
#                                throughput; 16 B latency), ROUNDS rounds
#   docs/plots/latency.jsonl     round-trip percentiles of 16 B messages:
#                                `zmesh bench lat --json` (CLIENT/SERVER
#                                echo over tcp) and redis-benchmark's PING
#                                with one client (Redis's round trip)
#
#   scripts/plot/readme-plot.sh            # ROUNDS=1, about 2 minutes
#   ROUNDS=3 scripts/plot/readme-plot.sh
#
# Needs libzmq's perf tools (scripts/install-libzmq.sh, run by the bench
# script) and Debian's redis-server and redis-benchmark.
set -euo pipefail
cd "$(dirname "$0")/../.."

out=docs/plots
mkdir -p "$out"
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT
count=${COUNT:-50000}

CASES='^tcp (16 B|1 KiB|64 KiB) (thr|lat)$' ROUNDS="${ROUNDS:-1}" bash scripts/bench-vs-libzmq.sh >"$out/vs-libzmq.txt"

go build -o "$work/zmesh" ./cmd/zmesh
port=$((20000 + RANDOM % 20000))
"$work/zmesh" bench lat --bind "tcp://127.0.0.1:$port" >/dev/null 2>&1 &
zpid=$!
sleep 0.3
{
	echo "# round trips of 16 B messages, $count each; load average $(cut -d' ' -f1-3 /proc/loadavg)"
	"$work/zmesh" bench lat --connect "tcp://127.0.0.1:$port" --size 16 --count "$count" --progress 0 --json
} >"$out/latency.jsonl"
kill $zpid 2>/dev/null || true

rport=$((port + 1))
redis-server --port "$rport" --bind 127.0.0.1 --save '' --appendonly no --daemonize no >/dev/null &
sleep 0.5
# CSV: "test","rps","avg_latency_ms","min_latency_ms","p50_latency_ms","p95_latency_ms","p99_latency_ms","max_latency_ms"
redis-benchmark -p "$rport" -c 1 -n "$count" -d 16 -t ping_mbulk --csv |
	awk -F'"' 'NR == 2 {
		printf "{\"tool\":\"redis\",\"label\":\"PING\",\"mode\":\"lat\",\"size\":16,\"latency_us\":{\"min\":%g,\"p50\":%g,\"p95\":%g,\"p99\":%g,\"max\":%g}}\n",
			$8*1000, $10*1000, $12*1000, $14*1000, $16*1000 }' >>"$out/latency.jsonl"
redis-cli -p "$rport" shutdown nosave >/dev/null 2>&1 || true

go run ./scripts/plot -o "$out/vs-anchors.svg" -title "zmesh beside libzmq and Redis (tcp, loopback, $(nproc) shared cores)" \
	"$out/vs-libzmq.txt" "$out/latency.jsonl"
