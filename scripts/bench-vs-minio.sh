#!/usr/bin/env bash
# bench-vs-minio.sh: a zmesh storage server on an s3 volume against
# minio-go talking to the same MinIO directly, same run (issue 19's
# performance table).
#
#   scripts/bench-vs-minio.sh               # 3 rounds, medians
#   ROUNDS=5 SIZE_MIB=256 N=500 scripts/bench-vs-minio.sh
#   PERF=/tmp/prof ROUNDS=1 scripts/bench-vs-minio.sh   # and perf profiles
#
# One MinIO (~/.cache/zmesh/bin/minio, scripts/install-s3.sh) runs on
# loopback with a temporary data directory, and `zmesh serve -c` runs in
# front of it with one s3 volume (bucket zmesh-bench). A file of SIZE_MIB
# (default 1024) random bytes is made once. Each round, alternating which
# side goes first:
#   put   `zmesh put KEY @file` vs minio-go PutObject from the file
#   get   `zmesh get KEY --out FILE` vs minio-go GetObject copied
#         to a file
#   1 MiB get latency: store.Client.Get vs minio-go GetObject + ReadAll,
#         N (default 200) gets one after another, median and p99
# (the minio-go side and the latency runs are scripts/miniobench). Client
# peak RSS is each client process's maxrss; the server's is the zmesh serve
# process's VmHWM at the end, so it covers the whole run. The machine is
# shared: read the ratios beside the load average.
set -euo pipefail
cd "$(dirname "$0")/.."

rounds="${ROUNDS:-3}"
size_mib="${SIZE_MIB:-1024}"
n="${N:-200}"
minio_bin="${ZMESH_CACHE:-$HOME/.cache/zmesh}/bin/minio"
[ -x "$minio_bin" ] || { echo "no $minio_bin: run scripts/install-s3.sh" >&2; exit 1; }

work=$(mktemp -d)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT
go build -o "$work/zmesh" ./cmd/zmesh
go build -o "$work/miniobench" ./scripts/miniobench

export MINIO_ROOT_USER=benchadmin MINIO_ROOT_PASSWORD=benchsecret123
port=$((20000 + RANDOM % 20000))
mport=$port zport=$((port + 1))
mkdir -p "$work/minio-data" "$work/certs"
MINIO_CI_CD=1 MINIO_BROWSER=off MINIO_UPDATE=off MINIO_CALLHOME_ENABLE=off \
	"$minio_bin" server --address "127.0.0.1:$mport" --certs-dir "$work/certs" --quiet --anonymous \
	"$work/minio-data" >"$work/minio.log" 2>&1 &
pids+=($!)
for i in $(seq 200); do
	curl -fs "http://127.0.0.1:$mport/minio/health/live" >/dev/null 2>&1 && break
	[ "$i" = 200 ] && { echo "MinIO did not start" >&2; cat "$work/minio.log" >&2; exit 1; }
	sleep 0.1
done

cat >"$work/zmesh.yaml" <<YAML
server: {bind: ["tcp://127.0.0.1:$zport"]}
volumes:
  s3:
    url: http://127.0.0.1:$mport
    access_key: \${MINIO_ROOT_USER}
    secret_key: \${MINIO_ROOT_PASSWORD}
storages:
  bench:
    key_expr: "**"
    volume: {id: s3, bucket: zmesh-bench, create_bucket: true, reuse_bucket: true, on_closure: do_nothing}
YAML
"$work/zmesh" serve -c "$work/zmesh.yaml" 2>"$work/zmesh.log" &
zpid=$!
pids+=($zpid)
for i in $(seq 200); do
	grep -q "ready;" "$work/zmesh.log" 2>/dev/null && break
	[ "$i" = 200 ] && { echo "zmesh serve did not start" >&2; cat "$work/zmesh.log" >&2; exit 1; }
	sleep 0.05
done
zc=(--connect "tcp://127.0.0.1:$zport")

head -c "$((size_mib << 20))" /dev/urandom >"$work/in"
bytes=$((size_mib << 20))
mb() { awk -v b="$bytes" -v s="$1" 'BEGIN {printf "%.1f", b / s / 1e6}'; }
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}'; }
maxof() { printf '%s\n' "$@" | sort -g | tail -1; }
same() { cmp -s "$work/in" "$1" || { echo "$1 differs from the input" >&2; exit 1; }; }

mb_=("$work/miniobench")
mput() { "${mb_[@]}" put -endpoint "127.0.0.1:$mport" -bucket direct -key big -file "$work/in"; }
mget() { rm -f "$work/out"; "${mb_[@]}" get -endpoint "127.0.0.1:$mport" -bucket direct -key big -file "$work/out"; same "$work/out"; }
zput() { "${mb_[@]}" run "$work/zmesh" put "${zc[@]}" big "@$work/in"; }
zget() { rm -f "$work/out"; "${mb_[@]}" run "$work/zmesh" get "${zc[@]}" big --out "$work/out"; same "$work/out"; }
mlat() { "${mb_[@]}" lat -endpoint "127.0.0.1:$mport" -bucket direct -key small -n "$n"; }
zlat() { "${mb_[@]}" zlat -connect "tcp://127.0.0.1:$zport" -key small -n "$n"; }

m_put=() m_get=() z_put=() z_get=() m_rss=() z_rss=() m_p50=() m_p99=() z_p50=() z_p99=()
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
for round in $(seq "$rounds"); do
	# $(...) waits for each step (and its byte-for-byte check) to end,
	# and set -e stops the run when one fails.
	if [ $((round % 2)) = 1 ]; then
		r1=$(mput); r2=$(zput); r3=$(mget); r4=$(zget); r5=$(mlat); r6=$(zlat)
	else
		r2=$(zput); r1=$(mput); r4=$(zget); r3=$(mget); r6=$(zlat); r5=$(mlat)
	fi
	read -r a ar <<<"$r1"; read -r b br <<<"$r2"; read -r c cr <<<"$r3"
	read -r d dr <<<"$r4"; read -r e f <<<"$r5"; read -r g h <<<"$r6"
	m_put+=("$(mb "$a")") z_put+=("$(mb "$b")") m_get+=("$(mb "$c")") z_get+=("$(mb "$d")")
	m_rss+=("$ar" "$cr") z_rss+=("$br" "$dr")
	m_p50+=("$e") m_p99+=("$f") z_p50+=("$g") z_p99+=("$h")
	echo "round $round: put MB/s minio-go $(mb "$a") zmesh $(mb "$b"); get MB/s minio-go $(mb "$c") zmesh $(mb "$d");" \
		"1 MiB get ms p50/p99 minio-go $e/$f zmesh $g/$h" >&2
done
load_after=$(cut -d' ' -f1-3 /proc/loadavg)
if [ -n "${PERF:-}" ]; then
	# perf record of the zmesh server during N 1 MiB gets and during one
	# large get (and of the large get's client), reports in $PERF.
	mkdir -p "$PERF"
	prof() { # name command...
		local name=$1
		shift
		perf record -q -g -F 999 -p "$zpid" -o "$PERF/$name-server.data" 2>/dev/null &
		local ppid=$!
		sleep 0.5
		"$@" >/dev/null
		kill -INT "$ppid"
		wait "$ppid" || true
		perf report -q --stdio --no-children --sort symbol -i "$PERF/$name-server.data" 2>/dev/null |
			grep -E '^ +[0-9]' | head -40 >"$PERF/$name-server.txt" || true
	}
	prof lat "${mb_[@]}" zlat -connect "tcp://127.0.0.1:$zport" -key small -n 1000
	prof get zget
	perf record -q -g -F 999 -o "$PERF/get-client.data" -- "$work/zmesh" get "${zc[@]}" big --out "$work/out" 2>/dev/null
	perf report -q --stdio --no-children --sort symbol -i "$PERF/get-client.data" 2>/dev/null |
		grep -E '^ +[0-9]' | head -40 >"$PERF/get-client.txt" || true
	echo "perf reports in $PERF" >&2
fi
server_hwm=$(awk '/^VmHWM:/ {print $2}' "/proc/$zpid/status")

row() { # name minio zmesh unit higher-is-better(1|0)
	awk -v n="$1" -v m="$2" -v z="$3" -v u="$4" 'BEGIN {printf "| %s | %s %s | %s %s | %.2fx |\n", n, m, u, z, u, z / m}'
}
echo "# zmesh on an s3 volume vs minio-go, both to one MinIO on loopback ($(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, $rounds rounds, medians)"
echo
echo "put: \`zmesh put KEY @file\` vs minio-go PutObject from the file; get: \`zmesh get KEY --out FILE\` vs"
echo "minio-go GetObject copied to a file (${size_mib} MiB of random bytes, outputs compared byte for byte)."
echo "1 MiB get: store.Client.Get vs minio-go GetObject + ReadAll, $n sequential gets per round."
echo "ratio: zmesh / minio-go (MB/s: higher is better; ms and RSS: lower is better)."
echo
echo "| case | minio-go | zmesh | ratio |"
echo "|---|---:|---:|---:|"
row "${size_mib} MiB put" "$(median "${m_put[@]}")" "$(median "${z_put[@]}")" "MB/s"
row "${size_mib} MiB get" "$(median "${m_get[@]}")" "$(median "${z_get[@]}")" "MB/s"
row "1 MiB get p50" "$(median "${m_p50[@]}")" "$(median "${z_p50[@]}")" "ms"
row "1 MiB get p99" "$(median "${m_p99[@]}")" "$(median "${z_p99[@]}")" "ms"
row "client peak RSS (max)" "$(( $(maxof "${m_rss[@]}") / 1024 ))" "$(( $(maxof "${z_rss[@]}") / 1024 ))" "MiB"
echo "| zmesh serve peak RSS (VmHWM) | | $((server_hwm / 1024)) MiB | |"
echo
echo "per round (MB/s put, get; ms p50/p99): minio-go put ${m_put[*]}; get ${m_get[*]}; p50 ${m_p50[*]}; p99 ${m_p99[*]}"
echo "per round zmesh: put ${z_put[*]}; get ${z_get[*]}; p50 ${z_p50[*]}; p99 ${z_p99[*]}"
echo
echo "load average before: $load_before; after: $load_after"
