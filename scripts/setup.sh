#!/usr/bin/env bash
# Create .venv (Python 3.11+) and install the project with its development tools.
# Re-running is cheap: pip only installs what changed.
set -euo pipefail
cd "$(dirname "$0")/.."

# System packages for spoken audio (espeak-ng) and PDFs (Pango), installed when missing and
# possible; without them those features say plainly that they are unavailable.
missing=()
command -v espeak-ng >/dev/null 2>&1 || missing+=(espeak-ng)
ldconfig -p 2>/dev/null | grep -q libpangoft2-1.0 || missing+=(libpango-1.0-0 libpangoft2-1.0-0)
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing: ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  else
    echo "note: ${missing[*]} not installed (needs root and apt-get): spoken audio or PDFs" \
      "will be unavailable until they are" >&2
  fi
fi
python=${PYTHON:-python3}
if [ ! -x .venv/bin/pip ]; then  # also repairs a venv made without pip (no python3-venv then)
  rm -rf .venv
  "$python" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --upgrade pip setuptools wheel
.venv/bin/python -m pip install --quiet -e '.[dev]'
