#!/usr/bin/env bash
# install-libzmq.sh: build libzmq 4.3 WITH the draft API (CLIENT/SERVER,
# RADIO/DISH, SCATTER/GATHER) from Debian's source package and install it
# into a cache outside the repo, for zmesh's interop tests and benchmarks.
#
# Debian's binary libzmq5 is built without drafts (no zmq_join, no
# zmq_msg_set_routing_id), so we build zeromq3 from source once:
#
#   prefix = ${ZMESH_CACHE:-$HOME/.cache/zmesh}/libzmq-drafts
#   $prefix/include/zmq.h, $prefix/lib/libzmq.so*, $prefix/bin/{local,remote}_{thr,lat},
#   $prefix/bin/inproc_{thr,lat}, $prefix/.zmesh-libzmq-ok (marker, written last)
#
# Idempotent and quiet: with a warm cache it prints one line and exits in
# milliseconds. A cold run installs build dependencies with apt (as root),
# adds a deb-src entry copied from this machine's Debian sources, fetches the
# source with `apt-get source zeromq3`, and builds with cmake. Build output
# goes to $ZMESH_CACHE/libzmq-build.log; on failure its tail is printed and
# the script exits non-zero. An interrupted run leaves no marker, so the next
# run starts over.
set -euo pipefail

# Bump when the build recipe changes: a marker with another recipe is stale.
readonly RECIPE="zeromq3-drafts-curve-sodium-perf-v1"
readonly BUILD_DEPS=(build-essential cmake pkg-config libsodium-dev dpkg-dev)

cache="${ZMESH_CACHE:-$HOME/.cache/zmesh}"
prefix="$cache/libzmq-drafts"
marker="$prefix/.zmesh-libzmq-ok"
log="$cache/libzmq-build.log"

die() {
	echo "install-libzmq: error: $*" >&2
	exit 1
}

header_version() { # prints x.y.z from an installed zmq.h
	awk '/^#define ZMQ_VERSION_(MAJOR|MINOR|PATCH)[ \t]/ { v[$2] = $3 }
	     END { if (v["ZMQ_VERSION_MAJOR"] == "") exit 1
	           print v["ZMQ_VERSION_MAJOR"] "." v["ZMQ_VERSION_MINOR"] "." v["ZMQ_VERSION_PATCH"] }' "$1"
}

warm() { # true when a complete install of this recipe is present
	[[ -f "$marker" ]] && grep -qx "recipe=$RECIPE" "$marker" &&
		[[ -f "$prefix/include/zmq.h" && -e "$prefix/lib/libzmq.so" && -x "$prefix/bin/local_thr" ]]
}

report() {
	echo "libzmq drafts: $prefix ($(header_version "$prefix/include/zmq.h"))"
}

# Fast path: nothing to do.
if warm; then
	report
	exit 0
fi

mkdir -p "$cache" || die "cannot create cache directory $cache"

# One build at a time per cache (parallel `make test` runs, say).
exec 9>"$cache/libzmq.lock"
flock 9 || die "cannot lock $cache/libzmq.lock"
if warm; then # another run finished it while we waited
	report
	exit 0
fi

: >"$log" || die "cannot write $log"

# run CMD...: run a step with its output in the log; on failure show the tail.
run() {
	echo "+ $*" >>"$log"
	if ! "$@" >>"$log" 2>&1; then
		echo "install-libzmq: step failed: $*" >&2
		echo "---- last lines of $log ----" >&2
		tail -n 40 "$log" >&2
		exit 1
	fi
}

as_root() {
	if [[ $(id -u) -eq 0 ]]; then
		"$@"
	elif command -v sudo >/dev/null; then
		sudo -n "$@"
	else
		die "need root (or passwordless sudo) to run: $*"
	fi
}

export DEBIAN_FRONTEND=noninteractive
apt_updated=0
apt_update_once() {
	if [[ $apt_updated -eq 0 ]]; then
		run as_root apt-get update -q
		apt_updated=1
	fi
}

# --- 1. a deb-src entry, copied from this machine's own Debian entries --------
have_deb_src() {
	local f
	for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
		[[ -f $f ]] && grep -Eq '^[[:space:]]*deb-src[[:space:]]' "$f" && return 0
	done
	for f in /etc/apt/sources.list.d/*.sources; do
		[[ -f $f ]] && grep -Eiq '^Types:.*(^|[[:space:]:])deb-src([[:space:]]|$)' "$f" && return 0
	done
	return 1
}

src_list=/etc/apt/sources.list.d/zmesh-deb-src.sources
add_deb_src() {
	local tmp f
	tmp=$(mktemp)
	# deb822 files: copy every enabled stanza whose Types has "deb" and whose
	# URIs are a Debian archive, with Types set to deb-src.
	for f in /etc/apt/sources.list.d/*.sources; do
		[[ -f $f && $f != "$src_list" ]] || continue
		awk '
			function flush() {
				if (n && deb && debian && enabled) {
					for (i = 1; i <= n; i++) print lines[i]
					print ""
				}
				n = 0; deb = 0; debian = 0; enabled = 1
			}
			BEGIN { enabled = 1 }
			/^[[:space:]]*$/ { flush(); next }
			/^#/ { next }
			tolower($1) == "types:" {
				for (i = 2; i <= NF; i++) if ($i == "deb") deb = 1
				lines[++n] = "Types: deb-src"; next
			}
			tolower($1) == "uris:" { if ($0 ~ /debian/) debian = 1 }
			tolower($1) == "enabled:" { if (tolower($2) == "no") enabled = 0 }
			{ lines[++n] = $0 }
			END { flush() }
		' "$f" >>"$tmp"
	done
	# one-line style: /etc/apt/sources.list and *.list
	for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
		[[ -f $f ]] || continue
		awk '$1 == "deb" && /debian/ {
			sub(/^[[:space:]]*deb[[:space:]]+/, "")
			print "# from " FILENAME; print "deb-src " $0 }' "$f" >>"$tmp.list"
	done
	if [[ -s $tmp ]]; then
		{
			echo "# Added by zmesh scripts/install-libzmq.sh: source entries copied"
			echo "# from this machine's Debian entries (for apt-get source zeromq3)."
			cat "$tmp"
		} | as_root tee "$src_list" >/dev/null
	elif [[ -s $tmp.list ]]; then
		src_list=/etc/apt/sources.list.d/zmesh-deb-src.list
		as_root tee "$src_list" <"$tmp.list" >/dev/null
	else
		rm -f "$tmp" "$tmp.list"
		die "no Debian entry in /etc/apt/sources.list{,.d} to copy a deb-src entry from"
	fi
	rm -f "$tmp" "$tmp.list"
	echo "added $src_list" >>"$log"
}

need_update=0
if ! have_deb_src; then
	add_deb_src
	need_update=1 # the new entry needs its index
fi

# --- 2. build dependencies (one apt-get update, only when something is missing) ---
missing=()
for p in "${BUILD_DEPS[@]}"; do
	if [[ $(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true) != installed ]]; then
		missing+=("$p")
	fi
done
if ((${#missing[@]})) || ((need_update)); then
	apt_update_once
fi
if ((${#missing[@]})); then
	run as_root apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
for tool in cc c++ cmake make dpkg-source apt-get flock; do
	command -v "$tool" >/dev/null || die "$tool not found after installing ${BUILD_DEPS[*]}"
done

# --- 3. fetch and unpack the source ------------------------------------------
work=$(mktemp -d "${TMPDIR:-/tmp}/zmesh-libzmq.XXXXXX")
trap 'rm -rf "$work"' EXIT
# apt's download user (_apt) must be able to write here, or apt-get source
# run as root falls back to an unsandboxed download with a warning.
chmod 0755 "$work"
mkdir "$work/src"
chmod 0777 "$work/src"

# An old or missing source index: refresh it once.
if ! (cd "$work/src" && apt-get source --print-uris zeromq3 2>/dev/null | grep -q "\.dsc'"); then
	apt_update_once
fi
run bash -c "cd '$work/src' && apt-get source -q zeromq3"
srcdir=$(find "$work/src" -mindepth 1 -maxdepth 1 -type d -name 'zeromq3-*' | head -n 1)
[[ -n $srcdir && -f $srcdir/CMakeLists.txt ]] || die "apt-get source zeromq3 gave no source tree (see $log)"

# --- 4. configure, build, install --------------------------------------------
rm -rf "$prefix"
run cmake -S "$srcdir" -B "$work/build" \
	-DENABLE_DRAFTS=ON -DENABLE_CURVE=ON -DWITH_LIBSODIUM=ON \
	-DBUILD_TESTS=OFF -DWITH_PERF_TOOL=ON -DWITH_DOCS=OFF \
	-DBUILD_SHARED=ON -DBUILD_STATIC=OFF \
	-DCMAKE_BUILD_TYPE=Release \
	-DCMAKE_INSTALL_PREFIX="$prefix" -DCMAKE_INSTALL_LIBDIR=lib \
	-DCMAKE_INSTALL_RPATH="$prefix/lib"
run cmake --build "$work/build" -j 2
run cmake --install "$work/build"

# The perf tools are what the benchmark script runs; install any that
# `cmake --install` left in the build tree.
for t in local_thr remote_thr local_lat remote_lat inproc_thr inproc_lat; do
	if [[ ! -x $prefix/bin/$t ]]; then
		found=$(find "$work/build" -type f -name "$t" -perm -u+x | head -n 1)
		[[ -n $found ]] || die "perf tool $t was not built (see $log)"
		mkdir -p "$prefix/bin"
		install -m 0755 "$found" "$prefix/bin/$t"
	fi
done

# --- 5. check the result, then write the marker ------------------------------
[[ -f $prefix/include/zmq.h && -e $prefix/lib/libzmq.so ]] || die "install left no zmq.h or libzmq.so under $prefix"
nm -D "$prefix/lib/libzmq.so" | grep -qw zmq_join ||
	die "$prefix/lib/libzmq.so has no zmq_join: built without the draft API"
nm -D "$prefix/lib/libzmq.so" | grep -qw zmq_curve_keypair ||
	die "$prefix/lib/libzmq.so has no zmq_curve_keypair"
probe="$work/probe"
cat >"$probe.c" <<'EOF'
#define ZMQ_BUILD_DRAFT_API 1
#include <zmq.h>
#include <stdio.h>
int main(void) {
	void *ctx = zmq_ctx_new();
	void *s = zmq_socket(ctx, ZMQ_SERVER);
	if (!s) { printf("no SERVER socket: %s\n", zmq_strerror(zmq_errno())); return 1; }
	if (!zmq_has("curve") || !zmq_has("draft")) { printf("missing curve or draft capability\n"); return 1; }
	zmq_close(s);
	zmq_ctx_term(ctx);
	return 0;
}
EOF
run cc -o "$probe" "$probe.c" -I"$prefix/include" -L"$prefix/lib" -Wl,-rpath,"$prefix/lib" -lzmq
run "$probe"

version=$(header_version "$prefix/include/zmq.h") || die "cannot read the version from $prefix/include/zmq.h"
{
	echo "recipe=$RECIPE"
	echo "version=$version"
	echo "source=$(basename "$srcdir")"
	echo "built=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
} >"$marker.tmp"
mv "$marker.tmp" "$marker"
report
