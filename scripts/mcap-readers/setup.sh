#!/usr/bin/env bash
# `npm run mcap-readers:setup`: the Python venv of the MCAP readers the recording tests use (mcap,
# mcap-ros2-support, rosbags), in .cache/mcap-readers/venv (git-ignored), with exactly the packages of
# scripts/mcap-readers/requirements.txt.
# Idempotent: skipped while requirements.txt and the interpreter are unchanged. pip runs with the machine's
# own index settings (as scripts/ros-setup.sh does). Prints the venv's python on stdout.
#
# Environment: KIZUNA_PYTHON (interpreter for the venv, default python3; CPython 3.11 or newer).
# Exit status: 0 ready; 3 no usable Python or `python -m venv` failed; 4 pip could not install the packages.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
VENV="$ROOT/.cache/mcap-readers/venv"
REQ="$HERE/requirements.txt"
PYTHON="${KIZUNA_PYTHON:-python3}"

say() { printf 'mcap-readers-setup: %s\n' "$*" >&2; }

# Keyed by the requirements only: the venv stays valid whichever python3 is first on PATH later (inside
# scripts/ros-sandbox.sh it is the ROS 2 venv's, and there is no package index there to rebuild from).
key="$(sha256sum <"$REQ" | cut -c1-16)"
if [ -f "$VENV/.stamp" ] && [ "$(cat "$VENV/.stamp")" = "$key" ] &&
  "$VENV/bin/python" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
  say "venv up to date ($VENV)"
else
  command -v "$PYTHON" >/dev/null || { say "FAILED: no $PYTHON (install Python 3.11+, on Debian: apt-get install python3 python3-venv)"; exit 3; }
  PY_ID="$("$PYTHON" -c 'import sys; assert sys.version_info >= (3, 11), sys.version; print(sys.executable, sys.version.split()[0])')" ||
    { say "FAILED: $PYTHON is older than 3.11"; exit 3; }
  say "creating $VENV with $PY_ID"
  rm -rf "$VENV"
  mkdir -p "$(dirname "$VENV")"
  "$PYTHON" -m venv "$VENV" || { say "FAILED: $PYTHON -m venv (on Debian: apt-get install python3-venv)"; rm -rf "$VENV"; exit 3; }
  "$VENV/bin/pip" install -q --disable-pip-version-check --progress-bar off -r "$REQ" ||
    { say "FAILED: pip install -r scripts/mcap-readers/requirements.txt (no package index reachable?)"; rm -rf "$VENV"; exit 4; }
  printf '%s' "$key" >"$VENV/.stamp"
  say "ready ($("$VENV/bin/python" --version))"
fi
echo "$VENV/bin/python"
