// Docker Hub: a personal access token is answered as stored (Hub has no registry-usable short-lived
// token), and the daemon checks it against Hub's token endpoint (Docker Hub API stand-in,
// test/fixtures/dockerhub.ts) every LANYARD_HUB_CHECK_INTERVAL_S, so a revoked PAT shows up in
// `daemon status`, `ls` and the log before a pull fails.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { randomBytes } from 'node:crypto';
import * as hubFixture from '../fixtures/dockerhub.js';
import { stopAll } from './support/lifecycle.js';
import type { Sandbox } from './support/sandbox.js';
import { runHelper, NOT_FOUND } from './support/helper.js';
import { describe } from './support/run.js';
import {
  assertNoSecretOnDisk,
  cacheRecord,
  daemonCommand,
  fileStoreSandbox,
  getWith,
  loginOk,
  logText,
  parseCreds,
  startDaemon,
  waitFor,
  type Daemon,
} from './support/exchange-env.js';

const USER = 'lanyarde2e';
const PAT = `dckr_pat_${randomBytes(20).toString('base64url')}`;
const NEW_PAT = `dckr_pat_${randomBytes(20).toString('base64url')}`;
const ALIASES = ['https://index.docker.io/v1/', 'docker.io', 'index.docker.io', 'registry-1.docker.io'];

let sb: Sandbox;
let hub: hubFixture.HubHandle | undefined;
let daemon: Daemon | undefined;
let daemonEnv: NodeJS.ProcessEnv;

test.before(async () => {
  sb = fileStoreSandbox('exchange-dockerhub');
  hub = await hubFixture.start({
    accounts: [
      [USER, PAT],
      [USER, NEW_PAT],
    ],
  });
  daemonEnv = { ...sb.env, LANYARD_HUB_CHECK_INTERVAL_S: '1' };
});

test.after(async () => {
  await stopAll('exchange-dockerhub', [
    ['daemon', daemon?.running() ? () => daemon!.stop(3000) : undefined],
    ['hub', hub && (() => hub!.stop())],
  ]);
  sb?.cleanup();
});

const hubLine = (text: string) => text.split('\n').find((l) => l.startsWith('docker.io '));

test('login docker.io with a PAT: get answers username + PAT for every Hub alias, without calling Hub', async () => {
  await loginOk(sb.env, 'docker.io', USER, PAT, ['--hub-endpoint', hub!.url]);
  const ls = await runHelper(['ls', '--json'], { env: sb.env });
  assert.equal(
    (JSON.parse(ls.stdout) as Array<Record<string, string>>).map((e) => [e.server, e.kind, e.username]),
    [['docker.io', 'dockerhub', USER]],
  );
  for (const alias of ALIASES) {
    assert.equal(parseCreds(await getWith(sb.env, alias), `get ${alias}`), {
      ServerURL: alias,
      Username: USER,
      Secret: PAT,
    });
  }
  assert.is(hub!.counts.total, 0, 'get never calls Hub');
});

test('the daemon checks the PAT with Hub (as the stored username) and records success', async () => {
  daemon = await startDaemon(sb, daemonEnv);
  const record = await waitFor('the first Hub check', () => cacheRecord(sb, 'docker.io')?.check);
  assert.equal([record.ok, record.message], [true, undefined], JSON.stringify(record));
  assert.ok(hub!.counts.byIdentifier[USER]! >= 1, `Hub was asked for ${USER}: ${JSON.stringify(hub!.counts)}`);
  assert.is(hub!.counts.rejected, 0);
  await waitFor('a second check (interval 1 s)', () => hub!.counts.issued >= 2, 5000);
  const status = await daemonCommand(sb.env, ['status']);
  assert.is(status.code, 0, describe(status));
  const line = hubLine(status.stdout);
  assert.ok(line, `daemon status shows docker.io\n${status.stdout}`);
  assert.match(line!, /^docker\.io \(dockerhub\): .*last refresh /);
  assert.not.match(line!, /last error/);
});

test('a revoked PAT is flagged by the next check: daemon status and the log say so', async () => {
  hub!.revoke(PAT);
  const record = await waitFor(
    'a failed Hub check',
    () => {
      const check = cacheRecord(sb, 'docker.io')?.check;
      return check && !check.ok ? check : undefined;
    },
    5000,
  );
  assert.match(record.message ?? '', /Docker Hub rejects the access token of lanyarde2e \(401\).*revoked/);
  const status = await daemonCommand(sb.env, ['status']);
  const line = hubLine(status.stdout);
  assert.match(
    line ?? '',
    new RegExp(
      'last error: .*Docker Hub rejects the access token of lanyarde2e \\(401\\): ' +
        'it was revoked or has expired; create a new one and docker login again',
    ),
    status.stdout,
  );
  assert.match(
    logText(sb),
    /WARN \[daemon \d+\] secret check of docker\.io \(dockerhub\): .*Docker Hub rejects the access token/,
  );
  const rejected = hub!.counts.rejected;
  await new Promise((resolve) => setTimeout(resolve, 2500));
  assert.is(
    hub!.counts.rejected,
    rejected,
    'a rejected PAT is not re-checked every interval (permanent failure backs off)',
  );

  const get = await getWith(sb.env, 'docker.io');
  assert.is.not(get.stdout.trim(), NOT_FOUND, 'never disguised as not-found');
  console.log(
    `[exchange-dockerhub] get after revocation: exit ${get.code}, ` +
      (get.code === 0 ? 'answers the stored PAT' : get.stdout.trim()),
  );
});

test('ls shows that the PAT was rejected (table and --json)', async () => {
  const table = await runHelper(['ls'], { env: sb.env });
  assert.is(table.code, 0, describe(table));
  console.log(`[exchange-dockerhub] ls after revocation:\n${table.stdout}`);
  assert.match(
    hubLine(table.stdout) ?? '',
    /REJECTED|revoked/i,
    `ls says nothing about the revoked PAT:\n${table.stdout}`,
  );
  assert.match(table.stdout, /^docker\.io: .*Docker Hub rejects the access token of lanyarde2e \(401\)/m, table.stdout);
  const json = JSON.parse((await runHelper(['ls', '--json'], { env: sb.env })).stdout) as Array<{
    server: string;
    token?: { state?: string };
  }>;
  assert.is(json.find((e) => e.server === 'docker.io')?.token?.state, 'revoked', JSON.stringify(json));
});

test('the revoked-PAT message is a plain user message, not labelled an internal error (status, ls, log)', async () => {
  const status = await daemonCommand(sb.env, ['status']);
  const table = await runHelper(['ls'], { env: sb.env });
  const logLine =
    logText(sb)
      .split('\n')
      .find((l) => l.includes('secret check of docker.io (dockerhub)')) ?? '';
  for (const [where, text] of [
    ['daemon status', hubLine(status.stdout) ?? ''],
    ['ls', table.stdout],
    ['log', logLine],
  ] as const) {
    assert.not.match(
      text,
      /internal error|[A-Za-z]+Error\b/, // no class name either
      `${where} presents a classified Hub refusal as an internal error (a bug):\n${text}`,
    );
  }
  assert.match(hubLine(status.stdout) ?? '', /, last error: Docker Hub rejects the access token of lanyarde2e \(401\)/);
});

test('a new login with a valid PAT is checked at once and clears the error', async () => {
  await loginOk(sb.env, 'docker.io', USER, NEW_PAT, ['--hub-endpoint', hub!.url]);
  await waitFor('a successful check of the new PAT', () => cacheRecord(sb, 'docker.io')?.check?.ok, 5000);
  const status = await daemonCommand(sb.env, ['status']);
  assert.not.match(hubLine(status.stdout) ?? '', /last error/, status.stdout);
  assert.equal(parseCreds(await getWith(sb.env, 'docker.io'), 'get').Secret, NEW_PAT);
  const stopped = await daemon!.stop();
  assert.is(stopped.code, 0, describe(stopped));
});

test('secrets never on disk outside the store: no PAT in log, mapping or cache', async () => {
  assertNoSecretOnDisk(sb, { 'revoked PAT': PAT, 'new PAT': NEW_PAT });
});

test.run();
