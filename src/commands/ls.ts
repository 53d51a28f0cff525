// `ls`: what is mapped and the state of its token, as a table for people or JSON for
// scripts. Never shows secrets. Token state comes from the cache the daemon and `get`
// keep, so it is shown whether or not the daemon runs.
import type { Argv } from 'yargs';
import type { CommandContext, CoreContext } from '../credentials/core-context.js';
import { tokenRecord } from '../credentials/token-state.js';
import { DAEMON_OFF_ON_WINDOWS, runningDaemonPid } from '../daemon-files.js';
import { readMappingView } from '../mapping/mapping-file.js';
import type { MappingEntry } from '../mapping/types.js';
import { formatWhen } from './format-time.js';
import { daemonRuns } from '../platform.js';

function table(rows: string[][]): string {
  const widths = rows[0].map((_, column) => Math.max(...rows.map((row) => row[column].length)));
  return rows
    .map((row) =>
      row
        .map((cell, column) => cell.padEnd(widths[column]))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

interface TokenState {
  state: 'valid' | 'expired' | 'pass-through' | 'error' | 'revoked' | 'checked' | 'none';
  expiresAt?: number;
  lastRefresh?: number;
  error?: string;
}

/** Which source answered a source login's last exchange, and as whom; nothing before its first exchange. */
function answeredBy(context: CoreContext, entry: MappingEntry): { answeredBy?: { source: string; identity: string } } {
  const answered = tokenRecord(context, entry)?.answeredBy;
  return answered ? { answeredBy: answered } : {};
}

function tokenState(context: CoreContext, entry: MappingEntry, now: number): TokenState {
  const record = tokenRecord(context, entry);
  if (!record) return { state: 'none' };
  const base = { ...(record.lastRefresh ? { lastRefresh: record.lastRefresh } : {}) };
  if (record.check && !record.check.ok) return { ...base, state: 'revoked', error: record.check.message };
  const failure =
    record.failure && (!record.lastRefresh || record.failure.at > record.lastRefresh) ? record.failure : undefined;
  const token = record.token;
  if (token?.expiresAt !== undefined && token.expiresAt > now)
    return { ...base, state: 'valid', expiresAt: token.expiresAt, ...(failure ? { error: failure.message } : {}) };
  if (failure) return { ...base, state: 'error', error: failure.message };
  if (token)
    return {
      ...base,
      state: token.expiresAt === undefined ? 'valid' : 'expired',
      ...(token.expiresAt ? { expiresAt: token.expiresAt } : {}),
    };
  if (record.passThroughUntil) return { ...base, state: 'pass-through' };
  if (record.check?.ok) return { state: 'checked', lastRefresh: record.check.at };
  return { state: 'none' };
}

function describeState(token: TokenState, now: number): string {
  switch (token.state) {
    case 'valid':
      return token.expiresAt
        ? `valid, expires ${formatWhen(token.expiresAt, now)}${token.error ? ' (last refresh failed)' : ''}`
        : 'valid';
    case 'expired':
      return `expired ${formatWhen(token.expiresAt, now)}`;
    case 'pass-through':
      return 'stored secret used as is';
    case 'checked':
      return `checked ${formatWhen(token.lastRefresh, now)}`;
    case 'revoked':
      return 'REJECTED by the registry service: log in again';
    case 'error':
      return `error: ${token.error}`;
    case 'none':
      return '-';
  }
}

export async function runLs(options: { json: boolean }, context: CommandContext): Promise<void> {
  const now = context.now();
  const { mapping, unreadable } = readMappingView(context.config.paths.mappingFile);
  // Entries that cannot be read are named (on stderr, which keeps --json parseable), never skipped silently.
  for (const item of unreadable) context.err(`warning: ${item.problem}; that entry is ignored\n`);
  const entries = mapping.entries.map((entry) => ({
    server: entry.server,
    serverURL: entry.serverURL,
    kind: entry.kind,
    username: entry.username,
    ...(entry.source !== undefined ? { source: entry.source, ...answeredBy(context, entry) } : { store: entry.store }),
    token: tokenState(context, entry, now),
  }));
  const daemonPid = runningDaemonPid(context.config.paths);
  if (options.json) {
    context.out(`${JSON.stringify(entries, null, 2)}\n`);
    return;
  }
  if (entries.length === 0) {
    context.out('No logins yet. Try: docker login us.icr.io, or docker-credential-lanyard login --help\n');
    return;
  }
  // A login with an identity source stores nothing: the column names the source instead.
  // A login with an identity source names the source that answered its last exchange (`auto`'s choice).
  const from = (e: (typeof entries)[number]) => {
    if (!('source' in e)) return e.store;
    const answered = e.answeredBy && e.answeredBy.source !== e.source ? ` (${e.answeredBy.source})` : '';
    return `source ${e.source}${answered}`;
  };
  const rows = entries.map((e) => [e.server, e.kind, e.username, from(e), describeState(e.token, now)]);
  context.out(`${table([['SERVER', 'KIND', 'USERNAME', 'STORE/SOURCE', 'TOKEN'], ...rows])}\n`);
  context.out(
    daemonPid
      ? `refresher: running (PID ${daemonPid})\n`
      : !daemonRuns(context.config.platform)
        ? `refresher: off (${DAEMON_OFF_ON_WINDOWS})\n`
        : 'refresher: not running (tokens are exchanged on demand; ' +
          'start one with `docker-credential-lanyard daemon install --enable`)\n',
  );
  for (const e of entries.filter((x) => x.token.error)) context.out(`${e.server}: ${e.token.error}\n`);
}

export function registerLs(cli: Argv, context: CommandContext): Argv {
  return cli.command(
    'ls',
    'list mapped registries: server, kind, username, store, token state',
    (y) =>
      y
        .option('json', { type: 'boolean', default: false, describe: 'machine-readable output' })
        .example('$0 ls --json', ''),
    (argv) => runLs({ json: argv.json }, context),
  );
}
