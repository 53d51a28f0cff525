// `docker-credential-lanyard daemon`: runs in the foreground (systemd, launchd, or a
// terminal), refreshing tokens and answering on its socket until SIGTERM/SIGINT, when
// it finishes in-flight refreshes (and their cache writes) and exits 0.
import { becomeDaemon } from '../process-role.js';
import { unlinkSync } from 'node:fs';
import type { Server } from 'node:net';
import { dirname } from 'node:path';
import { describeError, UserError } from '../errors.js';
import { writeFileAtomic } from '../fsutil/atomic-write.js';
import { ensureOwnPrivateDir } from '../fsutil/own-private-dir.js';
import { enableDebug, log } from '../log.js';
import type { CoreContext } from '../credentials/core-context.js';
import { prepareRuntimeDir } from '../credentials/token-state.js';
import { daemonPidFile, daemonSocketPath, runningDaemonPid } from '../daemon-files.js';
import { peerUidReader } from './peer-credentials.js';
import { PullSecretSyncer } from './pull-secret-syncer.js';
import { RefreshScheduler } from './scheduler.js';
import { SecretAgent } from './secret-agent.js';
import { answerGet } from './get-answer.js';
import { askDaemon } from './socket-client.js';
import type { DaemonRequest } from './socket-protocol.js';
import { serveSocket } from './socket-server.js';

function removeQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    /* already gone */
  }
}

export async function runDaemon(context: CoreContext, options: { verbose: boolean }): Promise<number> {
  becomeDaemon();
  if (options.verbose) enableDebug();
  // Unusable settings fall back to their defaults; the daemon's log says so once.
  const { paths } = context.config;
  for (const problem of context.config.problems) log.warn(problem);
  prepareRuntimeDir(context);
  // Elsewhere than the runtime dir when that is too deep for a socket path (paths.ts daemonSocket).
  ensureOwnPrivateDir(dirname(daemonSocketPath(paths)), 'the daemon socket directory');
  const other = runningDaemonPid(paths);
  if (
    other !== undefined &&
    other !== process.pid &&
    (await askDaemon(paths, { op: 'status' }, 2000).catch(() => 'hung')) !== undefined
  ) {
    throw new UserError(`a lanyard daemon is already running (PID ${other})`);
  }
  removeQuietly(daemonSocketPath(paths)); // left by a daemon that was killed

  const scheduler = new RefreshScheduler(context);
  const syncer = new PullSecretSyncer(context);
  const agent = new SecretAgent(context);
  const startedAt = Date.now();
  const agentStatus = () => ({ enabled: context.config.agent, held: agent.heldCount });
  const serve = async (request: DaemonRequest) => {
    if (request.op === 'get') return answerGet(context, agent, request);
    if (request.op === 'status')
      return {
        pid: process.pid,
        startedAt,
        entries: scheduler.status(),
        pullSecrets: syncer.status(),
        agent: agentStatus(),
      };
    const entries = await scheduler.refreshNow(request.server);
    if (!entries)
      return { error: `no login for ${request.server} that the daemon refreshes (see docker-credential-lanyard ls)` };
    return { pid: process.pid, startedAt, entries, pullSecrets: syncer.status(), agent: agentStatus() };
  };
  const server: Server = await serveSocket(daemonSocketPath(paths), serve, await peerUidReader());
  writeFileAtomic(daemonPidFile(paths), `${process.pid}\n`, 0o600);
  let exitCode = 0;
  try {
    scheduler.start();
    syncer.start();
    agent.start();
    log.info(`daemon started (PID ${process.pid})`);
    context.err(`lanyard daemon running (PID ${process.pid}); log in ${log.file()}\n`);
    exitCode = await untilStopped();
  } finally {
    server.close();
    agent.stop();
    await Promise.all([scheduler.stop(), syncer.stop()]);
    removeQuietly(daemonPidFile(paths));
    removeQuietly(daemonSocketPath(paths));
    log.info('daemon stopped');
  }
  return exitCode;
}

/**
 * Resolves with the exit code: 0 on SIGTERM/SIGINT. A rejected promise nobody handled is a
 * bug in one task: logged, and the daemon keeps serving. A thrown exception leaves state
 * unknown: logged, and the daemon stops cleanly (1) so no PID file or socket points at nothing.
 */
function untilStopped(): Promise<number> {
  return new Promise((resolve) => {
    const shutdown = (signal: string) => {
      log.info(`${signal}: finishing in-flight refreshes, then exiting`);
      resolve(0);
    };
    process.once('SIGTERM', () => shutdown('SIGTERM'));
    process.once('SIGINT', () => shutdown('SIGINT'));
    process.on('unhandledRejection', (reason) => log.error(`unexpected failure, going on: ${describeError(reason)}`));
    process.on('uncaughtException', (error) => {
      log.error(`unexpected error, stopping: ${describeError(error)}`);
      resolve(1);
    });
  });
}
