#!/usr/bin/env bash
# Fresh machine to passing tests: install, then run the suite in parallel against the local
# PostgreSQL and Redis (and Debian's Chromium). Set PELVICOACH_REQUIRE_SERVICES=1 to make a
# missing service fail the run instead of skipping its tests. Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
if command -v npm >/dev/null 2>&1; then  # axe-core for the accessibility checks
  (cd tests/browser && npm ci --no-audit --no-fund --silent)
fi
mkdir -p .tmp
export TMPDIR="$PWD/.tmp"  # Chromium and Playwright profiles stay inside the project
.venv/bin/ruff check --quiet .
.venv/bin/ruff format --check --quiet .
exec .venv/bin/python -m pytest -n "${PYTEST_WORKERS:-2}" "$@"
