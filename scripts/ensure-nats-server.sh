#!/bin/sh
# Makes sure a nats-server binary is available for the tests and the demo.
#
# With a Debian suite as argument, for the test matrix: `newest` (sid), `trixie` or `bookworm`.
# That suite's nats-server package is downloaded from Debian's archive with a sources list of its
# own (the system's apt configuration is not changed), unpacked once into
# .cache/runtimes/nats-server-<suite>/ (ignored by git), and the binary's path printed.
#
# Without an argument:
#   - NATS_SERVER_BIN set: it must be executable; nothing is installed.
#   - nats-server on PATH (or in /usr/sbin, /usr/local/bin, /usr/bin): prints its version.
#   - otherwise, as root on Debian/Ubuntu: apt-get install nats-server.
#   - otherwise, where a Docker engine answers: says the tests will run nats-server in Docker.
#   - otherwise: explains how to get it and exits 1.
set -eu

say() { printf '%s\n' "ensure-nats-server: $*" >&2; }

advice() {
  say "nats-server is required by the tests and the demo. Get it with one of:"
  say "  Debian/Ubuntu (as root):  apt-get update && apt-get install -y nats-server"
  say "  macOS (Homebrew):         brew install nats-server"
  say "  Go:                       go install github.com/nats-io/nats-server/v2@latest"
  say "  a release binary:         https://github.com/nats-io/nats-server/releases"
  say "then put it on PATH or set NATS_SERVER_BIN=/path/to/nats-server."
}

report() {
  version=$("$1" --version 2>&1) || {
    say "$1 does not run: $version"
    exit 1
  }
  printf '%s (%s)\n' "$version" "$1"
  exit 0
}

find_binary() {
  if command -v nats-server >/dev/null 2>&1; then
    command -v nats-server
    return 0
  fi
  for dir in /usr/sbin /usr/local/bin /usr/bin /usr/local/sbin; do
    if [ -x "$dir/nats-server" ]; then
      printf '%s\n' "$dir/nats-server"
      return 0
    fi
  done
  return 1
}

is_debian_like() {
  [ -r /etc/os-release ] || return 1
  # shellcheck disable=SC1091
  . /etc/os-release
  case " ${ID:-} ${ID_LIKE:-} " in
    *" debian "* | *" ubuntu "*) return 0 ;;
    *) return 1 ;;
  esac
}

. "$(dirname "$0")/debian-package.sh"

# Debian's package of a suite, unpacked under .cache; prints the binary's path.
from_suite() {
  suite=$1
  root=$(cd "$(dirname "$0")/.." && pwd)
  dest="$root/.cache/runtimes/nats-server-$suite"
  bin="$dest/usr/sbin/nats-server"
  [ -x "$bin" ] || fetch_debian_package "$suite" nats-server "$dest"
  "$bin" --version >&2
  printf '%s\n' "$bin"
  exit 0
}

case "${1:-}" in
  '') ;;
  newest) from_suite sid ;;
  trixie | bookworm) from_suite "$1" ;;
  *)
    say "usage: ensure-nats-server.sh [newest|trixie|bookworm]"
    exit 2
    ;;
esac

if [ -n "${NATS_SERVER_BIN:-}" ]; then
  if [ -f "$NATS_SERVER_BIN" ] && [ -x "$NATS_SERVER_BIN" ]; then
    report "$NATS_SERVER_BIN"
  fi
  say "NATS_SERVER_BIN=$NATS_SERVER_BIN is not an executable file."
  advice
  exit 1
fi

if bin=$(find_binary); then
  report "$bin"
fi

if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1 && is_debian_like; then
  say "nats-server not found; installing it with apt-get"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update </dev/null
  apt-get install -y --no-install-recommends nats-server </dev/null
  if bin=$(find_binary); then
    report "$bin"
  fi
  say "apt-get finished but no nats-server binary was found."
  advice
  exit 1
fi

# The test harness falls back to a container where a Docker engine answers (not the demo).
if command -v docker >/dev/null 2>&1 && docker info >/dev/null 2>&1; then
  say "nats-server not found; the test harness will run it in Docker (image ${NATS_SERVER_IMAGE:-nats:2})"
  exit 0
fi

say "nats-server not found."
advice
exit 1
