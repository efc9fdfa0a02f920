#!/usr/bin/env bash
# npm run test:bundled: the whole test suite against the bundled (static, prebuilt) addon.
# Builds or refreshes the prebuild (incremental: the dependency cache and build-bundled/ are
# reused), then runs `npm test` with the loader pointed at that exact file. Expects the
# TypeScript to be compiled already (npm run build:ts, which `npm run setup` does).
set -euo pipefail
cd "$(dirname "$0")/../.."
prebuild=$(node scripts/bundled/prebuild.mjs | tail -n1)
echo "[test:bundled] CURL_NET_BINDING=$prebuild" >&2
CURL_NET_BINDING=$prebuild npm test -- "$@"
