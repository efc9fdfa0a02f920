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
# The tests start their own servers on ports of their own. Services that apt started just now,
# for packages this run installed, are stopped again; anything that was already there is left
# alone (with systemd, or with init scripts where there is none).
declare -A service_of=([squid]=squid [tinyproxy]=tinyproxy [dante-server]=danted [nginx-light]=nginx
  [krb5-kdc]=krb5-kdc [krb5-admin-server]=krb5-admin-server)
for package in $missing; do
  service=${service_of[$package]:-}
  [ -n "$service" ] || continue
  if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet "$service" 2>/dev/null; then
    systemctl stop "$service" || true
  elif [ -x "/etc/init.d/$service" ]; then
    "/etc/init.d/$service" stop >/dev/null 2>&1 || true
  fi
done

# --ignore-scripts: the package's own install step (node-gyp-build) is for users; here the
# native addon is built once, with cmake-js, below.
npm ci --ignore-scripts --no-audit --no-fund
npm run build
