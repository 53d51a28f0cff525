// The `bun build` flags of every lanyard binary, shared by scripts/build.mjs (the host
// binary) and scripts/release/ (all targets). Measured on 2 cores: --bytecode with ESM
// and --splitting (lazily loaded chunks, so a `get` does not load the management CLI)
// bring `version` from ~20 ms to ~8 ms.
export const BUILD_FLAGS = ['--compile', '--minify', '--bytecode', '--format=esm', '--splitting', '--sourcemap=none'];
