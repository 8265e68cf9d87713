#!/usr/bin/env bash
# bench-abuse.sh: what each attack costs the good clients of `zmesh serve`
# (not part of `make test`). For each attack in turn (none first), it runs
# the soak program (scripts/soak) without restarts for PERIOD (default 40s):
# 64 good callers doing puts (70%) and gets (30%) of small values on an fs
# volume, beside the attack. It prints one row per attack: the good callers'
# operations per second, p50 and p99 latency, failed operations, and the
# server's RSS at the end and at its peak; then the load average.
#
#   ATTACKS="none nonreader nonreader-1mib slowloris junk bigframe all"
#
# nonreader-1mib is the non-reader with 3000 queries for a 1 MiB value.
# Loopback only, bounded in connections and time.
set -euo pipefail
cd "$(dirname "$0")/.."
PERIOD=${PERIOD:-40s}
ATTACKS=${ATTACKS:-none nonreader nonreader-1mib slowloris junk bigframe all}
work=$(mktemp -d "${TMPDIR:-/tmp}/zmesh-bench-abuse.XXXXXX")
trap 'rm -rf "$work"' EXIT
go build -o "$work/zmesh" ./cmd/zmesh
go build -o "$work/soak" ./scripts/soak

printf '%-15s %8s %10s %10s %7s %8s %9s\n' attack ops/s p50 p99 errors rss_MiB peak_MiB
for a in $ATTACKS; do
	extra=()
	case "$a" in
	nonreader-1mib) extra=(-attacks nonreader -value 1048576 -queries 3000) ;;
	*) extra=(-attacks "$a") ;;
	esac
	dir="$work/$a"
	mkdir -p "$dir"
	if ! "$work/soak" -zmesh "$work/zmesh" -dir "$dir" -duration "$PERIOD" -report "$PERIOD" \
		-restart-every 0 "${extra[@]}" >"$dir/out" 2>&1; then
		echo "$a: the run failed:"
		tail -n 20 "$dir/out"
		exit 1
	fi
	# The first data row (period 1) covers the whole PERIOD.
	awk -v a="$a" '$1 == "1" && NF == 11 { printf "%-15s %8s %10s %10s %7s %8s %9s\n", a, $3, $4, $5, $6, $7, $8; exit }' "$dir/out"
done
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg); $(nproc) cores"
