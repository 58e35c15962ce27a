#!/usr/bin/env bash
# Installs what kvmatrix needs on a Debian bookworm host, skipping what is
# already there: Debian packages (as root, or through sudo) and the npm
# dependencies of this checkout. Both Quick start commands run it first.
# KVMATRIX_SKIP_APT=1 skips the Debian part (a host managed some other way).
# --test adds what only the test suite needs: Debian's chromium, in which
# the HTML report is opened.
set -euo pipefail

cd "$(dirname "$0")/../.."

say() { printf 'kvmatrix setup: %s\n' "$*" >&2; }

node_major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
if [ "$node_major" -lt 20 ]; then
  say "Node.js 20 or newer is needed (found: $(node --version 2>/dev/null || echo none))"
  exit 3
fi

# package -> a file it installs, to tell whether it is there without dpkg
declare -A wanted=(
  [qemu-system-arm]=/usr/bin/qemu-system-aarch64
  [gcc-aarch64-linux-gnu]=/usr/bin/aarch64-linux-gnu-gcc
  # the agent links statically against it; only a Recommends of the compiler
  [libc6-dev-arm64-cross]=/usr/aarch64-linux-gnu/lib/libc.a
  [linux-source-6.1]=/usr/src/linux-source-6.1.tar.xz
  [flex]=/usr/bin/flex
  [bison]=/usr/bin/bison
  [bc]=/usr/bin/bc
  [libssl-dev]=/usr/include/openssl/ssl.h
  [libelf-dev]=/usr/include/libelf.h
  [cpio]=/usr/bin/cpio
  [xz-utils]=/usr/bin/xz
  [make]=/usr/bin/make
  [git]=/usr/bin/git
)
if [ "${1:-}" = --test ]; then
  wanted[chromium]=/usr/bin/chromium
fi
missing=()
for pkg in "${!wanted[@]}"; do
  [ -e "${wanted[$pkg]}" ] || missing+=("$pkg")
done

if [ "${KVMATRIX_SKIP_APT:-0}" != 1 ] && { [ ${#missing[@]} -gt 0 ] || ! command -v ccache >/dev/null; }; then
  if [ "$(id -u)" = 0 ]; then sudo=(); elif command -v sudo >/dev/null; then sudo=(sudo); else sudo=(false); fi
  if [ ${#missing[@]} -gt 0 ]; then
    say "installing Debian packages: ${missing[*]}"
    if ! "${sudo[@]}" apt-get update -qq || ! DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null; then
      say "could not install ${missing[*]}: run as root, or install them yourself (apt-get install ${missing[*]})"
      exit 3
    fi
  fi
  # ccache only when it can be had: builds work without it, just slower to repeat
  if ! command -v ccache >/dev/null; then
    DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends ccache >/dev/null 2>&1 \
      || say "ccache not available; kernel builds will not be cached at the compiler level"
  fi
fi

# npm dependencies: install when node_modules is missing or older than the lock file
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  say "installing npm dependencies"
  npm ci --no-audit --no-fund --loglevel=error >&2
  # tap compiles its plugin list (package.json "tap.plugin") at build time
  npx --no-install tap build >&2
fi
