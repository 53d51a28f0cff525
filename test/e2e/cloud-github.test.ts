// The github kind end to end with the compiled binary, against a real registry with token auth standing in for
// ghcr.io (docker-registry and its token realm on 127.0.0.1): `login --kind github` keeps the token as it is,
// skopeo pushes and pulls with it, and doctor checks it the way `docker login` would, at the registry's own
// token realm, naming the fix when the token is refused.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as registryFixture from '../fixtures/token-registry.js';
import type { Sandbox } from './support/sandbox.js';
import { fileStoreSandbox } from './support/exchange-env.js';
import { get, login, runHelper } from './support/helper.js';
import { assertNoLeak } from './support/asserts.js';
import * as cloud from './support/cloud.js';
import { setUp, stopAll } from './support/lifecycle.js';

const TOKEN = 'ghp_e2eGitHubToken0123456789abcdefghijkl';
const REVOKED = 'ghp_e2eRevokedToken0123456789abcdefghij';

let registry: registryFixture.TokenRegistryHandle | undefined;
let sb: Sandbox;

test.before(() =>
  setUp('cloud-github', async () => {
    registry = await registryFixture.start({ accounts: [['octocat', TOKEN]] });
    sb = fileStoreSandbox('cloud-github');
  }),
);

test.after(async () => {
  await stopAll('cloud-github', [['registry', registry && (() => registry!.stop())]]);
  sb?.cleanup();
});

test('a github login is kept as it is and pushes and pulls with skopeo', async () => {
  const host = registry!.host;
  const stored = await login(sb.env, host, 'octocat', TOKEN, ['--kind', 'github']);
  assert.is(stored.code, 0, stored.stderr);
  assert.match(stored.stderr, `Stored github login for ${host} (user octocat) in the file store.`);
  const answer = await get(sb.env, host);
  assert.equal(JSON.parse(answer.stdout), { ServerURL: host, Username: 'octocat', Secret: TOKEN });
  await cloud.skopeoRoundTrip(sb.env, await cloud.skopeoTarget(sb, host), 'github');
  assert.ok(
    registry!.requests.some((r) => r.username === 'octocat' && r.granted),
    'the registry saw the token',
  );
});

test('doctor checks the token at the registry token realm, and names the fix for a refused one', async () => {
  const host = registry!.host;
  const before = registry!.requests.length;
  const healthy = await runHelper(['doctor'], { env: sb.env });
  assert.match(
    healthy.stdout,
    `ok    ${host}: the registry's token realm accepts the token of octocat`,
    healthy.stdout,
  );
  const check = registry!.requests.slice(before).find((r) => r.account === 'octocat');
  assert.ok(check?.granted && check.service === registry!.service, 'one token request as docker login');
  await login(sb.env, host, 'octocat', REVOKED, ['--kind', 'github']);
  const refused = await runHelper(['doctor'], { env: sb.env });
  assert.is(refused.code, 1);
  assert.match(
    refused.stdout,
    new RegExp(`FAIL  ${host}: the token realm http://127\\.0\\.0\\.1:\\d+ refused the token`),
  );
  assert.match(refused.stdout, 'lacks read:packages');
  assertNoLeak(refused, REVOKED, 'doctor');
  assertNoLeak(refused, TOKEN, 'doctor');
});

test.run();
