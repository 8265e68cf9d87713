#!/usr/bin/env bash
# bench-conns.sh: memory per idle connection, zmesh's SERVER beside
# libzmq's. Each round starts a server (zmesh: `zmesh bench lat --bind`,
# a SERVER echoing; libzmq: internal/interop's zpeer --type server --mode
# echo), opens N handshaken, silent CLIENT connections to it with
# `zmesh bench conns` (raw ZMTP, NULL), and prints the server's RSS growth
# per connection. Rounds alternate the two servers; medians are printed.
#
#   scripts/bench-conns.sh               # N=10000, 3 rounds
#   N=5000 ROUNDS=5 scripts/bench-conns.sh
set -euo pipefail
cd "$(dirname "$0")/.."

n="${N:-10000}"
rounds="${ROUNDS:-3}"
cache="${ZMESH_CACHE:-$HOME/.cache/zmesh}"
bash scripts/install-libzmq.sh >/dev/null
prefix="${ZMESH_LIBZMQ_PREFIX:-$cache/libzmq-drafts}"
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT
go build -o "$work/zmesh" ./cmd/zmesh
"${CC:-cc}" -O2 -o "$work/zpeer" internal/interop/zpeer/zpeer.c -I"$prefix/include" -L"$prefix/lib" \
	-Wl,-rpath,"$prefix/lib" -lzmq -lpthread
# Both the server and the client hold one descriptor per connection.
want=$((n + 256))
if [ "$(ulimit -n)" != unlimited ] && [ "$(ulimit -n)" -lt "$want" ]; then
	ulimit -n "$want" 2>/dev/null || ulimit -n "$(ulimit -Hn)"
fi
if [ "$(ulimit -n)" != unlimited ] && [ "$(ulimit -n)" -lt "$want" ]; then
	echo "ulimit -n is $(ulimit -n), below the $want that N=$n needs" >&2
	exit 1
fi

port=$((20000 + RANDOM % 10000)) # below the ephemeral range (32768-60999 here), so no TIME_WAIT port collides

# one_round starts a server with "$@", measures, stops it: prints KiB/conn.
one_round() {
	port=$((port + 1))
	local ep="tcp://127.0.0.1:$port"
	"$@" "$ep" >/dev/null 2>&1 &
	local pid=$!
	sleep 0.5
	"$work/zmesh" bench conns --connect "$ep" --count "$n" --server-pid "$pid" --json |
		sed -n 's/.*"kib_per_conn":\([0-9.]*\).*/\1/p'
	kill $pid 2>/dev/null || true
	wait $pid 2>/dev/null || true
}
zm_server() { exec "$work/zmesh" bench lat --bind "$1"; }
lz_server() { exec "$work/zpeer" --type server --bind "$1" --mode echo --count 0 --timeout 0; }

median() { sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }

zm=() lz=()
for ((r = 1; r <= rounds; r++)); do
	lz+=("$(one_round lz_server)")
	zm+=("$(one_round zm_server)")
	echo "round $r: libzmq ${lz[-1]} KiB/conn, zmesh ${zm[-1]} KiB/conn" >&2
done
lzm=$(printf '%s\n' "${lz[@]}" | median)
zmm=$(printf '%s\n' "${zm[@]}" | median)
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
printf '| case | libzmq | zmesh | ratio (zmesh/libzmq, lower is better) |\n|---|---:|---:|---:|\n'
printf '| KiB per idle connection (N=%d) | %.1f | %.1f | %.2fx |\n' "$n" "$lzm" "$zmm" "$(echo "$zmm / $lzm" | bc -l)"
