#!/usr/bin/env bash
# Installs what kvmatrix needs on a Debian bookworm host, skipping what is
# already there: Debian packages (as root, or through sudo) and the npm
# dependencies of this checkout. Both Quick start commands run it first.
# KVMATRIX_SKIP_APT=1 skips the Debian part (a host managed some other way).
# --test adds what only the test suite needs: Debian's chromium, in which
# the HTML report is opened, kcidb-io from PyPI (in .venv), with which
# the KCIDB submissions are validated, and arm64 among dpkg's architectures,
# so that apt can fetch the guest's busybox-static:arm64. --check installs nothing: it prints the Debian
# packages this host would get and exits 1 when any is missing.
# On an arm64 host the compiler is Debian's native gcc, not the cross one.
# --matrix FILE (repeatable) adds the Debian source packages that the
# matrix's kernel definitions name (`package:` beside a missing `tarball:`),
# such as linux-source-6.12 for matrices/murray-versions.yaml; without it,
# only the default matrix's linux-source-6.1 from the package list.
set -euo pipefail

cd "$(dirname "$0")/../.."

say() { printf 'kvmatrix setup: %s\n' "$*" >&2; }

node_major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
if [ "$node_major" -lt 20 ]; then
  say "Node.js 20 or newer is needed (found: $(node --version 2>/dev/null || echo none))"
  exit 3
fi

# harness/host/debian-packages.tsv: package, a file it installs (to tell
# whether it is there without dpkg), when it is needed, on which hosts, what for
scopes=" run build "
check=0
matrices=()
while [ $# -gt 0 ]; do
  case "$1" in
    --test) scopes=" run build test " ;;
    --check) check=1 ;;
    --matrix)
      [ $# -ge 2 ] || { say "--matrix needs a matrix file"; exit 2; }
      [ -f "$2" ] || { say "--matrix $2: no such file"; exit 2; }
      matrices+=("$2"); shift ;;
    *) say "unknown option $1 (--test, --check, --matrix FILE)"; exit 2 ;;
  esac
  shift
done
host_arch=$(dpkg --print-architecture 2>/dev/null || uname -m)
case "$host_arch" in aarch64) host_arch=arm64 ;; esac
missing=()
optional_missing=()
while IFS=$'\t' read -r pkg file when hosts _; do
  case "$pkg" in ''|'#'*) continue ;; esac
  case "$hosts" in
    any) ;;
    arm64) [ "$host_arch" = arm64 ] || continue ;;
    not-arm64) [ "$host_arch" != arm64 ] || continue ;;
    *) say "harness/host/debian-packages.tsv: $pkg: hosts must be any, arm64 or not-arm64, not '$hosts'"; exit 3 ;;
  esac
  [ -e "$file" ] && continue
  if [ "$when" = optional ]; then optional_missing+=("$pkg")
  elif [[ "$scopes" == *" $when "* ]]; then missing+=("$pkg")
  fi
done < harness/host/debian-packages.tsv

# A kernel definition names its source tarball and the package that
# provides it; kvmatrix's own matrices write both on lines of their own.
# `kvmatrix doctor MATRIX` reads the matrix properly and names the same.
definition_field() { sed -nE "s/^[[:space:]]*$2:[[:space:]]*([^[:space:]#]+).*/\1/p" "$1" | head -n 1; }
for matrix in "${matrices[@]}"; do
  base=$(dirname "$matrix")
  kernels_dir=$(sed -nE 's/^[[:space:]]+kernels:[[:space:]]*([^[:space:]#{]+).*/\1/p' "$matrix" | head -n 1)
  kernels_dir=${kernels_dir:-../kernels}
  case "$kernels_dir" in /*) ;; *) kernels_dir="$base/$kernels_dir" ;; esac
  for ref in $(grep -oE 'definition:[[:space:]]*[^[:space:],}#]+' "$matrix" | sed -E 's/definition:[[:space:]]*//' | sort -u); do
    case "$ref" in
      /*) def=$ref ;;
      *.yaml|*.yml|*/*) def="$kernels_dir/$ref" ;;
      *) def="$kernels_dir/$ref.yaml" ;;
    esac
    [ -f "$def" ] || { say "$matrix: kernel definition $ref not found (looked for $def)"; exit 2; }
    tarball=$(definition_field "$def" tarball)
    pkg=$(definition_field "$def" package)
    [ -n "$tarball" ] && [ -n "$pkg" ] && [ ! -e "$tarball" ] || continue
    [[ " ${missing[*]:-} " == *" $pkg "* ]] || missing+=("$pkg")
  done
done

if [ "$check" = 1 ]; then
  say "host $host_arch; missing Debian packages: ${missing[*]:-none}; missing optional: ${optional_missing[*]:-none}"
  [ ${#missing[@]} -eq 0 ]
  exit
fi

if [ "${KVMATRIX_SKIP_APT:-0}" != 1 ] && [ $((${#missing[@]} + ${#optional_missing[@]})) -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then sudo=(); elif command -v sudo >/dev/null; then sudo=(sudo); else sudo=(false); fi
  if [ ${#missing[@]} -gt 0 ]; then
    say "installing Debian packages: ${missing[*]}"
    if ! "${sudo[@]}" apt-get update -qq || ! DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null; then
      say "could not install ${missing[*]}: run as root, or install them yourself (apt-get install ${missing[*]})"
      exit 3
    fi
  fi
  # optional ones (ccache) only when they can be had: builds work without them
  for pkg in "${optional_missing[@]}"; do
    DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends "$pkg" >/dev/null 2>&1 \
      || say "$pkg not available; kvmatrix works without it, more slowly"
  done
fi

# --test: the guest's userspace layer takes Debian's arm64 busybox-static
# (fetched with apt-get download, never installed on this host), which apt
# knows of only with arm64 among dpkg's architectures
# (read whole first: grep -q leaving early could end dpkg with SIGPIPE, which pipefail would count)
foreign=$(dpkg --print-foreign-architectures 2>/dev/null || true)
if [[ "$scopes" == *" test "* ]] && [ "${KVMATRIX_SKIP_APT:-0}" != 1 ] && [ "$host_arch" != arm64 ] \
  && ! grep -qx arm64 <<<"$foreign"; then
  if [ "$(id -u)" = 0 ]; then sudo=(); elif command -v sudo >/dev/null; then sudo=(sudo); else sudo=(false); fi
  say "adding arm64 to dpkg's architectures, for the guest's busybox-static:arm64"
  if ! { "${sudo[@]}" dpkg --add-architecture arm64 && "${sudo[@]}" apt-get update -qq; }; then
    say "could not add arm64 (dpkg --add-architecture arm64 && apt-get update, as root): the userspace layer's tests need it"
    exit 3
  fi
fi

# npm dependencies: install when node_modules is missing or older than the lock file
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  say "installing npm dependencies"
  npm ci --no-audit --no-fund --loglevel=error >&2
  # tap compiles its plugin list (package.json "tap.plugin") at build time
  npx --no-install tap build >&2
fi

# --test: kcidb-io, KernelCI's own validator of KCIDB submissions, from PyPI
# into a virtual environment of this checkout's (.venv, ignored by git)
if [[ "$scopes" == *" test "* ]] && ! .venv/bin/python -c 'import kcidb_io' 2>/dev/null; then
  say "installing kcidb-io (KernelCI's KCIDB validator) from PyPI into .venv"
  if ! { python3 -m venv .venv && .venv/bin/pip install --quiet --disable-pip-version-check kcidb-io >&2; }; then
    say "could not install kcidb-io into .venv (python3 -m venv .venv; .venv/bin/pip install kcidb-io; on Debian, python3-venv): the KCIDB tests need it"
    exit 3
  fi
fi
