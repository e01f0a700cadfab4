#!/bin/sh
# Makes sure `promtool` (from Debian's prometheus package) is available to check the alert rules
# in deploy/prometheus. PROMTOOL_BIN or a promtool on PATH wins; otherwise Debian bookworm's
# package is downloaded with a sources list of its own (the system's apt configuration is not
# changed) and unpacked once into .cache/runtimes/prometheus/. Prints the binary's path.
set -eu

say() { printf '%s\n' "ensure-promtool: $*" >&2; }

if [ -n "${PROMTOOL_BIN:-}" ] && [ -x "$PROMTOOL_BIN" ]; then
  printf '%s\n' "$PROMTOOL_BIN"
  exit 0
fi
if command -v promtool >/dev/null 2>&1; then
  command -v promtool
  exit 0
fi

. "$(dirname "$0")/debian-package.sh"

root=$(cd "$(dirname "$0")/.." && pwd)
dest="$root/.cache/runtimes/prometheus"
bin="$dest/usr/bin/promtool"
[ -x "$bin" ] || fetch_debian_package bookworm prometheus "$dest"
"$bin" --version >&2
printf '%s\n' "$bin"
