// `login --ca-file` for IBM Cloud IAM behind a private CA (a TLS-inspecting proxy, a private endpoint): the
// IAM stand-in serves HTTPS on 127.0.0.1 with a certificate from a throwaway CA made by openssl. The right
// bundle works, a wrong one fails in one line that names the cause, a missing file is refused at login, and
// the compiled binary's answer to NODE_EXTRA_CA_CERTS and SSL_CERT_FILE (documented in docs/environment.md) is pinned.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import * as iamFixture from '../fixtures/iam.js';
import { issueCert, makeCa, makeTempDir, removeDir, type CertFiles } from '../fixtures/support.js';
import type { Sandbox } from './support/sandbox.js';
import { runHelper } from './support/helper.js';
import { describe, type RunResult } from './support/run.js';
import { fileStoreSandbox, forgetCachedToken, getWith, loginOk, parseCreds } from './support/exchange-env.js';

const APIKEY = `private-ca-key-${randomBytes(16).toString('hex')}`;

let certDir: string;
let ca: CertFiles;
let otherCa: CertFiles;
let iam: iamFixture.IamHandle | undefined;
const boxes: Sandbox[] = [];

test.before(async () => {
  try {
    certDir = makeTempDir('iam-ca');
    ca = makeCa(certDir, 'private-ca');
    otherCa = makeCa(certDir, 'other-ca');
    const serving = issueCert(certDir, ca, 'iam', ['subjectAltName=IP:127.0.0.1']);
    iam = await iamFixture.start({ apikeys: [APIKEY], tls: { key: serving.key, cert: serving.cert } });
  } catch (error) {
    console.error('[iam-private-ca] setup failed:', error);
    throw error;
  }
});

test.after(async () => {
  try {
    await iam?.stop();
  } catch (error) {
    console.error('[iam-private-ca] iam stop:', error);
  }
  for (const sb of boxes) sb.cleanup();
  if (certDir) removeDir(certDir);
});

/** A fresh sandbox with an ibm-iam login at the TLS stand-in (so no cached token carries over). */
async function loggedIn(label: string, extra: string[] = [], env: NodeJS.ProcessEnv = {}): Promise<Sandbox> {
  const sb = fileStoreSandbox(`iam-ca-${label}`);
  boxes.push(sb);
  Object.assign(sb.env, env);
  await loginOk(sb.env, 'us.icr.io', 'iamapikey', APIKEY, ['--iam-endpoint', iam!.url, ...extra]);
  return sb;
}

function assertOneLineFailure(r: RunResult, pattern: RegExp, what: string): void {
  assert.is(r.code, 1, `${what}: expected exit 1\n${describe(r)}`);
  assert.ok(/^[^\n]+\n$/.test(r.stdout), `${what}: expected one line on stdout\n${describe(r)}`);
  assert.match(r.stdout, pattern, `${what}\n${describe(r)}`);
}

test('login --ca-file: the IAM exchange trusts that bundle', async () => {
  const sb = await loggedIn('right', ['--ca-file', ca.certFile]);
  const creds = parseCreds(await getWith(sb.env, 'us.icr.io'), 'get through the private CA');
  assert.is(creds.Username, 'iambearer');
  assert.ok(iam!.validateToken(creds.Secret).ok, 'an IAM token from the stand-in');
});

test('without --ca-file, or with the wrong CA, login refuses the key in one line that says why', async () => {
  const sb = fileStoreSandbox('iam-ca-refused');
  boxes.push(sb);
  const noBundle = /the login for us\.icr\.io was not stored: .*--ca-file/;
  const wrongBundle = /not stored: .*the CA bundle given with --ca-file does not vouch for this server/;
  for (const [extra, pattern] of [
    [[], noBundle],
    [['--ca-file', otherCa.certFile], wrongBundle],
  ] as const) {
    const r = await runHelper(
      ['login', 'us.icr.io', '-u', 'iamapikey', '--iam-endpoint', iam!.url, ...extra, '--password-stdin'],
      {
        env: sb.env,
        stdin: APIKEY,
      },
    );
    assert.is(r.code, 1, describe(r));
    assert.ok(/^[^\n]+\n$/.test(r.stderr), `one line\n${describe(r)}`);
    assert.match(r.stderr, pattern, describe(r));
  }
  assertOneLineFailure(await getWith(sb.env, 'us.icr.io'), /credentials not found/, 'nothing stored');
});

test('a --ca-file that is missing or holds no certificate is refused at login, in one line', async () => {
  const sb = fileStoreSandbox('iam-ca-missing');
  boxes.push(sb);
  for (const [file, pattern] of [
    [join(certDir, 'nope.pem'), /cannot read the CA bundle .*nope\.pem/],
    [ca.keyFile, /the CA bundle .*private-ca\.key holds no PEM certificate/],
  ] as const) {
    const r = await runHelper(
      ['login', 'us.icr.io', '-u', 'iamapikey', '--iam-endpoint', iam!.url, '--ca-file', file, '--password-stdin'],
      { env: sb.env, stdin: APIKEY },
    );
    assert.is(r.code, 1, describe(r));
    assert.match(r.stderr, pattern, describe(r));
    assert.not.match(`${r.stdout}${r.stderr}`, /\n\s+at |internal error/, describe(r));
  }
});

test('the binary honours NODE_EXTRA_CA_CERTS and SSL_CERT_FILE (docs/environment.md says so)', async () => {
  for (const variable of ['NODE_EXTRA_CA_CERTS', 'SSL_CERT_FILE']) {
    const sb = await loggedIn(variable.toLowerCase(), [], { [variable]: ca.certFile });
    forgetCachedToken(sb, 'us.icr.io'); // the get exchanges too, not only login's check
    const r = await getWith(sb.env, 'us.icr.io');
    const creds = parseCreds(r, `get with ${variable}`);
    assert.ok(iam!.validateToken(creds.Secret).ok, `an IAM token through ${variable}`);
  }
});

test.run();
