// Bad AWS identity input of every kind the SDKs' chain can meet, given to the compiled binary's
// `login --source auto`: malformed shared files, half a key pair, a profile named but absent, a credential_process
// that hangs, floods its output, fails or prints what the SDKs refuse, an IAM Identity Center token that expired
// or was never fetched, a container-credentials URI on a host the SDKs refuse. Each is one line on stderr naming
// what is wrong and the fix, exit 1, no stack trace, within its deadline, and nothing stored changes. Every
// endpoint is a dead loopback port: none of these may reach the network.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileStoreSandbox } from './support/exchange-env.js';
import { runHelper } from './support/helper.js';
import { freePort } from './support/port.js';
import { describe } from './support/run.js';
import type { Sandbox } from './support/sandbox.js';

let sb: Sandbox;
let credentials: string;
let config: string;

test.before(async () => {
  sb = fileStoreSandbox('aws-bad-input');
  const dead = `http://127.0.0.1:${await freePort()}`;
  credentials = join(sb.root, 'credentials');
  config = join(sb.root, 'config');
  Object.assign(sb.env, {
    AWS_SHARED_CREDENTIALS_FILE: credentials,
    AWS_CONFIG_FILE: config,
    AWS_EC2_METADATA_SERVICE_ENDPOINT: dead,
    AWS_ENDPOINT_URL: dead,
    LANYARD_AWS_CONTAINER_ENDPOINT: dead,
    AWS_REGION: 'us-west-2',
  });
  // Something stored already, which no failure below may touch.
  const stored = await runHelper(['login', 'kept.registry.test', '-u', 'someone', '--password-stdin'], {
    env: sb.env,
    stdin: 'kept-secret',
  });
  assert.is(stored.code, 0, describe(stored));
});

test.after(() => sb?.cleanup());

const files = (credentialsText: string, configText = '') => {
  writeFileSync(credentials, credentialsText, { mode: 0o600 });
  writeFileSync(config, configText, { mode: 0o600 });
};
const snapshot = () => (existsSync(sb.mappingFile) ? readFileSync(sb.mappingFile, 'utf8') : '');
const processProfile = (command: string) => files('', `[default]\ncredential_process = ${command}\n`);

/** `login --source auto` fails in one line matching `what`, quickly, and the mapping is as it was. */
async function refused(what: RegExp, env: Record<string, string> = {}, withinMs = 15_000) {
  const before = snapshot();
  const started = Date.now();
  const r = await runHelper(
    ['login', 'bad.registry.test', '--source', 'auto', '--kind', 'aws-ecr', '--region', 'us-west-2'],
    { env: { ...sb.env, ...env }, timeoutMs: 60_000 },
  );
  const took = Date.now() - started;
  assert.is(r.code, 1, describe(r));
  assert.is(r.stderr.trim().split('\n').length, 1, `one line\n${describe(r)}`);
  assert.match(r.stderr, what);
  assert.not.match(r.stderr, /\n\s+at |internal error/);
  assert.is(r.stdout, '');
  assert.ok(took < withinMs, `took ${took} ms`);
  assert.is(snapshot(), before, 'nothing stored changed');
  return r;
}

test('a shared file with a line that is not `key = value`', async () => {
  files('[default]\naws_access_key_id = AKIAIOSFODNN7EXAMPLE\nthis is not ini\n');
  await refused(/AWS shared file .*credentials cannot be read: line 3 is not `key = value`.*fix the file/);
  files('aws_access_key_id = AKIAIOSFODNN7EXAMPLE\n[default]\n');
  await refused(/line 1 comes before any \[section\]/);
});

test('half a key pair: in a shared file, in the environment', async () => {
  files('[default]\naws_access_key_id = AKIAIOSFODNN7EXAMPLE\n');
  await refused(/AWS profile "default" in .*credentials has no aws_secret_access_key: add it/);
  files('');
  await refused(/AWS_SECRET_ACCESS_KEY is not set/, { AWS_ACCESS_KEY_ID: 'AKIAIOSFODNN7EXAMPLE' });
  await refused(/AWS_ACCESS_KEY_ID is not set/, { AWS_SECRET_ACCESS_KEY: 'wJalrXUtnFEMI/K7MDENG' });
});

test('a profile that is named but absent stops auto, even before environment keys', async () => {
  files('[default]\naws_access_key_id = AKIAIOSFODNN7EXAMPLE\naws_secret_access_key = x\n');
  await refused(/no AWS profile "ghost" \(named by AWS_PROFILE\).*unset AWS_PROFILE/, { AWS_PROFILE: 'ghost' });
  const keys = { AWS_ACCESS_KEY_ID: 'AKIAIOSFODNN7EXAMPLE', AWS_SECRET_ACCESS_KEY: 'x' };
  await refused(/no AWS profile "old" \(named by AWS_DEFAULT_PROFILE\)/, { AWS_DEFAULT_PROFILE: 'old', ...keys });
});

test('web identity without a role; a role profile without a source', async () => {
  files('');
  const token = join(sb.root, 'token');
  writeFileSync(token, 'eyJhbGciOiJSUzI1NiJ9.e30.sig');
  await refused(/AWS web identity: no role: set AWS_ROLE_ARN/, { AWS_WEB_IDENTITY_TOKEN_FILE: token });
  files('', '[default]\nrole_arn = arn:aws:iam::123456789012:role/x\n');
  await refused(/has role_arn but no source_profile, credential_source or web_identity_token_file: add one/);
  files('', '[default]\nrole_arn = arn:aws:iam::123456789012:role/x\ncredential_source = Ec2\n');
  await refused(/credential_source "Ec2" is not one of Environment, Ec2InstanceMetadata, EcsContainer/);
});

test('a credential_process that hangs is killed at its deadline, with what it started', async () => {
  const pidFile = join(sb.root, 'hung.pid');
  const script = join(sb.root, 'hang.sh');
  writeFileSync(script, '#!/bin/sh\necho $$ > "$1"\nsleep 120 &\nwait\n', { mode: 0o700 });
  processProfile(`/bin/sh ${script} ${pidFile}`);
  await refused(/credential_process of AWS profile "default" did not finish within 2 s/, {
    LANYARD_AWS_PROCESS_TIMEOUT_S: '2',
  });
  const pid = Number(readFileSync(pidFile, 'utf8'));
  const alive = (() => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  })();
  assert.not.ok(alive, `the process ${pid} was stopped`);
});

test('a credential_process that prints 10 MB, exits non-zero, or prints what the SDKs refuse', async () => {
  processProfile(`/bin/sh -c "head -c 10000000 /dev/zero | tr '\\\\0' a"`);
  await refused(/credential_process of AWS profile "default" printed more than 65536 bytes/);
  processProfile(`/bin/sh -c "echo 'the token expired; run login-tool' >&2; exit 3"`);
  await refused(/exited with 3 \(the token expired; run login-tool\): fix the program or the profile/);
  processProfile(
    `/bin/echo '{"Version": 2, "AccessKeyId": "AKIAIOSFODNN7EXAMPLE", "SecretAccessKey": "s3cr3t-v4lue"}'`,
  );
  const r = await refused(/printed JSON the SDKs would refuse \(.*Version must be 1/);
  assert.not.match(r.stderr, 's3cr3t-v4lue');
  processProfile('/bin/echo not json');
  await refused(/printed something that is not JSON/);
  processProfile('/nonexistent/get-keys --profile x');
  await refused(/could not start "\/nonexistent\/get-keys": no such program/);
  processProfile('"unclosed');
  await refused(/cannot be split into words \(a " quote is not closed\)/);
});

test('IAM Identity Center: an expired cached token, and none at all, each say to run aws sso login', async () => {
  files(
    '',
    '[default]\nsso_session = corp\nsso_account_id = 123456789012\nsso_role_name = Dev\n' +
      '[sso-session corp]\nsso_start_url = https://corp.awsapps.com/start\nsso_region = us-west-2\n',
  );
  await refused(/no IAM Identity Center token in .*: run `aws sso login --sso-session corp`/);
  const cache = join(sb.home, '.aws', 'sso', 'cache');
  mkdirSync(cache, { recursive: true });
  const file = join(cache, `${createHash('sha1').update('corp').digest('hex')}.json`);
  const expired = { accessToken: 'aoaExpiredToken0123', expiresAt: '2020-01-01T00:00:00Z', region: 'us-west-2' };
  writeFileSync(file, JSON.stringify(expired));
  await refused(/the IAM Identity Center token expired at 2020-01-01T00:00:00.*run `aws sso login --sso-session corp`/);
  writeFileSync(file, '{"accessToken": ');
  await refused(/is not the JSON `aws sso login` writes: run `aws sso login/);
});

test('a container-credentials URI on a host the SDKs refuse names the variable', async () => {
  files('');
  const r = await refused(
    /AWS_CONTAINER_CREDENTIALS_FULL_URI names the host 192\.0\.2\.10, which the AWS SDKs refuse over plain http/,
    { AWS_CONTAINER_CREDENTIALS_FULL_URI: 'http://192.0.2.10/creds', AWS_CONTAINER_AUTHORIZATION_TOKEN: 'tok-123456' },
  );
  assert.not.match(r.stderr, 'tok-123456');
  await refused(/AWS_CONTAINER_CREDENTIALS_FULL_URI must be an http or https URL/, {
    AWS_CONTAINER_CREDENTIALS_FULL_URI: 'file:///etc/passwd',
  });
});

test.run();
