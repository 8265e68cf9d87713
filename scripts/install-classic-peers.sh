#!/usr/bin/env bash
# install-classic-peers.sh: install the stock ZeroMQ peers the classic-type
# interop tests (internal/interop) run against:
#
#   libzmq3-dev   Debian's libzmq5 4.3.x without the draft API, headers and
#                 pkg-config file in the system paths (/usr/include/zmq.h,
#                 /usr/lib/<triplet>/libzmq.so)
#   python3-zmq   pyzmq for Debian's /usr/bin/python3 (PyPI is not used)
#
# The libzmq built with drafts by install-libzmq.sh lives in its own prefix
# under $ZMESH_CACHE and is always named with explicit -I/-L/-rpath paths, so
# the two never clash: a program built with plain `cc ... -lzmq` and no -I/-L
# gets the stock library.
#
# Idempotent and quiet: when both are installed it prints one line and exits
# in milliseconds. Otherwise it runs one `apt-get update` and one
# `apt-get install` as root (or through passwordless sudo), with their output
# in $ZMESH_CACHE/classic-peers.log, shown on failure.
set -euo pipefail

readonly PACKAGES=(libzmq3-dev python3-zmq gcc pkg-config)
readonly PYTHON=/usr/bin/python3

cache="${ZMESH_CACHE:-$HOME/.cache/zmesh}"
log="$cache/classic-peers.log"

die() {
	echo "install-classic-peers: error: $*" >&2
	exit 1
}

installed() { # true when the Debian package $1 is installed
	[[ $(dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null || true) == installed ]]
}

report() {
	local lib py
	lib=$(pkg-config --modversion libzmq 2>/dev/null || echo '?')
	py=$("$PYTHON" -c 'import zmq; print(zmq.pyzmq_version())' 2>/dev/null || echo '?')
	echo "classic peers: stock libzmq $lib (system), pyzmq $py ($PYTHON)"
}

missing=()
for p in "${PACKAGES[@]}"; do
	installed "$p" || missing+=("$p")
done
if ((${#missing[@]} == 0)); then
	report
	exit 0
fi

command -v apt-get >/dev/null || die "apt-get not found; install ${missing[*]} by hand"
mkdir -p "$cache" || die "cannot create cache directory $cache"

# One install at a time per cache (parallel `make test` runs).
exec 9>"$cache/classic-peers.lock"
flock 9 || die "cannot lock $cache/classic-peers.lock"

as_root() {
	if [[ $(id -u) -eq 0 ]]; then
		"$@"
	elif command -v sudo >/dev/null; then
		sudo -n "$@"
	else
		die "need root (or passwordless sudo) to run: $*"
	fi
}

run() {
	echo "+ $*" >>"$log"
	if ! "$@" >>"$log" 2>&1; then
		echo "install-classic-peers: step failed: $*" >&2
		echo "---- last lines of $log ----" >&2
		tail -n 40 "$log" >&2
		exit 1
	fi
}

: >"$log" || die "cannot write $log"
export DEBIAN_FRONTEND=noninteractive
missing=()
for p in "${PACKAGES[@]}"; do
	installed "$p" || missing+=("$p")
done
if ((${#missing[@]})); then
	# The index may be old or absent (a fresh container): refresh it once.
	if ! apt-get install -s -q "${missing[@]}" >/dev/null 2>&1; then
		run as_root apt-get -o DPkg::Lock::Timeout=300 update -q
	fi
	run as_root apt-get -o DPkg::Lock::Timeout=300 install -y -q --no-install-recommends "${missing[@]}"
fi

[[ -f /usr/include/zmq.h ]] || die "libzmq3-dev left no /usr/include/zmq.h"
"$PYTHON" -c 'import zmq' 2>>"$log" || die "$PYTHON cannot import zmq after installing python3-zmq (see $log)"
report
