// Which program this process is, named in log lines and in the User-Agent (so servers, and our
// stand-ins, can tell the daemon's refreshes from a pull's inline exchange).
export type Role = 'helper' | 'daemon';

let role: Role = 'helper';

export const processRole = (): Role => role;

type BunJit = { Bun?: { unsafe?: { setJITPolicy?(scale: number): void } } };

/**
 * Called once by the daemon at start. The binary starts with the JIT held back (scripts/build-flags.mjs), right for
 * a process that lives for one answer; the daemon lives for days, so it takes the normal policy back.
 */
export function becomeDaemon(): void {
  role = 'daemon';
  (globalThis as BunJit).Bun?.unsafe?.setJITPolicy?.(1);
}
