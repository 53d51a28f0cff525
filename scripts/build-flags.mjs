// The `bun build` flags of every lanyard binary, shared by scripts/build.mjs (the host
// binary) and scripts/release/ (all targets). Measured on 2 cores: --bytecode with ESM
// and --splitting (lazily loaded chunks, so a `get` does not load the management CLI)
// bring `version` from ~20 ms to ~8 ms. --compile-jit-policy=1000 keeps run-once code in the interpreter instead
// of compiling it on JIT threads: a file-store `get` took 0.88x the wall and 0.79x the CPU time of one built
// without it (40 interleaved pairs); the daemon sets the normal policy back when it starts (process-role.ts).
// Bun's executables read .env and bunfig.toml from the working directory by default: a
// checkout holding `preload = ["./x.js"]` would run its code inside the helper, next to the
// keychain, on every `docker build` there. Every autoload is turned off explicitly.
export const BUILD_FLAGS = [
  '--compile',
  '--minify',
  '--bytecode',
  '--format=esm',
  '--splitting',
  '--sourcemap=none',
  '--compile-jit-policy=1000',
  '--entry-naming=[name].[ext]',
  '--no-compile-autoload-dotenv',
  '--no-compile-autoload-bunfig',
  '--no-compile-autoload-tsconfig',
  '--no-compile-autoload-package-json',
];

// The program, and every worker thread it starts: Bun embeds a worker's code only when it is an
// entry point (src/secrets/keyring-worker.ts runs the keyring addon off the main thread). Every
// entry and chunk is placed at the root of the embedded files, so the `new URL('./x.ts', import.meta.url)`
// that starts a worker finds it from whichever chunk the caller was bundled into.
export const ENTRY_POINTS = ['src/cli.ts', 'src/secrets/keyring-worker.ts'];
