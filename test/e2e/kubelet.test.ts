// Kubelet image credential provider mode (docs/wire-formats.md#kubelet-credential-provider):
// `docker-credential-lanyard kubelet`, or the binary under a provider name (a symlink
// `lanyard-credential-provider`), reads a CredentialProviderRequest on stdin and answers a
// CredentialProviderResponse: cacheKeyType Registry, a Go-duration cacheDuration shorter than the token's
// remaining life, auth keyed by the entry that matched (a pattern keeps its pattern key; Hub images answer
// under docker.io's names). Unknown registry: empty auth, exit 0. Bad request: exit 1, stderr.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import * as iamFixture from '../fixtures/iam.js';
import type { Sandbox } from './support/sandbox.js';
import { BIN } from './support/paths.js';
import { runHelper } from './support/helper.js';
import { run, describe, type RunResult } from './support/run.js';
import { fileStoreSandbox, forgetCachedToken, loginIam, loginOk } from './support/exchange-env.js';

const LIFETIME_S = 3600;
const PATTERN_KEY = `kubelet-pattern-${randomBytes(12).toString('hex')}`;
const EXACT_KEY = `kubelet-exact-${randomBytes(12).toString('hex')}`;
const DOOMED_KEY = `kubelet-doomed-${randomBytes(12).toString('hex')}`;
const HUB_PAT = `dckr_pat_${randomBytes(12).toString('hex')}`;
const STATIC_PW = `pw-${randomBytes(8).toString('hex')}`;
const V1 = 'credentialprovider.kubelet.k8s.io/v1';

let sb: Sandbox;
let iam: iamFixture.IamHandle | undefined;
let provider: string;

test.before(async () => {
  try {
    sb = fileStoreSandbox('kubelet');
    iam = await iamFixture.start({ apikeys: [PATTERN_KEY, EXACT_KEY, DOOMED_KEY], tokenLifetimeSeconds: LIFETIME_S });
    await loginIam(sb.env, '*.icr.io', PATTERN_KEY, iam.url);
    await loginIam(sb.env, 'us.icr.io', EXACT_KEY, iam.url);
    await loginIam(sb.env, 'doomed.registry.test', DOOMED_KEY, iam.url);
    await loginOk(sb.env, 'docker.io', 'hubuser', HUB_PAT);
    await loginOk(sb.env, 'registry.example.test:5000', 'bob', STATIC_PW);
    // kubelet runs providers by name from --image-credential-provider-bin-dir
    const binDir = sb.dir('kubelet-bin');
    provider = join(binDir, 'lanyard-credential-provider');
    symlinkSync(BIN, provider);
  } catch (error) {
    console.error('[kubelet] setup failed:', error);
    throw error;
  }
});

test.after(async () => {
  try {
    await iam?.stop();
  } catch (error) {
    console.error('[kubelet] iam stop:', error);
  }
  sb?.cleanup();
});

interface ProviderResponse {
  apiVersion: string;
  kind: string;
  cacheKeyType: string;
  cacheDuration: string;
  auth: Record<string, { username: string; password: string }>;
}

const request = (image: string, apiVersion = V1) =>
  JSON.stringify({ apiVersion, kind: 'CredentialProviderRequest', image });
const viaVerb = (stdin: string) => runHelper(['kubelet'], { env: sb.env, stdin, timeoutMs: 20_000 });
const viaSymlink = (stdin: string) => run(provider, [], { env: sb.env, stdin, timeoutMs: 20_000 });

function response(r: RunResult, what: string, apiVersion = V1): ProviderResponse {
  assert.ok(!r.timedOut, `${what}: timed out\n${describe(r)}`);
  assert.is(r.code, 0, `${what}: expected exit 0\n${describe(r)}`);
  assert.ok(/^[^\n]+\n$/.test(r.stdout), `${what}: one JSON line on stdout\n${describe(r)}`);
  let parsed: ProviderResponse | undefined;
  try {
    parsed = JSON.parse(r.stdout) as ProviderResponse;
  } catch {
    assert.unreachable(`${what}: stdout is not JSON\n${describe(r)}`);
  }
  assert.is(parsed!.apiVersion, apiVersion, `${what}: apiVersion (the request's)`);
  assert.is(parsed!.kind, 'CredentialProviderResponse', `${what}: kind`);
  assert.is(parsed!.cacheKeyType, 'Registry', `${what}: cacheKeyType`);
  return parsed!;
}
/** A Go duration as kubelet's metav1.Duration parses it, in seconds (only the forms lanyard may use). */
function goDurationSeconds(value: string): number {
  const m = /^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+(?:\.\d+)?)s)?$/.exec(value);
  assert.ok(m && value !== '', `cacheDuration ${JSON.stringify(value)} is not a Go duration`);
  return Number(m![1] ?? 0) * 3600 + Number(m![2] ?? 0) * 60 + Number(m![3] ?? 0);
}
function tokenOf(res: ProviderResponse, key: string, apikey: string): number {
  const auth = res.auth[key];
  assert.ok(auth, `auth has key ${key}: ${JSON.stringify(Object.keys(res.auth))}`);
  assert.is(auth!.username, 'iambearer');
  const check = iam!.validateToken(auth!.password);
  assert.ok(check.ok, `a valid IAM token: ${JSON.stringify(check)}`);
  assert.is(check.ok && check.apikeyId, iam!.apikeyId(apikey), "the token of the entry's own key");
  return check.ok ? check.exp : 0;
}

test('`kubelet` verb: a pattern answers under its key with a fresh IAM token, cached within its life', async () => {
  const r = await viaVerb(request('uk.icr.io/team/app:1.4'));
  const res = response(r, 'kubelet uk.icr.io');
  assert.equal(Object.keys(res.auth), ['*.icr.io'], 'keyed by the matched pattern');
  const exp = tokenOf(res, '*.icr.io', PATTERN_KEY);
  const cache = goDurationSeconds(res.cacheDuration);
  const remaining = exp - Date.now() / 1000;
  assert.ok(cache > 0, `a positive cacheDuration (${res.cacheDuration})`);
  assert.ok(
    cache < remaining,
    `cacheDuration ${res.cacheDuration} is shorter than the token's remaining life (${Math.floor(remaining)} s)`,
  );
  assert.ok(
    cache > LIFETIME_S / 2,
    `cacheDuration ${res.cacheDuration} is not needlessly short for a fresh ${LIFETIME_S} s token`,
  );
  assert.is(r.stderr, '', 'nothing on stderr');
  assert.not.ok(r.stdout.includes(PATTERN_KEY), 'the API key never leaves');
});

test('a symlink lanyard-credential-provider speaks the same protocol (no arguments, as kubelet runs it)', async () => {
  const before = iam!.counts.issued;
  const res = response(await viaSymlink(request(`de.icr.io/team/app@sha256:${'a'.repeat(64)}`)), 'provider symlink');
  assert.equal(Object.keys(res.auth), ['*.icr.io']);
  tokenOf(res, '*.icr.io', PATTERN_KEY);
  assert.is(iam!.counts.issued, before, 'the cached token is reused: no second exchange');
  const BETA = 'credentialprovider.kubelet.k8s.io/v1beta1';
  const beta = response(await viaSymlink(request('au.icr.io/x', BETA)), 'v1beta1', BETA);
  assert.ok(beta.auth['*.icr.io'], 'v1beta1 requests are answered too');
});

test('an exact entry beats the pattern and is keyed by its host', async () => {
  const res = response(await viaVerb(request('us.icr.io/team/app:2')), 'kubelet us.icr.io');
  assert.equal(Object.keys(res.auth), ['us.icr.io']);
  tokenOf(res, 'us.icr.io', EXACT_KEY);
});

test('Hub images (`ubuntu`, `library/ubuntu`, `docker.io/…`, `index.docker.io/…`) use Hub keys', async () => {
  for (const image of [
    'ubuntu',
    'ubuntu:24.04',
    'library/ubuntu',
    'myorg/app:1',
    'docker.io/library/ubuntu:24.04',
    'index.docker.io/myorg/app',
  ]) {
    const res = response(await viaSymlink(request(image)), `image ${image}`);
    assert.ok(res.auth['docker.io'], `${image}: auth has docker.io: ${JSON.stringify(Object.keys(res.auth))}`);
    for (const [key, auth] of Object.entries(res.auth)) {
      assert.ok(
        ['docker.io', 'index.docker.io', 'registry-1.docker.io'].includes(key),
        `${image}: unexpected key ${key}`,
      );
      assert.equal(auth, { username: 'hubuser', password: HUB_PAT }, `${image}: ${key}`);
    }
    assert.ok(goDurationSeconds(res.cacheDuration) > 0, `${image}: cacheDuration ${res.cacheDuration}`);
  }
});

test('a static login on a host with a port is keyed host:port', async () => {
  const res = response(await viaVerb(request('registry.example.test:5000/team/app:1')), 'static');
  assert.equal(res.auth, { 'registry.example.test:5000': { username: 'bob', password: STATIC_PW } });
  assert.ok(goDurationSeconds(res.cacheDuration) > 0);
});

test('an identity-token login (`--kind identity-token`, user <token> by default) never goes to kubelet', async () => {
  const login = await runHelper(['login', 'idtoken.registry.test', '--kind', 'identity-token', '--password-stdin'], {
    env: sb.env,
    stdin: `refresh-${randomBytes(8).toString('hex')}`,
  });
  assert.is(login.code, 0, `login without -u\n${describe(login)}`);
  assert.match(login.stderr, /Stored identity-token login for idtoken\.registry\.test \(user <token>\)/);
  const res = response(await viaVerb(request('idtoken.registry.test/team/app:1')), 'identity token');
  assert.equal(res.auth, {}, 'kubelet takes only a username and password: no auth rather than <token>');
});

test('an unknown registry gets an empty auth and exit 0 (kubelet then tries other providers)', async () => {
  for (const image of ['quay.io/team/app:1', 'icr.io.example/team/app', 'localhost:5000/app']) {
    const res = response(await viaSymlink(request(image)), `unknown ${image}`);
    assert.equal(res.auth, {}, `${image}: empty auth`);
  }
});

test('the *.icr.io key serves global and private ICR hosts too, keyed by the host kubelet asked for', async () => {
  for (const host of ['icr.io', 'private.us.icr.io']) {
    const res = response(await viaSymlink(request(`${host}/team/app`)), host);
    assert.equal(Object.keys(res.auth).sort(), ['*.icr.io', host].sort(), `${host}: keys`);
    tokenOf(res, host, PATTERN_KEY);
  }
});

test('malformed requests: exit 1, nothing on stdout, one message on stderr', async () => {
  const cases: Array<[string, string, RegExp]> = [
    ['not JSON', 'image: ubuntu', /not JSON/i],
    ['empty stdin', '', /CredentialProviderRequest|JSON/i],
    [
      'wrong apiVersion',
      JSON.stringify({
        apiVersion: 'credentialprovider.kubelet.k8s.io/v2',
        kind: 'CredentialProviderRequest',
        image: 'ubuntu',
      }),
      /apiVersion/,
    ],
    ['wrong kind', JSON.stringify({ apiVersion: V1, kind: 'CredentialProviderResponse', image: 'ubuntu' }), /kind/],
    ['no image', JSON.stringify({ apiVersion: V1, kind: 'CredentialProviderRequest' }), /image/],
    ['image not a string', JSON.stringify({ apiVersion: V1, kind: 'CredentialProviderRequest', image: 42 }), /image/],
  ];
  for (const [what, stdin, pattern] of cases) {
    for (const [how, r] of [
      ['verb', await viaVerb(stdin)],
      ['symlink', await viaSymlink(stdin)],
    ] as const) {
      assert.is(r.code, 1, `${what} (${how}): exit 1\n${describe(r)}`);
      assert.is(r.stdout, '', `${what} (${how}): nothing on stdout (kubelet would parse it)\n${describe(r)}`);
      assert.ok(/^[^\n]+\n$/.test(r.stderr), `${what} (${how}): one line on stderr\n${describe(r)}`);
      assert.match(r.stderr, pattern, `${what} (${how})`);
      assert.not.match(r.stderr, /\n\s+at /, `${what} (${how}): no stack trace`);
    }
  }
});

test('a revoked key with nothing cached is an error (exit 1, why on stderr), never an empty answer', async () => {
  iam!.revokeKey(DOOMED_KEY);
  forgetCachedToken(sb, 'doomed.registry.test'); // the token login's check got, gone as after a reboot
  const r = await viaSymlink(request('doomed.registry.test/team/app:1'));
  assert.is(r.code, 1, `exit 1\n${describe(r)}`);
  assert.is(r.stdout, '', describe(r));
  assert.match(r.stderr, /doomed\.registry\.test/);
  assert.match(r.stderr, /BXNIM0415E|revoked|could not be found/i);
  assert.not.ok(r.stderr.includes(DOOMED_KEY), 'the key is not printed');
});

test.run();
