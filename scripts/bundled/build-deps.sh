#!/usr/bin/env bash
# Builds the static dependencies of the bundled (prebuilt) addon from Debian's source packages:
# zlib, brotli (decoder), zstd (decompressor), nghttp2, OpenSSL 3 and libcurl 8, all static + PIC
# with hidden visibility, into deps/<key>/; from MIT krb5 only the GSS-API headers (libcurl's
# Negotiate calls reach the system's libgssapi_krb5.so.2 at run time, see native/bundled/).
#
# scripts/bundled/versions.txt pins UPSTREAM versions (curl 8.14.1, OpenSSL 3.5, ...). Debian
# replaces the source revision of a package with every security update, and mirrors drop the old
# files soon after, so exact Debian pins break within weeks. Each run therefore resolves every pin
# to the newest Debian revision that the archive actually serves: candidates from the signed
# Sources indexes of the configured suites, newest first, each downloaded and verified by apt
# until one is complete. A revision whose files are missing is skipped with a log line. When no
# revision is complete but a verified upstream tarball is, that tarball is built without Debian's
# patches (with a warning, recorded in the manifest). <key> hashes what was resolved (exact Debian
# versions and the checksums of their files), this script's recipe, the compiler and the
# target, so the cache follows what is built. Verified downloads are kept in
# deps/downloads/, so a rerun only asks the network about revisions newer than what it has.
#
#   bash scripts/bundled/build-deps.sh               resolve, build (or reuse), print the prefix
#   bash scripts/bundled/build-deps.sh --resolve     resolve and download only; print one line
#                                                    per package: name version patched sha256
#   bash scripts/bundled/build-deps.sh --prune       delete cached builds other than the newest
#                                                    of each target
#   --target linux-x64|linux-arm64                   build for that target (default: this machine);
#                                                    another architecture is cross-compiled with
#                                                    Debian's <triplet>-gcc and the CMake toolchain
#                                                    file scripts/bundled/toolchain-<target>.cmake
#
# Sources come from `apt-get source` against a PRIVATE apt configuration under deps/apt/
# (deb-src entries only, own lists and cache): /etc/apt is never modified, so which binary
# packages apt installs on this machine does not change. If the index cannot be updated (no
# network), the lists from the last run are used.
#
# Environment:
#   CURL_NET_TARGET                   the target, as --target
#   CURL_NET_DEPS_DIR                 cache root (default: <repo>/deps)
#   CURL_NET_DEPS_JOBS                parallel jobs (default: nproc)
#   CURL_NET_DEPS_KEEP_BUILD=1        keep the source and build trees after a successful build
#   CURL_NET_VERSIONS_FILE            the pins (default: scripts/bundled/versions.txt)
#   CURL_NET_DEBIAN_MIRROR            default http://deb.debian.org/debian
#   CURL_NET_DEBIAN_SUITES            default "trixie trixie-updates"
#   CURL_NET_DEBIAN_SECURITY=0        do not search trixie-security (searched by default)
#   CURL_NET_DEBIAN_SECURITY_MIRROR   default http://deb.debian.org/debian-security
#   CURL_NET_DEBIAN_TRUSTED=1         accept an unsigned index (only for the resolver's tests)
#
# Progress goes to stderr; the prefix (or, with --resolve, the resolution) is all that stdout gets.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
deps_dir=${CURL_NET_DEPS_DIR:-$root/deps}
versions_file=${CURL_NET_VERSIONS_FILE:-$here/versions.txt}
jobs=${CURL_NET_DEPS_JOBS:-$(nproc)}
mirror=${CURL_NET_DEBIAN_MIRROR:-http://deb.debian.org/debian}
suites=${CURL_NET_DEBIAN_SUITES:-trixie trixie-updates}
security=${CURL_NET_DEBIAN_SECURITY:-1}
security_mirror=${CURL_NET_DEBIAN_SECURITY_MIRROR:-http://deb.debian.org/debian-security}
trusted=${CURL_NET_DEBIAN_TRUSTED:-0}

log() { printf '[build-deps] %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

host_target() {
  case "$(uname -m)" in
    x86_64) echo linux-x64 ;;
    aarch64) echo linux-arm64 ;;
    *) echo "linux-$(uname -m)" ;;
  esac
}

mode=build
target=${CURL_NET_TARGET:-}
while [[ $# -gt 0 ]]; do
  case "$1" in
    --resolve) mode=resolve ;;
    --prune) mode=prune ;;
    --target) target=${2:?--target needs a value}; shift ;;
    --target=*) target=${1#--target=} ;;
    -h | --help) sed -n '2,/^# Progress/p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown argument: $1 (try --help)" ;;
  esac
  shift
done

# --- target --------------------------------------------------------------------------------
# The target decides the compiler (a cross compiler when it is not this machine), OpenSSL's
# Configure target and CMake's toolchain file; all of them are part of the cache key.
target=${target:-$(host_target)}
case "$target" in
  linux-x64) triplet=x86_64-linux-gnu openssl_config=linux-x86_64 ;;
  linux-arm64) triplet=aarch64-linux-gnu openssl_config=linux-aarch64 ;;
  *) die "unknown target '$target' (known: linux-x64, linux-arm64; see docs/building.md, \"Adding a target\")" ;;
esac
toolchain=""
if [[ $target != "$(host_target)" ]]; then
  toolchain=$here/toolchain-$target.cmake
  [[ -f $toolchain ]] || die "cross-compiling for $target needs $toolchain"
  CC=${CURL_NET_CROSS_CC:-$triplet-gcc}
  AR=$triplet-ar
  RANLIB=$triplet-ranlib
  command -v "$CC" >/dev/null || die "$CC not found: apt-get install g++-$triplet (scripts/system-packages.txt)"
fi
export CC=${CC:-cc} AR=${AR:-ar} RANLIB=${RANLIB:-ranlib}

# --- pins ----------------------------------------------------------------------------------
declare -A pin=()
names=()
while read -r name upstream _; do
  [[ -z "$name" || "$name" == \#* ]] && continue
  pin[$name]=$upstream
  names+=("$name")
done <"$versions_file"
if [[ $mode == build ]]; then
  for required in zlib brotli libzstd nghttp2 openssl krb5 curl; do
    [[ -n "${pin[$required]:-}" ]] || die "$versions_file has no upstream version for $required"
  done
fi

mkdir -p "$deps_dir"
if [[ $mode == prune ]]; then
  # Keeps the newest complete build of each target (manifests without a target line are from
  # before targets existed: linux-x64).
  declare -A kept=()
  for manifest in $(ls -t "$deps_dir"/*/manifest.txt 2>/dev/null || true); do
    built_for=$(awk '$1=="target"{print $2}' "$manifest")
    built_for=${built_for:-linux-x64}
    [[ -n ${kept[$built_for]:-} ]] || kept[$built_for]=$(basename "$(dirname "$manifest")")
  done
  for dir in "$deps_dir"/*; do
    name=$(basename "$dir")
    [[ -d $dir && $name =~ ^[0-9a-f]{16}$ ]] || continue
    keep=0
    for k in "${kept[@]}"; do [[ $name == "$k" ]] && keep=1; done
    if [[ $keep == 0 ]]; then
      log "removing $dir"
      rm -rf "$dir"
    fi
  done
  exit 0
fi

exec 9>"$deps_dir/.lock"
flock 9 # one run at a time; a waiting run then finds the finished cache

# --- private apt configuration (deb-src only) ----------------------------------------------
apt_dir=$deps_dir/apt
apt_opts=(
  -o "Dir::Etc::SourceList=$apt_dir/sources.list"
  -o "Dir::Etc::SourceParts=$apt_dir/sources.list.d"
  -o "Dir::Etc::Preferences=$apt_dir/preferences"
  -o "Dir::Etc::PreferencesParts=$apt_dir/preferences.d"
  -o "Dir::State::Lists=$apt_dir/lists"
  -o "Dir::Cache=$apt_dir/cache"
  -o "APT::Sandbox::User=$(id -un)"
)

setup_apt() {
  mkdir -p "$apt_dir/lists/partial" "$apt_dir/cache/archives/partial" \
    "$apt_dir/sources.list.d" "$apt_dir/preferences.d"
  : >"$apt_dir/sources.list"
  : >"$apt_dir/preferences"
  local keyring=/usr/share/keyrings/debian-archive-keyring.gpg signed_by
  if [[ $trusted == 1 ]]; then
    signed_by="Trusted: yes"
  else
    [[ -r $keyring ]] || die "$keyring is missing (apt-get install debian-archive-keyring)"
    signed_by="Signed-By: $keyring"
  fi
  local sources
  sources=$(
    printf 'Types: deb-src\nURIs: %s\nSuites: %s\nComponents: main\n%s\n' "$mirror" "$suites" "$signed_by"
    if [[ $security == 1 ]]; then
      printf '\nTypes: deb-src\nURIs: %s\nSuites: trixie-security\nComponents: main\n%s\n' \
        "$security_mirror" "$signed_by"
    fi
  )
  local file=$apt_dir/sources.list.d/curl-net-debian-src.sources
  if [[ ! -f $file || "$(cat "$file")" != "$sources" ]]; then
    printf '%s\n' "$sources" >"$file"
    rm -f "$apt_dir"/lists/*_Sources* "$apt_dir"/lists/*Release*
  fi
}

lists_present() { compgen -G "$apt_dir/lists/*_Sources*" >/dev/null; }

# Today's index. Without network the lists of the last run still resolve to what was built then.
apt_update() {
  log "apt-get update (private deb-src lists: $suites$([[ $security == 1 ]] && echo ' trixie-security'))"
  if ! apt-get -q "${apt_opts[@]}" update >"$apt_dir/update.log" 2>&1 ||
    grep -qE '^(W|E): Failed to fetch' "$apt_dir/update.log"; then
    if lists_present; then
      log "WARNING: apt-get update failed (see $apt_dir/update.log); resolving with the lists of the last run"
    else
      cat "$apt_dir/update.log" >&2
      die "apt-get update failed and there are no lists from an earlier run"
    fi
  fi
}

strip_epoch() { echo "${1#*:}"; }
# The upstream version a Debian version packages, with Debian's repacking marks removed:
# 1:1.3.dfsg+really1.3.1-1 -> 1.3.1, 1.5.7+dfsg-1+deb13u1 -> 1.5.7, 3.5.7-1~deb13u2 -> 3.5.7.
upstream_of() {
  local v; v=$(strip_epoch "$1")
  [[ $v == *-* ]] && v=${v%-*}
  [[ $v == *really* ]] && v=${v##*really}
  v=$(sed -E 's/([+.~](dfsg|ds|repack)[0-9.]*)+$//' <<<"$v")
  echo "$v"
}
# The upstream part of the file names (the orig tarball): 1:1.3.dfsg+really1.3.1-1 -> 1.3.dfsg+really1.3.1
orig_version_of() { local v; v=$(strip_epoch "$1"); [[ $v == *-* ]] && v=${v%-*}; echo "$v"; }
# "3.5" accepts 3.5 and 3.5.x; "8.14.1" accepts only 8.14.1.
pin_accepts() { [[ $2 == "$1" || $2 == "$1".* ]]; }

# The Debian versions of NAME in the index whose upstream matches the pin, newest first.
candidates() {
  local name=$1 v sorted=() i j
  local -a all
  mapfile -t all < <(apt-cache "${apt_opts[@]}" showsrc --only-source "$name" 2>/dev/null |
    awk '$1=="Version:"{print $2}' | sort -u)
  for v in "${all[@]}"; do
    pin_accepts "${pin[$name]}" "$(upstream_of "$v")" && sorted+=("$v")
  done
  # Insertion sort with dpkg's ordering (a handful of versions).
  for ((i = 1; i < ${#sorted[@]}; i++)); do
    v=${sorted[i]}
    for ((j = i - 1; j >= 0; j--)); do
      dpkg --compare-versions "${sorted[j]}" lt "$v" || break
      sorted[j + 1]=${sorted[j]}
    done
    sorted[j + 1]=$v
  done
  printf '%s\n' "${sorted[@]}"
}

# The files a .dsc names (its Checksums-Sha256 section), one "sha256 name" a line.
dsc_files() {
  awk '/^Checksums-Sha256:/{on=1; next} /^[^ ]/{on=0} on && NF==3 {print $1" "$3}' "$1"
}
# True when VERSION's .dsc and every file it names are in downloads/ with the right checksum.
complete_locally() {
  local name=$1 ver=$2 dsc sum file
  dsc=$downloads/${name}_$(strip_epoch "$ver").dsc
  [[ -f $dsc ]] || return 1
  while read -r sum file; do
    [[ -f $downloads/$file ]] || return 1
    [[ $(sha256sum "$downloads/$file" | cut -d' ' -f1) == "$sum" ]] || return 1
  done < <(dsc_files "$dsc")
}
# The verified upstream tarball of VERSION in downloads/, if any.
orig_tarball() {
  compgen -G "$downloads/${1}_$(orig_version_of "$2").orig.tar.*" | grep -v '\.asc$' | head -n1 || true
}

# Tries to download VERSION; apt checks every file against the signed index before keeping it.
# Succeeds only when the whole source package arrived. Files that did arrive and verify (often the
# upstream tarball when Debian's part is gone) are kept for the fallback.
download() {
  local name=$1 ver=$2 try
  try=$(mktemp -d "$downloads/.try.XXXXXX")
  local rc=0
  (cd "$try" && apt-get -q "${apt_opts[@]}" source --download-only "$name=$ver") \
    >"$deps_dir/logs/$name-download.log" 2>&1 || rc=$?
  find "$try" -maxdepth 1 -type f ! -name '*.FAILED' -exec mv -f {} "$downloads/" \;
  rm -rf "$try"
  if [[ $rc -ne 0 ]]; then
    local why
    why=$(grep -m1 -oE '(404|403|Hash Sum mismatch|Unable to find a source package)[^[]*' \
      "$deps_dir/logs/$name-download.log" || echo "apt-get source exited with $rc")
    log "$name $ver: skipped, the archive does not serve it whole ($why)"
    return 1
  fi
  complete_locally "$name" "$ver"
}

# Picks NAME's revision: the newest complete one, else the newest with a verified upstream tarball.
# Sets resolved[NAME], patched[NAME], source_file[NAME] (the .dsc or the tarball).
declare -A resolved=() patched=() source_file=()
resolve() {
  local name=$1 ver
  local -a cands
  mapfile -t cands < <(candidates "$name")
  if [[ ${#cands[@]} -eq 0 || -z ${cands[0]} ]]; then
    die "the index has no revision of $name ${pin[$name]}.x in $suites$([[ $security == 1 ]] && echo ' trixie-security').
  What to do: check the mirror (CURL_NET_DEBIAN_MIRROR=$mirror) and its suites; if Debian moved
  to a new upstream release, change the pin in $versions_file to a version that
  'apt-cache showsrc $name' lists for trixie, and check build-deps.sh's options against it."
  fi
  for ver in "${cands[@]}"; do
    if complete_locally "$name" "$ver" || download "$name" "$ver"; then
      resolved[$name]=$ver
      patched[$name]=yes
      source_file[$name]=$downloads/${name}_$(strip_epoch "$ver").dsc
      log "$name ${pin[$name]}: $ver"
      return 0
    fi
  done
  local orig
  for ver in "${cands[@]}"; do
    orig=$(orig_tarball "$name" "$ver")
    if [[ -n $orig ]]; then
      resolved[$name]=$ver
      patched[$name]="no (Debian part missing on the mirror)"
      source_file[$name]=$orig
      log "WARNING: $name ${pin[$name]}: no revision is served whole (tried: ${cands[*]});" \
        "building the verified upstream tarball $(basename "$orig") of $ver without Debian's patches"
      return 0
    fi
  done
  die "no revision of $name ${pin[$name]} can be downloaded from $mirror (tried, newest first: ${cands[*]}).
  Logs: $deps_dir/logs/$name-download.log. What to do: retry later (a mirror in sync serves the
  files its index lists), point CURL_NET_DEBIAN_MIRROR at another Debian mirror, or, if the
  archive no longer carries ${pin[$name]}, change the pin in $versions_file."
}

downloads=$deps_dir/downloads
mkdir -p "$downloads" "$deps_dir/logs"
setup_apt
apt_update
for name in "${names[@]}"; do resolve "$name"; done

# One line per package: name, exact Debian version, whether Debian's patches apply, and the
# checksum of the file everything else is verified from (the .dsc, or the bare tarball).
resolution=$(for name in "${names[@]}"; do
  printf '%s %s %s sha256=%s\n' "$name" "${resolved[$name]}" "${patched[$name]%% *}" \
    "$(sha256sum "${source_file[$name]}" | cut -d' ' -f1)"
done)
if [[ $mode == resolve ]]; then
  printf '%s\n' "$resolution"
  exit 0
fi

cc_id=$( ($CC --version 2>/dev/null || echo unknown-cc) | head -n1)
key=$( {
  echo "$resolution"
  # Only the recipe (flags, options, build steps) counts: editing the CLI or comments elsewhere
  # in this script keeps the cache.
  sed -n '/^# >>> recipe/,/^# <<< recipe/p' "$here/build-deps.sh"
  echo "$cc_id"
  echo "$target"
  [[ -z $toolchain ]] || cat "$toolchain"
} | sha256sum | cut -c1-16)
prefix=$deps_dir/$key

if [[ -f $prefix/manifest.txt ]]; then
  log "cache hit: $prefix ($(grep -m1 '^total_seconds' "$prefix/manifest.txt" | cut -d' ' -f2)s when built)"
  echo "$prefix"
  exit 0
fi

# --- build ---------------------------------------------------------------------------------
for tool in dpkg-source patch cmake make perl "$CC" "$AR" "$RANLIB"; do
  command -v "$tool" >/dev/null || die "$tool not found (see scripts/system-packages.txt)"
done

log "building for $target into $prefix (jobs: $jobs, CC=$CC)"
src_root=$prefix/src
build_root=$prefix/build
stamps=$prefix/.stamps
logs=$prefix/logs
mkdir -p "$src_root" "$build_root" "$stamps" "$logs" "$prefix/lib" "$prefix/include"
total_start=$SECONDS

# Unpacks NAME's resolved source (Debian patches applied when it is complete) into $src_root/NAME.
unpack() {
  local name=$1
  rm -rf "${src_root:?}/$name"
  if [[ ${patched[$name]} == yes ]]; then
    dpkg-source -x "${source_file[$name]}" "$src_root/$name" >"$logs/$name-unpack.log" 2>&1 ||
      { cat "$logs/$name-unpack.log" >&2; die "dpkg-source -x ${source_file[$name]} failed"; }
  else
    mkdir -p "$src_root/$name"
    tar -xf "${source_file[$name]}" -C "$src_root/$name" --strip-components=1
  fi
}

declare -A took=()
step() { # step NAME FUNCTION
  local name=$1 fn=$2
  if [[ -f $stamps/$name ]]; then
    took[$name]=$(cat "$stamps/$name")
    log "$name ${resolved[$name]}: already built (${took[$name]}s)"
    return
  fi
  local start=$SECONDS
  unpack "$name"
  log "$name ${resolved[$name]}: building"
  # A subshell outside any condition, so `set -e` stays in force inside the build function.
  local rc=0
  set +e
  ("$fn") >"$logs/$name-build.log" 2>&1
  rc=$?
  set -e
  if [[ $rc -ne 0 ]]; then
    tail -n 40 "$logs/$name-build.log" >&2
    die "$name failed; full log: $logs/$name-build.log"
  fi
  took[$name]=$((SECONDS - start))
  echo "${took[$name]}" >"$stamps/$name"
  log "$name ${resolved[$name]}: done in ${took[$name]}s"
}

# >>> recipe (hashed into the cache key)
# Reproducible, relocatable objects: no build-machine paths in __FILE__ or debug info.
common_cflags="-O2 -fPIC -fvisibility=hidden -ffunction-sections -fdata-sections -g0"
common_cflags+=" -fstack-protector-strong -D_FORTIFY_SOURCE=2 -ffile-prefix-map=$src_root=/curl-net-deps"
common_cflags+=" -ffile-prefix-map=$build_root=/curl-net-deps/build"
cmake_common=(
  -DCMAKE_BUILD_TYPE=Release
  -DCMAKE_INSTALL_PREFIX="$prefix"
  -DCMAKE_INSTALL_LIBDIR=lib
  -DCMAKE_POSITION_INDEPENDENT_CODE=ON
  -DCMAKE_C_FLAGS="$common_cflags"
  -DBUILD_SHARED_LIBS=OFF
)
[[ -z $toolchain ]] || cmake_common+=(-DCMAKE_TOOLCHAIN_FILE="$toolchain")

build_zlib() {
  cd "$src_root/zlib"
  CFLAGS="$common_cflags" ./configure --static --prefix="$prefix" --libdir="$prefix/lib" \
    --includedir="$prefix/include"
  make -j"$jobs" libz.a
  install -m 644 libz.a "$prefix/lib/"
  install -m 644 zlib.h zconf.h "$prefix/include/"
}

build_brotli() {
  # curl only decodes, so only brotlicommon + brotlidec are built and installed.
  cmake -S "$src_root/brotli" -B "$build_root/brotli" "${cmake_common[@]}" -DBROTLI_DISABLE_TESTS=ON
  cmake --build "$build_root/brotli" -j "$jobs" --target brotlidec
  install -m 644 "$build_root/brotli/libbrotlicommon.a" "$build_root/brotli/libbrotlidec.a" "$prefix/lib/"
  mkdir -p "$prefix/include/brotli"
  install -m 644 "$src_root/brotli/c/include/brotli/"*.h "$prefix/include/brotli/"
}

build_libzstd() {
  # Decompression only (curl never compresses), no legacy formats, no threads, and no tracing
  # hooks (ZSTD_TRACE would leave weak undefined ZSTD_trace_* symbols anyone could define).
  cd "$src_root/libzstd/lib"
  make -j"$jobs" libzstd.a CC="$CC" AR="$AR" CFLAGS="$common_cflags -DZSTD_TRACE=0" ZSTD_LIB_COMPRESSION=0 ZSTD_LIB_DICTBUILDER=0 \
    ZSTD_LIB_DEPRECATED=0 ZSTD_LEGACY_SUPPORT=0
  install -m 644 libzstd.a "$prefix/lib/"
  install -m 644 zstd.h zstd_errors.h "$prefix/include/"
}

build_nghttp2() {
  cmake -S "$src_root/nghttp2" -B "$build_root/nghttp2" "${cmake_common[@]}" \
    -DENABLE_LIB_ONLY=ON -DBUILD_STATIC_LIBS=ON -DBUILD_TESTING=OFF -DENABLE_DOC=OFF \
    -DENABLE_FAILMALLOC=OFF -DWITH_LIBXML2=OFF -DWITH_JEMALLOC=OFF
  cmake --build "$build_root/nghttp2" -j "$jobs"
  cmake --install "$build_root/nghttp2"
}

build_openssl() {
  # no-shared/no-dso/no-module/no-engine: nothing is ever dlopen'ed (no engines, no provider
  # modules from a directory). no-autoload-config: openssl.cnf is never read, neither the
  # compiled-in OPENSSLDIR nor $OPENSSL_CONF, so Node's or the distribution's OpenSSL
  # configuration (written for another OpenSSL) cannot reach this copy. The prefix is a
  # neutral, root-owned path and the files are staged with DESTDIR, so no path of this build
  # machine ends up compiled into the library.
  # Built in its source tree: OpenSSL then compiles with relative file names, and its
  # version string (OpenSSL_version(OPENSSL_CFLAGS)) needs no -ffile-prefix-map with a path in it.
  local stage=$build_root/openssl-stage
  rm -rf "$stage"
  cd "$src_root/openssl"
  # Configure takes the (cross) compiler and archiver from CC, AR and RANLIB.
  perl ./Configure "$openssl_config" \
    no-shared no-dso no-module no-engine no-autoload-config \
    no-apps no-docs no-tests no-quic \
    --prefix=/opt/curl-net/openssl --openssldir=/etc/ssl --libdir=lib \
    -fPIC -fvisibility=hidden -ffunction-sections -fdata-sections -g0 -Wa,--noexecstack
  make -j"$jobs" build_libs
  make install_dev DESTDIR="$stage"
  install -m 644 "$stage/opt/curl-net/openssl/lib/libssl.a" "$stage/opt/curl-net/openssl/lib/libcrypto.a" \
    "$prefix/lib/"
  rm -rf "$prefix/include/openssl"
  cp -R "$stage/opt/curl-net/openssl/include/openssl" "$prefix/include/"
}

build_krb5() {
  # Headers only: libcurl is compiled against MIT's GSS-API declarations, and the addon's
  # native/bundled/gssapi_loader.c forwards the gss_* calls to the system's libgssapi_krb5.so.2,
  # loaded on first use. No krb5 code is compiled or linked.
  local generic=$src_root/krb5/src/lib/gssapi/generic
  rm -rf "$prefix/include/gssapi"
  mkdir -p "$prefix/include/gssapi" "$prefix/bin"
  # gssapi.h is generated from gssapi.hin exactly as MIT's Makefile does (no xom.h on Linux).
  {
    echo "/* This is the gssapi.h prologue. */"
    echo "/* no xom.h */"
    echo "/* End of gssapi.h prologue. */"
    cat "$generic/gssapi.hin"
  } >"$prefix/include/gssapi/gssapi.h"
  install -m 644 "$generic/gssapi_generic.h" "$generic/gssapi_ext.h" "$generic/gssapi_alloc.h" \
    "$prefix/include/gssapi/"
  # curl's FindGSS asks the krb5-config under GSS_ROOT_DIR before any on the PATH, so this one
  # (removed with bin/ once curl is built) decides: MIT flavour, these headers, and the library
  # the loader opens at run time. Nothing links it: the one link check that would is answered in
  # build_curl (HAVE_GSS_C_NT_HOSTBASED_SERVICE).
  cat >"$prefix/bin/krb5-config" <<KRB5_CONFIG
#!/bin/sh
case "\$1" in
  --cflags) echo "-I$prefix/include" ;;
  --libs) echo "-lgssapi_krb5" ;;
  --version) echo "Kerberos 5 release ${resolved[krb5]}" ;;
  --vendor) echo "Massachusetts Institute of Technology" ;;
  *) exit 1 ;;
esac
KRB5_CONFIG
  chmod 755 "$prefix/bin/krb5-config"
}

build_curl() {
  # curl 8.14.1 computes Negotiate's TLS channel binding whenever the connection has any TLS, so an
  # http:// request through an HTTPS proxy fails with "Failed to find the SSL filter" (error 43):
  # there is no TLS to the origin to bind to. Bind only when the origin is https (later curl
  # releases send no binding there either). test/proxy-login.test.ts "squid https_port Negotiate".
  patch -d "$src_root/curl" -p1 --forward --no-backup-if-mismatch <<'CURL_PATCH'
--- a/lib/http_negotiate.c
+++ b/lib/http_negotiate.c
@@ -112,7 +112,7 @@
 #ifdef HAVE_GSSAPI
 #ifdef USE_SSL
   curlx_dyn_init(&neg_ctx->channel_binding_data, SSL_CB_MAX_SIZE + 1);
-  if(Curl_conn_is_ssl(conn, FIRSTSOCKET)) {
+  if(Curl_conn_is_ssl(conn, FIRSTSOCKET) && (conn->handler->flags & PROTOPT_SSL)) {
     result = Curl_ssl_get_channel_binding(
       data, FIRSTSOCKET, &neg_ctx->channel_binding_data);
     if(result) {
CURL_PATCH
  # curl's printf appends every formatted byte with its own curlx_dyn_addn() call, and every
  # request header goes through it (curlx_dyn_addf(req, "%s\r\n", header)): about 6% of the
  # curl thread per small request (perf, h1 12 B c=64). Bytes are appended in runs instead.
  patch -d "$src_root/curl" -p1 --forward --no-backup-if-mismatch <<'CURL_PATCH'
--- a/lib/mprintf.c
+++ b/lib/mprintf.c
@@ -159,6 +159,8 @@
 struct asprintf {
   struct dynbuf *b;
   char merr;
+  size_t held;               /* bytes in 'hold', not yet appended to 'b' */
+  unsigned char hold[128];
 };
 
 /* the provided input number is 1-based but this returns the number 0-based.
@@ -1135,11 +1137,14 @@
   return retcode;
 }
 
-/* fputc() look-alike */
-static int alloc_addbyter(unsigned char outc, void *f)
+/* formatf() hands over one byte at a time: they are appended to the dynbuf in
+   runs, not one curlx_dyn_addn() call per byte. */
+static int alloc_flush(struct asprintf *infop)
 {
-  struct asprintf *infop = f;
-  CURLcode result = curlx_dyn_addn(infop->b, &outc, 1);
+  CURLcode result = CURLE_OK;
+  if(infop->held)
+    result = curlx_dyn_addn(infop->b, infop->hold, infop->held);
+  infop->held = 0;
   if(result) {
     infop->merr = result == CURLE_TOO_LARGE ? MERR_TOO_LARGE : MERR_MEM;
     return 1 ; /* fail */
@@ -1147,14 +1152,27 @@
   return 0;
 }
 
+/* fputc() look-alike */
+static int alloc_addbyter(unsigned char outc, void *f)
+{
+  struct asprintf *infop = f;
+  infop->hold[infop->held++] = outc;
+  if(infop->held == sizeof(infop->hold))
+    return alloc_flush(infop);
+  return 0;
+}
+
 /* appends the formatted string, returns MERR error code */
 int curlx_dyn_vprintf(struct dynbuf *dyn, const char *format, va_list ap_save)
 {
   struct asprintf info;
   info.b = dyn;
   info.merr = MERR_OK;
+  info.held = 0;
 
   (void)formatf(&info, alloc_addbyter, format, ap_save);
+  if(!info.merr)
+    (void)alloc_flush(&info);
   if(info.merr) {
     curlx_dyn_free(info.b);
     return info.merr;
@@ -1169,8 +1187,11 @@
   info.b = &dyn;
   curlx_dyn_init(info.b, DYN_APRINTF);
   info.merr = MERR_OK;
+  info.held = 0;
 
   (void)formatf(&info, alloc_addbyter, format, ap_save);
+  if(!info.merr)
+    (void)alloc_flush(&info);
   if(info.merr) {
     curlx_dyn_free(info.b);
     return NULL;
CURL_PATCH
  # Features curl-net never uses are compiled out: libcurl's cookie engine, HSTS, alt-svc, .netrc,
  # MIME and forms, DoH, AWS signatures (curl-net keeps its own cookies, HSTS and DNS policy in
  # TS). The headers API stays although curl-net never reads it: its check of each line is what
  # refuses a malformed chunk size such as "0x2" (read as the last chunk, then "x2" as a trailer;
  # test/hostile-servers.test.ts "bad chunk framing").
  cmake -S "$src_root/curl" -B "$build_root/curl" "${cmake_common[@]}" \
    -DBUILD_STATIC_LIBS=ON -DBUILD_CURL_EXE=OFF -DBUILD_TESTING=OFF -DBUILD_EXAMPLES=OFF \
    -DBUILD_LIBCURL_DOCS=OFF -DBUILD_MISC_DOCS=OFF -DENABLE_CURL_MANUAL=OFF \
    -DCURL_USE_PKGCONFIG=OFF -DPICKY_COMPILER=OFF \
    -DHTTP_ONLY=ON \
    -DCURL_DISABLE_COOKIES=ON -DCURL_DISABLE_HSTS=ON \
    -DCURL_DISABLE_ALTSVC=ON -DCURL_DISABLE_NETRC=ON -DCURL_DISABLE_MIME=ON \
    -DCURL_DISABLE_FORM_API=ON -DCURL_DISABLE_DOH=ON -DCURL_DISABLE_AWS=ON \
    -DENABLE_THREADED_RESOLVER=ON -DENABLE_ARES=OFF \
    -DCURL_DISABLE_NTLM=OFF -DCURL_DISABLE_DIGEST_AUTH=OFF \
    -DCURL_USE_GSSAPI=ON -DGSS_ROOT_DIR="$prefix" -DHAVE_GSS_C_NT_HOSTBASED_SERVICE=ON \
    -D_gss_configure_script="$prefix/bin/krb5-config" \
    -DUSE_LIBIDN2=OFF -DCURL_USE_LIBPSL=OFF -DCURL_USE_LIBSSH2=OFF -DCURL_USE_LIBSSH=OFF \
    -DCURL_USE_WOLFSSH=OFF -DCURL_USE_GSASL=OFF -DUSE_LIBRTMP=OFF -DCURL_DISABLE_LDAP=ON \
    -DCURL_USE_LIBUV=OFF -DUSE_NGTCP2=OFF -DUSE_QUICHE=OFF -DUSE_MSH3=OFF -DUSE_OPENSSL_QUIC=OFF \
    -DCURL_CA_BUNDLE=none -DCURL_CA_PATH=none -DCURL_CA_FALLBACK=OFF \
    -DCURL_USE_OPENSSL=ON -DCURL_DISABLE_OPENSSL_AUTO_LOAD_CONFIG=ON \
    -DOPENSSL_ROOT_DIR="$prefix" -DOPENSSL_USE_STATIC_LIBS=ON \
    -DOPENSSL_INCLUDE_DIR="$prefix/include" \
    -DOPENSSL_SSL_LIBRARY="$prefix/lib/libssl.a" -DOPENSSL_CRYPTO_LIBRARY="$prefix/lib/libcrypto.a" \
    -DCURL_ZLIB=ON -DZLIB_INCLUDE_DIR="$prefix/include" -DZLIB_LIBRARY="$prefix/lib/libz.a" \
    -DCURL_BROTLI=ON -DBROTLI_INCLUDE_DIR="$prefix/include" \
    -DBROTLICOMMON_LIBRARY="$prefix/lib/libbrotlicommon.a" \
    -DBROTLIDEC_LIBRARY="$prefix/lib/libbrotlidec.a" \
    -DCURL_ZSTD=ON -DZSTD_INCLUDE_DIR="$prefix/include" -DZSTD_LIBRARY="$prefix/lib/libzstd.a" \
    -DUSE_NGHTTP2=ON -DNGHTTP2_INCLUDE_DIR="$prefix/include" \
    -DNGHTTP2_LIBRARY="$prefix/lib/libnghttp2.a"
  cmake --build "$build_root/curl" -j "$jobs"
  cmake --install "$build_root/curl"
  # What the configuration decided, for the manifest (and for whoever debugs a feature).
  grep -E '^#define (USE_OPENSSL|USE_NGHTTP2|HAVE_LIBZ|HAVE_BROTLI|HAVE_ZSTD|USE_THREADS_POSIX|CURL_DISABLE_OPENSSL_AUTO_LOAD_CONFIG|CURL_CA_BUNDLE|CURL_CA_PATH|USE_LIBIDN2|USE_LIBPSL|HAVE_GSSAPI|HAVE_GSSAPI_GSSAPI_H|HAVE_GSSAPI_GSSAPI_GENERIC_H|HAVE_OLD_GSSMIT|USE_NTLM|CURL_DISABLE_[A-Z_]+) ' \
    "$build_root/curl/lib/curl_config.h" >"$prefix/curl-config-summary.txt" || true
}

# <<< recipe

# Dependency order: compression and HTTP/2 first, then TLS, then curl on top of all of them.
step zlib build_zlib
step brotli build_brotli
step libzstd build_libzstd
step nghttp2 build_nghttp2
step openssl build_openssl
step krb5 build_krb5
step curl build_curl

for lib in libcurl libnghttp2 libssl libcrypto libzstd libbrotlidec libbrotlicommon libz; do
  [[ -f $prefix/lib/$lib.a ]] || die "missing $prefix/lib/$lib.a"
done
grep -q '^#define HAVE_GSSAPI 1' "$prefix/curl-config-summary.txt" ||
  die "curl was configured without GSS-API (see $logs/curl-build.log)"
rm -rf "$prefix/lib/pkgconfig" "$prefix/lib/cmake" "$prefix/share" "$prefix/bin"
if [[ ${CURL_NET_DEPS_KEEP_BUILD:-0} != 1 ]]; then rm -rf "$src_root" "$build_root"; fi

# What was built, compiled into the addon: versions() reports it, so a prebuild stays traceable
# to the exact Debian sources (and their checksums) it contains.
{
  echo "/* Generated by scripts/bundled/build-deps.sh: the sources of this bundled build. */"
  echo "#define CURL_NET_BUNDLED_SOURCE_COUNT ${#names[@]}"
  echo "#define CURL_NET_BUNDLED_SOURCES \\"
  for name in "${names[@]}"; do
    printf '  {"%s", "%s", %s, "%s"}, \\\n' "$name" "${resolved[$name]}" \
      "$([[ ${patched[$name]} == yes ]] && echo true || echo false)" \
      "$(sha256sum "${source_file[$name]}" | cut -d' ' -f1)"
  done
  echo ""
} >"$prefix/include/curl_net_bundled_sources.h"

total=$((SECONDS - total_start))
{
  echo "# curl-net bundled dependencies: static, PIC, hidden visibility"
  echo "key $key"
  echo "target $target"
  echo "built $(date -u +%Y-%m-%dT%H:%M:%SZ) on $(uname -m) for $target, $cc_id"
  echo "cflags $common_cflags"
  for name in "${names[@]}"; do
    echo "package $name ${resolved[$name]} upstream=${pin[$name]} seconds=${took[$name]} debian_patches=${patched[$name]}"
    echo "  source $(basename "${source_file[$name]}") sha256=$(sha256sum "${source_file[$name]}" | cut -d' ' -f1)"
    if [[ ${patched[$name]} == yes ]]; then
      dsc_files "${source_file[$name]}" | while read -r sum file; do echo "  file $file sha256=$sum"; done
    fi
  done
  echo "total_seconds $total"
} >"$prefix/manifest.tmp"
mv "$prefix/manifest.tmp" "$prefix/manifest.txt" # the completion marker, written last
log "all dependencies built in ${total}s: $prefix"
echo "$prefix"
