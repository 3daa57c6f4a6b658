#!/usr/bin/env bash
# Set up cxsim: find a Python 3.12+ interpreter, create .venv, install the package with its
# test tools, the cluster launchers (Ray, Slurm) and the dashboard (Solara, and Playwright with
# Debian's chromium to test it in a browser). Safe to run again (it reuses .venv when
# it already has Python 3.12+).
set -euo pipefail
cd "$(dirname "$0")"

ok() { "$1" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else 1)' >/dev/null 2>&1; }

find_python() {
  local c
  for c in "${PYTHON:-}" python3.13 python3.12 python3; do
    [ -n "$c" ] && command -v "$c" >/dev/null 2>&1 && ok "$c" && { command -v "$c"; return; }
  done
  # pyenv installs (the bare python3.12 shim refuses to run without PYENV_VERSION)
  local root
  root=$(pyenv root 2>/dev/null || echo "$HOME/.pyenv")
  for c in $(ls -d "$root"/versions/3.1[2-9]* "$root"/versions/3.[2-9][0-9]* 2>/dev/null | sort -rV); do
    ok "$c/bin/python3" && { echo "$c/bin/python3"; return; }
  done
  return 1
}

if [ -x .venv/bin/python ] && ok .venv/bin/python; then
  :
else
  if ! PY=$(find_python); then
    echo "setup: cxsim needs Python 3.12 or newer (Mesa 3.5 requires it) and none was found." >&2
    echo "       Install one (for example 'pyenv install 3.12') or point PYTHON=/path/to/python3.12." >&2
    exit 1
  fi
  echo "setup: using $PY ($("$PY" --version))"
  rm -rf .venv
  "$PY" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --upgrade pip
# cluster: the Ray and Slurm launchers; dashboard: cxsim-dashboard; both tested too
.venv/bin/python -m pip install --quiet -e ".[test,cluster,dashboard]"
# The dashboard's browser test drives Debian's chromium (Playwright cannot download its own
# browser here); install it when missing and we may (root, apt-get present).
if ! command -v chromium >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "setup: installing chromium (apt-get) for the dashboard's browser test"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  else
    echo "setup: no chromium found; the dashboard's browser test will be skipped" >&2
    echo "       (install it with: sudo apt-get install chromium)" >&2
  fi
fi
echo "setup: ready (.venv/bin/cxsim)"
