// podman and buildah as real clients of lanyard, fully sandboxed: images in a private storage root
// (vfs driver, so no overlay mounts are needed as root inside a container), libpod state, events and
// network config inside the sandbox, a permissive signature policy and a registries.conf without
// search registries. Credentials come only from what containers/image finds in the sandbox's auth
// files (DOCKER_CONFIG / XDG_RUNTIME_DIR / XDG_CONFIG_HOME), i.e. from lanyard through credHelpers.
//
// podman can also decide it cannot run here (no user namespaces, no storage): `containersToolProblem`
// answers with the exact error so a test file can register a skipped test that says why.
import { cpSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { Sandbox } from './sandbox.js';
import { run, describe, type RunResult } from './run.js';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { fileStoreSandbox } from './exchange-env.js';
import type { OciImage } from './image.js';

export type Tool = 'podman' | 'buildah';

export interface ContainersStorage {
  /** Storage root (images), run root, podman's libpod tmpdir, and a storage.conf naming them. */
  root: string;
  runroot: string;
  tmpdir: string;
  conf: string;
}

export interface ContainersClients {
  /** A short, lower-case directory outside the sandbox (podman refuses a runroot over 50 characters). */
  shortDir: string;
  /**
   * `oci:<layout>:<tag>` for a copy of the layout at a lower-case path: podman and buildah name an image
   * pulled from `oci:` after its path, and a repository name must be lower case (mkdtemp's is not).
   */
  ociRef(layout: string, tag: string): string;
  /** Removes shortDir (the sandbox holds the rest). */
  cleanup(): void;
  /** Files the tools are pointed at. */
  policy: string;
  registriesConf: string;
  /** A fresh storage (each pull into a new one really downloads every blob). */
  storage(name: string): ContainersStorage;
  podman(
    storage: ContainersStorage,
    args: string[],
    opts?: { env?: NodeJS.ProcessEnv; stdin?: string; timeoutMs?: number },
  ): Promise<RunResult>;
  buildah(
    storage: ContainersStorage,
    args: string[],
    opts?: { env?: NodeJS.ProcessEnv; stdin?: string; timeoutMs?: number },
  ): Promise<RunResult>;
}

/** Sets up podman/buildah for `sb`; `env` (default sb.env) is what the tools and so the helper run with. */
export function containersClients(sb: Sandbox, env: NodeJS.ProcessEnv = sb.env): ContainersClients {
  const policy = join(sb.root, 'containers-policy.json');
  writeFileSync(policy, JSON.stringify({ default: [{ type: 'insecureAcceptAnything' }] }));
  const registriesConf = join(sb.root, 'containers-registries.conf');
  writeFileSync(registriesConf, 'unqualified-search-registries = []\nshort-name-mode = "disabled"\n');
  const networkDir = sb.dir('containers-networks');
  const containersConf = join(sb.root, 'containers.conf');
  writeFileSync(containersConf, '# sandbox: no system containers.conf\n');
  const toolEnv = (s: ContainersStorage, extra?: NodeJS.ProcessEnv): NodeJS.ProcessEnv => ({
    ...env,
    ...extra,
    CONTAINERS_REGISTRIES_CONF: registriesConf,
    // not the system's /etc/containers/{storage,containers}.conf
    CONTAINERS_STORAGE_CONF: s.conf,
    CONTAINERS_CONF: containersConf,
  });
  const shortDir = join(tmpdir(), `lanyard-${randomBytes(4).toString('hex')}`);
  mkdirSync(shortDir, { recursive: true });
  let n = 0;
  return {
    shortDir,
    ociRef(layout, tag) {
      const copy = join(shortDir, `oci-${randomBytes(3).toString('hex')}`);
      cpSync(layout, copy, { recursive: true });
      return `oci:${copy}:${tag}`;
    },
    cleanup: () => rmSync(shortDir, { recursive: true, force: true }),
    policy,
    registriesConf,
    storage(name) {
      n += 1;
      const base = `storage-${name}-${n}`;
      const runroot = join(shortDir, `run${n}`);
      mkdirSync(runroot, { recursive: true });
      const storage = {
        root: sb.dir(`${base}/root`),
        runroot,
        tmpdir: sb.dir(`${base}/tmp`),
        conf: join(sb.root, base, 'storage.conf'),
      };
      writeFileSync(
        storage.conf,
        `[storage]\ndriver = "vfs"\ngraphroot = "${storage.root}"\nrunroot = "${storage.runroot}"\n`,
      );
      return storage;
    },
    podman(s, args, opts = {}) {
      const global = [
        '--root',
        s.root,
        '--runroot',
        s.runroot,
        '--storage-driver',
        'vfs',
        '--tmpdir',
        s.tmpdir,
        '--events-backend',
        'none',
        '--cgroup-manager',
        'cgroupfs',
        '--network-config-dir',
        networkDir,
      ];
      return run('podman', [...global, ...args], {
        env: toolEnv(s, opts.env),
        stdin: opts.stdin,
        timeoutMs: opts.timeoutMs ?? 60_000,
      });
    },
    buildah(s, args, opts = {}) {
      const global = [
        '--root',
        s.root,
        '--runroot',
        s.runroot,
        '--storage-driver',
        'vfs',
        '--registries-conf',
        registriesConf,
      ];
      return run('buildah', [...global, ...args], {
        env: toolEnv(s, opts.env),
        stdin: opts.stdin,
        timeoutMs: opts.timeoutMs ?? 60_000,
      });
    },
  };
}

/**
 * Why `tool` cannot be used here (undefined when it can): not installed, or it cannot even list the
 * images of an empty sandboxed storage. The answer quotes the tool's own error.
 */
export async function containersToolProblem(sb: Sandbox, tool: Tool): Promise<string | undefined> {
  const clients = containersClients(sb);
  const storage = clients.storage(`probe-${tool}`);
  let r: RunResult;
  try {
    r =
      tool === 'podman'
        ? await clients.podman(storage, ['images'], { timeoutMs: 30_000 })
        : await clients.buildah(storage, ['images'], { timeoutMs: 30_000 });
  } catch (error) {
    return `${tool} is not installed (${(error as Error).message}); apt-get install ${tool}`;
  } finally {
    clients.cleanup();
  }
  if (r.code !== 0) return `\`${tool} images\` on a vfs storage in the sandbox fails: ${describe(r)}`;
  return undefined;
}

/** The image ID (config digest, hex) that `podman pull`/`buildah pull` print as their last stdout line. */
export function pulledImageId(r: RunResult): string {
  const lines = r.stdout.trim().split('\n');
  return lines[lines.length - 1]!.trim();
}

export const AUTH_FAILURE = /unauthorized|authentication required|invalid username\/password/i;
/** containers/image's wording when the credential helper itself failed (not a plain not-found). */
export const HELPER_FAILURE =
  /errors? looking up credentials|getting username and password|error getting credentials|credential helper/i;

/** A client step that must succeed. */
export function clientOk(r: RunResult, what: string): void {
  assert.ok(!r.timedOut, `${what}: timed out\n${describe(r)}`);
  assert.is(r.code, 0, `${what} failed\n${describe(r)}`);
}

export type ToolTest = (tool: Tool, name: string, fn: () => Promise<void>) => void;

/**
 * Probes podman and buildah once, before any test is registered, and returns a `test`
 * that registers a tool's test, or skips it with the reason in its name when the tool
 * cannot run here, and the tools that can.
 */
export async function toolTests(label: string): Promise<{ toolTest: ToolTest; runnableTools: Tool[] }> {
  const probe = fileStoreSandbox(`${label}-probe`);
  const problems: Record<Tool, string | undefined> = {
    podman: await containersToolProblem(probe, 'podman'),
    buildah: await containersToolProblem(probe, 'buildah'),
  };
  probe.cleanup();
  for (const [tool, problem] of Object.entries(problems))
    if (problem) console.log(`[${label}] ${tool} cannot run here, its tests are skipped: ${problem}`);
  const toolTest: ToolTest = (tool, name, fn) => {
    const problem = problems[tool];
    if (problem) test.skip(`[${tool}] ${name} — cannot run here: ${problem}`, fn);
    else test(`[${tool}] ${name}`, fn);
  };
  return { toolTest, runnableTools: (Object.keys(problems) as Tool[]).filter((tool) => !problems[tool]) };
}

/**
 * Loads the local OCI image into a fresh storage, pushes it to `host/repo:1` with the
 * tool, and pulls it back into another fresh storage; every step must succeed.
 */
export async function pushAndPullBack(
  tools: ContainersClients,
  tool: Tool,
  image: OciImage,
  host: string,
  repo: string,
): Promise<{ pushedId: string; pulledId: string; pullStorage: ContainersStorage }> {
  const client = (storage: ContainersStorage, args: string[]) =>
    tool === 'podman' ? tools.podman(storage, args) : tools.buildah(storage, args);
  const local = tools.storage(`${tool}-push`);
  const loaded = await client(local, [
    'pull',
    '--signature-policy',
    tools.policy,
    tools.ociRef(image.layout, image.tag),
  ]);
  clientOk(loaded, `${tool} pull oci:`);
  const pushedId = pulledImageId(loaded);
  const ref = `${host}/${repo}:1`;
  if (tool === 'podman') {
    clientOk(await client(local, ['tag', pushedId, ref]), 'podman tag');
    clientOk(await client(local, ['push', '--tls-verify=false', ref]), 'podman push');
  } else {
    clientOk(
      await client(local, [
        'push',
        '--tls-verify=false',
        '--signature-policy',
        tools.policy,
        pushedId,
        `docker://${ref}`,
      ]),
      'buildah push',
    );
  }
  const pullStorage = tools.storage(`${tool}-pull`);
  const pulled = await client(pullStorage, ['pull', '--tls-verify=false', '--signature-policy', tools.policy, ref]);
  clientOk(pulled, `${tool} pull`);
  return { pushedId, pulledId: pulledImageId(pulled), pullStorage };
}
