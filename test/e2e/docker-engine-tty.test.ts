// What the person at the terminal sees when `get` fails for a real reason during `docker pull`.
//
// The docker CLI keeps a helper's answer only on success: on a failure it drops the error, pulls
// anonymously, and shows only the registry's bare `unauthorized`. So lanyard's `get` also writes
// `lanyard: <reason>` to the controlling terminal (src/protocol/terminal-notice.ts), never to stderr,
// and not at all with LANYARD_TTY=0 or without a terminal. Proven with the real docker CLI and Docker
// Engine under a pseudo-terminal made by util-linux `script`, against the token registry, after the
// IBM Cloud API key lanyard holds was revoked at IAM.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { randomBytes } from 'node:crypto';
import * as iamFixture from '../fixtures/iam.js';
import * as registryFixture from '../fixtures/token-registry.js';
import type { Sandbox } from './support/sandbox.js';
import { expireCachedToken, fileStoreSandbox, loginIam, logText } from './support/exchange-env.js';
import { get } from './support/helper.js';
import { run, describe, type RunResult } from './support/run.js';
import { clientOk } from './support/clients-containers.js';
import {
  dockerCli,
  dockerClientEnv,
  importTinyImage,
  startDockerEngine,
  type DockerEngine,
} from './support/docker-engine.js';

const APIKEY = `tty-key-${randomBytes(16).toString('hex')}`;

let engine: DockerEngine | undefined;
let iam: iamFixture.IamHandle | undefined;
let registry: registryFixture.TokenRegistryHandle | undefined;
let sb: Sandbox;
let env: NodeJS.ProcessEnv;
let ref = '';

test.before(async () => {
  try {
    engine = await startDockerEngine('tty');
    sb = fileStoreSandbox('engine-tty');
    iam = await iamFixture.start({ apikeys: [APIKEY] });
    registry = await registryFixture.start({ iam });
    ({ env } = dockerClientEnv(sb, engine, [registry.host]));
    await loginIam(env, registry.host, APIKEY, iam.url);
    // The image exists and the login worked: the later refusals are about the revoked key alone.
    ref = `${registry.host}/team/tiny:1`;
    await importTinyImage(env, sb.dir('image'), ref);
    clientOk(await dockerCli(env, ['push', ref]), 'docker push with the valid key');
    clientOk(await dockerCli(env, ['rmi', ref]), 'docker rmi');
    iam.revokeKey(APIKEY);
    expireCachedToken(sb, registry.host); // so the next get must ask IAM again
  } catch (error) {
    console.error('[docker-engine-tty] setup failed:', error);
    throw error;
  }
});

test.after(async () => {
  try {
    await engine?.stop();
  } catch (error) {
    console.error('[docker-engine-tty] engine stop:', error);
  }
  try {
    await registry?.stop();
  } catch (error) {
    console.error('[docker-engine-tty] registry stop:', error);
  }
  try {
    await iam?.stop();
  } catch (error) {
    console.error('[docker-engine-tty] iam stop:', error);
  }
  sb?.cleanup();
});

/** `docker pull` under a fresh pseudo-terminal (its controlling terminal); stdout is the terminal transcript. */
const pullOnTerminal = (extra: NodeJS.ProcessEnv = {}): Promise<RunResult> =>
  run('script', ['--quiet', '--return', '--command', `docker pull ${ref}`, '/dev/null'], {
    env: { ...env, ...extra },
    timeoutMs: 60_000,
  });

const NOTICE = () => `lanyard: cannot get a token for ${registry!.host}: `;
const DOCKER_REFUSAL = /Error response from daemon: .*unauthorized/;

function refused(r: RunResult, output: string, what: string): void {
  assert.ok(!r.timedOut, `${what}: timed out\n${describe(r)}`);
  assert.is.not(r.code, 0, `${what}: the pull must fail\n${describe(r)}`);
  assert.match(output, DOCKER_REFUSAL, `${what}: docker's own error\n${describe(r)}`);
  assert.not.ok(output.includes(APIKEY), `${what}: the API key was shown\n${describe(r)}`);
}

test('get itself fails with the revoked key (the reason the terminal must hear of)', async () => {
  const r = await get(env, registry!.host);
  assert.is(r.code, 1, describe(r));
  assert.ok(r.stdout.startsWith(`cannot get a token for ${registry!.host}: `), describe(r));
});

test("under a terminal, docker pull shows lanyard's reason above docker's bare unauthorized", async () => {
  const r = await pullOnTerminal();
  refused(r, r.stdout, 'docker pull on a terminal');
  const lines = r.stdout.split(/\r?\n/);
  const notice = lines.findIndex((line) => line.startsWith(NOTICE()));
  const refusal = lines.findIndex((line) => DOCKER_REFUSAL.test(line));
  assert.ok(notice >= 0, `the terminal shows lanyard's reason\n${describe(r)}`);
  assert.ok(notice < refusal, `lanyard's line comes before docker's error\n${describe(r)}`);
  assert.match(lines[notice]!, /log in again/, `the line says what to do\n${describe(r)}`);
});

test('LANYARD_TTY=0 keeps the terminal quiet', async () => {
  const r = await pullOnTerminal({ LANYARD_TTY: '0' });
  refused(r, r.stdout, 'docker pull on a terminal with LANYARD_TTY=0');
  assert.not.ok(r.stdout.includes('lanyard'), `nothing from lanyard\n${describe(r)}`);
});

test('without a terminal, lanyard writes nothing to stderr; the log has the reason', async () => {
  // setsid: a new session with no controlling terminal, whatever terminal runs the tests
  const r = await run('setsid', ['--wait', 'docker', 'pull', ref], { env, timeoutMs: 60_000 });
  refused(r, r.stderr, 'docker pull without a terminal');
  assert.not.ok(r.stderr.includes('lanyard') || r.stdout.includes('lanyard'), `nothing from lanyard\n${describe(r)}`);
  assert.ok(logText(sb).includes(`get ${registry!.host} failed: cannot get a token for ${registry!.host}: `), 'logged');
});

test.run();
