// `daemon` and its subcommands: run, status, refresh, install, uninstall.
import type { Argv } from 'yargs';
import { DAEMON_OFF_ON_WINDOWS } from '../daemon-files.js';
import { UserError } from '../errors.js';
import { normalizeServer } from '../hosts/normalize.js';
import { readMappingView } from '../mapping/mapping-file.js';
import type { EntryStatus } from '../daemon/scheduler.js';
import type { PullSecretStatus } from '../daemon/pull-secret-syncer.js';
import { STARTED_BY_WORDS, startedBy, type StartedBy } from '../daemon/started-by.js';
import { formatWhen } from './format-time.js';
import type { CommandContext } from '../credentials/core-context.js';
import { daemonRuns, hostPlatform } from '../platform.js';

interface DaemonAnswer {
  pid: number;
  startedAt: number;
  /** Absent from a daemon of an older version. */
  startedBy?: StartedBy;
  /** A daemon started on demand: when it exits if no `get` comes before. */
  idleExitAt?: number;
  entries: EntryStatus[];
  pullSecrets?: PullSecretStatus[];
  /** The agent path: how many static secrets the daemon holds in memory (never which). */
  agent?: { enabled: boolean; held: number };
}

function agentLine(agent: { enabled: boolean; held: number }): string {
  if (!agent.enabled) return 'agent: off (LANYARD_AGENT=0)\n';
  return `agent: ${agent.held} static secret${agent.held === 1 ? '' : 's'} held in memory\n`;
}

/** `, started by hand at 2026-12-06T10:02:03Z`: who started it and when (an older daemon does not say). */
function origin(answer: DaemonAnswer): string {
  const who = answer.startedBy && STARTED_BY_WORDS[answer.startedBy];
  return who ? `, started ${who} at ${new Date(answer.startedAt).toISOString().replace(/\.\d+Z$/, 'Z')}` : '';
}

/** ` from source NAME` for a `login --source` entry: the daemon's answer names the server, the mapping the rest. */
function sourceNote(context: CommandContext): (server: string) => string {
  const entries = readMappingView(context.config.paths.mappingFile).mapping.entries;
  return (server) => {
    const source = entries.find((entry) => entry.server === server)?.source;
    return source ? ` from source ${source}` : '';
  };
}

function printStatus(context: CommandContext, answer: DaemonAnswer): void {
  const now = context.now();
  const fromSource = sourceNote(context);
  context.out(
    `daemon PID ${answer.pid}, up ${formatWhen(answer.startedAt, now).replace(' ago', '')}${origin(answer)}\n`,
  );
  if (answer.idleExitAt !== undefined)
    context.out(`exits when idle: ${formatWhen(answer.idleExitAt, now)} unless a get comes (LANYARD_DAEMON_IDLE_S)\n`);
  for (const e of answer.entries) {
    context.out(
      `${e.server} (${e.kind}${fromSource(e.server)}): token expires ${formatWhen(e.expiresAt, now)}, ` +
        `last refresh ${formatWhen(e.lastRefresh, now)}, next ${formatWhen(e.nextAt, now)}` +
        `${e.lastError ? `, last error: ${e.lastError}` : ''}\n`,
    );
  }
  if (answer.entries.length === 0) context.out('no entries that need refreshing\n');
  if (answer.agent) context.out(agentLine(answer.agent));
  for (const p of answer.pullSecrets ?? []) {
    context.out(
      `pull secret ${p.secret} (${p.registries.join(', ')}): last sync ${formatWhen(p.lastSync, now)}` +
        `${p.lastAction ? ` (${p.lastAction})` : ''}, next ${formatWhen(p.nextAt, now)}` +
        `${p.lastError ? `, last error: ${p.lastError}` : ''}\n`,
    );
  }
}

async function ask(context: CommandContext, request: { op: 'status' } | { op: 'refresh'; server?: string }) {
  const { askDaemon } = await import('../daemon/socket-client.js');
  // A refresh waits for the token service (up to 15 s) and maybe for a lock (30 s).
  const answer = (await askDaemon(context.config.paths, request, request.op === 'refresh' ? 90_000 : 10_000)) as
    | (DaemonAnswer & { error?: string })
    | undefined;
  if (!answer)
    throw new UserError(
      'no lanyard daemon is running (start it with `docker-credential-lanyard daemon`, or `daemon install --enable`)',
    );
  if (answer.error) throw new UserError(`the daemon says: ${answer.error}`);
  return answer;
}

/** Every daemon subcommand's handler: refused in one line where the daemon does not run. */
const whereTheDaemonRuns =
  <A>(handler: (argv: A) => Promise<void>) =>
  (argv: A) => {
    if (!daemonRuns(hostPlatform())) throw new UserError(DAEMON_OFF_ON_WINDOWS);
    return handler(argv);
  };

export function registerDaemon(cli: Argv, context: CommandContext): Argv {
  return cli.command(
    'daemon',
    'the background refresher (runs in the foreground without a subcommand)',
    (y) =>
      y
        .option('verbose', { alias: 'V', type: 'boolean', default: false, describe: 'debug lines in the log' })
        // What a `get` passes when it starts the daemon on demand (daemon/on-demand.ts): it then exits when idle.
        .option('on-demand', { type: 'boolean', default: false, hidden: true })
        .command(
          'status',
          'token expiry, last refresh and last error per entry',
          {},
          whereTheDaemonRuns(async () => printStatus(context, await ask(context, { op: 'status' }))),
        )
        .command(
          'refresh [server]',
          'refresh now (one server or all) and wait for the result',
          (z) => z.positional('server', { type: 'string' }),
          whereTheDaemonRuns(async (argv) =>
            printStatus(
              context,
              await ask(context, {
                op: 'refresh',
                ...(argv.server ? { server: normalizeServer(argv.server).key } : {}),
              }),
            ),
          ),
        )
        .command(
          'install',
          'write a systemd user unit (Linux) or launchd agent (macOS)',
          (z) =>
            z
              .option('enable', { type: 'boolean', default: false, describe: 'also enable and start it' })
              .option('binary', { type: 'string', describe: 'path of the installed binary (default: this one)' }),
          whereTheDaemonRuns(async (argv) => {
            const { currentBinary, installService } = await import('../daemon/service-units.js');
            const path = installService(context.config, currentBinary(argv.binary), argv.enable);
            context.out(
              `wrote ${path}` +
                `${argv.enable ? ' and started the service' : '; start it with --enable or your service manager'}\n`,
            );
          }),
        )
        .command(
          'uninstall',
          'stop and remove the service',
          {},
          whereTheDaemonRuns(async () => {
            const { uninstallService } = await import('../daemon/service-units.js');
            const path = uninstallService(context.config);
            context.out(path ? `removed ${path}\n` : 'no service was installed\n');
          }),
        )
        .example('$0 daemon', 'run the refresher in this terminal')
        .example('$0 daemon install --enable', 'run it as a user service'),
    whereTheDaemonRuns(async (argv) => {
      const { runDaemon } = await import('../daemon/run-daemon.js');
      const options = { verbose: argv.verbose as boolean, startedBy: startedBy(argv.onDemand as boolean) };
      const code = await runDaemon(context, options);
      if (code !== 0) throw new UserError('daemon exited with an error');
    }),
  );
}
