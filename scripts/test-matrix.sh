#!/bin/sh
# Runs the whole `npm test` on one Node line and one nats-server release, as a CI leg does:
#   npm run test:matrix -- --node 24 --nats newest
#   npm run test:matrix -- --node 20 --nats bookworm
# --node: a Node major line (the node on PATH when it is that line, else the npm registry's
# official binary). --nats: newest, trixie or bookworm (Debian's package of that suite).
# Test files after `--` run instead of the whole `npm test`, e.g. `-- test/faults/receiver.test.ts`.
set -eu

say() { printf '%s\n' "test-matrix: $*" >&2; }

node_line=
nats_suite=
while [ $# -gt 0 ]; do
  case "$1" in
    --node) node_line=${2:-}; shift 2 || true ;;
    --nats) nats_suite=${2:-}; shift 2 || true ;;
    --) shift; break ;;
    *)
      say "unknown argument $1 (usage: test-matrix.sh --node LINE --nats newest|trixie|bookworm [-- ARGS])"
      exit 2
      ;;
  esac
done
if [ -z "$node_line" ] || [ -z "$nats_suite" ]; then
  say "usage: test-matrix.sh --node LINE --nats newest|trixie|bookworm [-- ARGS]"
  exit 2
fi

here=$(dirname "$0")
node_bin=$(sh "$here/ensure-node.sh" "$node_line")
nats_bin=$(sh "$here/ensure-nats-server.sh" "$nats_suite")

# npm, the test runner and every node the tests spawn resolve `node` through PATH.
PATH="$(dirname "$node_bin"):$PATH"
NATS_SERVER_BIN=$nats_bin
export PATH NATS_SERVER_BIN

leg="node $(node --version), $("$nats_bin" --version)"
say "leg: $leg"
started=$(date +%s)
status=0
if [ $# -gt 0 ]; then
  # Only the files named, with the reporter and the settings of `npm test`.
  what="the files given"
  node --import tsx --test --test-reporter=spec --test-concurrency=2 "$@" || status=$?
else
  what="npm test"
  npm test || status=$?
fi
say "leg: $leg: $what exited $status after $(($(date +%s) - started)) s"
exit "$status"
