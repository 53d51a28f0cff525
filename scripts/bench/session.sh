#!/usr/bin/env bash
# Runs inside the private `dbus-run-session` started by scripts/bench-get: brings up
# an unlocked gnome-keyring (Secret Service only) on this bus, runs the timing script,
# then stops exactly the keyring daemon it started (found by its bus name, not by a
# process-name match).
set -euo pipefail
trap 'echo "bench-get: session.sh: exit $? at line $LINENO: $BASH_COMMAND" >&2' ERR
here="$(cd "$(dirname "$0")" && pwd)"
: "${DBUS_SESSION_BUS_ADDRESS:?session.sh must run under dbus-run-session (use scripts/bench-get)}"
: "${LANYARD_BENCH_SANDBOX:?session.sh is started by scripts/bench-get}"

# The password arrives on stdin; a fresh HOME means a fresh login keyring created
# with (and unlocked by) it.
printf %s "lanyard-bench-$$" | gnome-keyring-daemon --unlock --components=secrets >/dev/null

keyring_pid=""
for _ in 1 2 3 4 5 6 7 8 9 10; do
  keyring_pid="$(dbus-send --session --print-reply --dest=org.freedesktop.DBus /org/freedesktop/DBus \
    org.freedesktop.DBus.GetConnectionUnixProcessID string:org.freedesktop.secrets 2>/dev/null \
    | awk '/uint32/ { print $2 }')" || true
  [ -n "$keyring_pid" ] && break
  sleep 0.2
done
[ -n "$keyring_pid" ] || { echo "bench-get: gnome-keyring-daemon did not claim org.freedesktop.secrets" >&2; exit 1; }
trap 'kill "$keyring_pid" 2>/dev/null || true' EXIT

node "$here/bench.mjs" || exit $?   # bench.mjs has said why
