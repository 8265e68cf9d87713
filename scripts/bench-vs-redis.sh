#!/usr/bin/env bash
# bench-vs-redis.sh: Redis and a zmesh storage server on this machine, same
# run, same loads, side by side (issue 18's table).
#
#   scripts/bench-vs-redis.sh                # every case, 3 rounds of ~5 s, medians
#   ROUNDS=5 DUR=10 scripts/bench-vs-redis.sh
#   CASES='durable' scripts/bench-vs-redis.sh   # only cases whose name matches
#   SERVER_PROCS=1 scripts/bench-vs-redis.sh    # the zmesh servers with GOMAXPROCS=1
#
# Redis comes from Debian (redis-server, redis-tools; installed with apt-get
# if missing) and runs twice on loopback, each on its own port and in its
# own temporary directory: once with appendonly yes and appendfsync always
# (every write fsynced before the reply; concurrent clients share the fsync
# of an event-loop turn), once with no persistence. zmesh serve runs twice
# too: on its default volume (the engine, sync: always: a put is answered
# once synced, concurrent puts share the sync) and on a memory volume.
# redis-benchmark (SET, GET; -c 1 and 64 clients, one request in flight
# each; -d 64 and 4096 bytes; keys drawn from 10 000) is set beside
# `zmesh bench store put|get` (--callers 1 and 64 sharing one client,
# --size 64 and 4096, --keys 10000). Each case alternates the two tools,
# ROUNDS times; the table gives medians, the ratio zmesh/Redis of requests
# per second, and the load average: this machine is shared, read ratios.
# redis-benchmark runs a number of requests, not a duration: the first
# round of each case is sized from a short calibration run.
#
# SERVER_PROCS sets GOMAXPROCS for the two zmesh servers (unset: Go's
# default, every core). Redis serves from one event loop, one core; on a
# machine that also runs the load tools, a server that may use every core
# competes with them (docs/storage-server.md, "One core or every core").
set -euo pipefail
cd "$(dirname "$0")/.."

rounds="${ROUNDS:-3}"
dur="${DUR:-5}"
cases_re="${CASES:-.}"
server_procs="${SERVER_PROCS:-}"
serve_env=()
[ -z "$server_procs" ] || serve_env=("GOMAXPROCS=$server_procs")
keys=10000

if ! command -v redis-server >/dev/null || ! command -v redis-benchmark >/dev/null; then
	echo "installing redis-server and redis-tools with apt-get" >&2
	sudo=""
	[ "$(id -u)" = 0 ] || sudo=sudo
	$sudo apt-get -o DPkg::Lock::Timeout=600 install -y redis-server redis-tools >&2
fi

work=$(mktemp -d)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT
go build -o "$work/zmesh" ./cmd/zmesh

port=$((20000 + RANDOM % 20000))
redis_durable=$port redis_memory=$((port + 1)) zmesh_engine=$((port + 2)) zmesh_memory=$((port + 3))

mkdir -p "$work/redis-durable" "$work/redis-memory"
redis-server --port "$redis_durable" --bind 127.0.0.1 --dir "$work/redis-durable" --save '' \
	--appendonly yes --appendfsync always --daemonize no --logfile "$work/redis-durable.log" &
pids+=($!)
redis-server --port "$redis_memory" --bind 127.0.0.1 --dir "$work/redis-memory" --save '' \
	--appendonly no --daemonize no --logfile "$work/redis-memory.log" &
pids+=($!)
env "${serve_env[@]}" "$work/zmesh" serve --data "$work/zmesh-data" --bind "tcp://127.0.0.1:$zmesh_engine" --feed none 2>"$work/zmesh-engine.log" &
pids+=($!)
cat >"$work/memory.yaml" <<EOF
server: {bind: ["tcp://127.0.0.1:$zmesh_memory"]}
storages:
  default: {key_expr: "**", volume: memory}
EOF
env "${serve_env[@]}" "$work/zmesh" serve -c "$work/memory.yaml" 2>"$work/zmesh-memory.log" &
pids+=($!)

wait_ready() { # log
	for _ in $(seq 200); do
		grep -q "ready;" "$1" 2>/dev/null && return 0
		sleep 0.05
	done
	echo "not ready: $1" >&2
	cat "$1" >&2
	exit 1
}
wait_ready "$work/zmesh-engine.log"
wait_ready "$work/zmesh-memory.log"
for p in "$redis_durable" "$redis_memory"; do
	for _ in $(seq 200); do redis-cli -p "$p" ping >/dev/null 2>&1 && break; sleep 0.05; done
done
grep -q "volume data: engine" "$work/zmesh-engine.log" || { cat "$work/zmesh-engine.log" >&2; exit 1; }

declare -A n_for # case -> redis-benchmark request count for about $dur seconds

# redis: prints "rps p50_ms p99_ms".
redis_run() { # port test clients size n
	redis-benchmark -p "$1" -t "$2" -c "$3" -d "$4" -n "$5" -r "$keys" --csv 2>/dev/null |
		awk -F'"' 'NR > 1 && $2 != "" {print $4, $10, $14; exit}'
}

# zmesh: prints "ops/s p50_ms p99_ms errors".
zmesh_run() { # port op callers size
	"$work/zmesh" bench store "$2" --connect "tcp://127.0.0.1:$1" --callers "$3" --size "$4" --keys "$keys" \
		--duration "${dur}s" --json |
		python3 -c 'import json,sys; r=json.load(sys.stdin); print(r["ops_per_sec"], r["p50_us"]/1e3, r["p99_us"]/1e3, r["errors"])'
}

median() { printf '%s\n' "$@" | sort -g | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}'; }

rows=()
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
for mode in durable memory; do
	if [ "$mode" = durable ]; then rport=$redis_durable zport=$zmesh_engine; else rport=$redis_memory zport=$zmesh_memory; fi
	for op in set get; do
		zop=put
		[ "$op" = get ] && zop=get
		for c in 1 64; do
			for d in 64 4096; do
				name="$mode $op -c $c -d $d"
				[[ "$name" =~ $cases_re ]] || continue
				if [ -z "${n_for[$name]:-}" ]; then # calibrate: about a fifth of a second of requests
					probe=$((c == 1 ? 300 : 3000))
					read -r rps _ < <(redis_run "$rport" "$op" "$c" "$d" "$probe")
					n_for[$name]=$(awk -v r="$rps" -v d="$dur" 'BEGIN {n = int(r * d); if (n < 1000) n = 1000; print n}')
				fi
				r_rps=() r_p50=() r_p99=() z_rps=() z_p50=() z_p99=() z_err=0
				for round in $(seq "$rounds"); do
					# Alternate which tool goes first.
					if [ $((round % 2)) = 1 ]; then
						read -r a b e < <(redis_run "$rport" "$op" "$c" "$d" "${n_for[$name]}")
						read -r f g h k < <(zmesh_run "$zport" "$zop" "$c" "$d")
					else
						read -r f g h k < <(zmesh_run "$zport" "$zop" "$c" "$d")
						read -r a b e < <(redis_run "$rport" "$op" "$c" "$d" "${n_for[$name]}")
					fi
					r_rps+=("$a") r_p50+=("$b") r_p99+=("$e") z_rps+=("$f") z_p50+=("$g") z_p99+=("$h")
					z_err=$((z_err + k))
					echo "$name round $round: redis $a/s, zmesh $f/s" >&2
				done
				rr=$(median "${r_rps[@]}") zr=$(median "${z_rps[@]}")
				rows+=("$(awk -v name="$name" -v rr="$rr" -v zr="$zr" -v rp50="$(median "${r_p50[@]}")" -v rp99="$(median "${r_p99[@]}")" \
					-v zp50="$(median "${z_p50[@]}")" -v zp99="$(median "${z_p99[@]}")" -v err="$z_err" \
					'BEGIN {printf "| %s | %.0f | %.3f / %.3f | %.0f | %.3f / %.3f | %d | %.2fx |", name, rr, rp50, rp99, zr, zp50, zp99, err, zr / rr}')")
			done
		done
	done
done
load_after=$(cut -d' ' -f1-3 /proc/loadavg)

echo "# zmesh storage server vs Redis $(redis-server --version | sed 's/.*v=\([^ ]*\).*/\1/') ($(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, ${rounds} rounds of ~${dur}s, medians)"
echo
echo "durable: Redis appendonly yes + appendfsync always vs zmesh serve's default engine volume (sync: always)."
echo "memory: Redis without persistence vs a zmesh memory volume. set = Redis SET / zmesh put."
echo "-c: concurrent clients (Redis) / callers sharing one client (zmesh), one request in flight each; -d: value bytes."
echo "zmesh servers: GOMAXPROCS=${server_procs:-$(nproc), the Go default}."
echo
echo "| case | Redis req/s | Redis p50 / p99 ms | zmesh req/s | zmesh p50 / p99 ms | zmesh errors | zmesh/Redis |"
echo "|---|---:|---:|---:|---:|---:|---:|"
printf '%s\n' "${rows[@]}"
echo
echo "load average before: $load_before; after: $load_after"
