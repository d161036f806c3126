#!/usr/bin/env bash
# Fresh machine to running demo: install, migrate a SQLite file under instance/, seed two demo
# tenants and serve on 127.0.0.1 with jobs in-process. Prints the URLs and the demo logins.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export PELVICOACH_ENV=demo
exec .venv/bin/pelvicoach demo --host 127.0.0.1 --port "${PORT:-5000}"
