#!/usr/bin/env bash
# install-s3.sh: install the real S3 servers zmesh's S3 tests run against,
# into a cache outside the repo:
#
#   bin = ${ZMESH_CACHE:-$HOME/.cache/zmesh}/bin
#   $bin/minio       MinIO server, pinned by pseudo-version (its release tags
#                    are not semver, so `@latest` would not mean a release)
#   $bin/versitygw   versitygw, an S3 gateway whose posix backend maps object
#                    names onto a directory tree
#   $bin/.s3-versions   marker: one "name=module@version" line per binary,
#                    written only after that binary installed and ran
#
# internal/s3test finds the binaries there. Idempotent: with a warm cache it
# runs no go command, prints one line and exits in milliseconds. A cold run
# builds both with `go install` (MinIO takes about 6 minutes on 2 cores,
# versitygw about 1.5). Build output goes to $cache/s3-install.log; on
# failure its tail is printed and the script exits non-zero.
set -euo pipefail

readonly MINIO_MODULE="github.com/minio/minio"
readonly MINIO_VERSION="v0.0.0-20260212201848-7aac2a2c5b7c"
readonly VERSITYGW_MODULE="github.com/versity/versitygw/cmd/versitygw"
readonly VERSITYGW_VERSION="v1.8.0"

cache="${ZMESH_CACHE:-$HOME/.cache/zmesh}"
bin="$cache/bin"
marker="$bin/.s3-versions"
log="$cache/s3-install.log"

die() {
	echo "install-s3: error: $*" >&2
	exit 1
}

# installed NAME MODULE@VERSION: true when the marker records that exact
# version and the binary is still there.
installed() {
	[[ -x "$bin/$1" && -f "$marker" ]] && grep -qxF "$1=$2" "$marker"
}

report() {
	echo "s3 servers: minio=$bin/minio ($MINIO_VERSION) versitygw=$bin/versitygw ($VERSITYGW_VERSION)"
}

want_minio="$MINIO_MODULE@$MINIO_VERSION"
want_gw="$VERSITYGW_MODULE@$VERSITYGW_VERSION"

# Fast path: nothing to do.
if installed minio "$want_minio" && installed versitygw "$want_gw"; then
	report
	exit 0
fi

command -v go >/dev/null || die "go is not on PATH"
mkdir -p "$bin" || die "cannot create $bin"

# One install at a time per cache (parallel `make test` runs, say); the
# second waits, then finds the work done.
exec 9>"$cache/s3-install.lock"
flock 9 || die "cannot lock $cache/s3-install.lock"

# record NAME MODULE@VERSION: replace NAME's line in the marker, atomically.
record() {
	local tmp="$marker.tmp.$$"
	{ [[ -f "$marker" ]] && grep -v "^$1=" "$marker" || true; echo "$1=$2"; } >"$tmp"
	mv -f "$tmp" "$marker"
}

# build NAME MODULE@VERSION [ENV=VALUE...]: go install into $bin, check the
# binary runs, then record it.
build() {
	local name="$1" want="$2"
	shift 2
	installed "$name" "$want" && return 0
	echo "install-s3: building $name ($want), see $log" >&2
	local start=$SECONDS
	# A half-written binary from an interrupted run must not look installed.
	rm -f "$bin/$name"
	if ! env GOBIN="$bin" "$@" go install "$want" >>"$log" 2>&1; then
		tail -n 30 "$log" >&2
		die "go install $want failed (full log: $log)"
	fi
	[[ -x "$bin/$name" ]] || die "go install $want produced no $bin/$name"
	"$bin/$name" --version >>"$log" 2>&1 || die "$bin/$name --version failed (see $log)"
	record "$name" "$want"
	echo "install-s3: $name built in $((SECONDS - start))s" >&2
}

: >"$log"
build minio "$want_minio"
build versitygw "$want_gw" CGO_ENABLED=0
report
