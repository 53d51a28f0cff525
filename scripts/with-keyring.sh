#!/usr/bin/env bash
# Runs a command inside a private D-Bus session with a freshly created, unlocked
# gnome-keyring whose files live in a temp dir: a real Secret Service that never
# touches (or depends on the password of) the user's own keyring.
set -euo pipefail
keyring_home=$(mktemp -d -t lanyard-keyring-XXXXXX)
trap 'rm -rf "$keyring_home"' EXIT
export LANYARD_KEYRING_HOME=$keyring_home
dbus-run-session -- bash -c '
  printf %s lanyard | XDG_DATA_HOME="$LANYARD_KEYRING_HOME" \
    gnome-keyring-daemon --unlock --components=secrets >/dev/null
  exec "$@"' with-keyring "$@" 2> >(grep -v -e "^dbus-daemon\[" -e "Gtk-WARNING" -e "^\s*$" >&2)
