// The gcp-adc source with every ADC type, in process, against loopback stand-ins (support/gcp-adc-cases.ts): the
// token clients get is one the stand-in issued to the file's principal, through the requests google-auth makes;
// and bad input of every kind — malformed files, commands that are not allowed, hang, flood or fail, a refusing
// STS, a URL answering garbage — is one line naming the source and the fix, never a stack or a wait without end.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { acceptGoogleLogin } from '../../src/clouds/gcp/google-key.js';
import { type LanyardError, ServiceRefusedError, UserError } from '../../src/errors.js';
import { type AdcCase, lanyardToken, OIDC_AUDIENCE, type Stage, stage } from './support/gcp-adc-cases.js';

let s: Stage;

/** The one-line error lanyard gives for the file at `path`; asserts its type and that it is one line. */
async function failure<T extends LanyardError>(
  path: string,
  env: Record<string, string>,
  type: new (...args: never[]) => T,
  pattern: RegExp,
) {
  const started = Date.now();
  try {
    await lanyardToken(path, env);
  } catch (error) {
    assert.instance(error, type, `${(error as Error).name}: ${(error as Error).message}`);
    const message = (error as Error).message;
    assert.not.match(message, /\n/, 'one line');
    assert.match(message, pattern);
    return { message, ms: Date.now() - started };
  }
  return assert.unreachable(`expected ${pattern}`) as never;
}

const types = suite('every ADC type');
types.before(async () => {
  s = await stage();
});
types.after(() => s.stop());

types('each file gets a token the stand-in issued to its principal, through the expected requests', async () => {
  const cases: AdcCase[] = s.cases();
  for (const adc of cases) {
    const before = { ...s.google.counts.byGrant };
    const { source, issued } = await lanyardToken(adc.path, adc.env);
    const check = s.google.validateToken(issued.secret);
    assert.ok(check.ok, `${adc.name}: a live token`);
    assert.is(check.ok && check.subject, adc.principal, adc.name);
    assert.is(issued.username, 'oauth2accesstoken', adc.name);
    assert.ok(issued.expiresAt! > Date.now() + 3000_000, `${adc.name}: about an hour`);
    const sent = (grant: string) => (s.google.counts.byGrant[grant] ?? 0) - (before[grant] ?? 0);
    if (adc.name.startsWith('external_account ')) assert.is(sent('token-exchange'), 1, `${adc.name}: one STS exchange`);
    if (/impersonat/.test(adc.name)) assert.is(sent('generateAccessToken'), 1, `${adc.name}: one generateAccessToken`);
    if (/impersonat/.test(adc.name)) assert.is(source.credential.identity, adc.principal, `${adc.name}: shown as`);
  }
  assert.is(s.urlServer.hits(), 1, 'the URL source was asked once, with its header');
  assert.is(s.imds.counts.tokens, 2, 'IMDSv2: a session token for the region and one for the credentials');
});

const bad = suite('bad input');
bad.before(async () => {
  s = await stage();
});
bad.after(() => s.stop());

bad('malformed files: one line naming the file, the field and what it must be', async () => {
  const file = (name: string, body: object) => s.write(name, JSON.stringify(body));
  const base = {
    type: 'external_account',
    audience: OIDC_AUDIENCE,
    subject_token_type: 'urn:x',
    token_url: s.google.stsUrl,
  };
  const cases: [string, RegExp][] = [
    [s.write('not-json.json', '{"type":'), /not-json\.json .*is not JSON/],
    [file('no-type.json', { audience: 'x' }), /type is missing/],
    [file('odd-type.json', { type: 'gdch_service_account' }), /type must be one of .*external_account.*not "gdch/],
    [file('no-source.json', base), /credential_source is missing/],
    [
      file('two-sources.json', { ...base, credential_source: { file: '/a', url: 'http://127.0.0.1:1/' } }),
      /more than one/,
    ],
    [
      file('bad-format.json', { ...base, credential_source: { file: '/a', format: { type: 'xml' } } }),
      /format\.type must be one of text, json/,
    ],
    [
      file('no-field.json', { ...base, credential_source: { file: '/a', format: { type: 'json' } } }),
      /subject_token_field_name is missing/,
    ],
    [
      file('short-timeout.json', {
        ...base,
        credential_source: { executable: { command: '/bin/true', timeout_millis: 100 } },
      }),
      /timeout_millis must be from 5000 to 120000/,
    ],
    [
      file('aws2.json', {
        ...base,
        subject_token_type: 'urn:ietf:params:aws:token-type:aws4_request',
        credential_source: { environment_id: 'aws2', regional_cred_verification_url: 'https://sts.x' },
      }),
      /environment_id names aws version 2/,
    ],
    [
      file('bad-impersonation.json', {
        ...base,
        credential_source: { file: '/a' },
        service_account_impersonation_url: 'https://iam/x',
      }),
      /service_account_impersonation_url must end in \/serviceAccounts\/EMAIL:generateAccessToken/,
    ],
    [
      file('http-sts.json', {
        ...base,
        token_url: 'http://sts.example.com/v1/token',
        credential_source: { file: '/a' },
      }),
      /must use https/,
    ],
    [
      file('nested.json', {
        type: 'impersonated_service_account',
        service_account_impersonation_url: 'x',
        source_credentials: { type: 'impersonated_service_account' },
      }),
      /source_credentials\.type must not be impersonated_service_account/,
    ],
  ];
  for (const [path, pattern] of cases) await failure(path, {}, UserError, pattern);
  const pointer = (await import('node:fs')).readFileSync(s.oidcFile('pointer.json', { file: '/a' }), 'utf8');
  const stored = () => acceptGoogleLogin({ username: '', secret: pointer });
  assert.throws(stored, /is an external_account file: .*log in with --source gcp-adc/);
  const missing = s.oidcFile('missing-token.json', { file: `${s.dir}/nowhere.jwt` });
  await failure(missing, {}, UserError, /cannot read the subject token file .*nowhere\.jwt .*no such file/);
});

bad(
  'commands: not allowed, hanging, flooding, failing or answering badly; one line each, within the timeout',
  async () => {
    const exec = (name: string, script: string, timeout = 5000, extra: object = {}) =>
      s.oidcFile(`${name}.json`, {
        executable: {
          command: s.write(`${name}.sh`, `#!/bin/sh\n${script}\n`, 0o700),
          timeout_millis: timeout,
          ...extra,
        },
      });
    const allow = { GOOGLE_EXTERNAL_ACCOUNT_ALLOW_EXECUTABLES: '1' };
    const fine = exec('fine', 'echo never-run > "$0.ran"');
    await failure(fine, {}, UserError, /GOOGLE_EXTERNAL_ACCOUNT_ALLOW_EXECUTABLES=1/);
    const hang = await failure(exec('hang', 'sleep 60'), allow, UserError, /did not finish within 5000 ms/);
    assert.ok(hang.ms < 8000, `stopped at its timeout (${hang.ms} ms)`);
    const flood = await failure(
      exec('flood', 'head -c 10000000 /dev/zero | tr "\\0" a'),
      allow,
      UserError,
      /printed more/,
    );
    assert.ok(flood.ms < 5000, `stopped at the cap (${flood.ms} ms)`);
    await failure(
      exec('fail', 'echo "no identity here" >&2; exit 7'),
      allow,
      UserError,
      /exited with 7 \(no identity here\)/,
    );
    await failure(exec('garbage', 'echo "<html>"'), allow, UserError, /answer of .* is not JSON/);
    await failure(
      exec('refuses', `echo '{"version":1,"success":false,"code":"401","message":"Caller not authorized."}'`),
      allow,
      UserError,
      /says it failed \(401: Caller not authorized\.\)/,
    );
    await failure(exec('no-version', `echo '{"success":true}'`), allow, UserError, /has no version/);
    const old = Math.floor(Date.now() / 1000) - 60;
    const expired = JSON.stringify({
      version: 1,
      success: true,
      token_type: 'urn:ietf:params:oauth:token-type:jwt',
      id_token: 'x',
      expiration_time: old,
    });
    await failure(exec('expired', `echo '${expired}'`), allow, UserError, /expired/);
    await failure(
      s.oidcFile('absent.json', { executable: { command: '/nonexistent/cmd' } }),
      allow,
      UserError,
      /no such program/,
    );
  },
);

bad('a cached output_file answer is used while it is unexpired; the command runs when it is not', async () => {
  const token = s.google.federation.subjectToken(OIDC_AUDIENCE, 'cached-subject');
  const answer = (exp: number) =>
    JSON.stringify({
      version: 1,
      success: true,
      token_type: 'urn:ietf:params:oauth:token-type:jwt',
      id_token: token,
      expiration_time: exp,
    });
  const cache = s.write('cache.json', answer(Math.floor(Date.now() / 1000) + 600));
  const counter = `${s.dir}/runs`;
  const command = s.write(
    'cached.sh',
    `#!/bin/sh\necho run >> ${counter}\nprintf '%s' '${answer(Math.floor(Date.now() / 1000) + 900)}'\n`,
    0o700,
  );
  const path = s.oidcFile('cached.json', { executable: { command, output_file: cache } });
  const allow = { GOOGLE_EXTERNAL_ACCOUNT_ALLOW_EXECUTABLES: '1' };
  const first = await lanyardToken(path, allow);
  assert.is(s.google.validateToken(first.issued.secret).ok, true);
  assert.not.ok((await import('node:fs')).existsSync(counter), 'the cached answer served; the command did not run');
  s.write('cache.json', answer(Math.floor(Date.now() / 1000) - 10));
  await lanyardToken(path, allow);
  assert.is((await import('node:fs')).readFileSync(counter, 'utf8'), 'run\n', 'an expired cache runs the command');
});

bad('STS refusals, an unknown service account and a URL answering garbage: one line naming the service', async () => {
  const issuedBefore = s.google.counts.issued;
  const token = s.write(
    'stranger.jwt',
    s.google.federation.subjectToken(OIDC_AUDIENCE, 'x', { aud: 'https://elsewhere' }),
  );
  const refused = await failure(
    s.oidcFile('wrong-aud.json', { file: token }),
    {},
    ServiceRefusedError,
    /Google STS at http:\/\/127\.0\.0\.1:\d+ refused/,
  );
  assert.match(refused.message, /does not accept this token/);
  const unknown = s.oidcFile('unknown-pool.json', { file: token }, { audience: `${OIDC_AUDIENCE}-gone` });
  await failure(unknown, {}, ServiceRefusedError, /invalid_target.*check the audience/);
  const good = s.write('good.jwt', s.google.federation.subjectToken(OIDC_AUDIENCE, 'nobody-special'));
  const nobody = s.oidcFile(
    'no-grant.json',
    { file: good },
    { service_account_impersonation_url: s.google.iamUrl('ghost@x.iam.gserviceaccount.com') },
  );
  await failure(nobody, {}, ServiceRefusedError, /Google IAM Credentials .* 404 .*NOT_FOUND.*does not exist/);
  const garbage = await (await import('../fixtures/support.js')).listen(
    (_req, res) => void res.writeHead(200).end('<html>oops</html>'),
  );
  try {
    const path = s.oidcFile('garbage-url.json', {
      url: garbage.url,
      format: { type: 'json', subject_token_field_name: 't' },
    });
    await failure(
      path,
      {},
      ServiceRefusedError,
      /subject token URL http:\/\/127\.0\.0\.1:\d+\/ answered a body that is not JSON/,
    );
  } finally {
    await garbage.stop();
  }
  assert.is(s.google.counts.issued - issuedBefore, 1, 'only the federated token of the ghost impersonation');
});

types.run();
bad.run();
