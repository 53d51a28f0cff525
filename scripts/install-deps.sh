#!/usr/bin/env bash
# Installs the Debian/Ubuntu packages that the demo and the tests use: a real registry,
# real clients, a real Secret Service, and the peers the benchmark compares against.
# Used by the README's first command and by .ci/run, so the two never drift apart.
set -euo pipefail
sudo=""
[ "$(id -u)" = 0 ] || sudo=sudo
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
# Recommends are kept: podman and gnome-keyring were tested with them.
# golang-golang-x-sys-dev: the credential-helpers client imports x/sys/execabs, but its -dev package
# does not depend on it (Debian 12).
$sudo apt-get install -y -qq \
  docker-registry skopeo umoci apache2-utils openssl ca-certificates \
  gnome-keyring dbus dbus-daemon dbus-bin libglib2.0-bin libsecret-tools \
  podman buildah docker.io python3-dockerpycreds qemu-user-static \
  golang-go golang-github-docker-docker-credential-helpers-dev golang-golang-x-sys-dev \
  golang-docker-credential-helpers pass gnupg jq hyperfine \
  python3-botocore python3-azure libc6-arm64-cross libgcc-s1-arm64-cross \
  faketime >/dev/null
