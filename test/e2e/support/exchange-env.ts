// Shared pieces of the token-exchange and daemon e2e files: a file-store sandbox, the token cache as
// the binary leaves it ($XDG_RUNTIME_DIR/lanyard/tokens/*.json), the refresher daemon run as a child
// we stop by its own PID, and a check that long-lived secrets never reach logs or caches.
import * as assert from 'uvu/assert';
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createSandbox, type Sandbox } from './sandbox.js';
import { runHelper, startHelper, type Creds } from './helper.js';
import { describe, type RunResult } from './run.js';
import { filesContaining } from './asserts.js';

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A sandbox whose env selects the file store (LANYARD_STORE=file). */
export function fileStoreSandbox(label: string): Sandbox {
  const sb = createSandbox(label);
  sb.env.LANYARD_STORE = 'file';
  return sb;
}

export const lanyardRuntimeDir = (sb: Sandbox) => join(sb.runtimeDir, 'lanyard');
export const tokensDir = (sb: Sandbox) => join(lanyardRuntimeDir(sb), 'tokens');
export const daemonPidFile = (sb: Sandbox) => join(lanyardRuntimeDir(sb), 'daemon.pid');
export const daemonSocket = (sb: Sandbox) => join(lanyardRuntimeDir(sb), 'daemon.sock');

export interface CacheToken {
  username: string;
  secret: string;
  issuedAt: number;
  expiresAt?: number;
}
export interface CacheRecord {
  version: number;
  server: string;
  fingerprint: string;
  token?: CacheToken;
  passThroughUntil?: number;
  lastRefresh?: number;
  failure?: { at: number; message: string; permanent: boolean; retryAt?: number };
  check?: { at: number; ok: boolean; message?: string };
  [key: string]: unknown;
}

/** The cache's *.json files (not locks or temp files). */
export function cacheFiles(sb: Sandbox): string[] {
  const dir = tokensDir(sb);
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((n) => n.endsWith('.json') && !n.startsWith('.'))
    .map((n) => join(dir, n));
}

/** Every cache file parsed; fails the test (with the text) if one is not JSON. */
export function cacheRecords(sb: Sandbox): Array<{ file: string; record: CacheRecord }> {
  return cacheFiles(sb).map((file) => {
    const text = readFileSync(file, 'utf8');
    try {
      return { file, record: JSON.parse(text) as CacheRecord };
    } catch {
      return assert.unreachable(`cache file ${file} is not valid JSON: ${text.slice(0, 500)}`) as never;
    }
  });
}

/** The cache record for an entry, found by its `server` field; undefined if none. */
export function cacheRecord(sb: Sandbox, server: string): CacheRecord | undefined {
  return cacheRecords(sb).find((c) => c.record.server === server)?.record;
}

/** Rewrites an entry's cache record (e.g. to make its token stale); returns the new record. */
export function editCacheRecord(sb: Sandbox, server: string, change: (record: CacheRecord) => void): CacheRecord {
  const found = cacheRecords(sb).find((c) => c.record.server === server);
  assert.ok(found, `no cache record for ${server} in ${tokensDir(sb)}`);
  change(found!.record);
  writeFileSync(found!.file, JSON.stringify(found!.record), { mode: 0o600 });
  return found!.record;
}

/** Removes the cache record of `server`, as a reboot empties the runtime dir. */
export function forgetCachedToken(sb: Sandbox, server: string): void {
  for (const { file, record } of cacheRecords(sb)) if (record.server === server) rmSync(file);
}

/** Makes the cached token of `server` expired beyond use (issued an hour ago, expired a minute ago). */
export function expireCachedToken(sb: Sandbox, server: string): CacheRecord {
  return editCacheRecord(sb, server, (r) => {
    assert.ok(r.token, `the cache record of ${server} holds no token`);
    r.token!.issuedAt = Date.now() - 3600_000;
    r.token!.expiresAt = Date.now() - 60_000;
  });
}

/** Makes the cached token of `server` due for refresh (past 80 % of its life) but still usable for a while. */
export function makeCachedTokenDue(sb: Sandbox, server: string): CacheRecord {
  return editCacheRecord(sb, server, (r) => {
    assert.ok(r.token, `the cache record of ${server} holds no token`);
    r.token!.issuedAt = Date.now() - 85_000;
    r.token!.expiresAt = Date.now() + 15_000; // lifetime 100 s: due at 80 s, margin 10 s -> usable ~5 s more
    // A recent failure would make get keep serving this token for a while (by design): start clean.
    delete r.failure;
  });
}

/** The mapping file parses as JSON (and has an entries list). */
export function assertMappingParses(sb: Sandbox, what: string): void {
  if (!existsSync(sb.mappingFile)) return;
  const text = readFileSync(sb.mappingFile, 'utf8');
  let parsed: { entries?: unknown } | undefined;
  try {
    parsed = JSON.parse(text);
  } catch {
    assert.unreachable(`${what}: mapping.json is not valid JSON:\n${text.slice(0, 1000)}`);
  }
  assert.ok(Array.isArray(parsed?.entries), `${what}: mapping.json has no entries list`);
}

/** `get` succeeded with one JSON line; returns the parsed credentials. */
export function parseCreds(r: RunResult, what: string): Creds {
  assert.ok(!r.timedOut, `${what}: timed out\n${describe(r)}`);
  assert.is(r.code, 0, `${what}: expected exit 0\n${describe(r)}`);
  let parsed: Creds | undefined;
  try {
    parsed = JSON.parse(r.stdout) as Creds;
  } catch {
    assert.unreachable(`${what}: stdout is not JSON\n${describe(r)}`);
  }
  return parsed!;
}

export const getWith = (env: NodeJS.ProcessEnv, server: string, timeoutMs = 20_000) =>
  runHelper(['get'], { env, stdin: server, timeoutMs });

/** `login SERVER -u USER [extra] --password-stdin`; fails the test unless it exits 0. */
export async function loginOk(
  env: NodeJS.ProcessEnv,
  server: string,
  user: string,
  secret: string,
  extra: string[] = [],
): Promise<RunResult> {
  const r = await runHelper(['login', server, '-u', user, ...extra, '--password-stdin'], { env, stdin: secret });
  assert.is(r.code, 0, `login ${server} failed\n${describe(r)}`);
  return r;
}

/** An IBM Cloud API key login against an IAM (stand-in) endpoint. */
export const loginIam = (env: NodeJS.ProcessEnv, server: string, apikey: string, iamEndpoint: string) =>
  loginOk(env, server, 'iamapikey', apikey, ['--iam-endpoint', iamEndpoint]);

export function logText(sb: Sandbox): string {
  return existsSync(sb.logFile) ? readFileSync(sb.logFile, 'utf8') : '';
}

/**
 * Long-lived secrets must never be written outside the secret store: not in the log, the mapping, the
 * token cache or anything else in the runtime/state/config directories.
 */
export function assertNoSecretOnDisk(sb: Sandbox, secrets: Record<string, string>): void {
  const dirs = [sb.stateHome, sb.configHome, sb.runtimeDir, sb.cacheHome].filter(existsSync);
  for (const [name, secret] of Object.entries(secrets)) {
    const found = dirs.flatMap((d) => filesContaining(d, secret));
    assert.equal(found, [], `the ${name} was written to ${found.join(', ')}`);
  }
}

export async function waitFor<T>(
  what: string,
  probe: () => T | undefined | false | Promise<T | undefined | false>,
  timeoutMs = 10_000,
  stepMs = 50,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline)
      return assert.unreachable(`timed out after ${timeoutMs} ms waiting for ${what}`) as never;
    await sleep(stepMs);
  }
}

// ---- the refresher daemon ---------------------------------------------------------------------------

export interface Daemon {
  pid: number;
  done: Promise<RunResult>;
  /** SIGTERM and wait for the exit (SIGKILL after `graceMs`); the result of the process. */
  stop(graceMs?: number): Promise<RunResult>;
  /** SIGKILL and wait. */
  kill(): Promise<RunResult>;
  running(): boolean;
}

/** Starts `docker-credential-lanyard daemon` and waits until its PID file and socket exist. */
export async function startDaemon(sb: Sandbox, env: NodeJS.ProcessEnv = sb.env, lifetimeMs = 180_000): Promise<Daemon> {
  const { child, done } = startHelper(['daemon'], { env, timeoutMs: lifetimeMs });
  const pid = child.pid!;
  let exited: RunResult | undefined;
  void done.then((r) => {
    exited = r;
  });
  const signal = (name: NodeJS.Signals) => {
    try {
      if (!exited) process.kill(pid, name);
    } catch {
      /* gone */
    }
  };
  const daemon: Daemon = {
    pid,
    done,
    running: () => exited === undefined,
    async stop(graceMs = 10_000) {
      signal('SIGTERM');
      const timer = setTimeout(() => signal('SIGKILL'), graceMs);
      const r = await done;
      clearTimeout(timer);
      return r;
    },
    async kill() {
      signal('SIGKILL');
      return done;
    },
  };
  const deadline = Date.now() + 10_000;
  while (
    !(
      existsSync(daemonPidFile(sb)) &&
      existsSync(daemonSocket(sb)) &&
      readFileSync(daemonPidFile(sb), 'utf8').trim() === String(pid)
    )
  ) {
    if (exited) throw new Error(`the daemon exited at start\n${describe(exited)}`);
    if (Date.now() > deadline) {
      await daemon.kill();
      throw new Error('the daemon did not write its PID file and socket within 10 s');
    }
    await sleep(25);
  }
  return daemon;
}

export const daemonCommand = (env: NodeJS.ProcessEnv, args: string[], timeoutMs = 20_000) =>
  runHelper(['daemon', ...args], { env, timeoutMs });
