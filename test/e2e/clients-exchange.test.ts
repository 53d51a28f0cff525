// The IBM Cloud API-key exchange with podman and buildah as clients (skopeo has it in exchange-iam.test.ts):
// a real docker-registry with token auth whose token server accepts only `iambearer` + a valid IAM access
// token from the IAM stand-in. lanyard holds the API key; `configure` routes the registry to it through
// $DOCKER_CONFIG/config.json. The registry must see only short-lived tokens, and one exchange serves all.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import * as iamFixture from '../fixtures/iam.js';
import * as registryFixture from '../fixtures/token-registry.js';
import type { Sandbox } from './support/sandbox.js';
import { buildImage, type OciImage } from './support/image.js';
import { runHelper } from './support/helper.js';
import { describe } from './support/run.js';
import { assertNoSecretOnDisk, fileStoreSandbox, forgetCachedToken, loginIam } from './support/exchange-env.js';
import { filesContaining } from './support/asserts.js';
import {
  AUTH_FAILURE,
  containersClients,
  pushAndPullBack,
  toolTests,
  type ContainersClients,
} from './support/clients-containers.js';

const APIKEY = `iam-clients-key-${randomBytes(16).toString('hex')}`;

const { toolTest, runnableTools } = await toolTests('clients-exchange');

let sb: Sandbox;
let iam: iamFixture.IamHandle | undefined;
let registry: registryFixture.TokenRegistryHandle | undefined;
let image: OciImage;
let tools: ContainersClients;
/** Every password the token server was asked to accept as `iambearer`. */
const presented: string[] = [];

test.before(async () => {
  try {
    sb = fileStoreSandbox('clients-exchange');
    sb.env.DOCKER_CONFIG = sb.dir('docker-config');
    iam = await iamFixture.start({ apikeys: [APIKEY] });
    registry = await registryFixture.start({
      iam: {
        validateToken: (token: string) => {
          presented.push(token);
          return iam!.validateToken(token);
        },
      },
    });
    image = await buildImage(sb);
    tools = containersClients(sb);
    await loginIam(sb.env, registry.host, APIKEY, iam.url);
    const c = await runHelper(['configure'], { env: sb.env });
    if (c.code !== 0) throw new Error(`configure failed\n${describe(c)}`);
  } catch (error) {
    console.error('[clients-exchange] setup failed:', error);
    throw error;
  }
});

test.after(async () => {
  try {
    await registry?.stop();
  } catch (error) {
    console.error('[clients-exchange] registry stop:', error);
  }
  try {
    await iam?.stop();
  } catch (error) {
    console.error('[clients-exchange] iam stop:', error);
  }
  tools?.cleanup();
  sb?.cleanup();
});

test('configure routed the registry to lanyard; the config holds no API key', () => {
  const config = readFileSync(join(sb.env.DOCKER_CONFIG!, 'config.json'), 'utf8');
  assert.equal(JSON.parse(config), { credHelpers: { [registry!.host]: 'lanyard' } });
  assert.is(iam!.counts.total, 1, "login's check asked IAM once; configure did not");
});

toolTest('podman', 'podman pushes and pulls with the IAM token lanyard exchanged', async () => {
  const { pushedId, pulledId } = await pushAndPullBack(tools, 'podman', image, registry!.host, 'team/podman');
  assert.is(pulledId, pushedId, 'same image after the round trip');
});

toolTest('buildah', 'buildah pushes and pulls with the same IAM token', async () => {
  const { pushedId, pulledId } = await pushAndPullBack(tools, 'buildah', image, registry!.host, 'team/buildah');
  assert.is(pulledId, pushedId, 'same image after the round trip');
});

test('the registry saw only iambearer + valid IAM tokens of our key, never the key; one IAM exchange', () => {
  const withUser = registry!.requests.filter((r) => r.username !== null);
  const ran = runnableTools.length;
  assert.ok(
    withUser.length >= 2 * ran,
    `the token server was asked with credentials for every push and pull (${withUser.length})`,
  );
  assert.equal([...new Set(withUser.map((r) => r.username))], ran ? ['iambearer'] : [], 'only iambearer logins');
  assert.ok(
    withUser.every((r) => r.granted),
    'every login was granted',
  );
  assert.not.ok(
    presented.some((p) => p.includes(APIKEY)),
    'the API key reached the registry',
  );
  if (ran) {
    assert.is(new Set(presented).size, 1, 'one IAM token for every operation');
    const check = iam!.validateToken(presented[0]!);
    assert.ok(
      check.ok && check.apikeyId === iam!.apikeyId(APIKEY),
      `a valid token of our key: ${JSON.stringify(check)}`,
    );
    assert.equal(iam!.counts.byApikey, { [APIKEY]: 1 }, `one API-key exchange: ${JSON.stringify(iam!.counts)}`);
  }
  assert.equal(filesContaining(sb.env.DOCKER_CONFIG!, APIKEY), [], 'no API key in the docker config');
  assertNoSecretOnDisk(sb, { 'API key': APIKEY });
});

toolTest(
  'podman',
  "with the API key revoked and the cached token gone, podman fails with lanyard's error, not anonymously",
  async () => {
    iam!.revokeKey(APIKEY);
    // a new login with the (now revoked) key is refused at once, and stores nothing
    const relogin = await runHelper(
      ['login', registry!.host, '-u', 'iamapikey', '--iam-endpoint', iam!.url, '--password-stdin'],
      {
        env: sb.env,
        stdin: APIKEY,
      },
    );
    assert.is(relogin.code, 1, describe(relogin));
    assert.match(relogin.stderr, 'was not stored');
    // the cached token gone (as after a reboot): the next get must exchange
    forgetCachedToken(sb, registry!.host);
    const r = await tools.podman(tools.storage('podman-revoked'), [
      'pull',
      '--tls-verify=false',
      '--signature-policy',
      tools.policy,
      `${registry!.host}/team/podman:1`,
    ]);
    assert.is.not(r.code, 0, `pull with a revoked key must fail\n${describe(r)}`);
    assert.match(
      r.stderr,
      /docker-credential-lanyard|getting username and password|looking up credentials/,
      `podman reports the helper's failure\n${describe(r)}`,
    );
    assert.match(
      r.stderr,
      /BXNIM0415E|revoked|could not be found|API key/i,
      `lanyard's message says what is wrong with the key\n${describe(r)}`,
    );
    assert.not.match(r.stderr, AUTH_FAILURE, `podman must not fall back to an anonymous pull\n${describe(r)}`);
  },
);

test.run();
