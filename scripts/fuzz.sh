#!/usr/bin/env bash
# fuzz.sh: run every Go fuzz target in the module for FUZZTIME each
# (default 60s), one after another, and print executions per target.
# Usage: FUZZTIME=10m scripts/fuzz.sh [package pattern, default ./...]
set -euo pipefail
cd "$(dirname "$0")/.."
fuzztime="${FUZZTIME:-60s}"
pkgs="${1:-./...}"
status=0
for pkg in $(go list "$pkgs"); do
	dir=$(go list -f '{{.Dir}}' "$pkg")
	for target in $(cd "$dir" && go test -list '^Fuzz' . 2>/dev/null | grep '^Fuzz' || true); do
		printf '%-50s %-28s ' "$pkg" "$target"
		out=$(cd "$dir" && go test -run '^$' -fuzz "^${target}\$" -fuzztime "$fuzztime" . 2>&1) || {
			echo "FAILED"; echo "$out" | tail -30; status=1; continue; }
		echo "$out" | grep -o 'execs: [0-9]*' | tail -1
	done
done
exit $status
