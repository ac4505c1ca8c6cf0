#!/usr/bin/env bash
# The Windows side of ringest, built here: a MinGW-w64 cross build whose tests
# run under Wine. ./dev windows calls this; it can also run on its own.
#   cmake/windows_cross.sh deps     install the cross toolchain and Wine
#   cmake/windows_cross.sh sources  fetch the C libraries' Debian source packages (cached)
#   cmake/windows_cross.sh build    cross-build into build/windows
#   cmake/windows_cross.sh test     build, then run the Windows tests under Wine
#
# The C and C++ libraries the log and the metrics endpoint need (zstd, lz4,
# prometheus-cpp's core) are compiled from the very
# versions Debian ships for Linux, fetched with `apt-get source` into
# $RINGEST_CACHE/src/<package>-<version>; a new Debian version means a new
# directory, so the cache never serves a stale library. Where the archive no
# longer serves the installed version's source (a security update's, often),
# the newest served revision of the same upstream release stands in, and the
# log says so.
set -euo pipefail
cd "$(dirname "$0")/.."

WINDOWS_PACKAGES=(g++-mingw-w64-x86-64-posix wine64 dpkg-dev)
# Whose Debian source packages to compile, named by the -dev package Linux builds with.
SOURCE_OF=(libzstd-dev liblz4-dev prometheus-cpp-dev)
CACHE=${RINGEST_CACHE:-$HOME/.cache/ringest}
JOBS=${JOBS:-$(nproc)}
# ccache hashes paths inside the tree relative to it, so a clone in another
# directory (CI's) reuses what an earlier build compiled.
export CCACHE_BASEDIR=${CCACHE_BASEDIR:-$PWD} CCACHE_NOHASHDIR=${CCACHE_NOHASHDIR:-true}
WINE=/usr/lib/wine/wine64
WINESERVER=/usr/lib/wine/wineserver
export WINEPREFIX=${WINEPREFIX:-$CACHE/wine} WINEDEBUG=${WINEDEBUG:--all}
# No .NET (Mono) or HTML (Gecko) runtime: a new prefix would otherwise offer to
# download them, and wait for an answer nobody gives.
export WINEDLLOVERRIDES=${WINEDLLOVERRIDES:-mscoree,mshtml=}

log() { printf '\n==> %s\n' "$*" >&2; }
as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

deps() {
  local missing=()
  for p in "${WINDOWS_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  log "installing ${missing[*]}"
  as_root apt-get update -q
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -q --no-install-recommends "${missing[@]}"
}

# Source entries mirroring the machine's own binary entries (deb -> deb-src),
# so `apt-get source` asks the same archive the packages came from.
APT_ETC=${RINGEST_APT_ETC:-/etc/apt}
ensure_deb_src() {
  local out=$APT_ETC/sources.list.d/ringest-deb-src.sources
  [ -e "$out" ] && return 0
  local tmp
  tmp=$(mktemp)
  for f in "$APT_ETC"/sources.list.d/*.sources; do
    [ -e "$f" ] || continue
    sed -n 's/^Types:[[:space:]]*deb[[:space:]]*$/Types: deb-src/; p' "$f" >>"$tmp"
    printf '\n' >>"$tmp"
  done
  if [ -e "$APT_ETC/sources.list" ]; then
    local list=$APT_ETC/sources.list.d/ringest-deb-src.list
    sed -n 's/^deb \(.*\)$/deb-src \1/p' "$APT_ETC/sources.list" | as_root tee "$list" >/dev/null
  fi
  grep -q '^Types: deb-src' "$tmp" && as_root cp "$tmp" "$out"
  rm -f "$tmp"
  as_root apt-get update -q
}

# The versions of source package `src` worth asking for, best first: the
# installed `version`, then every other Debian revision of the same upstream
# release that the archive lists, newest first. A security update's source is
# not always served (seen: libzstd 1.5.4+dfsg2-5+deb12u1 answered 404 while
# 1.5.4+dfsg2-5 was there); the same upstream release builds the same library.
source_candidates() {
  local src=$1 version=$2 upstream=${2%-*}
  echo "$version"
  local others=() v
  while read -r v; do
    [ -n "$v" ] && [ "$v" != "$version" ] && [ "${v%-*}" = "$upstream" ] && others+=("$v")
  done < <(apt-cache showsrc --only-source "$src" 2>/dev/null | sed -n 's/^Version:[[:space:]]*//p' | sort -u)
  # Newest first, in Debian's own version order.
  local i j t
  for ((i = 0; i < ${#others[@]}; i++)); do
    for ((j = i + 1; j < ${#others[@]}; j++)); do
      if dpkg --compare-versions "${others[j]}" gt "${others[i]}"; then
        t=${others[i]} others[i]=${others[j]} others[j]=$t
      fi
    done
  done
  for v in "${others[@]}"; do echo "$v"; done
}

# Fetches `src`=`version` into $CACHE/src/<src>-<version>; fails when the
# archive does not serve it.
fetch_source() {
  local src=$1 version=$2 dir="$CACHE/src/$1-$2" work extracted
  work=$(mktemp -d)
  if ! (cd "$work" && apt-get source -q --only-source "$src=$version" </dev/null >"$work.log" 2>&1); then
    rm -rf "$work"
    return 1
  fi
  rm -f "$work.log"
  extracted=$(find "$work" -mindepth 1 -maxdepth 1 -type d | head -1)
  [ -n "$extracted" ] || { rm -rf "$work"; return 1; }
  mv "$extracted" "$dir"
  rm -rf "$work"
}

# The sources are cached by the version fetched; <src>-<installed>.fetched
# records which one stands in for the installed version.
sources() {
  mkdir -p "$CACHE/src"
  for bin in "${SOURCE_OF[@]}"; do
    local src version
    src=$(dpkg-query -W -f='${source:Package}' "$bin")
    version=$(dpkg-query -W -f='${source:Version}' "$bin")
    local record="$CACHE/src/$src-$version.fetched" chosen=""
    if [ -e "$record" ] && [ -d "$CACHE/src/$src-$(cat "$record")" ]; then
      continue
    fi
    if [ -d "$CACHE/src/$src-$version" ]; then
      printf '%s\n' "$version" >"$record"
      continue
    fi
    ensure_deb_src
    local tried=() v
    while read -r v; do
      if [ -d "$CACHE/src/$src-$v" ]; then chosen=$v; break; fi
      log "fetching the $src $v source package"
      if fetch_source "$src" "$v"; then chosen=$v; break; fi
      log "the archive does not serve $src $v"
      tried+=("$v")
    done < <(source_candidates "$src" "$version")
    if [ -z "$chosen" ]; then
      log "no source package of $src $version (or of another revision of its upstream release) is served; tried: ${tried[*]}"
      return 1
    fi
    [ "$chosen" = "$version" ] || log "building $bin from $src $chosen: the installed $version's source is not served"
    printf '%s\n' "$chosen" >"$record"
  done
}

# The cached source tree that stands in for the Debian package that built `bin`.
source_dir() {
  local src version
  src=$(dpkg-query -W -f='${source:Package}' "$1")
  version=$(dpkg-query -W -f='${source:Version}' "$1")
  printf '%s/src/%s-%s' "$CACHE" "$src" "$(cat "$CACHE/src/$src-$version.fetched")"
}

# The Linux daemon and tools the Wine integration tests work with.
LINUX_BUILD=${LINUX_BUILD:-build/release}
linux_tools() {
  if [ ! -e "$LINUX_BUILD/build.ninja" ]; then
    local launcher=()
    command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
    cmake -S . -B "$LINUX_BUILD" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo "${launcher[@]}" >/dev/null
  fi
  cmake --build "$LINUX_BUILD" -j "$JOBS" --target ringestd ringest-loadgen ringest-dump
}

build() {
  deps
  sources
  linux_tools
  local launcher=()
  command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_C_COMPILER_LAUNCHER=ccache)
  cmake -S . -B build/windows -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DCMAKE_TOOLCHAIN_FILE=cmake/toolchain-mingw-w64.cmake -DRINGEST_ZSTD_SOURCE="$(source_dir libzstd-dev)" -DRINGEST_LZ4_SOURCE="$(source_dir liblz4-dev)" \
    -DRINGEST_PROMETHEUS_SOURCE="$(source_dir prometheus-cpp-dev)" \
    -DRINGEST_LINUX_BUILD="$(realpath "$LINUX_BUILD")" \
    "${launcher[@]}" >/dev/null
  cmake --build build/windows -j "$JOBS"
}

# A persistent wineserver makes each launch cheap. The first launch starts
# Wine's own services (services.exe, winedevice.exe, ...), which live as long
# as the wineserver and keep the standard handles they inherited: start them
# here, detached, or they would hold ctest's output pipes open and every test
# would run into its timeout.
#
# The server must be this persistent one. A server some earlier launch left
# running exits shortly after its last ordinary process, and takes Wine's
# services.exe with it: a service started by one `wine` command would then be
# gone ("not started since last boot") by the time the next one asks.
# On a fresh cache the prefix does not exist yet: the server needs its
# directory, and the first launch below fills it in.
start_wineserver() {
  "$WINESERVER" -k 2>/dev/null || true
  "$WINESERVER" -w 2>/dev/null || true
  mkdir -p "$WINEPREFIX"
  "$WINESERVER" -p 2>>"$1"
  "$WINE" cmd.exe /c exit </dev/null >/dev/null 2>&1
}

run_tests() {
  build
  log "Windows tests under Wine"
  trap '"$WINESERVER" -k 2>/dev/null || true' EXIT
  local out=build/windows/wine-tests.log server=build/windows/wineserver.log rc=0
  : >"$server"
  start_wineserver "$server"
  (cd build/windows && ctest --output-on-failure -j1 --timeout 600) 2>&1 | tee "$out" || rc=$?
  # Wine's own server can fail an assertion of its own (seen: server/sock.c
  # complete_async_poll, during a test or when the server is stopped after a
  # test's processes died). Only then are the failed tests run once more, on a
  # fresh server; any other failure stands. Stopping the server first lets it
  # report.
  [ "$rc" -ne 0 ] && { "$WINESERVER" -k 2>/dev/null || true; sleep 1; }
  if [ "$rc" -ne 0 ] && grep -hE "wineserver.*Assertion|server/[a-z_]+\.c:[0-9]+: .*Assertion" "$out" "$server"; then
    log "the wineserver crashed (a Wine bug, above): running the failed tests again on a fresh one"
    "$WINESERVER" -k 2>/dev/null || true
    : >"$server"
    start_wineserver "$server"
    rc=0
    (cd build/windows && ctest --output-on-failure -j1 --timeout 600 --rerun-failed) || rc=$?
  fi
  return "$rc"
}

case "${1:-}" in
  deps) deps ;;
  sources) sources ;;
  build) build ;;
  test) run_tests ;;
  *) sed -n '2,8p' "$0"; exit 64 ;;
esac
