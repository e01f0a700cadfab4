#!/bin/sh
# Makes sure a nats-server binary is available for the tests and the demo.
#   - NATS_SERVER_BIN set: it must be executable; nothing is installed.
#   - nats-server on PATH (or in /usr/sbin, /usr/local/bin, /usr/bin): prints its version.
#   - otherwise, as root on Debian/Ubuntu: apt-get install nats-server.
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

say "nats-server not found."
advice
exit 1
