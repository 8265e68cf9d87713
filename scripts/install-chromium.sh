#!/usr/bin/env bash
# install-chromium.sh: install Debian's chromium, the browser the status
# page's test (store/httpapi, TestStatusPageInBrowser) drives headless
# through chromedp. Idempotent: when /usr/bin/chromium is there it prints
# one line and exits at once. Otherwise it runs apt-get (as root, or
# through sudo), quietly; apt's output goes to
# ${ZMESH_CACHE:-$HOME/.cache/zmesh}/chromium-install.log and its tail is
# printed if the install fails.
set -euo pipefail

readonly CHROMIUM=/usr/bin/chromium

if [[ -x "$CHROMIUM" ]]; then
	echo "install-chromium: $("$CHROMIUM" --version 2>/dev/null || echo chromium) already installed"
	exit 0
fi

cache="${ZMESH_CACHE:-$HOME/.cache/zmesh}"
mkdir -p "$cache"
log="$cache/chromium-install.log"

sudo=()
if [[ $(id -u) -ne 0 ]]; then
	command -v sudo >/dev/null || { echo "install-chromium: error: not root and no sudo: install chromium by hand" >&2; exit 1; }
	sudo=(sudo -n)
fi

echo "install-chromium: installing Debian's chromium with apt-get (log: $log)"
export DEBIAN_FRONTEND=noninteractive
if ! { "${sudo[@]}" apt-get install -y -q --no-install-recommends chromium >"$log" 2>&1 ||
	{ "${sudo[@]}" apt-get update -q >>"$log" 2>&1 &&
		"${sudo[@]}" apt-get install -y -q --no-install-recommends chromium >>"$log" 2>&1; }; }; then
	tail -n 20 "$log" >&2
	echo "install-chromium: error: apt-get install chromium failed" >&2
	exit 1
fi
[[ -x "$CHROMIUM" ]] || { echo "install-chromium: error: $CHROMIUM missing after the install" >&2; exit 1; }
echo "install-chromium: $("$CHROMIUM" --version 2>/dev/null || echo chromium) installed"
