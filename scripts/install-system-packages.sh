#!/usr/bin/env bash
# Debian packages SkipNet's tests and `npm start` need, installed only when missing (so reruns take a second):
# a C/C++ toolchain and headers for code-server's native modules (VS Code in the browser; keep in sync with
# scripts/vscode/code-server.mjs), ripgrep for VS Code's search, chromium for browser tests, and PyTorch as the
# reference for exports and gradients. Runs before `npm test` and `npm start` (npm's pre-scripts) and from .ci/run.
set -euo pipefail
packages=(build-essential python3 pkg-config libkrb5-dev libxkbfile-dev libsecret-1-dev libx11-dev ripgrep chromium)
missing=()
if command -v dpkg-query >/dev/null; then
  for package in "${packages[@]}"; do
    if [[ "$(dpkg-query -W -f='${db:Status-Status}' "$package" 2>/dev/null)" != installed ]]; then missing+=("$package"); fi
  done
  /usr/bin/python3 -c 'import torch' 2>/dev/null || missing+=(python3-torch)
fi
[ ${#missing[@]} -eq 0 ] && exit 0
if ! command -v apt-get >/dev/null; then
  echo "SkipNet needs these Debian packages (or their equivalents): ${missing[*]}" >&2
  exit 1
fi
sudo=""
if [[ "$(id -u)" != 0 ]]; then
  if ! command -v sudo >/dev/null; then
    echo "SkipNet needs these Debian packages; install them as root: apt-get install -y ${missing[*]}" >&2
    exit 1
  fi
  sudo="sudo"
fi
echo "Installing Debian packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get -o DPkg::Lock::Timeout=600 update -qq
$sudo apt-get -o DPkg::Lock::Timeout=600 install -y -qq "${missing[@]}"
