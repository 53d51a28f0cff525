// The token-auth registry fixture against real software: docker-registry (distribution 2.8)
// accepts the JWTs our token server issues, and skopeo pushes with `iambearer:<IAM token>`.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as iamFixture from '../fixtures/iam.js';
import * as registryFixture from '../fixtures/token-registry.js';
import { decodeJwt, makeTempDir, removeDir } from '../fixtures/support.js';

let iam: iamFixture.IamHandle;
let registry: registryFixture.TokenRegistryHandle;
let workDir: string;
let image: string;

const basic = (user: string, pass: string) => ({
  authorization: `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`,
});
async function iamToken(): Promise<string> {
  const res = await fetch(iam.tokenUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: `grant_type=${encodeURIComponent(iamFixture.APIKEY_GRANT)}&apikey=registry-key`,
  });
  return (await res.json()).access_token;
}

test.before(async () => {
  iam = await iamFixture.start({ apikeys: ['registry-key'], tokenLifetimeSeconds: 60 });
  registry = await registryFixture.start({ iam, accounts: [['robot', 'robot-pass']] });
  workDir = makeTempDir('oci-image');
  image = await registryFixture.buildTinyImage(workDir);
});
test.after(async () => {
  const pid = registry.registryPid;
  await registry.stop();
  await iam.stop();
  removeDir(workDir);
  assert.throws(() => process.kill(pid, 0), /ESRCH/); // the registry process is really gone
});

test('registry challenges with the token realm; the token server follows the distribution spec', async () => {
  const challenge = await fetch(`${registry.url}/v2/`);
  assert.is(challenge.status, 401);
  assert.is(
    challenge.headers.get('www-authenticate'),
    `Bearer realm="${registry.realm}",service="${registry.service}"`,
  );

  const query = `service=${registry.service}&scope=repository:ns/img:pull,push&account=iambearer`;
  assert.is((await fetch(`${registry.realm}?${query}`)).status, 401);
  assert.is((await fetch(`${registry.realm}?${query}`, { headers: basic('iambearer', 'forged') })).status, 401);
  assert.is((await fetch(`${registry.realm}?service=other`, { headers: basic('robot', 'robot-pass') })).status, 400);
  assert.is((await fetch(registry.realm, { method: 'POST' })).status, 404); // no OAuth2: clients fall back to GET

  const res = await fetch(`${registry.realm}?${query}`, { headers: basic('iambearer', await iamToken()) });
  assert.is(res.status, 200);
  const body = await res.json();
  assert.equal(Object.keys(body).sort(), ['access_token', 'expires_in', 'issued_at', 'token']);
  assert.is(body.access_token, body.token);
  assert.is(body.expires_in, 300);
  const jwt = decodeJwt(body.token)!;
  assert.is(jwt.header.alg, 'ES256');
  assert.is((jwt.header.x5c as string[]).length, 1);
  assert.equal([jwt.payload.aud, jwt.payload.iss, jwt.payload.sub], [registry.service, registry.issuer, 'iambearer']);
  assert.equal(jwt.payload.access, [{ type: 'repository', name: 'ns/img', actions: ['pull', 'push'] }]);
  assert.is((await fetch(`${registry.url}/v2/`, { headers: { authorization: `Bearer ${body.token}` } })).status, 200);

  const robot = await fetch(`${registry.realm}?service=${registry.service}`, { headers: basic('robot', 'robot-pass') });
  assert.is(robot.status, 200);
  assert.equal(
    registry.requests.map((r) => [r.username, r.granted]),
    [
      [null, false],
      ['iambearer', false],
      ['robot', false],
      ['iambearer', true],
      ['robot', true],
    ],
  );
});

test('skopeo pushes with iambearer:<IAM token> and fails with a bad token', async () => {
  registry.requests.length = 0;
  const pushed = await registryFixture.skopeoPush(image, registry.host, 'ns/img:1', `iambearer:${await iamToken()}`);
  assert.is(pushed.code, 0, pushed.stderr);
  const tags = await fetch(`${registry.realm}?service=${registry.service}&scope=repository:ns/img:pull`, {
    headers: basic('robot', 'robot-pass'),
  })
    .then((r) => r.json())
    .then(({ token }) =>
      fetch(`${registry.url}/v2/ns/img/tags/list`, { headers: { authorization: `Bearer ${token}` } }),
    )
    .then((r) => r.json());
  assert.equal(tags, { name: 'ns/img', tags: ['1'] });

  const refused = await registryFixture.skopeoPush(image, registry.host, 'ns/img:2', 'iambearer:not-an-iam-token');
  assert.is.not(refused.code, 0);
  assert.match(refused.stderr, /unauthorized/);
  const byUser = registry.requests.filter((r) => r.username === 'iambearer');
  assert.ok(byUser.some((r) => r.granted) && byUser.some((r) => !r.granted));
  assert.ok(registry.counts.byUsername.iambearer! >= 3);
});

test.run();
