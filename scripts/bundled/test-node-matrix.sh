#!/usr/bin/env bash
# npm run test:node-matrix: the whole test suite against the prebuild (built with the Node 20
# of this machine) on the other Node lines users run. The prebuild is a Node-API addon, so one
# binary serves every Node version; this proves it, and catches a Node release that changes
# behaviour the TypeScript relies on.
#
# Each Node comes from the npm package node-linux-<arch> (the official binaries, with headers),
# installed once by official-node.sh into $CURL_NET_DEPS_DIR/node/ (default deps/node/). ava runs under
# that node (its test workers are forked from it) with CURL_NET_BINDING pointing at the
# prebuild, and its bin directory first on PATH.
#
# Environment:
#   CURL_NET_NODE_MATRIX   the versions, space-separated (default: "22.23.5 24.22.3")
#   CURL_NET_DEPS_DIR      cache root (default: <repo>/deps)
# Arguments are passed to ava (e.g. a test file). Exits non-zero when any version fails.
set -uo pipefail
cd "$(dirname "$0")/../.."
versions=${CURL_NET_NODE_MATRIX:-22.23.5 24.22.3}
log() { printf '[node-matrix] %s\n' "$*" >&2; }

arch=$(node -p process.arch)

prebuild=$(node scripts/bundled/prebuild.mjs | tail -n1) || { log "npm run prebuilds failed"; exit 1; }
[[ -f $prebuild ]] || { log "no prebuild at '$prebuild'"; exit 1; }

status=0
for version in $versions; do
  node_bin=$(bash scripts/bundled/official-node.sh "$arch" "$version") ||
    { log "installing Node $version for $arch failed"; status=1; continue; }
  actual=$("$node_bin" --version) || { log "$node_bin does not run"; status=1; continue; }
  if [[ $actual != "v$version" ]]; then
    log "$node_bin is $actual, expected v$version"
    status=1
    continue
  fi
  log "Node $actual: the suite against $prebuild"
  started=$SECONDS
  PATH="$(dirname "$node_bin"):$PATH" CURL_NET_BINDING=$prebuild \
    "$node_bin" node_modules/ava/entrypoints/cli.mjs "$@"
  rc=$?
  log "Node $actual: ava exited $rc after $((SECONDS - started))s"
  [[ $rc -eq 0 ]] || status=1
done
exit $status
