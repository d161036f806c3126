#!/usr/bin/env bash
# Create .venv (Python 3.11+) and install the project with its development tools.
# Re-running is cheap: pip only installs what changed.
set -euo pipefail
cd "$(dirname "$0")/.."
python=${PYTHON:-python3}
if [ ! -x .venv/bin/pip ]; then  # also repairs a venv made without pip (no python3-venv then)
  rm -rf .venv
  "$python" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --upgrade pip setuptools wheel
.venv/bin/python -m pip install --quiet -e '.[dev]'
