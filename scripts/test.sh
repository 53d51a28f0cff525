#!/usr/bin/env bash
# The README's test command: builds the binary, then runs unit and e2e tests (all of
# them, or the files/folders given) with a real Secret Service (scripts/with-keyring.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
npm run --silent build
exec scripts/with-keyring.sh node scripts/run-tests.mjs "$@"
