// `login --source auto` for AWS picks the principal botocore's default credential chain picks (issue 19). For each
// environment below (shared files + variables, every service a stand-in on 127.0.0.1: IMDS, STS, the container
// endpoint, IAM Identity Center's portal, a credential_process script), botocore (Debian's python3-botocore,
// test/fixtures/botocore-chain.py) is asked which access key it resolves, lanyard logs in with `--source auto` and
// answers a `get`; the ECR stand-in names the key that signed the ECR call. Both keys are turned into the principal
// behind them (a long-term key's name, or the role a stand-in issued the session for): they must be the same.
// botocore 1.29 cannot do two things lanyard does: AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE (it sends no token), and
// it reads AWS_DEFAULT_PROFILE before AWS_PROFILE where lanyard, like every other SDK, takes AWS_PROFILE: those
// rows check lanyard alone and say so.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as awsFixture from '../fixtures/aws.js';
import { startContainerCredentials, startSsoPortal, type IssuingHandle } from '../fixtures/aws-chain.js';
import { startImds, startStsWebIdentity, type ImdsHandle, type WebIdentityHandle } from '../fixtures/aws-identity.js';
import { startSessionBridge, type SessionBridge } from '../fixtures/aws-session-bridge.js';
import type { Served } from '../fixtures/support.js';
import { fileStoreSandbox, getWith, parseCreds } from './support/exchange-env.js';
import { runHelper } from './support/helper.js';
import { describe, run } from './support/run.js';
import type { Sandbox } from './support/sandbox.js';

const PYTHON = '/usr/bin/python3';
const HARNESS = join(import.meta.dirname, '..', 'fixtures', 'botocore-chain.py');
const REGION = 'us-west-2';
const ACCOUNT = '123456789012';
const PUSH_ROLE = `arn:aws:iam::${ACCOUNT}:role/push`;
const CHAIN_ROLE = `arn:aws:iam::${ACCOUNT}:role/chained`;
const WEB_ROLE = `arn:aws:iam::${ACCOUNT}:role/ci-web`;
const SUBJECT = 'system:serviceaccount:ci:pusher';
const POD_TOKEN = 'eks-pod-identity-token-0123456789';
const SSO_TOKEN = 'aoaAAAAAGexampleSsoAccessToken0123456789';
const SSO_LEGACY_TOKEN = 'aoaAAAAAGlegacySsoAccessToken0123456789';

const key = (name: string) => ({
  accessKeyId: `AKIA${name.toUpperCase().padEnd(16, '0')}`,
  secretAccessKey: `secret-of-${name}-${'x'.repeat(24)}`,
});
const KEYS = Object.fromEntries(
  ['default', 'ci', 'cfg', 'legacy', 'base', 'proc', 'env', 'both'].map((name) => [name, key(name)]),
) as Record<string, { accessKeyId: string; secretAccessKey: string }>;

let sb: Sandbox;
let aws: awsFixture.AwsHandle;
let bridge: SessionBridge;
let imds: ImdsHandle;
let sts: WebIdentityHandle;
let container: IssuingHandle;
let sso: IssuingHandle;
const fronts: Record<'imds' | 'sts' | 'container' | 'sso', Served> = {} as never;
let files: { credentials: string; config: string; token: string; procDir: string };
const rows: string[][] = [];

const botocoreThere = () => existsSync(PYTHON) && spawnSync(PYTHON, ['-c', 'import botocore']).status === 0;

test.before(async () => {
  sb = fileStoreSandbox('aws-chain');
  aws = await awsFixture.start({ keys: Object.values(KEYS), roles: [PUSH_ROLE, CHAIN_ROLE] });
  bridge = await startSessionBridge(aws);
  imds = await startImds();
  sts = await startStsWebIdentity({ roles: { [WEB_ROLE]: [SUBJECT] } });
  container = await startContainerCredentials({ token: POD_TOKEN, role: 'pod-identity-role' });
  sso = await startSsoPortal({
    tokens: { [SSO_TOKEN]: [`${ACCOUNT}/Developer`], [SSO_LEGACY_TOKEN]: [`${ACCOUNT}/ReadOnly`] },
  });
  fronts.imds = await bridge.recorder(imds);
  fronts.sts = await bridge.recorder(sts);
  fronts.container = await bridge.recorder(container);
  fronts.sso = await bridge.recorder(sso);
  files = writeSharedFiles();
  Object.assign(sb.env, {
    AWS_EC2_METADATA_SERVICE_ENDPOINT: fronts.imds.url,
    AWS_ENDPOINT_URL_ECR: bridge.gate.url,
    AWS_ENDPOINT_URL_SSO: fronts.sso.url,
    AWS_REGION: REGION,
    AWS_DEFAULT_REGION: REGION,
    LANYARD_AWS_CONTAINER_ENDPOINT: fronts.container.url,
  });
});

test.after(async () => {
  if (rows.length) {
    console.log(['environment', 'botocore 1.29', 'lanyard'].join(' | '));
    for (const row of rows) console.log(row.join(' | '));
  }
  for (const served of [sso, container, sts, imds, bridge, aws]) await served?.stop();
  sb?.cleanup();
});

function writeSharedFiles() {
  const dir = sb.dir('aws files');
  const procDir = sb.dir('proc dir with space');
  const script = join(procDir, 'creds.sh');
  // Prints the SDKs' credential_process JSON, Version 1, from the file its argument names.
  writeFileSync(script, '#!/bin/sh\ncat "$1"\n', { mode: 0o700 });
  const printed = join(procDir, 'proc keys.json');
  const { accessKeyId, secretAccessKey } = KEYS.proc!;
  writeFileSync(printed, JSON.stringify({ Version: 1, AccessKeyId: accessKeyId, SecretAccessKey: secretAccessKey }));
  const process = `credential_process = /bin/sh "${script}" '${printed}'\n`;
  const keys = (k: { accessKeyId: string; secretAccessKey: string }) =>
    `aws_access_key_id = ${k.accessKeyId}\naws_secret_access_key = ${k.secretAccessKey}\n`;
  const token = join(dir, 'web-identity-token');
  writeFileSync(token, sts.issueWebIdentityToken(SUBJECT, { exp: Math.floor(Date.now() / 1000) + 6 * 3600 }));
  const credentials = join(dir, 'credentials');
  writeFileSync(
    credentials,
    ['default', 'ci', 'legacy', 'base', 'both'].map((name) => `[${name}]\n${keys(KEYS[name]!)}`).join('\n'),
    { mode: 0o600 },
  );
  const config = join(dir, 'config');
  writeFileSync(
    config,
    `[default]\nregion = ${REGION}\n` +
      `[profile cfg]\n${keys(KEYS.cfg!)}` +
      `[profile proc]\n${process}` +
      `[profile proc-and-cfg]\n${process}${keys(KEYS.cfg!)}` +
      `[profile both]\n${process}` +
      `[profile pusher]\nrole_arn = ${PUSH_ROLE}\nsource_profile = base\n` +
      `[profile chain]\nrole_arn = ${CHAIN_ROLE}\nsource_profile = pusher\n` +
      `[profile from-env]\nrole_arn = ${PUSH_ROLE}\ncredential_source = Environment\n` +
      `[profile from-imds]\nrole_arn = ${PUSH_ROLE}\ncredential_source = Ec2InstanceMetadata\n` +
      `[profile from-container]\nrole_arn = ${PUSH_ROLE}\ncredential_source = EcsContainer\n` +
      `[profile webid]\nrole_arn = ${WEB_ROLE}\nweb_identity_token_file = ${token}\n` +
      `[profile sso-new]\nsso_session = corp\nsso_account_id = ${ACCOUNT}\nsso_role_name = Developer\n` +
      `[sso-session corp]\nsso_start_url = https://corp.awsapps.com/start\nsso_region = ${REGION}\n` +
      '[profile sso-legacy]\nsso_start_url = https://legacy.awsapps.com/start\n' +
      `sso_region = ${REGION}\nsso_account_id = ${ACCOUNT}\nsso_role_name = ReadOnly\n` +
      `[profile region-only]\nregion = ${REGION}\n`,
    { mode: 0o600 },
  );
  const cache = join(sb.home, '.aws', 'sso', 'cache');
  mkdirSync(cache, { recursive: true });
  const expiresAt = new Date(Date.now() + 8 * 3600_000).toISOString().replace(/\.\d+Z$/, 'Z');
  for (const [name, accessToken, startUrl] of [
    ['corp', SSO_TOKEN, 'https://corp.awsapps.com/start'],
    ['https://legacy.awsapps.com/start', SSO_LEGACY_TOKEN, 'https://legacy.awsapps.com/start'],
  ] as const) {
    const file = join(cache, `${createHash('sha1').update(name).digest('hex')}.json`);
    writeFileSync(file, JSON.stringify({ startUrl, region: REGION, accessToken, expiresAt }), { mode: 0o600 });
  }
  return { credentials, config, token, procDir };
}

/** The principal behind an access key: a long-term key's name, or whom a stand-in issued the session to. */
function principalOf(accessKeyId: string | undefined): string {
  if (!accessKeyId) return 'nothing';
  const named = Object.entries(KEYS).find(([, k]) => k.accessKeyId === accessKeyId)?.[0];
  if (named) return `key ${named}`;
  if (accessKeyId === imds.current().AccessKeyId) return 'instance role';
  const issued = container.principalOf(accessKeyId) ?? sso.principalOf(accessKeyId);
  if (issued) return issued.includes('/') ? `sso ${issued}` : `container ${issued}`;
  const role = sts.sessionRole(accessKeyId) ?? aws.sessionArn(accessKeyId)?.replace(/\/[^/]+$/, '');
  return role ? `role ${role.replace(/^.*[:/]/, '')}` : `unknown ${accessKeyId}`;
}

interface Environment {
  name: string;
  env: Record<string, string>;
  /** No shared files at all (else the ones written above). */
  noFiles?: true;
  /** Where STS is: the web-identity stand-in, or the AWS stand-in (AssumeRole) behind the bridge. */
  sts?: 'web' | 'assume-role';
  expect: string;
  /** botocore 1.29 cannot be compared here: why. */
  botocoreDiffers?: string;
}

const webEnv = () => ({ AWS_ROLE_ARN: WEB_ROLE, AWS_WEB_IDENTITY_TOKEN_FILE: files.token });
const envKeys = () => ({ AWS_ACCESS_KEY_ID: KEYS.env!.accessKeyId, AWS_SECRET_ACCESS_KEY: KEYS.env!.secretAccessKey });
const podIdentity = () => ({
  AWS_CONTAINER_CREDENTIALS_FULL_URI: `${fronts.container.url}/v1/credentials`,
  AWS_CONTAINER_AUTHORIZATION_TOKEN: POD_TOKEN,
});

function environments(): Environment[] {
  return [
    { name: 'nothing but IMDS', env: {}, noFiles: true, expect: 'instance role' },
    { name: 'default profile keys', env: {}, expect: 'key default' },
    { name: 'environment keys beside the default profile', env: envKeys(), expect: 'key env' },
    { name: 'AWS_PROFILE=ci (credentials file)', env: { AWS_PROFILE: 'ci' }, expect: 'key ci' },
    { name: 'AWS_PROFILE=cfg (config file keys)', env: { AWS_PROFILE: 'cfg' }, expect: 'key cfg' },
    { name: 'AWS_DEFAULT_PROFILE=legacy', env: { AWS_DEFAULT_PROFILE: 'legacy' }, expect: 'key legacy' },
    { name: 'credential_process (quoted path with a space)', env: { AWS_PROFILE: 'proc' }, expect: 'key proc' },
    { name: 'credential_process before config-file keys', env: { AWS_PROFILE: 'proc-and-cfg' }, expect: 'key proc' },
    { name: 'credentials-file keys before credential_process', env: { AWS_PROFILE: 'both' }, expect: 'key both' },
    { name: 'role_arn + source_profile', env: { AWS_PROFILE: 'pusher' }, sts: 'assume-role', expect: 'role push' },
    {
      name: 'a chain of two roles',
      env: { AWS_PROFILE: 'chain' },
      sts: 'assume-role',
      expect: 'role chained',
    },
    {
      name: 'credential_source=Environment with keys set: the keys come first',
      env: { AWS_PROFILE: 'from-env', ...envKeys() },
      expect: 'key env',
    },
    {
      name: 'credential_source=Ec2InstanceMetadata',
      env: { AWS_PROFILE: 'from-imds' },
      sts: 'assume-role',
      expect: 'role push',
    },
    {
      name: 'credential_source=EcsContainer (Pod Identity)',
      env: { AWS_PROFILE: 'from-container', ...podIdentity() },
      sts: 'assume-role',
      expect: 'role push',
    },
    { name: 'env web identity beside a static default profile', env: webEnv(), sts: 'web', expect: 'role ci-web' },
    {
      name: "env web identity beside a role profile: the profile's role first",
      env: { ...webEnv(), AWS_PROFILE: 'pusher' },
      sts: 'assume-role',
      expect: 'role push',
    },
    { name: 'env web identity and environment keys', env: { ...webEnv(), ...envKeys() }, expect: 'key env' },
    { name: "the profile's web_identity_token_file", env: { AWS_PROFILE: 'webid' }, sts: 'web', expect: 'role ci-web' },
    { name: 'SSO with an sso_session', env: { AWS_PROFILE: 'sso-new' }, expect: `sso ${ACCOUNT}/Developer` },
    { name: 'SSO, legacy sso_start_url', env: { AWS_PROFILE: 'sso-legacy' }, expect: `sso ${ACCOUNT}/ReadOnly` },
    {
      name: 'EKS Pod Identity (FULL_URI + token) beside IMDS',
      env: podIdentity(),
      noFiles: true,
      expect: 'container pod-identity-role',
    },
    {
      name: 'EKS Pod Identity beside a profile with only a region',
      env: { AWS_PROFILE: 'region-only', ...podIdentity() },
      expect: 'container pod-identity-role',
    },
    {
      name: 'ECS RELATIVE_URI',
      env: {
        AWS_CONTAINER_CREDENTIALS_RELATIVE_URI: '/v2/credentials/task-1',
        AWS_CONTAINER_AUTHORIZATION_TOKEN: POD_TOKEN,
      },
      noFiles: true,
      expect: 'container pod-identity-role',
    },
    { name: 'a profile with only a region: IMDS', env: { AWS_PROFILE: 'region-only' }, expect: 'instance role' },
    {
      name: 'Pod Identity token in AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE',
      env: { AWS_CONTAINER_CREDENTIALS_FULL_URI: `${fronts.container.url}/v1/credentials` },
      noFiles: true,
      expect: 'container pod-identity-role',
      botocoreDiffers: 'botocore 1.29 does not read AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE (1.31 and later do)',
    },
    {
      name: 'AWS_PROFILE=ci and AWS_DEFAULT_PROFILE=legacy',
      env: { AWS_PROFILE: 'ci', AWS_DEFAULT_PROFILE: 'legacy' },
      expect: 'key ci',
      botocoreDiffers: 'botocore reads AWS_DEFAULT_PROFILE first; the other SDKs and the brief take AWS_PROFILE',
    },
  ];
}

function environmentOf(c: Environment, index: number): NodeJS.ProcessEnv {
  const shared = c.noFiles
    ? {
        AWS_SHARED_CREDENTIALS_FILE: join(sb.root, 'absent', 'credentials'),
        AWS_CONFIG_FILE: join(sb.root, 'absent', 'config'),
      }
    : { AWS_SHARED_CREDENTIALS_FILE: files.credentials, AWS_CONFIG_FILE: files.config };
  const tokenFile = join(sb.root, `pod-token-${index}`);
  writeFileSync(tokenFile, POD_TOKEN);
  const tokenFileEnv = c.botocoreDiffers?.includes('TOKEN_FILE')
    ? { AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE: tokenFile }
    : {};
  const stsUrl = c.sts === 'web' ? fronts.sts.url : bridge.gate.url;
  return { ...sb.env, ...shared, ...tokenFileEnv, AWS_ENDPOINT_URL_STS: stsUrl, ...c.env };
}

interface BotocoreAnswer {
  accessKeyId?: string;
  method?: string;
  error?: string;
  message?: string;
}

/** botocore's answer, asked without blocking this process: the stand-ins it calls run here. */
async function askBotocore(env: NodeJS.ProcessEnv): Promise<BotocoreAnswer> {
  const r = await run(PYTHON, [HARNESS], { env, timeoutMs: 60_000 });
  assert.is(r.code, 0, `botocore harness: ${describe(r)}`);
  return JSON.parse(r.stdout.trim().split('\n').at(-1)!);
}

async function askLanyard(env: NodeJS.ProcessEnv, host: string): Promise<string | undefined> {
  const login = await runHelper(['login', host, '--source', 'auto', '--kind', 'aws-ecr', '--region', REGION], {
    env,
    timeoutMs: 40_000,
  });
  assert.is(login.code, 0, describe(login));
  const creds = parseCreds(await getWith(env, host), `get ${host}`);
  const check = aws.validateEcrPassword(creds.Secret);
  return check.ok ? check.accessKeyId : undefined;
}

test('botocore is installed (Debian: python3-botocore)', () => {
  assert.ok(botocoreThere(), `${PYTHON} cannot import botocore: apt-get install python3-botocore`);
});

test('lanyard picks the principal botocore picks, in at least 17 environments', async () => {
  const all = environments();
  assert.ok(all.filter((c) => !c.botocoreDiffers).length >= 17);
  for (const [index, c] of all.entries()) {
    const env = environmentOf(c, index);
    const boto = await askBotocore(env);
    const botoPrincipal = boto.error ? `error ${boto.error}` : principalOf(boto.accessKeyId);
    const lanyardPrincipal = principalOf(await askLanyard(env, `parity-${index}.registry.test`));
    rows.push([c.name, botoPrincipal, lanyardPrincipal]);
    assert.is(lanyardPrincipal, c.expect, `${c.name}: lanyard`);
    if (c.botocoreDiffers) assert.is.not(botoPrincipal, c.expect, `${c.name}: ${c.botocoreDiffers}`);
    else assert.is(botoPrincipal, c.expect, `${c.name}: botocore (${JSON.stringify(boto)})`);
  }
  assert.ok(sso.counts.issued >= 4 && container.counts.issued >= 4, 'the stand-ins were asked');
  assert.equal(bridge.counts.refused, {}, 'every session was used with its token, before its expiry');
});

test.run();
