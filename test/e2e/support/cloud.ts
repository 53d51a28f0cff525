// Set-up and checks shared by the cloud e2e files (cloud-*.test.ts, sources*.test.ts): a token registry that
// accepts what a cloud stand-in vouches for, a skopeo policy and skopeo's push-and-inspect, the kubelet, export
// and `ls --json` answers parsed, and the Docker Engine's push-and-pull-back.
import * as assert from 'uvu/assert';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as registryFixture from '../../fixtures/token-registry.js';
import { clientOk } from './clients-containers.js';
import { dockerCli, imageId, importTinyImage } from './docker-engine.js';
import { runHelper } from './helper.js';
import { buildImage, type OciImage } from './image.js';
import type { Sandbox } from './sandbox.js';
import { writeAuthFile } from './client-config.js';
import { describe, run, type RunResult } from './run.js';

export type Login = { username: string; password: string };

/** A real token registry whose logins `registryLogin` (a cloud stand-in's) decides; each is pushed to `presented`. */
export function startCloudRegistry(
  registryLogin: registryFixture.RegistryLoginValidator,
  presented: Login[],
): Promise<registryFixture.TokenRegistryHandle> {
  return registryFixture.start({
    validators: [
      (username, password) => {
        presented.push({ username, password });
        return registryLogin(username, password);
      },
    ],
  });
}

/** The distinct subjects (`subjectOf` each login) the registry was asked about while `action` ran. */
export async function subjectsPresentedDuring(
  presented: Login[],
  subjectOf: (login: Login) => string | null,
  action: () => Promise<void>,
): Promise<Array<string | null>> {
  const before = presented.length;
  await action();
  return [...new Set(presented.slice(before).map(subjectOf))];
}

/** A containers signature policy in `dir` that accepts any image (the test registry signs nothing). */
export function writeAcceptAnythingPolicy(dir: string): string {
  const policy = join(dir, 'policy.json');
  writeFileSync(policy, JSON.stringify({ default: [{ type: 'insecureAcceptAnything' }] }));
  return policy;
}

/** `ls --json`, parsed. */
export async function lsEntries(env: NodeJS.ProcessEnv): Promise<Array<Record<string, string>>> {
  const r = await runHelper(['ls', '--json'], { env });
  assert.is(r.code, 0, describe(r));
  return JSON.parse(r.stdout) as Array<Record<string, string>>;
}

/** `kubelet` asked for `image`: the login its CredentialProviderResponse gives for `host`. */
export async function kubeletLogin(
  env: NodeJS.ProcessEnv,
  image: string,
  host: string,
): Promise<{ run: RunResult; login: Login | undefined }> {
  const stdin = JSON.stringify({
    apiVersion: 'credentialprovider.kubelet.k8s.io/v1',
    kind: 'CredentialProviderRequest',
    image,
  });
  const r = await runHelper(['kubelet'], { env, stdin, timeoutMs: 20_000 });
  assert.is(r.code, 0, `kubelet\n${describe(r)}`);
  return { run: r, login: (JSON.parse(r.stdout) as { auth: Record<string, Login> }).auth[host] };
}

/** `export --registry host` (with `extra` options): the login of its auths for `host`. */
export async function exportedLogin(
  env: NodeJS.ProcessEnv,
  host: string,
  extra: string[] = [],
): Promise<{ run: RunResult; login: Login | undefined }> {
  const r = await runHelper(['export', ...extra, '--registry', host], { env, timeoutMs: 20_000 });
  assert.is(r.code, 0, `export\n${describe(r)}`);
  return { run: r, login: (JSON.parse(r.stdout) as { auths: Record<string, Login> }).auths[host] };
}

/** The real Docker Engine pushes a tiny image as `ref`, forgets it, and pulls the same image back. */
export async function assertEngineRoundTrip(env: NodeJS.ProcessEnv, workDir: string, ref: string): Promise<void> {
  const pushedId = await importTinyImage(env, workDir, ref);
  clientOk(await dockerCli(env, ['push', ref]), 'docker push');
  clientOk(await dockerCli(env, ['rmi', ref]), 'docker rmi');
  assert.is(await imageId(env, ref), '', 'gone before the pull');
  clientOk(await dockerCli(env, ['pull', ref]), 'docker pull');
  assert.is(await imageId(env, ref), pushedId, 'the same image came back');
}

/** Where skopeo pushes: the registry host, its auth file (credHelpers to lanyard), the policy, the image. */
export interface SkopeoTarget {
  host: string;
  authFile: string;
  policy: string;
  image: OciImage;
}

/** Everything skopeo needs to push to `host` from the sandbox: a tiny image, an auth file, a policy. */
export async function skopeoTarget(sb: Sandbox, host: string): Promise<SkopeoTarget> {
  const image = await buildImage(sb);
  return {
    host,
    authFile: writeAuthFile(join(sb.root, 'auth.json'), [host]),
    policy: writeAcceptAnythingPolicy(sb.root),
    image,
  };
}

/** skopeo pushes the image as team/app:`tag` and inspects it back (same digest), its helper answering from `env`. */
export async function skopeoRoundTrip(env: NodeJS.ProcessEnv, target: SkopeoTarget, tag: string): Promise<void> {
  const skopeo = (args: string[]) => run('skopeo', ['--policy', target.policy, ...args], { env, timeoutMs: 60_000 });
  const ref = `docker://${target.host}/team/app:${tag}`;
  const push = await skopeo(['copy', '--authfile', target.authFile, '--dest-tls-verify=false', target.image.ref, ref]);
  assert.is(push.code, 0, `push\n${describe(push)}`);
  const inspect = await skopeo(['inspect', '--authfile', target.authFile, '--tls-verify=false', ref]);
  assert.is(inspect.code, 0, `inspect\n${describe(inspect)}`);
  assert.is((JSON.parse(inspect.stdout) as { Digest: string }).Digest, target.image.digest);
}
