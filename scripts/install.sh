#!/bin/sh
# Installs lanyard from a release directory on the web:
#   curl -fsSL "$BASE/install.sh" | LANYARD_INSTALL_BASE_URL="$BASE" sh
# It downloads SHA256SUMS and the archive for this OS and CPU from LANYARD_INSTALL_BASE_URL, checks
# the archive against SHA256SUMS, and only then unpacks it and puts its programs into
# LANYARD_INSTALL_DIR (default ~/.local/bin, or /usr/local/bin as root). Nothing downloaded is run or
# installed before its checksum matches; any failure leaves the install directory as it was.
# Every failure is one line on stderr naming what to do, and exit status 1.
set -eu

fail() {
  printf 'lanyard install: %s\n' "$*" >&2
  exit 1
}

base=${LANYARD_INSTALL_BASE_URL:-}
[ -n "$base" ] || fail "set LANYARD_INSTALL_BASE_URL to the address of the lanyard release to install"
base=${base%/}

case $(uname -s) in
  Linux) os=linux ;;
  Darwin) os=darwin ;;
  *) fail "no lanyard archive for $(uname -s): on Windows use the .zip or the Scoop manifest of the release" ;;
esac
case $(uname -m) in
  x86_64 | amd64) arch=x64 ;;
  aarch64 | arm64) arch=arm64 ;;
  *[!A-Za-z0-9_]*) fail "unexpected CPU name from uname -m: $(uname -m)" ;;
  *) arch=$(uname -m) ;; # looked up in SHA256SUMS like the others, so the message says what there is
esac

if command -v curl >/dev/null 2>&1; then
  download() { curl -fsL -o "$2" "$1"; } # -s without -S: the failure is told in our own one line
elif command -v wget >/dev/null 2>&1; then
  download() { wget -q -O "$2" "$1"; }
else
  fail "needs curl or wget to download the release: install one of them, then run this again"
fi
if command -v sha256sum >/dev/null 2>&1; then
  sha256() { sha256sum "$1" | cut -d ' ' -f 1; }
elif command -v shasum >/dev/null 2>&1; then
  sha256() { shasum -a 256 "$1" | cut -d ' ' -f 1; }
else
  fail "needs sha256sum or shasum to verify the download: install coreutils, then run this again"
fi

if [ -n "${LANYARD_INSTALL_DIR:-}" ]; then
  dir=$LANYARD_INSTALL_DIR
elif [ "$(id -u)" = 0 ]; then
  dir=/usr/local/bin
else
  dir=${HOME:?HOME is not set}/.local/bin
fi
# Checked before downloading anything: a read-only or foreign directory fails in a second, not after 50 MB.
unwritable="cannot write to $dir (read-only or not yours): set LANYARD_INSTALL_DIR to a directory you can write"
mkdir -p "$dir" 2>/dev/null || fail "$unwritable"
probe=$(mktemp "$dir/.lanyard-install.XXXXXX" 2>/dev/null) || fail "$unwritable"
rm -f "$probe"

work=$(mktemp -d "${TMPDIR:-/tmp}/lanyard-install.XXXXXX") || fail "cannot create a temporary directory"
staged=""
cleanup() {
  # shellcheck disable=SC2086 # $staged is a list of paths made by this script, without spaces in their names
  [ -z "$staged" ] || rm -f $staged
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 1' HUP INT TERM

download "$base/SHA256SUMS" "$work/SHA256SUMS" || fail "cannot download $base/SHA256SUMS: check the address"
line=$(grep -E "^[0-9a-f]{64}  lanyard-[0-9][A-Za-z0-9.+~]*-$os-$arch\\.tar\\.gz\$" "$work/SHA256SUMS" | head -n 1 || :)
if [ -z "$line" ]; then
  offered=$(awk '$2 ~ /^lanyard-.*\.(tar\.gz|zip)$/ { n = $2; sub(/^lanyard-[^-]*-/, "", n);
    sub(/\.(tar\.gz|zip)$/, "", n); printf "%s%s", sep, n; sep = ", " }' "$work/SHA256SUMS")
  fail "no lanyard archive for $os-$arch at $base (it has: ${offered:-nothing}); build from source instead"
fi
expected=${line%% *}
name=${line#*  }
download "$base/$name" "$work/$name" || fail "cannot download $base/$name: check the address and try again"

actual=$(sha256 "$work/$name")
if [ "$actual" != "$expected" ]; then
  if ! gzip -t <"$work/$name" 2>/dev/null; then
    fail "the download of $name is corrupt (incomplete or damaged); nothing was installed: try again"
  fi
  fail "checksum mismatch for $name (SHA256SUMS says $expected, got $actual): nothing was installed;" \
    "do not use this copy, download from the release itself"
fi

mkdir "$work/unpacked"
tar -xzf "$work/$name" -C "$work/unpacked" || fail "cannot unpack $name"
bin="$work/unpacked/${name%.tar.gz}/bin"
[ -d "$bin" ] || fail "$name holds no bin/ directory: not a lanyard release archive"

# Every program is copied next to its final name first, then all are renamed into place: a failed
# copy (a full disk) leaves the old programs as they were.
programs=""
for file in "$bin"/*; do
  program=${file##*/}
  tmp="$dir/.$program.lanyard-install.$$"
  staged="$staged $tmp"
  cp "$file" "$tmp" 2>/dev/null && chmod 0755 "$tmp" || fail "cannot write $dir/$program (is the disk full?)"
  programs="$programs $program"
done
for program in $programs; do
  mv -f "$dir/.$program.lanyard-install.$$" "$dir/$program" || fail "cannot write $dir/$program"
done
staged=""

version=${name#lanyard-}
echo "installed${programs} (lanyard ${version%-"$os"-"$arch".tar.gz}, $os-$arch) in $dir"
case ":${PATH:-}:" in
  *":$dir:"*) ;;
  *) echo "note: $dir is not on your PATH: add it, e.g. export PATH=\"$dir:\$PATH\"" ;;
esac
