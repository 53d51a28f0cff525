// `get` in-process: the core run with a context of the test's making (temp dirs for every path,
// an in-memory store, a clock that can be moved forward) against the real IAM stand-in on
// 127.0.0.1. What the e2e suite checks through the binary, checked here in about a second.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeTempDir, removeDir } from '../fixtures/support.js';
import { configUnder } from './support/test-context.js';
import { start as startIam, type IamHandle } from '../fixtures/iam.js';

import { runHelperVerb } from '../../src/commands/helper-verbs.js';
import { issueCredential, IssueFailedError } from '../../src/credentials/issue-credential.js';
import { resolveCredential } from '../../src/credentials/resolve-credential.js';
import { CredentialsNotFoundError, UserError } from '../../src/errors.js';
import type { CoreContext, HelperContext } from '../../src/credentials/core-context.js';
import type { MappingEntry } from '../../src/mapping/types.js';
import type { RetryPolicy } from '../../src/retry.js';
import type { SecretStore } from '../../src/secrets/secret-store.js';

const APIKEY = 'get-test-apikey-0123456789';
const REVOKED = 'get-test-revoked-apikey-0123';
const ONE_TRY: RetryPolicy = { attempts: 1, baseMs: 0, capMs: 0, budgetMs: 0, requestTimeoutMs: 2_000 };
// IAM's default lifetime is an hour: past 80 % of it a token is due, and still usable until 59 min.
const DUE_OFFSET_MS = 50 * 60_000;

const home = makeTempDir('get');
const config = configUnder(home);

const secrets = new Map<string, string>([
  ['key', APIKEY],
  ['revoked', REVOKED],
]);
const memoryStore: SecretStore = {
  name: 'keychain',
  read: async (ref) => secrets.get(ref),
  write: async (ref, secret) => void secrets.set(ref, secret),
  delete: async (ref) => void secrets.delete(ref),
  describe: (ref) => `the in-memory store (id ${ref})`,
};

let iam: IamHandle;
const entries: Record<string, MappingEntry> = {};

function mapServers(servers: Record<string, string>): void {
  for (const [server, secretRef] of Object.entries(servers)) {
    entries[server] = {
      server,
      serverURL: server,
      kind: 'ibm-iam',
      username: 'iamapikey',
      store: 'keychain',
      secretRef,
      options: { iamEndpoint: iam.url },
      updatedAt: '2026-01-01T00:00:00.000Z',
    };
  }
  mkdirSync(join(home, 'config', 'lanyard'), { recursive: true, mode: 0o700 });
  const mapping = { version: 1, entries: Object.values(entries) };
  writeFileSync(config.paths.mappingFile, JSON.stringify(mapping), { mode: 0o600 });
}

/** A context whose clock runs `offsetMs` ahead, with or without a daemon. */
function context(options: { offsetMs?: number; daemon?: boolean } = {}): CoreContext {
  return {
    config,
    now: () => Date.now() + (options.offsetMs ?? 0),
    openStore: async () => memoryStore,
    daemonRunning: () => options.daemon ?? false,
    err: () => undefined,
  };
}

/** Runs the `get` verb as the binary would, returning its exit code and what it wrote to stdout. */
async function get(server: string, core = context()): Promise<{ code: number; out: string }> {
  let out = '';
  const helper: HelperContext = {
    ...core,
    stdinText: () => `${server}\n`,
    out: (text) => {
      out += text;
    },
  };
  const code = await runHelperVerb('get', helper);
  return { code, out };
}

const requestsDuring = async <T>(run: () => Promise<T>): Promise<{ result: T; requests: number }> => {
  const before = iam.counts.total;
  const result = await run();
  return { result, requests: iam.counts.total - before };
};

test.before(async () => {
  iam = await startIam({ apikeys: [APIKEY, REVOKED] });
  iam.revokeKey(REVOKED);
  mapServers({
    'fresh.example.com': 'key',
    'due.example.com': 'key',
    'transient-5xx.example.com': 'key',
    'transient-net.example.com': 'key',
    'refused.example.com': 'revoked',
    'lost.example.com': 'gone',
    'many.example.com': 'key',
  });
});

test.after(async () => {
  await iam.stop();
  removeDir(home);
});

test('a fresh token is served from the cache, with no exchange', async () => {
  const first = await requestsDuring(() => get('fresh.example.com'));
  assert.is(first.result.code, 0, first.result.out);
  assert.is(first.requests, 1);
  const again = await requestsDuring(() => get('fresh.example.com'));
  assert.is(again.requests, 0, 'answered from the cache');
  assert.is(again.result.out, first.result.out);
  const issued = await issueCredential(context(), entries['fresh.example.com'], { retry: ONE_TRY });
  assert.is(issued.outcome, 'cached');
});

test('a due token is served while a daemon runs, exchanged when none does', async () => {
  const first = await resolveCredential(context(), 'due.example.com');
  const withDaemon = await requestsDuring(() =>
    resolveCredential(context({ offsetMs: DUE_OFFSET_MS, daemon: true }), 'due.example.com'),
  );
  assert.is(withDaemon.requests, 0, 'the daemon replaces it: no exchange');
  assert.is(withDaemon.result.secret, first.secret);
  const alone = await requestsDuring(() =>
    issueCredential(context({ offsetMs: DUE_OFFSET_MS }), entries['due.example.com'], { retry: ONE_TRY }),
  );
  assert.is(alone.requests, 1, 'no daemon: this process refreshes');
  assert.is(alone.result.outcome, 'exchanged');
});

for (const [server, fault] of [
  ['transient-5xx.example.com', (handle: IamHandle) => handle.faults.fail(1, 503)],
  ['transient-net.example.com', (handle: IamHandle) => handle.faults.drop(1)],
] as const) {
  test(`after a transient failure (${server}) the usable token is served and the service left alone`, async () => {
    const old = await resolveCredential(context(), server);
    const due = context({ offsetMs: DUE_OFFSET_MS });
    fault(iam);
    const failed = await requestsDuring(() => issueCredential(due, entries[server], { retry: ONE_TRY }));
    assert.is(failed.requests, 1);
    assert.is(failed.result.outcome, 'stale-served');
    assert.is(failed.result.answer.secret, old.secret);
    assert.is(failed.result.failure?.permanent, false);
    const held = await requestsDuring(() => issueCredential(due, entries[server], { retry: ONE_TRY }));
    assert.is(held.requests, 0, 'no second request within the hold');
    assert.is(held.result.outcome, 'held-back');
    assert.is(held.result.answer.secret, old.secret);
  });
}

test('a permanent refusal is asked once for many callers, and named', async () => {
  const callers = await requestsDuring(() => Promise.all(Array.from({ length: 5 }, () => get('refused.example.com'))));
  assert.is(callers.requests, 1, 'one request for five callers');
  for (const { code, out } of callers.result) {
    assert.is(code, 1);
    assert.match(out, /^cannot get a token for refused\.example\.com: IBM Cloud IAM at http:\/\/127\.0\.0\.1:\d+ /);
    assert.is(out.split('\n').length, 2, 'one line');
  }
  const later = await requestsDuring(() =>
    issueCredential(context(), entries['refused.example.com'], { retry: ONE_TRY }).catch((e: unknown) => e),
  );
  assert.is(later.requests, 0, 'held back');
  assert.instance(later.result, IssueFailedError);
  assert.is((later.result as InstanceType<typeof IssueFailedError>).failure.permanent, true);
});

test('a missing secret is an error naming the store, never not-found', async () => {
  const { code, out } = await get('lost.example.com');
  assert.is(code, 1);
  assert.is(
    out,
    'the login for lost.example.com is mapped but its secret is missing from the in-memory store (id gone); ' +
      'log in again\n',
  );
  const error = await resolveCredential(context(), 'lost.example.com').catch((e: unknown) => e);
  assert.instance(error, UserError);
  assert.not.instance(error, CredentialsNotFoundError);
});

test('concurrent callers share one exchange', async () => {
  const callers = await requestsDuring(() =>
    Promise.all(Array.from({ length: 8 }, () => resolveCredential(context(), 'many.example.com'))),
  );
  assert.is(callers.requests, 1);
  assert.is(new Set(callers.result.map((answer) => answer.secret)).size, 1);
});

test.run();
