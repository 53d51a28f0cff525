// `docker-credential-lanyard daemon`: runs in the foreground (systemd, launchd, a terminal, or started on demand by
// a `get`), refreshing tokens and answering on its socket until SIGTERM/SIGINT, when it finishes in-flight
// refreshes (and their cache writes) and exits 0. One started on demand also exits after its idle time.
import { becomeDaemon } from '../process-role.js';
import { unlinkSync } from 'node:fs';
import type { Server } from 'node:net';
import { dirname } from 'node:path';
import { describeError, UserError } from '../errors.js';
import { writeFileAtomic } from '../fsutil/atomic-write.js';
import { LockTimeoutError, withLock } from '../fsutil/lock.js';
import { ensureOwnPrivateDir } from '../fsutil/own-private-dir.js';
import { enableDebug, log } from '../log.js';
import type { CoreContext } from '../credentials/core-context.js';
import { prepareRuntimeDir } from '../credentials/token-state.js';
import type { LanyardPaths } from '../paths.js';
import {
  daemonLockFile,
  daemonPidFile,
  daemonSocketPath,
  daemonStartClaim,
  runningDaemonPid,
} from '../daemon-files.js';
import { IdleExit } from './idle-exit.js';
import { peerUidReader } from './peer-credentials.js';
import { PullSecretSyncer } from './pull-secret-syncer.js';
import { RefreshScheduler } from './scheduler.js';
import { SecretAgent } from './secret-agent.js';
import { answerGet } from './get-answer.js';
import { askDaemon } from './socket-client.js';
import type { DaemonRequest } from './socket-protocol.js';
import { serveSocket } from './socket-server.js';
import { STARTED_BY_WORDS, type StartedBy } from './started-by.js';

export interface DaemonOptions {
  verbose: boolean;
  startedBy: StartedBy;
}

/** A daemon of a version before the lock answers on the socket. */
class AnotherDaemonError extends UserError {}

/** How long a starting daemon waits for the one before it to go: one started on demand gives way at once. */
const LOCK_WAIT_MS = 2000;
/** A daemon replacing one started on demand waits for its in-flight refreshes (15 s at most) to finish. */
const TAKEOVER_WAIT_MS = 30_000;

function removeQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    /* already gone */
  }
}

export async function runDaemon(context: CoreContext, options: DaemonOptions): Promise<number> {
  becomeDaemon();
  if (options.verbose) enableDebug();
  // Unusable settings fall back to their defaults; the daemon's log says so once.
  const { paths } = context.config;
  for (const problem of context.config.problems) log.warn(problem);
  try {
    prepareRuntimeDir(context);
    // Elsewhere than the runtime dir when that is too deep for a socket path (paths.ts daemonSocket).
    ensureOwnPrivateDir(dirname(daemonSocketPath(paths)), 'the daemon socket directory');
    const tookOver = options.startedBy !== 'get' && (await stopOnDemandDaemon(paths));
    const waitMs = tookOver ? TAKEOVER_WAIT_MS : LOCK_WAIT_MS;
    return await withLock(daemonLockFile(paths), () => serve(context, options), waitMs);
  } catch (error) {
    if (!(error instanceof LockTimeoutError || error instanceof AnotherDaemonError)) {
      log.error(`the daemon could not start: ${describeError(error)}`);
      throw error;
    }
    const other = runningDaemonPid(paths);
    if (options.startedBy === 'get') {
      log.info(
        `another daemon ${other ? `(PID ${other}) ` : ''}runs or is starting: this one, started on demand, exits`,
      );
      return 0;
    }
    throw new UserError(`a lanyard daemon is already running${other ? ` (PID ${other})` : ' or starting'}`);
  }
}

/**
 * A daemon started by hand or by a service manager replaces one started on demand, which would go at its idle
 * time anyway: `daemon install --enable` must not fail because a `get` started one earlier. True if one was asked.
 */
async function stopOnDemandDaemon(paths: LanyardPaths): Promise<boolean> {
  const pid = runningDaemonPid(paths);
  if (pid === undefined) return false;
  const status = (await askDaemon(paths, { op: 'status' }, 2000).catch(() => undefined)) as
    | { pid?: unknown; startedBy?: unknown }
    | undefined;
  if (status?.pid !== pid || status.startedBy !== 'get') return false;
  log.info(`replacing the daemon started on demand (PID ${pid})`);
  process.kill(pid, 'SIGTERM');
  return true;
}

/** Runs under the daemon lock, from the check for an older daemon until the stop. */
async function serve(context: CoreContext, options: DaemonOptions): Promise<number> {
  const { paths } = context.config;
  // A daemon of a version before the lock: its PID file and its answer are all there is to go by.
  const other = runningDaemonPid(paths);
  if (
    other !== undefined &&
    other !== process.pid &&
    (await askDaemon(paths, { op: 'status' }, 2000).catch(() => 'hung')) !== undefined
  ) {
    throw new AnotherDaemonError(`a lanyard daemon is already running (PID ${other})`);
  }
  removeQuietly(daemonSocketPath(paths)); // left by a daemon that was killed

  const stopping = untilStopped();
  const scheduler = new RefreshScheduler(context);
  const syncer = new PullSecretSyncer(context);
  const agent = new SecretAgent(context);
  const idle =
    options.startedBy === 'get'
      ? new IdleExit(context.config.daemonIdleMs, () => stopping.stop('no get for the idle time (started on demand)'))
      : undefined;
  const startedAt = Date.now();
  const status = () => ({
    pid: process.pid,
    startedAt,
    startedBy: options.startedBy,
    ...(idle ? { idleExitAt: Date.now() + idle.leftMs } : {}),
    pullSecrets: syncer.status(),
    agent: { enabled: context.config.agent, held: agent.heldCount },
  });
  const handle = async (request: DaemonRequest) => {
    if (request.op === 'status') return { ...status(), entries: scheduler.status() };
    idle?.used(); // looking at the daemon does not keep it up; using it does
    if (request.op === 'get') return answerGet(context, agent, request);
    const entries = await scheduler.refreshNow(request.server);
    if (!entries)
      return { error: `no login for ${request.server} that the daemon refreshes (see docker-credential-lanyard ls)` };
    return { ...status(), entries };
  };
  const server: Server = await serveSocket(daemonSocketPath(paths), handle, await peerUidReader());
  writeFileAtomic(daemonPidFile(paths), `${process.pid}\n`, 0o600);
  removeQuietly(daemonStartClaim(paths)); // the next `get` finds the PID file instead
  let exitCode = 0;
  try {
    scheduler.start();
    syncer.start();
    agent.start();
    idle?.start();
    log.info(`daemon started (PID ${process.pid}) ${STARTED_BY_WORDS[options.startedBy]}`);
    context.err(`lanyard daemon running (PID ${process.pid}); log in ${log.file()}\n`);
    exitCode = await stopping.exitCode;
  } finally {
    server.close();
    idle?.stop();
    agent.stop();
    await Promise.all([scheduler.stop(), syncer.stop()]);
    removeQuietly(daemonPidFile(paths));
    removeQuietly(daemonSocketPath(paths));
    log.info('daemon stopped');
  }
  return exitCode;
}

/**
 * The exit code, once stopped: 0 on SIGTERM/SIGINT or at the idle time. A rejected promise nobody handled is a
 * bug in one task: logged, and the daemon keeps serving. A thrown exception leaves state unknown: logged, and the
 * daemon stops cleanly (1) so no PID file or socket points at nothing.
 */
function untilStopped(): { exitCode: Promise<number>; stop(reason: string): void } {
  let stop: (reason: string) => void = () => undefined;
  const exitCode = new Promise<number>((resolve) => {
    stop = (reason) => {
      log.info(`${reason}: finishing in-flight refreshes, then exiting`);
      resolve(0);
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
    process.on('unhandledRejection', (reason) => log.error(`unexpected failure, going on: ${describeError(reason)}`));
    process.on('uncaughtException', (error) => {
      log.error(`unexpected error, stopping: ${describeError(error)}`);
      resolve(1);
    });
  });
  return { exitCode, stop: (reason) => stop(reason) };
}
