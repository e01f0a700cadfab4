# Sourced by the ensure-*.sh scripts: fetches one package of a Debian suite and unpacks it, with an
# apt sources list of its own (the system's apt configuration is not changed). Needs `say`.

# The Debian archive this machine's apt already uses (its main archive, not the security one).
debian_mirror() {
  for file in /etc/apt/sources.list.d/*.sources /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [ -r "$file" ] || continue
    awk '
      /^URIs:/ { for (i = 2; i <= NF; i++) print $i }
      /^deb[ \t]/ { for (i = 2; i <= NF; i++) if ($i ~ /^[a-z]+:\/\//) { print $i; break } }
    ' "$file"
  done | grep -E '/debian/?$' | head -n 1 | grep .
}

# fetch_debian_package SUITE PACKAGE DEST: the package's files unpacked into DEST (replaced).
fetch_debian_package() {
  suite=$1
  package=$2
  dest=$3
  command -v apt-get >/dev/null 2>&1 || {
    say "fetching Debian's $suite $package package needs apt-get"
    exit 1
  }
  keyring=/usr/share/keyrings/debian-archive-keyring.gpg
  [ -r "$keyring" ] || {
    say "fetching Debian's $suite $package package needs $keyring (package debian-archive-keyring)"
    exit 1
  }
  mirror=$(debian_mirror) || {
    say "no Debian mirror in this machine's apt sources to fetch the $suite $package package from"
    exit 1
  }
  apt="$dest.apt"
  mkdir -p "$apt/lists/partial" "$apt/cache/archives/partial" "$apt/parts" "$apt/deb"
  printf 'deb [signed-by=%s] %s %s main\n' "$keyring" "$mirror" "$suite" >"$apt/sources.list"
  set -- -o "Dir::Etc::sourcelist=$apt/sources.list" -o "Dir::Etc::sourceparts=$apt/parts" \
    -o "Dir::State::lists=$apt/lists" -o "Dir::Cache=$apt/cache" -o APT::Sandbox::User=root
  say "fetching $package from Debian $suite"
  apt-get "$@" -qq update </dev/null >&2
  (cd "$apt/deb" && apt-get "$@" -qq download "$package" </dev/null >&2)
  rm -rf "$dest"
  dpkg-deb -x "$apt/deb/${package}"_*.deb "$dest"
  rm -rf "$apt"
}
