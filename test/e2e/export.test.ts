// `export` (a dockerconfigjson or a Kubernetes pull secret with the credentials lanyard would hand out now)
// and `pull-secret add|ls|sync|remove` against the Kubernetes API stand-in's Secrets API: the Secret holds
// the fresh `iambearer` token, a second sync changes nothing, a new token replaces it. The daemon does the
// same sync on its own (short IAM token lifetimes make the replacement observable) — one test. A sync that
// cannot reach the API server, or whose API token cannot go into a header, fails in one line naming that.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { randomBytes } from 'node:crypto';
import * as iamFixture from '../fixtures/iam.js';
import * as kubeFixture from '../fixtures/kube-api.js';
import { setUp, stopAll } from './support/lifecycle.js';
import type { Sandbox } from './support/sandbox.js';
import { runHelper } from './support/helper.js';
import { describe, type RunResult } from './support/run.js';
import { freePort } from './support/port.js';
import {
  assertNoSecretOnDisk,
  daemonCommand,
  expireCachedToken,
  fileStoreSandbox,
  getWith,
  loginIam,
  loginOk,
  parseCreds,
  startDaemon,
  waitFor,
  type Daemon,
} from './support/exchange-env.js';

const APIKEY = `export-key-${randomBytes(16).toString('hex')}`;
const DAEMON_APIKEY = `export-daemon-key-${randomBytes(16).toString('hex')}`;
const KUBE_TOKEN = `kube-sa-token-${randomBytes(16).toString('hex')}`;
const STATIC_PW = `pw-${randomBytes(8).toString('hex')}`;
const HUB_PAT = `dckr_pat_${randomBytes(8).toString('hex')}`;
const ICR = 'us.icr.io';
const STATIC = 'registry.example.test:5000';
const SHORT_LIFETIME_S = 12; // daemon test: refreshed at ~9.6 s, so the 15 s re-sync sees a new token

let sb: Sandbox;
let daemonBox: Sandbox;
let iam: iamFixture.IamHandle | undefined;
let shortIam: iamFixture.IamHandle | undefined;
let kube: kubeFixture.KubeHandle | undefined;
let daemon: Daemon | undefined;

test.before(() =>
  setUp('export', async () => {
    sb = fileStoreSandbox('export');
    daemonBox = fileStoreSandbox('export-daemon');
    iam = await iamFixture.start({ apikeys: [APIKEY] });
    shortIam = await iamFixture.start({ apikeys: [DAEMON_APIKEY], tokenLifetimeSeconds: SHORT_LIFETIME_S });
    kube = await kubeFixture.start({ callers: [KUBE_TOKEN], serviceAccounts: [] });
    await loginIam(sb.env, ICR, APIKEY, iam.url);
    await loginOk(sb.env, STATIC, 'bob', STATIC_PW);
    await loginOk(sb.env, 'docker.io', 'hubuser', HUB_PAT);
  }),
);

test.after(async () => {
  await stopAll('export', [
    ['daemon', daemon?.running() ? () => daemon!.stop(5000) : undefined],
    ['kube', kube && (() => kube!.stop())],
    ['iam', iam && (() => iam!.stop())],
    ['short-lived iam', shortIam && (() => shortIam!.stop())],
  ]);
  sb?.cleanup();
  daemonBox?.cleanup();
});

interface Auth {
  username: string;
  password: string;
  auth: string;
}
interface DockerConfigJson {
  auths: Record<string, Auth>;
}
interface SecretManifest {
  apiVersion: string;
  kind: string;
  type: string;
  metadata: { name: string; namespace: string; labels?: Record<string, string> };
  data: Record<string, string>;
}

const lanyard = (args: string[], env: NodeJS.ProcessEnv = sb.env, stdin?: string) =>
  runHelper(args, { env, stdin, timeoutMs: 20_000 });
function ok(r: RunResult, what: string): void {
  assert.ok(!r.timedOut, `${what}: timed out\n${describe(r)}`);
  assert.is(r.code, 0, `${what}: expected exit 0\n${describe(r)}`);
}
function parse<T>(r: RunResult, what: string): T {
  ok(r, what);
  try {
    return JSON.parse(r.stdout) as T;
  } catch {
    return assert.unreachable(`${what}: stdout is not JSON\n${describe(r)}`) as never;
  }
}
const decode = (b64: string) => Buffer.from(b64, 'base64').toString('utf8');
function assertIamAuth(entry: Auth | undefined, what: string, apikey = APIKEY, fixture = iam!): string {
  assert.ok(entry, `${what}: no entry`);
  assert.is(entry!.username, 'iambearer', `${what}: username`);
  const check = fixture.validateToken(entry!.password);
  assert.ok(
    check.ok && check.apikeyId === fixture.apikeyId(apikey),
    `${what}: a valid IAM token of our key: ${JSON.stringify(check)}`,
  );
  assert.is(decode(entry!.auth), `iambearer:${entry!.password}`, `${what}: auth is base64(username:password)`);
  return entry!.password;
}
/** The token `get` answers now (the same cache `export` uses). */
async function currentToken(env: NodeJS.ProcessEnv, server: string): Promise<string> {
  return parseCreds(await getWith(env, server), `get ${server}`).Secret;
}

test('export (default dockerconfigjson): every mapped registry, the fresh iambearer token, no API key', async () => {
  const r = await lanyard(['export']);
  const config = parse<DockerConfigJson>(r, 'export');
  assert.equal(Object.keys(config).sort(), ['auths']);
  assert.equal(
    Object.keys(config.auths).sort(),
    ['https://index.docker.io/v1/', STATIC, ICR].sort(),
    'Hub under its legacy key',
  );
  const token = assertIamAuth(config.auths[ICR], ICR);
  assert.is(token, await currentToken(sb.env, ICR), 'the token get answers');
  assert.equal(config.auths[STATIC], {
    username: 'bob',
    password: STATIC_PW,
    auth: Buffer.from(`bob:${STATIC_PW}`).toString('base64'),
  });
  assert.equal(config.auths['https://index.docker.io/v1/']!.password, HUB_PAT);
  assert.not.ok(r.stdout.includes(APIKEY) || r.stderr.includes(APIKEY), 'the API key is not exported');
  assert.match(
    r.stderr,
    /long-lived secrets included for .*registry\.example\.test:5000/,
    'a warning about long-lived secrets',
  );
  assert.match(r.stderr, /expire \d{4}-\d\d-\d\dT/, 'when the tokens expire');
  assert.is(iam!.counts.byApikey[APIKEY], 1, 'one exchange');
});

test('export --registry limits the output; a pattern or an unknown registry is refused in one line', async () => {
  const config = parse<DockerConfigJson>(
    await lanyard(['export', '--format', 'dockerconfigjson', '--registry', ICR]),
    'export --registry',
  );
  assert.equal(Object.keys(config.auths), [ICR]);
  const pattern = await lanyard(['export', '--registry', '*.icr.io']);
  assert.is(pattern.code, 1, describe(pattern));
  assert.match(pattern.stderr, /pattern/);
  const unknown = await lanyard(['export', '--registry', 'quay.io']);
  assert.is(unknown.code, 1, describe(unknown));
  assert.is(unknown.stdout, '', 'no partial output');
  assert.match(unknown.stderr, /quay\.io/, `the error should say which registry has no login\n${describe(unknown)}`);
});

test('export --format k8s-secret: a kubernetes.io/dockerconfigjson Secret the Kubernetes API accepts', async () => {
  const r = await lanyard([
    'export',
    '--format',
    'k8s-secret',
    '--registry',
    ICR,
    '--name',
    'icr-pull',
    '--namespace',
    'apps',
  ]);
  const manifest = parse<SecretManifest>(r, 'export k8s-secret');
  assert.is(manifest.apiVersion, 'v1');
  assert.is(manifest.kind, 'Secret');
  assert.is(manifest.type, 'kubernetes.io/dockerconfigjson');
  assert.is(manifest.metadata.name, 'icr-pull');
  assert.is(manifest.metadata.namespace, 'apps');
  assert.equal(Object.keys(manifest.data), ['.dockerconfigjson']);
  const inner = JSON.parse(decode(manifest.data['.dockerconfigjson']!)) as DockerConfigJson;
  assert.equal(Object.keys(inner.auths), [ICR]);
  const token = assertIamAuth(inner.auths[ICR], 'decoded .dockerconfigjson');
  // what `kubectl apply -f -` would send
  const res = await fetch(`${kube!.url}/api/v1/namespaces/apps/secrets`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${KUBE_TOKEN}`, 'Content-Type': 'application/json' },
    body: r.stdout,
  });
  assert.is(res.status, 201, `the API server accepts it: ${await res.clone().text()}`);
  const stored = kube!.secrets.dockerConfig('apps', 'icr-pull') as DockerConfigJson;
  assert.is(stored.auths[ICR]!.password, token, 'the Secret in the cluster holds the token');
});

test('pull-secret add stores the API token in the secret store (not the mapping); ls shows the target', async () => {
  const r = await lanyard(
    [
      'pull-secret',
      'add',
      'icr',
      '--namespace',
      'apps',
      '--registry',
      ICR,
      '--registry',
      STATIC,
      '--api-server',
      kube!.url,
      '--password-stdin',
    ],
    sb.env,
    KUBE_TOKEN,
  );
  ok(r, 'pull-secret add');
  assert.match(r.stdout, 'apps/icr');
  assert.not.ok(r.stdout.includes(KUBE_TOKEN) || r.stderr.includes(KUBE_TOKEN), 'token echoed');
  const ls = await lanyard(['pull-secret', 'ls']);
  ok(ls, 'pull-secret ls');
  assert.match(
    ls.stdout,
    new RegExp(`^apps/icr +${ICR},${STATIC} +${kube!.url.replace(/[.]/g, '\\.')} +\\(token in file\\)$`, 'm'),
    ls.stdout,
  );
  assertNoSecretOnDisk(sb, { 'Kubernetes API token': KUBE_TOKEN, 'API key': APIKEY });
  assert.equal(
    kube!.counts.secretRequests,
    { POST: 1 },
    'adding does not touch the cluster (only the earlier export POST)',
  );
});

test('pull-secret sync creates the Secret with the fresh token; a second sync leaves it unchanged', async () => {
  const r = await lanyard(['pull-secret', 'sync']);
  ok(r, 'sync');
  assert.is(r.stdout, 'apps/icr: created\n', describe(r));
  const secret = kube!.secrets.items.get('apps/icr');
  assert.ok(secret, 'the Secret exists in the cluster');
  assert.is(secret!.type, 'kubernetes.io/dockerconfigjson');
  assert.is(
    (secret!.metadata as { labels?: Record<string, string> }).labels?.['app.kubernetes.io/managed-by'],
    'lanyard',
  );
  const stored = kube!.secrets.dockerConfig('apps', 'icr') as DockerConfigJson;
  assert.equal(Object.keys(stored.auths).sort(), [ICR, STATIC].sort());
  assert.is(assertIamAuth(stored.auths[ICR], 'synced'), await currentToken(sb.env, ICR), 'the token get answers');
  assert.is(stored.auths[STATIC]!.password, STATIC_PW);

  const version = secret!.metadata.resourceVersion;
  const again = await lanyard(['pull-secret', 'sync']);
  ok(again, 'second sync');
  assert.is(again.stdout, 'apps/icr: unchanged\n', describe(again));
  assert.is(kube!.secrets.items.get('apps/icr')!.metadata.resourceVersion, version, 'not rewritten');
  assert.is(kube!.counts.secretRequests.PUT ?? 0, 0, 'no PUT');
});

test('after the IAM token changes, pull-secret sync replaces the Secret with the new one', async () => {
  const old = (kube!.secrets.dockerConfig('apps', 'icr') as DockerConfigJson).auths[ICR]!.password;
  expireCachedToken(sb, ICR);
  const r = await lanyard(['pull-secret', 'sync']);
  ok(r, 'sync');
  assert.is(r.stdout, 'apps/icr: replaced\n', describe(r));
  const fresh = assertIamAuth((kube!.secrets.dockerConfig('apps', 'icr') as DockerConfigJson).auths[ICR], 'replaced');
  assert.is.not(fresh, old, 'a new token');
  assert.is(fresh, await currentToken(sb.env, ICR));
  assert.is(kube!.counts.secretRequests.PUT, 1, 'one PUT');
});

test('a refused API token fails the sync in one line (exit 1), creates nothing; remove stops syncing it', async () => {
  ok(
    await lanyard(
      [
        'pull-secret',
        'add',
        'other',
        '--namespace',
        'apps',
        '--registry',
        ICR,
        '--api-server',
        kube!.url,
        '--password-stdin',
      ],
      sb.env,
      'not-a-valid-token',
    ),
    'add',
  );
  const r = await lanyard(['pull-secret', 'sync']);
  assert.is(r.code, 1, describe(r));
  assert.match(r.stderr, /401|Unauthorized/, describe(r));
  assert.not.ok(r.stderr.includes('not-a-valid-token'), 'token printed');
  assert.not.ok(kube!.secrets.items.has('apps/other'), 'nothing created');
  ok(await lanyard(['pull-secret', 'remove', 'other', '--namespace', 'apps']), 'remove');
  const after = await lanyard(['pull-secret', 'sync']);
  ok(after, 'sync after remove');
  assert.is(after.stdout, 'apps/icr: unchanged\n');
});

/** Adds pull secret `name` (API server, token), runs `pull-secret sync`, removes it again; returns the sync. */
async function syncOnce(name: string, apiServer: string, token: string): Promise<RunResult> {
  const add = ['pull-secret', 'add', name, '--namespace', 'apps', '--registry', ICR, '--api-server', apiServer];
  ok(await lanyard([...add, '--password-stdin'], sb.env, token), `add ${name}`);
  try {
    return await lanyard(['pull-secret', 'sync']); // apps/icr first (unchanged), then this one
  } finally {
    ok(await lanyard(['pull-secret', 'remove', name, '--namespace', 'apps']), `remove ${name}`);
  }
}
function oneLineFailure(r: RunResult, line: RegExp, what: string): void {
  assert.ok(!r.timedOut, `${what}: timed out\n${describe(r)}`);
  assert.is(r.code, 1, `${what}: exit 1\n${describe(r)}`);
  assert.match(r.stderr, line, describe(r));
  assert.is(r.stderr.trim().split('\n').length, 1, `${what}: one line\n${describe(r)}`);
  assert.not.match(r.stderr, /internal error/, describe(r));
}

test('an unreachable API server fails the sync in one line: cannot reach …, not an internal error', async () => {
  const apiServer = `http://127.0.0.1:${await freePort()}`;
  const r = await syncOnce('unreachable', apiServer, KUBE_TOKEN);
  const origin = apiServer.replace(/[.]/g, '\\.');
  oneLineFailure(r, new RegExp(`^docker-credential-lanyard: cannot reach ${origin}: \\S`), 'unreachable');
});

test('an API token with a line break fails the sync in one line saying to store it again; nothing sent', async () => {
  const before = kube!.counts.total;
  const r = await syncOnce('broken-token', kube!.url, `${KUBE_TOKEN}\nsecond-line`);
  const origin = kube!.url.replace(/[.]/g, '\\.');
  oneLineFailure(
    r,
    new RegExp(`^docker-credential-lanyard: cannot send a request to ${origin}: .*store it again`),
    'token',
  );
  assert.is(r.stdout, 'apps/icr: unchanged\n', describe(r));
  assert.is(kube!.counts.total - before, 1, "only apps/icr's GET reached the API server");
  assert.not.ok(r.stderr.includes(KUBE_TOKEN), 'token printed');
});

test('the daemon syncs on its own: creates the Secret, then replaces it when the token is refreshed', async () => {
  const env = daemonBox.env;
  await loginIam(env, ICR, DAEMON_APIKEY, shortIam!.url);
  ok(
    await lanyard(
      [
        'pull-secret',
        'add',
        'icr-daemon',
        '--namespace',
        'ci',
        '--registry',
        ICR,
        '--api-server',
        kube!.url,
        '--password-stdin',
      ],
      env,
      KUBE_TOKEN,
    ),
    'add',
  );
  daemon = await startDaemon(daemonBox, env, 90_000);
  const first = await waitFor(
    'the daemon to create ci/icr-daemon',
    () => kube!.secrets.dockerConfig('ci', 'icr-daemon') as DockerConfigJson | undefined,
    10_000,
    100,
  );
  const t1 = assertIamAuth(first.auths[ICR], 'created by the daemon', DAEMON_APIKEY, shortIam!);
  const replaced = await waitFor(
    'the daemon to put a refreshed token into ci/icr-daemon',
    () => {
      const cfg = kube!.secrets.dockerConfig('ci', 'icr-daemon') as DockerConfigJson | undefined;
      return cfg && cfg.auths[ICR]!.password !== t1 ? cfg : undefined;
    },
    3 * SHORT_LIFETIME_S * 1000,
    200,
  );
  assertIamAuth(replaced.auths[ICR], 'replaced by the daemon', DAEMON_APIKEY, shortIam!);
  const status = await daemonCommand(env, ['status']);
  ok(status, 'daemon status');
  assert.match(status.stdout, /pull secret ci\/icr-daemon \(us\.icr\.io\): last sync .*\(replaced\)/, status.stdout);
  const stopped = await daemon.stop(10_000);
  assert.is(stopped.code, 0, `the daemon exits 0 on SIGTERM\n${describe(stopped)}`);
  assertNoSecretOnDisk(daemonBox, { 'Kubernetes API token': KUBE_TOKEN, 'API key': DAEMON_APIKEY });
});

test.run();
