// The agent starts on demand, as gpg-agent does: a `get` that had to do the work itself (read a store, use or
// exchange a token) for a login the daemon could have answered starts `daemon --on-demand` in the background,
// after its answer is written, and does not wait for it: detached (its own session), stdio on /dev/null, in `/`,
// unref'd. Only the compiled binary does it (Bun runs it). Such a daemon exits when idle (idle-exit.ts).
// Concurrent `get`s start one: the first makes the start claim (daemon-files.ts), the daemon removes it once it
// serves, and a claim left by a start that failed is retried after CLAIM_LIFETIME_MS; the daemon lock
// (run-daemon.ts) stops a second daemon that got through anyway.
// Nothing here may fail a `get` or write to its output: a problem is one line in the log.
import { lstatSync, unlinkSync, writeFileSync } from 'node:fs';
import type { Config } from '../config.js';
import type { CoreContext } from '../credentials/core-context.js';
import type { MappingEntry } from '../mapping/types.js';
import { daemonStartClaim, runningDaemonPid } from '../daemon-files.js';
import { describeError } from '../errors.js';
import { ensureOwnPrivateDir } from '../fsutil/own-private-dir.js';
import { trace } from '../trace.js';
import { daemonAnswers } from './answerable.js';
import { daemonRuns } from '../platform.js';

/** Longer than any daemon takes to start; a claim this old is a start that failed. */
const CLAIM_LIFETIME_MS = 30_000;

interface SpawnOptions {
  stdio: ['ignore', 'ignore', 'ignore'];
  cwd: string;
  env: Readonly<Record<string, string | undefined>>;
  /** Its own session and process group (setsid): no terminal's signals reach it. */
  detached: true;
}
/**
 * Bun's own spawn: about 1 ms of CPU, where node:child_process costs over 10 ms to load and call under Bun. It
 * throws at once when the program cannot be run (posix_spawn's error).
 */
type BunRuntime = { Bun?: { spawn(argv: string[], options: SpawnOptions): { pid: number; unref(): void } } };
const bun = () => (globalThis as BunRuntime).Bun;

/** Why this process must not start a daemon, or undefined when it may. */
export function onDemandRefusal(config: Config): string | undefined {
  if (!config.agent) return 'LANYARD_AGENT=0';
  if (!config.agentAutostart) return 'LANYARD_AGENT_AUTOSTART=0';
  if (config.ci) return 'CI is set';
  if (!daemonRuns(config.platform)) return 'not on Windows';
  // Under Node (development) process.execPath is node itself, not this program.
  if (!bun()) return 'not the compiled binary';
  return undefined;
}

/** True for the one `get` that may start the daemon now. */
function claimStart(path: string): boolean {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(path, `${process.pid}\n`, { flag: 'wx', mode: 0o600 });
      return true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    try {
      // A clock set back makes a claim look young for as long: either way round, an old claim is stale.
      if (Math.abs(Date.now() - lstatSync(path).mtimeMs) < CLAIM_LIFETIME_MS) return false;
      unlinkSync(path);
    } catch {
      /* removed meanwhile: try again */
    }
  }
  return false;
}

async function logFailure(error: unknown): Promise<void> {
  const { log } = await import('../log.js');
  log.warn(`could not start the daemon on demand: ${describeError(error)}`);
}

/** After `get` answered for `entry` itself: starts the daemon when it could have answered and none runs. */
export function startDaemonOnDemand(context: CoreContext, entry: MappingEntry): void {
  try {
    startIfUseful(context.config, entry);
  } catch (error) {
    void logFailure(error); // the answer is out: nothing here may turn the get into a failure
  }
}

function startIfUseful(config: Config, entry: MappingEntry): void {
  const refusal = onDemandRefusal(config);
  if (refusal) return trace(`daemon not started on demand: ${refusal}`);
  if (!daemonAnswers(entry)) return trace('daemon not started: it cannot answer this login');
  if (runningDaemonPid(config.paths) !== undefined) return;
  ensureOwnPrivateDir(config.paths.runtimeDir, 'the runtime directory'); // as the token cache makes it
  const claim = daemonStartClaim(config.paths);
  if (!claimStart(claim)) return trace('daemon not started: another get is starting it');
  // The daemon writes its PID file before it removes the claim: one that came up since the check above shows.
  if (runningDaemonPid(config.paths) !== undefined) return unlinkSync(claim);
  // In `/`, so that it keeps no directory of the client's busy.
  const options: SpawnOptions = {
    stdio: ['ignore', 'ignore', 'ignore'],
    cwd: '/',
    env: config.env, // the process's own: a copy costs 0.2 ms
    detached: true,
  };
  const child = bun()!.spawn([process.execPath, 'daemon', '--on-demand'], options);
  child.unref();
  trace(`daemon started on demand (PID ${child.pid})`);
}
