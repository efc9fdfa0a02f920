#!/usr/bin/env bash
# Takes a fresh Debian 12 machine (Node 20 + npm present) to a built project:
# system packages, npm dependencies, the native addon and the TypeScript output.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=$(grep -v '^\s*#' scripts/system-packages.txt | grep -v '^\s*$' | tr '\n' ' ')
missing=$(dpkg-query -W -f='${Package} ${Status}\n' $packages 2>/dev/null | awk '$NF!="installed"{print $1}' || true)
for p in $packages; do dpkg-query -W "$p" >/dev/null 2>&1 || missing="$missing $p"; done
missing=$(echo $missing | tr ' ' '\n' | sort -u | tr '\n' ' ')
if [ -n "${missing// /}" ]; then
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends $missing
fi
# Test proxies are started by the tests themselves; stop the services Debian starts on install.
for service in squid tinyproxy danted nginx; do
  if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet "$service" 2>/dev/null; then
    systemctl stop "$service" || true
  fi
done

# --ignore-scripts: the package's own install step (node-gyp-build) is for users; here the
# native addon is built once, with cmake-js, below.
npm ci --ignore-scripts --no-audit --no-fund
npm run build
