// Time that does not pass evenly: the machine sleeps for hours, the clock is stepped back or forward by a
// day, a token's own `exp` disagrees with the lifetime its service announced. The daemon's answer to a
// `get` (the agent) never hands out a token expired by the clock as it is now, its scheduler looks at every
// entry again after a jump, and the smaller of two announced expiries is believed.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeTempDir, removeDir } from '../fixtures/support.js';
import { configUnder } from './support/test-context.js';
import { start as startIam, type IamHandle } from '../fixtures/iam.js';
import { issueCredential, IssueFailedError } from '../../src/credentials/issue-credential.js';
import { withinClaimedExpiry } from '../../src/credentials/claimed-expiry.js';
import { answerGet } from '../../src/daemon/get-answer.js';
import { SecretAgent } from '../../src/daemon/secret-agent.js';
import { RefreshScheduler } from '../../src/daemon/scheduler.js';
import type { CoreContext } from '../../src/credentials/core-context.js';
import type { MappingEntry } from '../../src/mapping/types.js';
import type { RetryPolicy } from '../../src/retry.js';
import type { SecretStore } from '../../src/secrets/secret-store.js';

const APIKEY = 'time-jumps-apikey-0123456789';
const ONE_TRY: RetryPolicy = { attempts: 1, baseMs: 0, capMs: 0, budgetMs: 0, requestTimeoutMs: 2_000 };
const HOUR = 3600_000;
const DAY = 24 * HOUR;
const SERVER = 'jumps.example.com';

const homes: string[] = [];
const store: SecretStore = {
  name: 'keychain',
  read: async () => APIKEY,
  write: async () => undefined,
  delete: async () => undefined,
  describe: () => 'the in-memory store',
};
let iam: IamHandle;
let entry: MappingEntry;

/**
 * A context of its own (mapping, token cache) whose wall clock the test moves, either way, while the monotonic
 * clock runs on. Only lanyard's clock moves: the providers stamp tokens with the real one, so a test here
 * looks at what is asked and answered, not at the times a token carries (test/e2e/time-jumps.test.ts moves
 * the whole process's clock).
 */
function movableClock(): CoreContext & { move(ms: number): void } {
  const home = makeTempDir('time-jumps');
  homes.push(home);
  const config = configUnder(home);
  mkdirSync(join(home, 'config', 'lanyard'), { recursive: true, mode: 0o700 });
  writeFileSync(config.paths.mappingFile, JSON.stringify({ version: 1, entries: [entry] }), { mode: 0o600 });
  let offsetMs = 0;
  return {
    config,
    now: () => Date.now() + offsetMs,
    openStore: async () => store,
    daemonRunning: () => true,
    err: () => undefined,
    move: (ms) => {
      offsetMs += ms;
    },
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function until(what: string, check: () => boolean | Promise<boolean>, withinMs = 3000): Promise<void> {
  for (const started = Date.now(); Date.now() - started < withinMs; await sleep(20)) if (await check()) return;
  assert.unreachable(`${what} within ${withinMs} ms`);
}

/** What the daemon's agent answers a `get` for SERVER now: the token, or null (the asker exchanges itself). */
async function agentAnswer(context: CoreContext): Promise<string | null> {
  const { mappingFile, secretsFile } = context.config.paths;
  const { answer } = await answerGet(context, new SecretAgent(context), {
    op: 'get',
    serverURL: SERVER,
    mappingFile,
    secretsFile,
  });
  return answer?.secret ?? null;
}

test.before(async () => {
  iam = await startIam({ apikeys: [APIKEY] });
  entry = {
    server: SERVER,
    serverURL: SERVER,
    kind: 'ibm-iam',
    username: 'iamapikey',
    store: 'keychain',
    secretRef: 'key',
    options: { iamEndpoint: iam.url },
    updatedAt: '2026-01-01T00:00:00.000Z',
  };
});

test.after(async () => {
  await iam.stop();
  for (const home of homes) removeDir(home);
});

/** Runs `body` with a daemon's scheduler ticking every 20 ms on `context`, once it has a token. */
async function withScheduler(context: CoreContext, body: (scheduler: RefreshScheduler) => Promise<void>) {
  const scheduler = new RefreshScheduler(context);
  scheduler.start(20);
  try {
    await until('a first refresh', () => scheduler.status()[0]?.lastRefresh !== undefined);
    await body(scheduler);
  } finally {
    await scheduler.stop();
  }
}

const issuedCount = () => iam.counts.issued;

test('after hours asleep, the agent answers no expired token and the scheduler refreshes at once', async () => {
  const context = movableClock();
  await withScheduler(context, async () => {
    const before = await agentAnswer(context);
    assert.ok(before, 'the agent answers the fresh token');
    const issued = issuedCount();
    context.move(5 * HOUR); // suspended: the wall clock moved, the monotonic one did not
    const woken = await agentAnswer(context);
    assert.is.not(woken, before, 'the token that expired during the sleep is not handed out');
    await until('a refresh after the wake', () => issuedCount() > issued);
  });
});

for (const [label, step] of [
  ['back', -DAY],
  ['forward', DAY],
] as const) {
  test(`the clock stepped ${label} by a day: the scheduler refreshes now, not a day later`, async () => {
    const context = movableClock();
    await withScheduler(context, async () => {
      const issued = issuedCount();
      context.move(step);
      await until('a refresh after the step', () => issuedCount() > issued);
    });
  });
}

test("a token's exp earlier than its expires_in: the earlier is believed", async () => {
  const context = movableClock();
  iam.setClaimedLifetime(600);
  try {
    const issued = await issueCredential(context, entry, { retry: ONE_TRY, force: true });
    const lifetime = issued.answer.expiresAt! - context.now();
    assert.ok(lifetime <= 600_000 && lifetime > 590_000, `believed ${lifetime} ms, the claim says 600 s`);
  } finally {
    iam.setClaimedLifetime(undefined);
  }
});

test("a token's exp later than its expires_in: expires_in is believed", async () => {
  const context = movableClock();
  iam.setClaimedLifetime(5 * 3600);
  try {
    const issued = await issueCredential(context, entry, { retry: ONE_TRY, force: true });
    const lifetime = issued.answer.expiresAt! - context.now();
    assert.ok(lifetime <= HOUR && lifetime > HOUR - 10_000, `believed ${lifetime} ms, expires_in says 3600 s`);
  } finally {
    iam.setClaimedLifetime(undefined);
  }
});

test("a token's exp is measured from its own iat: an issuer's clock a day behind changes nothing", () => {
  const issuerNow = Math.floor((Date.now() - DAY) / 1000);
  const part = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const jwt = `${part({ alg: 'none' })}.${part({ iat: issuerNow, exp: issuerNow + 600 })}.sig`;
  const issuedAt = Date.now();
  const issued = { username: 'u', secret: jwt, issuedAt, expiresAt: issuedAt + HOUR };
  assert.is(withinClaimedExpiry('a service', issued).expiresAt, issuedAt + 600_000);
  const withoutIat = `${part({ alg: 'none' })}.${part({ exp: Math.floor(issuedAt / 1000) + 1200 })}.sig`;
  const byOurClock = withinClaimedExpiry('a service', { ...issued, secret: withoutIat }).expiresAt!;
  assert.ok(Math.abs(byOurClock - (issuedAt + 1200_000)) < 1000, 'without iat, exp is read by this clock');
});

test('a token whose exp leaves no usable life is refused and held, though expires_in says an hour', async () => {
  const context = movableClock();
  iam.setClaimedLifetime(3);
  try {
    await issueCredential(context, entry, { retry: ONE_TRY, force: true });
    assert.unreachable('a token that dies in 3 s was accepted');
  } catch (error) {
    assert.instance(error, IssueFailedError);
    assert.match((error as Error).message, /its own claim: exp 3 s after iat/);
    assert.is((error as IssueFailedError).failure.permanent, false);
  } finally {
    iam.setClaimedLifetime(undefined);
  }
});

test.run();
