#!/usr/bin/env bash
# The README's test command: builds the binary, then runs unit and e2e tests inside a
# private D-Bus session with an unlocked gnome-keyring, so the keychain tests use a real
# Secret Service and never touch the user's own keyring.
set -euo pipefail
cd "$(dirname "$0")/.."
npm run --silent build
export LANYARD_TEST_KEYRING_PASSWORD=lanyard-test
exec dbus-run-session -- bash -c '
  printf %s "$LANYARD_TEST_KEYRING_PASSWORD" | gnome-keyring-daemon --unlock --components=secrets >/dev/null
  exec node scripts/run-tests.mjs "$@"' run-tests "$@"
