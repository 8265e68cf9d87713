#!/usr/bin/env bash
# bench-10m-keys.sh: load 10 M small keys (16 B values) into an engine
# volume, then report the process's RSS and the time of 1 000-key prefix
# scans, warm and after reopening (issue 18's targets: RSS under 512 MiB,
# a scan under 10 ms). Bounded: the load gives up after 11 minutes.
#
#   scripts/bench-10m-keys.sh                 # 10 M keys, figures on stdout
#   KEYS=1000000 scripts/bench-10m-keys.sh
#   OUT=scripts/bench-10m-keys-results.txt scripts/bench-10m-keys.sh
#
# The engine's directory is a temporary one (TMPDIR), removed at the end;
# it takes about 1 GiB while the keys are loaded.
set -euo pipefail
cd "$(dirname "$0")/.."
keys="${KEYS:-10000000}"
out="${OUT:-/dev/stdout}"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
go build -o "$work/load10m" ./store/backend/engine/internal/load10m
{
	echo "# $keys keys into an engine volume ($(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, Go $(go env GOVERSION))"
	echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
	timeout 12m "$work/load10m" -keys "$keys"
	echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
} | tee "$out"
