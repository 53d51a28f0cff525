// `doctor` and `doctor --json`: on a healthy setup (binary on PATH, configured, an API-key entry that
// exchanges with the IAM stand-in, file store 0600) no check fails and it exits 0. Then one thing is broken
// at a time — revoked IAM key, missing credHelpers, a shadowing `auths` entry in containers' auth.json,
// secrets.json chmod 644, the binary not on PATH — and each gives a finding with a fix; failures exit 1.
// An IAM endpoint that cannot be reached (or a CA bundle the TLS stack rejects) is one FAIL line saying so,
// never an "internal error".
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { chmodSync, copyFileSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import * as iamFixture from '../fixtures/iam.js';
import type { Sandbox } from './support/sandbox.js';
import { BIN, DIST_BIN, LANYARD_BIN } from './support/paths.js';
import { runHelper } from './support/helper.js';
import { describe, type RunResult } from './support/run.js';
import { fileStoreSandbox, loginIam, loginOk } from './support/exchange-env.js';
import { freePort } from './support/port.js';

const APIKEY = `doctor-key-${randomBytes(16).toString('hex')}`;
const ICR = 'us.icr.io';
const STATIC = 'registry.example.test:5000';

interface Finding {
  check: string;
  status: 'ok' | 'warn' | 'fail';
  message: string;
  fix?: string;
  ms?: number;
}

let sb: Sandbox;
let iam: iamFixture.IamHandle | undefined;
let dockerConfig: string;

test.before(async () => {
  try {
    sb = fileStoreSandbox('doctor');
    sb.env.DOCKER_CONFIG = sb.dir('docker-config');
    dockerConfig = join(sb.env.DOCKER_CONFIG, 'config.json');
    iam = await iamFixture.start({ apikeys: [APIKEY] });
    await loginIam(sb.env, ICR, APIKEY, iam.url);
    await loginOk(sb.env, STATIC, 'bob', 'pw');
    const c = await runHelper(['configure'], { env: sb.env });
    if (c.code !== 0) throw new Error(`configure failed\n${describe(c)}`);
  } catch (error) {
    console.error('[doctor] setup failed:', error);
    throw error;
  }
});

test.after(async () => {
  try {
    await iam?.stop();
  } catch (error) {
    console.error('[doctor] iam stop:', error);
  }
  sb?.cleanup();
});

const doctor = (args: string[] = [], env: NodeJS.ProcessEnv = sb.env) =>
  runHelper(['doctor', ...args], { env, timeoutMs: 30_000 });

function findings(r: RunResult, what: string): Finding[] {
  assert.ok(!r.timedOut, `${what}: timed out\n${describe(r)}`);
  let parsed: Finding[] | undefined;
  try {
    parsed = JSON.parse(r.stdout) as Finding[];
  } catch {
    assert.unreachable(`${what}: doctor --json stdout is not JSON\n${describe(r)}`);
  }
  assert.ok(Array.isArray(parsed), `${what}: an array of findings`);
  for (const f of parsed!) {
    assert.ok(
      typeof f.check === 'string' && ['ok', 'warn', 'fail'].includes(f.status) && typeof f.message === 'string',
      `${what}: finding shape ${JSON.stringify(f)}`,
    );
  }
  return parsed!;
}
const show = (fs: Finding[]) =>
  fs.map((f) => `${f.status} [${f.check}] ${f.message}${f.fix ? ` (fix: ${f.fix})` : ''}`).join('\n');
function exitsFor(r: RunResult, fs: Finding[], what: string): void {
  const failed = fs.filter((f) => f.status === 'fail').length;
  assert.is(
    r.code,
    failed ? 1 : 0,
    `${what}: exit ${failed ? 1 : 0} with ${failed} failures\n${show(fs)}\n${describe(r)}`,
  );
}
/** The one finding (of `status`) that matches; asserts it has a fix. */
function brokenFinding(
  fs: Finding[],
  status: 'warn' | 'fail',
  check: string,
  message: RegExp,
  fix: RegExp,
  what: string,
): Finding {
  const found = fs.find((f) => f.status === status && f.check === check && message.test(f.message));
  assert.ok(found, `${what}: expected a ${status} finding [${check}] matching ${message}\n${show(fs)}`);
  assert.ok(
    found!.fix && fix.test(found!.fix),
    `${what}: the finding needs a \`fix\` matching ${fix} (doctor prints it as "fix:", --json as .fix), ` +
      `got ${JSON.stringify(found!.fix)}${found!.fix ? '' : ' (any remedy is only inside .message)'}\n${show(fs)}`,
  );
  return found!;
}
function noFailures(fs: Finding[], what: string): void {
  assert.equal(
    fs.filter((f) => f.status === 'fail'),
    [],
    `${what}: no check may fail\n${show(fs)}`,
  );
}

test('healthy setup: doctor prints one line per check, no FAIL, exit 0', async () => {
  const r = await doctor();
  assert.is(r.code, 0, `doctor exit 0\n${describe(r)}`);
  assert.not.match(r.stdout, /^FAIL/m, r.stdout);
  assert.match(
    r.stdout,
    new RegExp(
      `^ok +clients will run ${DIST_BIN.replace(/[.]/g, '\\.')}/docker-credential-lanyard \\(the native front`,
      'm',
    ),
    r.stdout,
  );
  assert.match(r.stdout, /^ok +.*sends every mapped registry to lanyard/m);
  assert.match(r.stdout, /^ok +.*secrets\.json \(0600\)/m);
  assert.match(
    r.stdout,
    new RegExp(`^ok +${ICR.replace(/\./g, '\\.')}: exchange succeeded \\(iambearer, valid 60 min\\)`, 'm'),
    r.stdout,
  );
  assert.not.ok(r.stdout.includes(APIKEY) || r.stderr.includes(APIKEY), 'the API key is printed');
});

test('healthy setup: doctor --json has the same checks, none failed, exit 0', async () => {
  const r = await doctor(['--json']);
  const fs = findings(r, 'doctor --json');
  noFailures(fs, 'healthy');
  exitsFor(r, fs, 'healthy');
  const checks = new Set(fs.filter((f) => f.status === 'ok').map((f) => f.check));
  for (const check of ['binary on PATH', 'docker config', 'file store', 'secret', 'exchange'])
    assert.ok(checks.has(check), `an ok [${check}] finding\n${show(fs)}`);
  assert.ok(
    fs.some((f) => f.check === 'clock' && f.status === 'ok'),
    `the clock is compared with the IAM token\n${show(fs)}`,
  );
  assert.is(r.stderr, '');
});

test('revoked IAM key: a failed exchange finding that says what to do; exit 1', async () => {
  iam!.revokeKey(APIKEY);
  try {
    const r = await doctor(['--json']);
    const fs = findings(r, 'revoked');
    const f = brokenFinding(
      fs,
      'fail',
      'exchange',
      new RegExp(`^${ICR.replace(/\./g, '\\.')}: .*(BXNIM0415E|revoked|could not be found)`),
      /log in|login|API key/i,
      'revoked key',
    );
    assert.not.ok(JSON.stringify(f).includes(APIKEY), 'the key is not printed');
    exitsFor(r, fs, 'revoked');
    const text = await doctor();
    assert.is(text.code, 1, describe(text));
    assert.match(text.stdout, /^FAIL +us\.icr\.io: /m);
    assert.match(text.stderr, /1 check failed/);
  } finally {
    iam!.addKey(APIKEY);
  }
});

test('missing credHelpers: a docker config finding with `configure` as the fix (a warning: exit 0)', async () => {
  const saved = readFileSync(dockerConfig, 'utf8');
  writeFileSync(dockerConfig, '{\n\t"credHelpers": {\n\t\t"gcr.io": "gcloud"\n\t}\n}\n');
  try {
    const r = await doctor(['--json']);
    const fs = findings(r, 'missing credHelpers');
    const f = brokenFinding(
      fs,
      'warn',
      'docker config',
      /does not send/,
      /docker-credential-lanyard configure/,
      'missing credHelpers',
    );
    assert.ok(f.message.includes(ICR) && f.message.includes(STATIC), `names the registries: ${f.message}`);
    noFailures(fs, 'missing credHelpers');
    exitsFor(r, fs, 'missing credHelpers');
  } finally {
    writeFileSync(dockerConfig, saved);
  }
});

test('a shadowing auths entry in $XDG_RUNTIME_DIR/containers/auth.json: a finding with `configure --fix`', async () => {
  // podman reads this file before docker's config.json: its auths entry wins over lanyard's credHelpers
  const authFile = join(sb.runtimeDir, 'containers', 'auth.json');
  mkdirSync(dirname(authFile), { recursive: true });
  writeFileSync(
    authFile,
    JSON.stringify({ auths: { [STATIC]: { auth: Buffer.from('old:stale-password').toString('base64') } } }),
    { mode: 0o600 },
  );
  try {
    const r = await doctor(['--json']);
    const fs = findings(r, 'shadowing');
    const f = brokenFinding(
      fs,
      'warn',
      'shadowing login',
      new RegExp(`${authFile.replace(/[.]/g, '\\.')}.*${STATIC.replace(/[.]/g, '\\.')}`),
      /configure --fix/,
      'shadowing auths entry',
    );
    assert.not.ok(f.message.includes('stale-password'), 'the secret is not printed');
    exitsFor(r, fs, 'shadowing');
  } finally {
    rmSync(authFile, { force: true });
  }
});

test('secrets.json chmod 644: a failed file store finding with `chmod 600`; exit 1', async () => {
  chmodSync(sb.secretsFile, 0o644);
  try {
    const r = await doctor(['--json']);
    const fs = findings(r, 'chmod 644');
    brokenFinding(
      fs,
      'fail',
      'file store',
      /mode 644/,
      new RegExp(`chmod 600 ${sb.secretsFile.replace(/[.]/g, '\\.')}`),
      'file store mode',
    );
    exitsFor(r, fs, 'chmod 644');
  } finally {
    chmodSync(sb.secretsFile, 0o600);
  }
});

test('binary not on PATH: a failed finding with an install command; exit 1', async () => {
  const env = { ...sb.env, PATH: '/usr/local/bin:/usr/bin:/bin' };
  const r = await doctor(['--json'], env);
  const fs = findings(r, 'not on PATH');
  brokenFinding(
    fs,
    'fail',
    'binary on PATH',
    /no docker-credential-lanyard on PATH/,
    /install .*docker-credential-lanyard/,
    'not on PATH',
  );
  exitsFor(r, fs, 'not on PATH');
});

test('the native front on PATH with no lanyard beside it, or one of another version: failed; exit 1', async () => {
  const dir = sb.dir('lone-front');
  const front = join(dir, 'docker-credential-lanyard');
  copyFileSync(BIN, front);
  chmodSync(front, 0o755);
  const env = { ...sb.env, PATH: `${dir}:/usr/bin:/bin` }; // doctor itself runs through the tests' pair
  let fs = findings(await doctor(['--json'], env), 'lone front');
  brokenFinding(fs, 'fail', 'binary on PATH', /native front, and there is no lanyard beside it/, /pair/, 'lone');
  // The same front stamped as another release's, its lanyard beside it.
  const stamp = /lanyard-front-version=[0-9A-Za-z.+~-]{1,40};/; // as doctor/front-pair.ts reads it
  const bytes = readFileSync(front).toString('latin1');
  const found = stamp.exec(bytes)?.[0] ?? '';
  assert.ok(found, 'the build stamps the front');
  const other = `lanyard-front-version=${'9'.repeat(found.length - 'lanyard-front-version=;'.length)};`;
  writeFileSync(front, Buffer.from(bytes.replace(found, other), 'latin1'));
  symlinkSync(LANYARD_BIN, join(dir, 'lanyard'));
  const r = await doctor(['--json'], env);
  fs = findings(r, 'front of another version');
  brokenFinding(fs, 'fail', 'binary on PATH', /the front .* is from lanyard 9+, .* is \S+/, /pair/, 'versions');
  exitsFor(r, fs, 'front of another version');
  rmSync(dir, { recursive: true, force: true });
});

/** Logs `server` in against `endpoint`, runs doctor, and returns its exchange line for `server`; logs out after. */
/**
 * A key kept as `store` keeps it (`login` would check it with IAM, and refuse what these tests break), with the
 * IAM endpoint and CA bundle a login sets written into its mapping entry: a login whose IAM went away, or whose
 * bundle was replaced, after it was made.
 */
async function exchangeLine(server: string, endpoint: string, options: Record<string, string> = {}): Promise<string> {
  const stored = await runHelper(['store'], {
    env: sb.env,
    stdin: JSON.stringify({ ServerURL: server, Username: 'iamapikey', Secret: APIKEY }),
  });
  assert.is(stored.code, 0, describe(stored));
  const mapping = JSON.parse(readFileSync(sb.mappingFile, 'utf8')) as { entries: Array<Record<string, unknown>> };
  const entry = mapping.entries.find((e) => e.server === server)!;
  entry.options = { iamEndpoint: endpoint, ...options };
  writeFileSync(sb.mappingFile, JSON.stringify(mapping), { mode: 0o600 });
  try {
    const r = await doctor();
    assert.is(r.code, 1, `a failed exchange exits 1\n${describe(r)}`);
    assert.not.match(r.stdout + r.stderr, /internal error/, describe(r));
    const line = r.stdout.split('\n').find((l) => l.includes(`${server}: `) && !l.includes('secret readable'));
    assert.ok(line, `an exchange line for ${server}\n${r.stdout}`);
    return line!;
  } finally {
    const logout = await runHelper(['logout', server], { env: sb.env });
    assert.is(logout.code, 0, describe(logout));
  }
}

test('an unreachable IAM endpoint: FAIL <server>: cannot reach …; no internal error', async () => {
  const endpoint = `http://127.0.0.1:${await freePort()}`;
  const line = await exchangeLine('down.doctor.test', endpoint);
  assert.match(
    line,
    new RegExp(`^FAIL +down\\.doctor\\.test: cannot reach ${endpoint.replace(/[.]/g, '\\.')}: \\S`),
    line,
  );
  const fs = findings(await doctor(['--json']), 'healthy again after logout');
  noFailures(fs, 'after logout');
});

test('a CA bundle the TLS stack rejects: FAIL <server> naming the bundle; no internal error', async () => {
  const bundle = join(sb.dir('bad-ca'), 'garbage.pem');
  writeFileSync(bundle, '-----BEGIN CERTIFICATE-----\nZ2FyYmFnZQ==\n-----END CERTIFICATE-----\n');
  const endpoint = `https://127.0.0.1:${await freePort()}`;
  const line = await exchangeLine('bad-ca.doctor.test', endpoint, { caFile: bundle });
  // Bun refuses the bundle before connecting; Node tries to connect first. Either way, one line naming the endpoint.
  assert.match(
    line,
    new RegExp(`^FAIL +bad-ca\\.doctor\\.test: cannot (send a request to|reach) ${endpoint.replace(/[.]/g, '\\.')}: `),
    line,
  );
});

test('everything repaired: healthy again', async () => {
  const r = await doctor(['--json']);
  const fs = findings(r, 'repaired');
  noFailures(fs, 'repaired');
  assert.not.ok(
    fs.some((f) => f.check === 'shadowing login'),
    show(fs),
  );
  exitsFor(r, fs, 'repaired');
});

test.run();
