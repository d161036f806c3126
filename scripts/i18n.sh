#!/usr/bin/env bash
# Refresh the message catalogue after changing texts: extract, merge into nl, compile.
# Then fill the new Dutch strings in platform/translations/nl/LC_MESSAGES/messages.po and run again.
set -euo pipefail
cd "$(dirname "$0")/.."
py=.venv/bin
$py/pybabel extract -F babel.cfg -k _l -k N_ -o .tmp/messages.pot --no-location --sort-output \
  --ignore-dirs ".venv tests node_modules .tmp build" .
$py/pybabel update -i .tmp/messages.pot -d platform/translations -l nl -w 100 --ignore-obsolete --no-fuzzy-matching
$py/pybabel compile -d platform/translations --statistics
