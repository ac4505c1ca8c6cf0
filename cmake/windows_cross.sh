#!/usr/bin/env bash
# The Windows side of ringest, built here: a MinGW-w64 cross build whose tests
# run under Wine. ./dev windows calls this; it can also run on its own.
#   cmake/windows_cross.sh deps     install the cross toolchain and Wine
#   cmake/windows_cross.sh sources  fetch the C libraries' Debian source packages (cached)
#   cmake/windows_cross.sh build    cross-build into build/windows
#   cmake/windows_cross.sh test     build, then run the Windows tests under Wine
#
# The C and C++ libraries the log and the metrics endpoint need (zstd, lz4,
# prometheus-cpp's core, civetweb) are compiled from the very
# versions Debian ships for Linux, fetched with `apt-get source` into
# $RINGEST_CACHE/src/<package>-<version>; a new Debian version means a new
# directory, so the cache never serves a stale library.
set -euo pipefail
cd "$(dirname "$0")/.."

WINDOWS_PACKAGES=(g++-mingw-w64-x86-64-posix wine64 dpkg-dev)
# Whose Debian source packages to compile, named by the -dev package Linux builds with.
SOURCE_OF=(libzstd-dev liblz4-dev prometheus-cpp-dev libcivetweb-dev)
CACHE=${RINGEST_CACHE:-$HOME/.cache/ringest}
JOBS=${JOBS:-$(nproc)}
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
ensure_deb_src() {
  local out=/etc/apt/sources.list.d/ringest-deb-src.sources
  [ -e "$out" ] && return 0
  local tmp
  tmp=$(mktemp)
  for f in /etc/apt/sources.list.d/*.sources; do
    [ -e "$f" ] || continue
    sed -n 's/^Types:[[:space:]]*deb[[:space:]]*$/Types: deb-src/; p' "$f" >>"$tmp"
    printf '\n' >>"$tmp"
  done
  if [ -e /etc/apt/sources.list ]; then
    local list=/etc/apt/sources.list.d/ringest-deb-src.list
    sed -n 's/^deb \(.*\)$/deb-src \1/p' /etc/apt/sources.list | as_root tee "$list" >/dev/null
  fi
  grep -q '^Types: deb-src' "$tmp" && as_root cp "$tmp" "$out"
  rm -f "$tmp"
  as_root apt-get update -q
}

sources() {
  mkdir -p "$CACHE/src"
  for bin in "${SOURCE_OF[@]}"; do
    local src version
    src=$(dpkg-query -W -f='${source:Package}' "$bin")
    version=$(dpkg-query -W -f='${source:Version}' "$bin")
    local dir="$CACHE/src/$src-$version"
    [ -d "$dir" ] && continue
    ensure_deb_src
    log "fetching the $src $version source package"
    local work
    work=$(mktemp -d)
    (cd "$work" && apt-get source -q --only-source "$src=$version" >/dev/null)
    local extracted
    extracted=$(find "$work" -mindepth 1 -maxdepth 1 -type d | head -1)
    mv "$extracted" "$dir"
    rm -rf "$work"
  done
}

# The cached source tree of the Debian package that built `bin`.
source_dir() {
  printf '%s/src/%s-%s' "$CACHE" "$(dpkg-query -W -f='${source:Package}' "$1")" \
    "$(dpkg-query -W -f='${source:Version}' "$1")"
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
    -DRINGEST_PROMETHEUS_SOURCE="$(source_dir prometheus-cpp-dev)" -DRINGEST_CIVETWEB_SOURCE="$(source_dir libcivetweb-dev)" \
    -DRINGEST_LINUX_BUILD="$(realpath "$LINUX_BUILD")" \
    "${launcher[@]}" >/dev/null
  cmake --build build/windows -j "$JOBS"
}

# A persistent wineserver makes each launch cheap. The first launch starts
# Wine's own services (services.exe, winedevice.exe, ...), which live as long
# as the wineserver and keep the standard handles they inherited: start them
# here, detached, or they would hold ctest's output pipes open and every test
# would run into its timeout.
start_wineserver() {
  "$WINESERVER" -p 2>>"$1" || true  # fails only when one is already running
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
