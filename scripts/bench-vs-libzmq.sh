#!/usr/bin/env bash
# bench-vs-libzmq.sh: run libzmq's perf tools and `zmesh bench` back to
# back on this machine and print each pair with the ratio.
#
#   scripts/bench-vs-libzmq.sh            # every case, 3 rounds, medians
#   ROUNDS=5 PIN=1 scripts/bench-vs-libzmq.sh
#   CASES='CURVE|NOISE' scripts/bench-vs-libzmq.sh   # only cases whose name matches
#
# libzmq's tools (local_thr/remote_thr: PUSH/PULL; local_lat/remote_lat:
# REQ/REP; inproc_thr) come from the cached drafts build that
# scripts/install-libzmq.sh makes (it is run first). zmesh runs the same
# roles with SCATTER/GATHER for throughput and CLIENT/SERVER for latency.
# The classic rows set the same libzmq tools beside `zmesh bench --type
# push-pull` (PUSH/PULL) and `--type req-rep` (REQ/REP): the very socket
# types local_thr/remote_thr and local_lat/remote_lat use. libzmq has no
# pub-sub perf tool, so the PUB row runs internal/interop/lzbench/
# pubsub_thr.c beside `zmesh bench thr --type pub-sub`: 10 SUB processes,
# each bound and holding 10 000 prefix subscriptions, one XPUB (verbose, no
# drop) connected to all, every message matching one subscription per SUB;
# the figure is the slowest SUB's rate.
# The connections/s rows set zpeer (internal/interop, --mode handshakes) on
# libzmq beside `zmesh bench hs`: a new CLIENT per round connects, completes
# the handshake, makes one 16 B round trip and closes.
# libzmq has no NOISE: the NOISE rows set zmesh's NOISE beside libzmq's
# CURVE, the mechanism a libzmq user would otherwise pick for the same job.
# Each case alternates the two tools ROUNDS times and reports medians, since
# this machine is shared and noisy. PIN=1 pins the receiving process to CPU
# 0 and the sending one to CPU 1, for both tools alike. The load average is
# printed with the table: read ratios, not absolute figures.
set -euo pipefail
cd "$(dirname "$0")/.."

rounds="${ROUNDS:-3}"
cache="${ZMESH_CACHE:-$HOME/.cache/zmesh}"
bash scripts/install-libzmq.sh >/dev/null
bin="${ZMESH_LIBZMQ_PREFIX:-$cache/libzmq-drafts}/bin"
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT
go build -o "$work/zmesh" ./cmd/zmesh
# zpeer (internal/interop) measures libzmq's connections per second.
prefix="${ZMESH_LIBZMQ_PREFIX:-$cache/libzmq-drafts}"
"${CC:-cc}" -O2 -o "$work/zpeer" internal/interop/zpeer/zpeer.c -I"$prefix/include" -L"$prefix/lib" \
	-Wl,-rpath,"$prefix/lib" -lzmq -lpthread
"${CC:-cc}" -O2 -o "$work/pubsub_thr" internal/interop/lzbench/pubsub_thr.c -I"$prefix/include" -L"$prefix/lib" \
	-Wl,-rpath,"$prefix/lib" -lzmq
# libzmq's public CURVE test server key pair (spec section 4.7), which
# zmesh bench uses by default too.
server_secret='JTKVSB%%)wK0E.X)V>+}o?pNmC{O&4W4b!Ni{Lh6'
server_public='rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7'

recv_cpu=() send_cpu=()
if [ "${PIN:-0}" = 1 ] && command -v taskset >/dev/null; then
	recv_cpu=(taskset -c 0) send_cpu=(taskset -c 1)
fi

port=$((20000 + RANDOM % 10000)) # below the ephemeral range (32768-60999 here), so no TIME_WAIT port collides
# next_ep sets ep (the caller's local) to a new endpoint; called directly,
# not in $(...), whose subshell would not move port on.
next_ep() { port=$((port + 1)); ep="tcp://127.0.0.1:$port"; }

# libzmq throughput: prints msg/s.
lz_thr() { # size count curve
	local ep; next_ep
	"${recv_cpu[@]}" "$bin/local_thr" "$ep" "$1" "$2" $3 >"$work/lt" &
	local pid=$!
	sleep 0.3
	"${send_cpu[@]}" "$bin/remote_thr" "$ep" "$1" "$2" $3 >/dev/null
	wait $pid
	awk '/mean throughput:.*msg\/s/ {print $3}' "$work/lt"
}

# zmesh throughput: prints msg/s.
zm_thr() { # size count mechanism
	local ep; next_ep
	"${recv_cpu[@]}" "$work/zmesh" bench thr --bind "$ep" --size "$1" --count "$2" --mechanism "$3" --progress 0 --json >"$work/zt" 2>/dev/null &
	local pid=$!
	sleep 0.3
	"${send_cpu[@]}" "$work/zmesh" bench thr --connect "$ep" --size "$1" --count "$2" --mechanism "$3" --progress 0 >/dev/null
	wait $pid
	sed -n 's/.*"msg_per_sec":\([0-9.]*\).*/\1/p' "$work/zt" | cut -d. -f1
}

# libzmq latency: prints one-way microseconds (remote_lat's "average").
lz_lat() { # size count
	local ep; next_ep
	"${recv_cpu[@]}" "$bin/local_lat" "$ep" "$1" "$2" >/dev/null &
	local pid=$!
	sleep 0.3
	"${send_cpu[@]}" "$bin/remote_lat" "$ep" "$1" "$2" | awk '/average latency/ {print $3}'
	wait $pid
}

# zmesh latency: prints one-way microseconds, computed the same way.
zm_lat() { # size count
	local ep; next_ep
	"${recv_cpu[@]}" "$work/zmesh" bench lat --bind "$ep" >/dev/null 2>&1 &
	local pid=$!
	sleep 0.3
	"${send_cpu[@]}" "$work/zmesh" bench lat --connect "$ep" --size "$1" --count "$2" --progress 0 --json |
		sed -n 's/.*"one_way_us":\([0-9.]*\).*/\1/p'
	kill $pid 2>/dev/null || true
	wait $pid 2>/dev/null || true
}

# libzmq connections per second: a zpeer SERVER echoes while a zpeer
# CLIENT opens COUNT connections one after another (connect, handshake,
# one round trip, close). With curve the server runs zpeer's ZAP handler,
# which accepts every key: one inproc round trip per handshake, as any
# libzmq server that authenticates pays.
lz_hs() { # count curve
	local ep; next_ep
	local srv=() cli=()
	if [ "$2" = 1 ]; then srv=(--curve-server "$server_secret") cli=(--curve-client "$server_public"); fi
	"${recv_cpu[@]}" "$work/zpeer" --type server --bind "$ep" --mode echo --count "$1" --timeout 300000 "${srv[@]}" >/dev/null &
	local pid=$!
	sleep 0.3
	"${send_cpu[@]}" "$work/zpeer" --type client --connect "$ep" --mode handshakes --count "$1" --timeout 300000 "${cli[@]}" |
		sed -n 's/.*per_sec=\([0-9]*\).*/\1/p'
	wait $pid
}

# zmesh connections per second, the same rounds.
zm_hs() { # count mechanism
	local ep; next_ep
	"${recv_cpu[@]}" "$work/zmesh" bench lat --bind "$ep" --mechanism "$2" >/dev/null 2>&1 &
	local pid=$!
	sleep 0.3
	"${send_cpu[@]}" "$work/zmesh" bench hs --connect "$ep" --count "$1" --mechanism "$2" --progress 0 --json |
		sed -n 's/.*"handshakes_per_sec":\([0-9.]*\).*/\1/p' | cut -d. -f1
	kill $pid 2>/dev/null || true
	wait $pid 2>/dev/null || true
}

# zmesh PUSH/PULL throughput (the classic types): prints msg/s.
zm_pp() { # size count
	local ep; next_ep
	"${recv_cpu[@]}" "$work/zmesh" bench thr --type push-pull --bind "$ep" --size "$1" --count "$2" --progress 0 --json >"$work/zt" 2>/dev/null &
	local pid=$!
	sleep 0.3
	"${send_cpu[@]}" "$work/zmesh" bench thr --type push-pull --connect "$ep" --size "$1" --count "$2" --progress 0 >/dev/null
	wait $pid
	sed -n 's/.*"msg_per_sec":\([0-9.]*\).*/\1/p' "$work/zt" | cut -d. -f1
}

# zmesh REQ/REP latency: prints one-way microseconds.
zm_rr() { # size count
	local ep; next_ep
	"${recv_cpu[@]}" "$work/zmesh" bench lat --type req-rep --bind "$ep" >/dev/null 2>&1 &
	local pid=$!
	sleep 0.3
	"${send_cpu[@]}" "$work/zmesh" bench lat --type req-rep --connect "$ep" --size "$1" --count "$2" --progress 0 --json |
		sed -n 's/.*"one_way_us":\([0-9.]*\).*/\1/p'
	kill $pid 2>/dev/null || true
	wait $pid 2>/dev/null || true
}

# PUB to SUBS subscribers, each holding TOPICS subscriptions: prints the
# slowest subscriber's msg/s. lz_ps runs pubsub_thr, zm_ps zmesh bench.
lz_ps() { # subs size count topics
	local eps=() pids=() i ep
	for ((i = 0; i < $1; i++)); do
		next_ep
		eps+=("$ep")
		"${recv_cpu[@]}" "$work/pubsub_thr" sub "${eps[-1]}" "$2" "$3" "$4" >"$work/ps$i" &
		pids+=($!)
	done
	sleep 0.5
	"${send_cpu[@]}" "$work/pubsub_thr" pub "$(IFS=,; echo "${eps[*]}")" "$2" "$3" "$4"
	wait "${pids[@]}"
	for ((i = 0; i < $1; i++)); do awk '/mean throughput:.*msg\/s/ {print $3}' "$work/ps$i"; done | sort -g | head -n 1
}
zm_ps() { # subs size count topics
	local eps=() pids=() i ep
	for ((i = 0; i < $1; i++)); do
		next_ep
		eps+=("$ep")
		"${recv_cpu[@]}" "$work/zmesh" bench thr --type pub-sub --bind "${eps[-1]}" --size "$2" --count "$3" --topics "$4" --progress 0 --json >"$work/ps$i" 2>/dev/null &
		pids+=($!)
	done
	sleep 0.5
	"${send_cpu[@]}" "$work/zmesh" bench thr --type pub-sub --connect "$(IFS=,; echo "${eps[*]}")" --size "$2" --count "$3" --topics "$4" --progress 0 >/dev/null
	wait "${pids[@]}"
	for ((i = 0; i < $1; i++)); do sed -n 's/.*"msg_per_sec":\([0-9.]*\).*/\1/p' "$work/ps$i" | cut -d. -f1; done | sort -g | head -n 1
}

lz_inproc() { "$bin/inproc_thr" "$1" "$2" | awk '/mean throughput:.*msg\/s/ {print $3}'; }
zm_inproc() {
	"$work/zmesh" bench thr --bind inproc://bench --size "$1" --count "$2" --progress 0 --json |
		sed -n 's/.*"msg_per_sec":\([0-9.]*\).*/\1/p' | cut -d. -f1
}

# Memory per idle connection (as scripts/bench-conns.sh): the server's RSS
# growth in KiB per handshaken, silent CLIENT connection, CONNS_N of them
# (default 10 000) opened by `zmesh bench conns`; lower is better.
conns_n="${CONNS_N:-10000}"
with_fds() { ulimit -n $((conns_n + 256)) 2>/dev/null || ulimit -n "$(ulimit -Hn)"; exec "$@"; }
conns_rss() { # server-command... (the endpoint is appended)
	local ep; next_ep
	(with_fds "$@" "$ep") >/dev/null 2>&1 &
	local pid=$!
	sleep 0.5
	(with_fds "$work/zmesh" bench conns --connect "$ep" --count "$conns_n" --server-pid "$pid" --json) |
		sed -n 's/.*"kib_per_conn":\([0-9.]*\).*/\1/p'
	kill $pid 2>/dev/null || true
	wait $pid 2>/dev/null || true
}
lz_conns() { conns_rss "$work/zpeer" --type server --mode echo --count 0 --timeout 0 --bind; }
zm_conns() { conns_rss "$work/zmesh" bench lat --bind; }

median() { sort -g | awk '{a[NR]=$1} END {if (NR==0) print "nan"; else if (NR%2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'; }

# run CASE UNIT LIBZMQ-COMMAND... -- ZMESH-COMMAND...
rows=()
run() {
	local name=$1 unit=$2; shift 2
	if [ -n "${CASES:-}" ] && ! [[ $name =~ $CASES ]]; then return; fi
	local lz=() zm=() seen=0
	for a in "$@"; do
		if [ "$a" = -- ]; then seen=1; continue; fi
		if [ $seen = 0 ]; then lz+=("$a"); else zm+=("$a"); fi
	done
	local l=() z=()
	for ((i = 0; i < rounds; i++)); do
		l+=("$("${lz[@]}")")
		z+=("$("${zm[@]}")")
	done
	local lm zmm ratio
	lm=$(printf '%s\n' "${l[@]}" | median)
	zmm=$(printf '%s\n' "${z[@]}" | median)
	if [ "$unit" = us ]; then # zmesh prints latencies with every digit
		zmm=$(awk -v a="$zmm" 'BEGIN {printf "%.3f", a}')
	fi
	if [ "$unit" = us ]; then
		ratio=$(awk -v a="$zmm" -v b="$lm" 'BEGIN {printf "%.2f", a/b}') # latency: zmesh / libzmq, lower is better
	else
		ratio=$(awk -v a="$zmm" -v b="$lm" 'BEGIN {printf "%.2f", a/b}') # throughput: zmesh / libzmq, higher is better
	fi
	rows+=("$(printf '| %-22s | %14s | %14s | %6s× |' "$name" "$lm $unit" "$zmm $unit" "$ratio")")
	echo "${rows[-1]}"
}

echo "load before: $(cut -d' ' -f1-3 /proc/loadavg); $(nproc) CPUs; rounds: $rounds; pinned: ${PIN:-0}"
echo "| case                   |        libzmq  |         zmesh  |  ratio |"
echo "| ---------------------- | -------------: | -------------: | -----: |"
run "tcp 16 B thr"   msg/s lz_thr 16 5000000 ""    -- zm_thr 16 5000000 null
run "tcp 1 KiB thr"  msg/s lz_thr 1024 2000000 ""  -- zm_thr 1024 2000000 null
run "tcp 64 KiB thr" msg/s lz_thr 65536 100000 ""  -- zm_thr 65536 100000 null
run "tcp 16 B lat"   us    lz_lat 16 50000         -- zm_lat 16 50000
run "CURVE 16 B thr" msg/s lz_thr 16 1000000 1     -- zm_thr 16 1000000 curve
run "CURVE 1 KiB thr" msg/s lz_thr 1024 500000 1   -- zm_thr 1024 500000 curve
run "NOISE 16 B thr (libzmq CURVE)"  msg/s lz_thr 16 1000000 1   -- zm_thr 16 1000000 noise
run "NOISE 1 KiB thr (libzmq CURVE)" msg/s lz_thr 1024 500000 1  -- zm_thr 1024 500000 noise
run "tcp connections/s"   conn/s lz_hs 2000 0 -- zm_hs 2000 null
run "CURVE connections/s" conn/s lz_hs 1000 1 -- zm_hs 1000 curve
run "NOISE connections/s (libzmq CURVE)" conn/s lz_hs 1000 1 -- zm_hs 1000 noise
run "inproc 16 B thr" msg/s lz_inproc 16 10000000  -- zm_inproc 16 10000000
run "idle connection memory" KiB/conn lz_conns -- zm_conns
run "PUSH/PULL 16 B thr"   msg/s lz_thr 16 5000000 ""   -- zm_pp 16 5000000
run "PUSH/PULL 1 KiB thr"  msg/s lz_thr 1024 2000000 "" -- zm_pp 1024 2000000
run "PUSH/PULL 64 KiB thr" msg/s lz_thr 65536 100000 "" -- zm_pp 65536 100000
run "REQ/REP 16 B lat"     us    lz_lat 16 50000        -- zm_rr 16 50000
run "PUB 10 SUB x 10k subs thr" msg/s lz_ps 10 16 ${PS_COUNT:-500000} 10000 -- zm_ps 10 16 ${PS_COUNT:-500000} 10000
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "ratio: zmesh/libzmq; for throughput higher is better, for latency (one-way, mean) and KiB/conn lower is better."
