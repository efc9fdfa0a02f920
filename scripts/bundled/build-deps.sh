#!/usr/bin/env bash
# Builds the static dependencies of the bundled (prebuilt) addon from Debian's source packages:
# zlib, brotli (decoder), zstd (decompressor), nghttp2, OpenSSL 3 and libcurl 8, all static + PIC
# with hidden visibility, into deps/<key>/ where <key> hashes the exact versions
# (scripts/bundled/versions.txt), this script and the compiler. A second run is a cache hit and
# touches neither apt nor the network.
#
#   bash scripts/bundled/build-deps.sh                 build (or reuse) and print the prefix
#   bash scripts/bundled/build-deps.sh --print-prefix  print the prefix only, build nothing
#   bash scripts/bundled/build-deps.sh --refresh       look up the newest versions in the
#                                                      configured suites, rewrite versions.txt
#   bash scripts/bundled/build-deps.sh --prune         delete cached builds of other keys
#
# Sources come from `apt-get source` against a PRIVATE apt configuration under deps/apt/
# (deb-src entries only, own lists and cache): /etc/apt is never modified, so which binary
# packages apt installs on this machine does not change.
#
# Environment:
#   CURL_NET_DEPS_DIR                 cache root (default: <repo>/deps)
#   CURL_NET_DEPS_JOBS                parallel jobs (default: nproc)
#   CURL_NET_DEPS_KEEP_BUILD=1        keep the source and build trees after a successful build
#   CURL_NET_DEBIAN_MIRROR            default http://deb.debian.org/debian
#   CURL_NET_DEBIAN_SUITES            default "trixie trixie-updates"
#   CURL_NET_DEBIAN_SECURITY=1        also search trixie-security
#   CURL_NET_DEBIAN_SECURITY_MIRROR   default http://deb.debian.org/debian-security
#
# Progress goes to stderr; the prefix is the only thing printed on stdout.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
deps_dir=${CURL_NET_DEPS_DIR:-$root/deps}
versions_file=$here/versions.txt
jobs=${CURL_NET_DEPS_JOBS:-$(nproc)}
mirror=${CURL_NET_DEBIAN_MIRROR:-http://deb.debian.org/debian}
suites=${CURL_NET_DEBIAN_SUITES:-trixie trixie-updates}
security=${CURL_NET_DEBIAN_SECURITY:-0}
security_mirror=${CURL_NET_DEBIAN_SECURITY_MIRROR:-http://deb.debian.org/debian-security}

log() { printf '[build-deps] %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

mode=build
case "${1:-}" in
  "") ;;
  --print-prefix) mode=print ;;
  --refresh) mode=refresh ;;
  --prune) mode=prune ;;
  -h | --help) sed -n '2,27p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
  *) die "unknown argument: $1 (try --help)" ;;
esac

# --- versions and the cache key ------------------------------------------------------------
declare -A version=()
names=()
while read -r name ver _; do
  [[ -z "$name" || "$name" == \#* ]] && continue
  version[$name]=$ver
  names+=("$name")
done <"$versions_file"
for required in zlib brotli libzstd nghttp2 openssl curl; do
  [[ -n "${version[$required]:-}" ]] || die "$versions_file has no version for $required"
done

cc_id=$( (${CC:-cc} --version 2>/dev/null || echo unknown-cc) | head -n1)
key=$( {
  grep -v '^\s*#' "$versions_file"
  # Only the recipe (flags, options, build steps) counts: editing the CLI or comments elsewhere
  # in this script keeps the cache.
  sed -n '/^# >>> recipe/,/^# <<< recipe/p' "$here/build-deps.sh"
  echo "$cc_id"
  uname -m
} | sha256sum | cut -c1-16)
prefix=$deps_dir/$key

if [[ $mode == print ]]; then
  echo "$prefix"
  exit 0
fi
if [[ $mode == prune ]]; then
  for dir in "$deps_dir"/*; do
    name=$(basename "$dir")
    if [[ -d $dir && $name =~ ^[0-9a-f]{16}$ && $name != "$key" ]]; then
      log "removing $dir"
      rm -rf "$dir"
    fi
  done
  exit 0
fi

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
  local keyring=/usr/share/keyrings/debian-archive-keyring.gpg
  [[ -r $keyring ]] || die "$keyring is missing (apt-get install debian-archive-keyring)"
  local sources
  sources=$(
    printf 'Types: deb-src\nURIs: %s\nSuites: %s\nComponents: main\nSigned-By: %s\n' \
      "$mirror" "$suites" "$keyring"
    if [[ $security == 1 ]]; then
      printf '\nTypes: deb-src\nURIs: %s\nSuites: trixie-security\nComponents: main\nSigned-By: %s\n' \
        "$security_mirror" "$keyring"
    fi
  )
  local file=$apt_dir/sources.list.d/curl-net-debian-src.sources
  if [[ ! -f $file || "$(cat "$file")" != "$sources" ]]; then
    printf '%s\n' "$sources" >"$file"
    rm -f "$apt_dir"/lists/*_Sources* "$apt_dir"/lists/*Release*
  fi
}

apt_update() {
  local extra=""
  [[ $security == 1 ]] && extra=" trixie-security"
  log "apt-get update (private deb-src lists: $suites$extra)"
  apt-get -q "${apt_opts[@]}" update >"$apt_dir/update.log" 2>&1 ||
    { cat "$apt_dir/update.log" >&2; die "apt-get update failed"; }
}

lists_present() { compgen -G "$apt_dir/lists/*_Sources*" >/dev/null; }

# Every version of a source package the configured suites carry.
source_versions() {
  apt-cache "${apt_opts[@]}" showsrc --only-source "$1" 2>/dev/null | awk '$1=="Version:"{print $2}'
}

if [[ $mode == refresh ]]; then
  setup_apt
  apt_update
  tmp=$(mktemp)
  cp "$versions_file" "$tmp"
  changed=0
  for name in "${names[@]}"; do
    newest=""
    for v in $(source_versions "$name"); do
      if [[ -z $newest ]] || dpkg --compare-versions "$v" gt "$newest"; then newest=$v; fi
    done
    [[ -n $newest ]] || die "no source package $name in $suites"
    if [[ $newest != "${version[$name]}" ]]; then
      log "$name: ${version[$name]} -> $newest"
      changed=1
      awk -v n="$name" -v v="$newest" '$1==n{print n" "v; next}{print}' "$tmp" >"$tmp.new"
      mv "$tmp.new" "$tmp"
    else
      log "$name: $newest (unchanged)"
    fi
  done
  if [[ $changed == 1 ]]; then
    cat "$tmp" >"$versions_file"
    log "wrote $versions_file; the next build uses a new cache key"
  else
    log "$versions_file is up to date"
  fi
  rm -f "$tmp"
  exit 0
fi

# --- build ---------------------------------------------------------------------------------
mkdir -p "$deps_dir"
exec 9>"$deps_dir/.lock"
flock 9 # one build at a time; a waiting run then finds the finished cache

if [[ -f $prefix/manifest.txt ]]; then
  log "cache hit: $prefix ($(grep -m1 '^total_seconds' "$prefix/manifest.txt" | cut -d' ' -f2)s when built)"
  echo "$prefix"
  exit 0
fi

for tool in apt-get dpkg-source cmake make perl "${CC:-cc}" ar; do
  command -v "$tool" >/dev/null || die "$tool not found (see scripts/system-packages.txt)"
done

log "building into $prefix (jobs: $jobs)"
downloads=$deps_dir/downloads
src_root=$prefix/src
build_root=$prefix/build
stamps=$prefix/.stamps
logs=$prefix/logs
mkdir -p "$downloads" "$src_root" "$build_root" "$stamps" "$logs" "$prefix/lib" "$prefix/include"
total_start=$SECONDS

export CC=${CC:-cc}

strip_epoch() { echo "${1#*:}"; }
upstream_of() { local v; v=$(strip_epoch "$1"); echo "${v%-*}"; }

# Downloads NAME=VERSION with apt-get source and unpacks it (Debian patches applied) into
# $src_root/NAME. If the mirror lacks the Debian part (.dsc/.debian.tar.*) but has the verified
# upstream tarball, unpacks that and records that no Debian patches were applied.
declare -A patched=()
fetch() {
  local name=$1 ver=${version[$1]}
  local nover; nover=$(strip_epoch "$ver")
  local up; up=$(upstream_of "$ver")
  local dsc=$downloads/${name}_${nover}.dsc
  local orig
  orig=$(compgen -G "$downloads/${name}_${up}.orig.tar.*" | grep -v '\.asc$' | head -n1 || true)
  if [[ ! -f $dsc || -z $orig ]]; then
    setup_apt
    lists_present || apt_update
    if ! source_versions "$name" | grep -qxF "$ver"; then
      apt_update
      source_versions "$name" | grep -qxF "$ver" ||
        die "$name $ver is not in $suites any more; run: bash scripts/bundled/build-deps.sh --refresh"
    fi
    log "$name $ver: apt-get source --download-only"
    (cd "$downloads" && apt-get -q "${apt_opts[@]}" source --download-only "$name=$ver") \
      >"$logs/$name-download.log" 2>&1 || true
    orig=$(compgen -G "$downloads/${name}_${up}.orig.tar.*" | grep -v '\.asc$' | head -n1 || true)
  fi
  rm -rf "${src_root:?}/$name"
  if [[ -f $dsc ]]; then
    dpkg-source -x "$dsc" "$src_root/$name" >"$logs/$name-unpack.log" 2>&1 ||
      { cat "$logs/$name-unpack.log" >&2; die "dpkg-source -x $dsc failed"; }
    patched[$name]=yes
  elif [[ -n $orig ]]; then
    # apt verified the tarball against the signed Sources index before keeping it.
    log "WARNING: the mirror has no ${name}_${nover}.dsc; building the upstream tarball" \
      "$(basename "$orig") without Debian's patches"
    mkdir -p "$src_root/$name"
    tar -xf "$orig" -C "$src_root/$name" --strip-components=1
    patched[$name]="no (Debian part missing on the mirror)"
  else
    cat "$logs/$name-download.log" >&2
    die "could not download $name $ver"
  fi
}

declare -A took=()
step() { # step NAME FUNCTION
  local name=$1 fn=$2
  if [[ -f $stamps/$name ]]; then
    took[$name]=$(cat "$stamps/$name")
    patched[$name]=$(cat "$stamps/$name.patched" 2>/dev/null || echo yes)
    log "$name ${version[$name]}: already built (${took[$name]}s)"
    return
  fi
  local start=$SECONDS
  fetch "$name"
  log "$name ${version[$name]}: building"
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
  echo "${patched[$name]}" >"$stamps/$name.patched"
  log "$name ${version[$name]}: done in ${took[$name]}s"
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
  make -j"$jobs" libzstd.a CFLAGS="$common_cflags -DZSTD_TRACE=0" ZSTD_LIB_COMPRESSION=0 ZSTD_LIB_DICTBUILDER=0 \
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

openssl_target() {
  case "$(uname -m)" in
    x86_64) echo linux-x86_64 ;;
    aarch64) echo linux-aarch64 ;;
    armv7l) echo linux-armv4 ;;
    *) echo linux-generic64 ;;
  esac
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
  perl ./Configure "$(openssl_target)" \
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

build_curl() {
  cmake -S "$src_root/curl" -B "$build_root/curl" "${cmake_common[@]}" \
    -DBUILD_STATIC_LIBS=ON -DBUILD_CURL_EXE=OFF -DBUILD_TESTING=OFF -DBUILD_EXAMPLES=OFF \
    -DBUILD_LIBCURL_DOCS=OFF -DBUILD_MISC_DOCS=OFF -DENABLE_CURL_MANUAL=OFF \
    -DCURL_USE_PKGCONFIG=OFF -DPICKY_COMPILER=OFF \
    -DHTTP_ONLY=ON \
    -DENABLE_THREADED_RESOLVER=ON -DENABLE_ARES=OFF \
    -DCURL_DISABLE_NTLM=OFF -DCURL_DISABLE_DIGEST_AUTH=OFF -DCURL_USE_GSSAPI=OFF \
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
  grep -E '^#define (USE_OPENSSL|USE_NGHTTP2|HAVE_LIBZ|HAVE_BROTLI|HAVE_ZSTD|USE_THREADS_POSIX|CURL_DISABLE_OPENSSL_AUTO_LOAD_CONFIG|CURL_CA_BUNDLE|CURL_CA_PATH|USE_LIBIDN2|USE_LIBPSL|HAVE_GSSAPI|USE_NTLM|CURL_DISABLE_[A-Z_]+) ' \
    "$build_root/curl/lib/curl_config.h" >"$prefix/curl-config-summary.txt" || true
}

# <<< recipe

# Dependency order: compression and HTTP/2 first, then TLS, then curl on top of all of them.
step zlib build_zlib
step brotli build_brotli
step libzstd build_libzstd
step nghttp2 build_nghttp2
step openssl build_openssl
step curl build_curl

for lib in libcurl libnghttp2 libssl libcrypto libzstd libbrotlidec libbrotlicommon libz; do
  [[ -f $prefix/lib/$lib.a ]] || die "missing $prefix/lib/$lib.a"
done
rm -rf "$prefix/lib/pkgconfig" "$prefix/lib/cmake" "$prefix/share" "$prefix/bin"
if [[ ${CURL_NET_DEPS_KEEP_BUILD:-0} != 1 ]]; then rm -rf "$src_root" "$build_root"; fi

total=$((SECONDS - total_start))
{
  echo "# curl-net bundled dependencies: static, PIC, hidden visibility"
  echo "key $key"
  echo "built $(date -u +%Y-%m-%dT%H:%M:%SZ) on $(uname -m), $cc_id"
  echo "cflags $common_cflags"
  for name in zlib brotli libzstd nghttp2 openssl curl; do
    echo "package $name ${version[$name]} seconds=${took[$name]} debian_patches=${patched[$name]}"
  done
  echo "total_seconds $total"
} >"$prefix/manifest.tmp"
mv "$prefix/manifest.tmp" "$prefix/manifest.txt" # the completion marker, written last
log "all dependencies built in ${total}s: $prefix"
echo "$prefix"
