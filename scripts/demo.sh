#!/usr/bin/env bash
# `npm run demo`: scripts/demo.mts with a real Secret Service (scripts/with-keyring.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x dist-bin/docker-credential-lanyard ] && [ -x dist-bin/lanyard ] || npm run --silent build
exec scripts/with-keyring.sh node --import tsx scripts/demo.mts
