#!/usr/bin/env bash
# Checks that a bundled (prebuilt) curl_net.node is self-contained:
#   - the only defined dynamic symbols are the Node-API entry points (nm -D --defined-only);
#   - it needs only C runtime libraries (readelf -d NEEDED);
#   - every undefined symbol without a version is Node's (napi_*, node_api_*, uv_*);
#   - no path of the build machine's dependency cache is compiled in;
#   - no dynamic symbol needs a glibc newer than the floor (CURL_NET_GLIBC_FLOOR, default 2.28).
# Prints what it found; exits non-zero on a violation.
set -euo pipefail
file=${1:?usage: check-binary.sh path/to/curl_net.node}
deps_dir=${2:-}
glibc_floor=${CURL_NET_GLIBC_FLOOR:-2.28}
# nm of the binary's architecture (NM=aarch64-linux-gnu-nm for a cross-built arm64 binary).
nm=${NM:-nm}
status=0
fail() { echo "check-binary: FAIL: $*" >&2; status=1; }

exports=$("$nm" -D --defined-only "$file" | awk '{print $NF}' | sort)
count=$(printf '%s\n' "$exports" | grep -c . || true)
echo "check-binary: $count exported symbol(s): $(echo $exports)"
unexpected=$(printf '%s\n' "$exports" | grep -Ev '^(napi_register_module_v[0-9]+|node_api_module_get_api_version_v[0-9]+)$' | grep . || true)
[[ -z $unexpected ]] || fail "unexpected exports: $(echo $unexpected)"
printf '%s\n' "$exports" | grep -q '^napi_register_module_v1$' || fail "napi_register_module_v1 is not exported"

needed=$(readelf -d "$file" | awk '/\(NEEDED\)/{gsub(/[\[\]]/, "", $NF); print $NF}')
echo "check-binary: NEEDED: $(echo $needed)"
for lib in $needed; do
  case "$lib" in
    libc.so.* | libm.so.* | libpthread.so.* | libdl.so.* | librt.so.* | ld-linux*.so.*) ;;
    *) fail "depends on $lib (only C runtime libraries are allowed)" ;;
  esac
done

# Undefined symbols: versioned ones come from glibc; unversioned ones must be Node's.
foreign=$("$nm" -D --undefined-only "$file" | awk '{print $NF}' | grep -v '@' |
  grep -Ev '^(napi_|node_api_|uv_)' | grep -Ev '^(__gmon_start__|_ITM_(de)?registerTMCloneTable|__cxa_finalize)$' || true)
[[ -z $foreign ]] || fail "undefined symbols nobody will provide: $(echo $foreign)"
# The glibc floor: the newest GLIBC_x.y any dynamic symbol is bound to (readelf reads any
# architecture). Newer references are redirected to older versions by glibc-compat.c.
dynsyms=$(readelf --dyn-syms -W "$file")
glibc_max=$(grep -oE '@GLIBC_[0-9][0-9.]*' <<<"$dynsyms" | tr -d @ | sort -uV | tail -n1 || true)
echo "check-binary: highest glibc symbol version required: ${glibc_max:-none} (floor: GLIBC_$glibc_floor)"
too_new=$(awk -v floor="$glibc_floor" '
  function newer(v, f,   a, b, i, n) {
    n = split(v, a, "."); split(f, b, ".")
    for (i = 1; i <= (n > 3 ? n : 3); i++) { if (a[i] + 0 != b[i] + 0) return a[i] + 0 > b[i] + 0 }
    return 0
  }
  { if (match($8, /@GLIBC_[0-9][0-9.]*/)) { v = substr($8, RSTART + 7, RLENGTH - 7); if (newer(v, floor)) print $8 } }
' <<<"$dynsyms" | sort -u)
[[ -z $too_new ]] || fail "needs glibc newer than $glibc_floor (add them to scripts/bundled/glibc-compat.c): $(echo $too_new)"
private=$(grep -oE '[^ ]+@GLIBC_PRIVATE' <<<"$dynsyms" | sort -u || true)
[[ -z $private ]] || fail "binds to glibc-internal symbols: $(echo $private)"

if [[ -n $deps_dir ]]; then
  # Read everything first: `grep -q` closing the pipe early would fail the pipeline (pipefail).
  leaked=$(strings -a "$file" | grep -F "$deps_dir" || true)
  [[ -z $leaked ]] || fail "the binary contains the build machine path $deps_dir: $(printf '%s\n' "$leaked" | head -n3)"
fi
exit $status
