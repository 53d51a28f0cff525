// podman, buildah and skopeo as real clients against a real registry (Debian's docker-registry with
// htpasswd), with the credentials served only by lanyard: `docker-credential-lanyard login` stores them,
// `docker-credential-lanyard configure` writes credHelpers into $DOCKER_CONFIG/config.json, and the
// containers tools find the helper there (they read docker's config.json last:
// docs/wire-formats.md#podman-buildah-and-skopeo). Storage is vfs in the sandbox (see
// support/clients-containers.ts); pushes start from a local OCI image built with umoci, pulls go into a
// fresh storage so every blob really comes from the registry.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { Sandbox } from './support/sandbox.js';
import { fileStoreSandbox } from './support/exchange-env.js';
import { startRegistry, type Registry } from './support/registry.js';
import { buildImage, ociDigest, type OciImage } from './support/image.js';
import { get, login, runHelper } from './support/helper.js';
import { assertNotFound } from './support/asserts.js';
import { run, describe, type RunResult } from './support/run.js';
import {
  AUTH_FAILURE,
  HELPER_FAILURE,
  clientOk,
  containersClients,
  pushAndPullBack,
  toolTests,
  type ContainersClients,
} from './support/clients-containers.js';

const USER = 'alice';
const PASSWORD = `pw-${randomBytes(8).toString('hex')}`;

// Decided before any test is registered, so a tool that cannot run here shows up as a skipped test
// whose name quotes the reason.
const { toolTest } = await toolTests('clients-containers');

let sb: Sandbox;
let registry: Registry | undefined;
let image: OciImage;
let tools: ContainersClients;
let dockerConfig: string;

test.before(async () => {
  try {
    sb = fileStoreSandbox('clients-containers');
    sb.env.DOCKER_CONFIG = sb.dir('docker-config');
    dockerConfig = join(sb.env.DOCKER_CONFIG, 'config.json');
    registry = await startRegistry(sb, { [USER]: PASSWORD });
    image = await buildImage(sb);
    tools = containersClients(sb);
  } catch (error) {
    console.error('[clients-containers] setup failed:', error);
    throw error;
  }
});

test.after(async () => {
  try {
    await registry?.stop();
  } catch (error) {
    console.error('[clients-containers] registry stop:', error);
  }
  tools?.cleanup();
  sb?.cleanup();
});

function authFailure(r: RunResult, what: string): void {
  assert.ok(!r.timedOut, `${what}: timed out\n${describe(r)}`);
  assert.is.not(r.code, 0, `${what}: expected a failure\n${describe(r)}`);
  assert.match(r.stderr, AUTH_FAILURE, `${what}: expected the registry's auth error\n${describe(r)}`);
  assert.not.match(
    r.stderr,
    HELPER_FAILURE,
    `${what}: the helper failed instead of answering not-found\n${describe(r)}`,
  );
}
/** Tags the registry holds for `repo`, asked with the real password (independent of any client). */
async function registryTags(repo: string): Promise<string[]> {
  const res = await fetch(`http://${registry!.host}/v2/${repo}/tags/list`, {
    headers: { Authorization: `Basic ${Buffer.from(`${USER}:${PASSWORD}`).toString('base64')}` },
  });
  assert.is(res.status, 200, `tags/list ${repo}`);
  return ((await res.json()) as { tags: string[] }).tags.sort();
}
function assertNoPasswordIn(path: string): void {
  const text = readFileSync(path, 'utf8');
  assert.not.ok(
    text.includes(PASSWORD) || text.includes(Buffer.from(`${USER}:${PASSWORD}`).toString('base64')),
    `${path} holds the password:\n${text}`,
  );
}

test('lanyard login + configure: the registry routes to lanyard, config.json holds no password', async () => {
  const r = await login(sb.env, registry!.host, USER, PASSWORD);
  assert.is(r.code, 0, describe(r));
  const c = await runHelper(['configure'], { env: sb.env });
  assert.is(c.code, 0, describe(c));
  assert.equal(JSON.parse(readFileSync(dockerConfig, 'utf8')), { credHelpers: { [registry!.host]: 'lanyard' } });
  assertNoPasswordIn(dockerConfig);
});

toolTest('podman', 'the registry refuses anonymous pulls (credentials matter)', async () => {
  const empty = join(sb.root, 'empty-auth.json');
  writeFileSync(empty, '{}\n');
  const storage = tools.storage('podman-anon');
  const r = await tools.podman(
    storage,
    ['pull', '--tls-verify=false', '--signature-policy', tools.policy, `${registry!.host}/team/none:1`],
    { env: { REGISTRY_AUTH_FILE: empty, DOCKER_CONFIG: sb.dir('no-docker-config') } },
  );
  authFailure(r, 'anonymous podman pull');
});

toolTest(
  'podman',
  "podman pushes with lanyard's credentials and pulls the image back into a fresh storage",
  async () => {
    const { pushedId, pulledId } = await pushAndPullBack(tools, 'podman', image, registry!.host, 'team/podman');
    assert.equal(await registryTags('team/podman'), ['1'], 'the registry has the tag');
    assert.is(pulledId, pushedId, 'same image ID (config digest) after the round trip');
  },
);

toolTest(
  'buildah',
  "buildah pushes with lanyard's credentials and pulls the image back into a fresh storage",
  async () => {
    const { pushedId, pulledId, pullStorage } = await pushAndPullBack(
      tools,
      'buildah',
      image,
      registry!.host,
      'team/buildah',
    );
    assert.equal(await registryTags('team/buildah'), ['1'], 'the registry has the tag');
    assert.is(pulledId, pushedId, 'same image ID after the round trip');
    const from = await tools.buildah(pullStorage, [
      'from',
      '--tls-verify=false',
      '--signature-policy',
      tools.policy,
      '--pull=always',
      `${registry!.host}/team/buildah:1`,
    ]);
    clientOk(from, 'buildah from --pull=always (asks the registry again)');
  },
);

test('[skopeo] finds lanyard through $DOCKER_CONFIG/config.json alone (no --authfile), copies the image', async () => {
  const policy = join(sb.root, 'skopeo-policy.json');
  writeFileSync(policy, JSON.stringify({ default: [{ type: 'insecureAcceptAnything' }] }));
  const env = { ...sb.env, CONTAINERS_REGISTRIES_CONF: tools.registriesConf };
  const push = await run(
    'skopeo',
    ['--policy', policy, 'copy', '--dest-tls-verify=false', image.ref, `docker://${registry!.host}/team/skopeo:1`],
    { env, timeoutMs: 60_000 },
  );
  clientOk(push, 'skopeo copy to the registry');
  const out = sb.dir('skopeo-back');
  const pull = await run(
    'skopeo',
    [
      '--policy',
      policy,
      'copy',
      '--src-tls-verify=false',
      `docker://${registry!.host}/team/skopeo:1`,
      `oci:${out}:back`,
    ],
    { env, timeoutMs: 60_000 },
  );
  clientOk(pull, 'skopeo copy from the registry');
  assert.is(ociDigest(out, 'back'), image.digest, 'same manifest digest');
});

toolTest(
  'podman',
  'the credentials really come from lanyard: after `logout`, podman gets not-found and the registry refuses',
  async () => {
    const r = await runHelper(['logout', registry!.host], { env: sb.env });
    assert.is(r.code, 0, describe(r));
    assertNotFound(await get(sb.env, registry!.host), 'get after logout');
    const fresh = tools.storage('podman-after-logout');
    authFailure(
      await tools.podman(fresh, [
        'pull',
        '--tls-verify=false',
        '--signature-policy',
        tools.policy,
        `${registry!.host}/team/podman:1`,
      ]),
      'podman pull after logout',
    );
    const again = await login(sb.env, registry!.host, USER, PASSWORD);
    assert.is(again.code, 0, describe(again));
    clientOk(
      await tools.podman(fresh, [
        'pull',
        '--tls-verify=false',
        '--signature-policy',
        tools.policy,
        `${registry!.host}/team/podman:1`,
      ]),
      'podman pull after login again',
    );
  },
);

test.run();
