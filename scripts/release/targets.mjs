// The release targets: how Bun names each one, which Bun runtime package it embeds,
// which @napi-rs/keyring platform package provides its native addon (the names
// node_modules/@napi-rs/keyring/index.js requires), what `file` must say about the
// result, and how it is smoke-tested on this (Linux x64) machine.

export const TARGETS = [
  {
    name: 'linux-x64',
    os: 'linux',
    arch: 'x64',
    ext: '',
    bunTarget: 'bun-linux-x64',
    runtimePackage: '@oven/bun-linux-x64',
    addonPackage: '@napi-rs/keyring-linux-x64-gnu',
    addonFile: 'keyring.linux-x64-gnu.node',
    fileType: /^ELF 64-bit LSB .*x86-64/,
    smoke: 'native',
    required: true,
  },
  {
    name: 'linux-arm64',
    os: 'linux',
    arch: 'arm64',
    ext: '',
    bunTarget: 'bun-linux-arm64',
    runtimePackage: '@oven/bun-linux-aarch64',
    addonPackage: '@napi-rs/keyring-linux-arm64-gnu',
    addonFile: 'keyring.linux-arm64-gnu.node',
    fileType: /^ELF 64-bit LSB .*ARM aarch64/,
    smoke: 'qemu-aarch64',
  },
  {
    name: 'darwin-arm64',
    os: 'darwin',
    arch: 'arm64',
    ext: '',
    bunTarget: 'bun-darwin-arm64',
    runtimePackage: '@oven/bun-darwin-aarch64',
    addonPackage: '@napi-rs/keyring-darwin-arm64',
    addonFile: 'keyring.darwin-arm64.node',
    fileType: /^Mach-O 64-bit arm64 executable/,
    smoke: 'file',
    machoCpu: 0x0100000c,
  },
  {
    name: 'darwin-x64',
    os: 'darwin',
    arch: 'x64',
    ext: '',
    bunTarget: 'bun-darwin-x64',
    runtimePackage: '@oven/bun-darwin-x64',
    addonPackage: '@napi-rs/keyring-darwin-x64',
    addonFile: 'keyring.darwin-x64.node',
    fileType: /^Mach-O 64-bit x86_64 executable/,
    smoke: 'file',
    machoCpu: 0x01000007,
  },
  {
    name: 'windows-x64',
    os: 'win32',
    arch: 'x64',
    ext: '.exe',
    bunTarget: 'bun-windows-x64',
    runtimePackage: '@oven/bun-windows-x64',
    addonPackage: '@napi-rs/keyring-win32-x64-msvc',
    addonFile: 'keyring.win32-x64-msvc.node',
    fileType: /^PE32\+ executable .*x86-64/,
    smoke: 'file',
  },
];

/** The target this machine runs natively: Bun compiles it with itself, no runtime to fetch. */
export const isHostTarget = (target) => target.os === process.platform && target.arch === process.arch;

/** The program the release builds with Bun, and whose help and completions it packs. */
export const CLI_PROGRAM = 'docker-credential-lanyard';

export const artifactName = (target, version) => `${CLI_PROGRAM}-${version}-${target.name}${target.ext}`;
