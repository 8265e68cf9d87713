#!/usr/bin/env bash
# fuzz.sh: run every Go fuzz target in the module for FUZZTIME each
# (default 60s), one after another, and print executions per target.
#
# Usage: FUZZTIME=10m scripts/fuzz.sh [package pattern, default ./...]
#
# Optional environment:
#   FUZZPARALLEL  fuzz workers per target (go test -parallel; default GOMAXPROCS)
#   FUZZSHARD     "i/n": run only every n-th target starting at the i-th
#                 (0-based), so n invocations split the targets between them
#   FUZZMINIMIZE  go test -fuzzminimizetime (default 200x). Go's default of
#                 60s per new interesting input stalls the workers here: on a
#                 2-core machine the run sits at "execs: 0/sec" for minutes
#                 while each new input is minimised, so a 10m run did a few
#                 thousand executions instead of hundreds of thousands.
#                 Crashers are still minimised, within the same budget.
set -euo pipefail
cd "$(dirname "$0")/.."
fuzztime="${FUZZTIME:-60s}"
pkgs="${1:-./...}"
shard="${FUZZSHARD:-0/1}"
shard_i="${shard%/*}"
shard_n="${shard#*/}"
minimize="${FUZZMINIMIZE:-200x}"
par=()
if [ -n "${FUZZPARALLEL:-}" ]; then par=(-parallel "$FUZZPARALLEL"); fi
status=0
k=0
for pkg in $(go list "$pkgs"); do
	dir=$(go list -f '{{.Dir}}' "$pkg")
	for target in $(cd "$dir" && go test -list '^Fuzz' . 2>/dev/null | grep '^Fuzz' || true); do
		k=$((k + 1))
		if [ $(((k - 1) % shard_n)) -ne "$shard_i" ]; then continue; fi
		printf '%-50s %-28s ' "$pkg" "$target"
		start=$(date +%s)
		out=$(cd "$dir" && go test -run '^$' -fuzz "^${target}\$" -fuzztime "$fuzztime" -fuzzminimizetime "$minimize" "${par[@]}" . 2>&1) || {
			echo "FAILED"; echo "$out" | tail -30; status=1; continue; }
		execs=$(echo "$out" | grep -o 'execs: [0-9]*' | tail -1)
		echo "${execs:-execs: ?} in $(($(date +%s) - start))s"
	done
done
exit $status
