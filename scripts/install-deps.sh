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
  python3-botocore python3-azure libc6-arm64-cross libgcc-s1-arm64-cross amazon-ecr-credential-helper \
  faketime >/dev/null
# The Windows lane (test/e2e/windows-wine.test.ts): the windows-x64 exe under Wine 8, and MinGW to build the
# ProcessPrng shim DLL that Wine 8 lacks (test/fixtures/wine/processprng.c).
$sudo apt-get install -y -qq wine wine64 gcc-mingw-w64-x86-64-win32 >/dev/null
# scripts/install.sh downloads with curl or wget; test/e2e/install-script.test.ts tries each. fish: the .deb's
# fish completion is tried in test/e2e/package-deb.test.ts.
$sudo apt-get install -y -qq curl wget fish >/dev/null
