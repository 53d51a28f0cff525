// Issue 21: every identity source against a hostile service, with the compiled binary. Each source's stand-in
// (test/fixtures/aws-identity.ts, aws-chain.ts, gce-metadata.ts, google.ts, azure-identity.ts, ibm-identity.ts) or
// program (identity-command/, az-cli/) answers in turn garbage, 10 MB, its real answer dripped a byte every 0.3 s,
// a 307 to another host, its real answer wrong-typed or expired on arrival, HTML, or never
// (test/fixtures/hostile-answers.ts). Every case must end within the deadline lanyard states for that source
// (docs/faults.md), in one line on the output that names the source and what to do, with a non-zero exit, with
// nothing foreign printed raw (no control character), and with nothing stored changed. A source login's `get`
// against a hostile service says the same on stdout and loses nothing: once the service heals, `get` answers.
// And a metadata address that is some other web server stops `--source auto` in one line too.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { INLINE_RETRY } from '../../src/retry.js';
import { METADATA_TIMEOUT_MS } from '../../src/clouds/source-io.js';
import { startImds, startStsWebIdentity } from '../fixtures/aws-identity.js';
import { startContainerCredentials } from '../fixtures/aws-chain.js';
import { startGceMetadata } from '../fixtures/gce-metadata.js';
import * as googleFixture from '../fixtures/google.js';
import { startAzureIdentity } from '../fixtures/azure-identity.js';
import { startIbmIdentity } from '../fixtures/ibm-identity.js';
import { HOSTILE_ANSWERS, HTML, type HostileAnswer } from '../fixtures/hostile-answers.js';
import { listen, type Faults, type Served } from '../fixtures/support.js';
import { fileStoreSandbox } from './support/exchange-env.js';
import { runHelper } from './support/helper.js';
import { freePort } from './support/port.js';
import { describe, type RunResult } from './support/run.js';
import type { Sandbox } from './support/sandbox.js';

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures');
const COMMAND = join(FIXTURES, 'identity-command', 'identity-command');
/** A `login`/`get` retries within INLINE_RETRY's budget, and its last try may run a whole request deadline. */
const METADATA_DEADLINE_MS = INLINE_RETRY.budgetMs + METADATA_TIMEOUT_MS;
const TOKEN_SERVICE_DEADLINE_MS = INLINE_RETRY.budgetMs + INLINE_RETRY.requestTimeoutMs;
const PROCESS_TIMEOUT_S = 3;
const EXECUTABLE_TIMEOUT_MS = 5_000;
/** docs/identity-sources.md: the Azure CLI gets 10 s. */
const AZ_CLI_DEADLINE_MS = 10_000;
/**
 * What starting the binary and a loaded 2-core machine may add to a deadline: the time is the process's own wall
 * time, and a `login` that fails at once takes 0.3 s idle, up to 1.6 s while other work loads the machine.
 */
const START_SLACK_MS = 5_000;
const ECR_HOST = '123456789012.dkr.ecr.us-east-1.amazonaws.com';
const ROLE = 'arn:aws:iam::123456789012:role/hostile';
const TENANT = '72f988bf-86f1-41af-91ab-2d7cd011db47';
const CLIENT = '0b9d1a4c-1f7e-4a8e-9d2a-6f3c2b1a0e9d';
const PROFILE = { id: 'Profile-hostile-1', name: 'hostile', crn: 'crn:v1:bluemix:public:iam-identity::a/1::profile:h' };
/** Words of advice every line carries (the sources' own hints, or the shared ones of src/clouds/source-io.ts). */
const FIX = /check|fix |run |\bset\b|not on |log in|see |attach|turn/i;
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/;

type Fault = HostileAnswer | 'never';
const FAULTS: readonly Fault[] = [...HOSTILE_ANSWERS, 'never'];
/** What a program can do: everything but redirect. */
const PROGRAM_FAULTS = FAULTS.filter((fault) => fault !== 'redirect');

interface Source {
  label: string;
  /** `login` arguments. */
  args: string[];
  env: Record<string, string>;
  /** Names the source in the one line. */
  says: RegExp;
  deadlineMs: number;
  faults: readonly Fault[];
  /** Turns `fault` on (a stand-in's fault injection, or a program's mode); returns the env to run with. */
  turn(fault: Fault): Record<string, string>;
  heal(): void;
}

let sb: Sandbox;
const stops: Served[] = [];
const sources: Source[] = [];
let deadUrl: string;
let html: Served;

/** A stand-in's faults for the requests whose paths match `paths`. */
function serviceFaults(faults: Faults, paths: RegExp) {
  return {
    turn(fault: Fault) {
      faults.reset();
      if (fault === 'never') faults.hang();
      else faults.hostile(fault, paths);
      return {};
    },
    heal: () => faults.reset(),
  };
}

function programFaults(variable: string) {
  return { turn: (fault: Fault) => ({ [variable]: fault }), heal: () => {} };
}

function writeFile(name: string, text: string): string {
  const path = join(sb.root, name);
  writeFileSync(path, text, { mode: 0o600 });
  return path;
}

async function addSources(): Promise<void> {
  const imds = await startImds({ role: 'hostile-role' });
  const imdsTokens = await startImds({ role: 'hostile-role' });
  const sts = await startStsWebIdentity({ roles: { [ROLE]: ['*'] } });
  const container = await startContainerCredentials();
  const gce = await startGceMetadata();
  const google = await googleFixture.start();
  const azureImds = await startAzureIdentity({ managedIdentity: { clientId: CLIENT, tenant: TENANT } });
  const entra = await startAzureIdentity({ clients: [{ tenant: TENANT, clientId: CLIENT, secret: 'entra-secret' }] });
  const vpc = await startIbmIdentity({ profiles: [{ ...PROFILE, trusts: [] }], instanceProfileId: PROFILE.id });
  const iam = await startIbmIdentity({ profiles: [{ ...PROFILE, trusts: ['*'] }] });
  stops.push(imds, imdsTokens, sts, container, gce, google, azureImds, entra, vpc, iam);
  const aws = { AWS_ENDPOINT_URL_ECR: deadUrl, AWS_REGION: 'us-east-1' };
  const metadata = { deadlineMs: METADATA_DEADLINE_MS, faults: FAULTS };
  const tokenService = { deadlineMs: TOKEN_SERVICE_DEADLINE_MS, faults: FAULTS };
  const audience = '//iam.googleapis.com/projects/1/locations/global/workloadIdentityPools/p/providers/oidc';
  google.federation.addProvider(audience, 'oidc');
  const federated = (credentialSource: object) =>
    writeFile(
      `adc-${Object.keys(credentialSource)[0]}.json`,
      JSON.stringify({
        type: 'external_account',
        audience,
        subject_token_type: 'urn:ietf:params:oauth:token-type:jwt',
        token_url: google.stsUrl,
        credential_source: credentialSource,
      }),
    );
  const oidcFile = writeFile('oidc.jwt', google.federation.subjectToken(audience, 'repo:org/app'));
  sources.push(
    {
      label: 'aws-instance (IMDSv2 credentials)',
      args: [ECR_HOST, '--source', 'aws-instance'],
      env: { ...aws, AWS_EC2_METADATA_SERVICE_ENDPOINT: imds.url },
      says: /EC2 instance metadata service/,
      ...metadata,
      ...serviceFaults(imds.faults, /security-credentials\/./),
    },
    {
      label: 'aws-instance (IMDSv2 session token)',
      args: [ECR_HOST, '--source', 'aws-instance'],
      env: { ...aws, AWS_EC2_METADATA_SERVICE_ENDPOINT: imdsTokens.url },
      says: /EC2 instance metadata service/,
      ...metadata,
      faults: ['garbage', 'html', 'wrong-typed', 'huge'],
      ...serviceFaults(imdsTokens.faults, /api\/token/),
    },
    {
      label: 'aws-web-identity (STS AssumeRoleWithWebIdentity)',
      args: [ECR_HOST, '--source', 'aws-web-identity'],
      env: {
        ...aws,
        AWS_ENDPOINT_URL_STS: sts.url,
        AWS_ROLE_ARN: ROLE,
        AWS_WEB_IDENTITY_TOKEN_FILE: writeFile('web-identity.jwt', sts.issueWebIdentityToken('ci')),
      },
      says: /AWS STS/,
      ...tokenService,
      ...serviceFaults(sts.faults, /./),
    },
    {
      label: 'aws-container (container credentials endpoint)',
      args: [ECR_HOST, '--source', 'aws-container'],
      env: { ...aws, AWS_CONTAINER_CREDENTIALS_FULL_URI: `${container.url}/v2/credentials` },
      says: /container credentials endpoint/,
      ...metadata,
      ...serviceFaults(container.faults, /./),
    },
    {
      label: 'aws-profile (credential_process)',
      args: [ECR_HOST, '--source', 'aws-profile'],
      env: {
        ...aws,
        AWS_PROFILE: 'hostile',
        AWS_CONFIG_FILE: writeFile('aws-config', `[profile hostile]\ncredential_process = ${COMMAND} aws\n`),
        LANYARD_AWS_PROCESS_TIMEOUT_S: String(PROCESS_TIMEOUT_S),
      },
      says: /credential_process of AWS profile "hostile"/,
      deadlineMs: PROCESS_TIMEOUT_S * 1000,
      faults: PROGRAM_FAULTS,
      ...programFaults('LANYARD_TEST_COMMAND_MODE'),
    },
    {
      label: 'gcp-metadata (GCE metadata server)',
      args: ['gcp-metadata.registry.test', '--source', 'gcp-metadata'],
      env: { GCE_METADATA_HOST: gce.host },
      says: /Google metadata server/,
      ...metadata,
      ...serviceFaults(gce.faults, /./),
    },
    {
      label: 'gcp-adc (Google STS token exchange)',
      args: ['gcp-sts.registry.test', '--source', 'gcp-adc', '--kind', 'gcp'],
      env: { GOOGLE_APPLICATION_CREDENTIALS: federated({ file: oidcFile }) },
      says: /Google (STS|Security Token Service)|sts/i,
      ...tokenService,
      ...serviceFaults(google.faults, /v1\/token/),
    },
    {
      label: 'gcp-adc (executable credential source)',
      args: ['gcp-exec.registry.test', '--source', 'gcp-adc', '--kind', 'gcp'],
      env: {
        GOOGLE_EXTERNAL_ACCOUNT_ALLOW_EXECUTABLES: '1',
        GOOGLE_APPLICATION_CREDENTIALS: federated({
          executable: { command: `${COMMAND} google`, timeout_millis: EXECUTABLE_TIMEOUT_MS },
        }),
      },
      says: /credential_source command "[^"]*identity-command"/,
      deadlineMs: EXECUTABLE_TIMEOUT_MS,
      faults: PROGRAM_FAULTS,
      ...programFaults('LANYARD_TEST_COMMAND_MODE'),
    },
    {
      label: 'azure-managed-identity (Azure IMDS)',
      args: ['x.azurecr.io', '--source', 'azure-managed-identity', '--acr-endpoint', deadUrl],
      env: { AZURE_POD_IDENTITY_AUTHORITY_HOST: azureImds.url },
      says: /Azure instance metadata service/,
      ...metadata,
      ...serviceFaults(azureImds.faults, /./),
    },
    {
      label: 'azure-env (Entra token endpoint)',
      args: ['x.azurecr.io', '--source', 'azure-env', '--acr-endpoint', deadUrl],
      env: {
        AZURE_AUTHORITY_HOST: entra.url,
        AZURE_TENANT_ID: TENANT,
        AZURE_CLIENT_ID: CLIENT,
        AZURE_CLIENT_SECRET: 'entra-secret',
      },
      says: /Microsoft Entra ID/,
      ...tokenService,
      ...serviceFaults(entra.faults, /./),
    },
    {
      label: 'azure-cli (az account get-access-token)',
      args: ['x.azurecr.io', '--source', 'azure-cli', '--acr-endpoint', deadUrl],
      env: {
        PATH: `${join(FIXTURES, 'az-cli')}:${sb.env.PATH}`,
        LANYARD_TEST_AZ_TOKEN_FILE: writeFile('az-token', entra.issueAccessToken(TENANT, CLIENT)),
      },
      says: /Azure CLI/,
      deadlineMs: AZ_CLI_DEADLINE_MS,
      faults: PROGRAM_FAULTS,
      turn: (fault) => ({ LANYARD_TEST_AZ_MODE: fault === 'never' ? 'hang' : fault }),
      heal: () => {},
    },
    {
      label: 'ibm-vpc-instance (VPC metadata service)',
      args: ['ibm-vpc.registry.test', '--source', 'ibm-vpc-instance'],
      env: { LANYARD_IBM_METADATA_ENDPOINT: vpc.url, LANYARD_IAM_ENDPOINT: deadUrl },
      says: /IBM Cloud VPC metadata service/,
      ...metadata,
      ...serviceFaults(vpc.faults, /./),
    },
    {
      label: 'ibm-trusted-profile (IAM cr-token grant)',
      args: ['ibm-profile.registry.test', '--source', 'ibm-trusted-profile', '--trusted-profile', PROFILE.name],
      env: {
        LANYARD_IAM_ENDPOINT: iam.url,
        LANYARD_IBM_CR_TOKEN_FILE: writeFile('cr-token', iam.issueCrToken('system:serviceaccount:ns:sa')),
      },
      says: /IBM Cloud IAM/,
      ...tokenService,
      ...serviceFaults(iam.faults, /./),
    },
  );
}

test.before(async () => {
  sb = fileStoreSandbox('hostile-identity');
  sb.env.LANYARD_AGENT = '0';
  deadUrl = `http://127.0.0.1:${await freePort()}`;
  // Sources not under test lead nowhere.
  Object.assign(sb.env, {
    AWS_EC2_METADATA_SERVICE_ENDPOINT: deadUrl,
    AWS_CONFIG_FILE: join(sb.root, 'no-aws-config'),
    AWS_SHARED_CREDENTIALS_FILE: join(sb.root, 'no-aws-credentials'),
    CLOUDSDK_CONFIG: join(sb.root, 'no-gcloud'),
    GCE_METADATA_HOST: deadUrl.slice('http://'.length),
    AZURE_POD_IDENTITY_AUTHORITY_HOST: deadUrl,
    AZURE_AUTHORITY_HOST: deadUrl,
    LANYARD_IBM_METADATA_ENDPOINT: deadUrl,
    LANYARD_IAM_ENDPOINT: deadUrl,
  });
  html = await listen((_req, res) => void res.writeHead(200, { 'Content-Type': 'text/html' }).end(HTML));
  stops.push(html);
  await addSources();
  // A login that every hostile answer must leave alone.
  const kept = await runHelper(['login', 'kept.registry.test', '-u', 'kept', '--password-stdin'], {
    env: sb.env,
    stdin: 'kept-secret',
  });
  assert.is(kept.code, 0, describe(kept));
});

test.after(async () => {
  for (const served of stops) await served.stop().catch(() => {});
  sb?.cleanup();
});

/**
 * Every file lanyard keeps (mapping, secrets; the token cache unless `withoutCache`), with a digest of its bytes:
 * "nothing stored changed". A failed `get` may record a hold in the cache (at most 60 s, docs/faults.md).
 */
function storedState(withoutCache = false): string {
  const lines: string[] = [];
  const walk = (dir: string) => {
    if (!existsSync(dir)) return;
    for (const name of readdirSync(dir).sort()) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else if (!/\.log$|\.lock$/.test(name))
        lines.push(`${path} ${createHash('sha256').update(readFileSync(path)).digest('hex')}`);
    }
  };
  for (const dir of [sb.configHome, sb.dataHome]) walk(dir);
  if (!withoutCache) walk(join(sb.runtimeDir, 'lanyard', 'tokens'));
  return lines.join('\n');
}

/** Problems with one refusal: the promises of docs/faults.md, checked against the stated deadline. */
function refusalProblems(
  r: RunResult,
  ms: number,
  says: RegExp,
  deadlineMs: number,
  stored: { before: string; now: () => string },
): string[] {
  const problems: string[] = [];
  const said = `${r.stdout}${r.stderr}`;
  const lines = said.trimEnd().split('\n');
  if (r.timedOut) problems.push('still running when the test gave up');
  if (r.code === 0) problems.push('exit 0');
  if (ms > deadlineMs + START_SLACK_MS) problems.push(`took ${ms} ms, past the stated ${deadlineMs} ms`);
  if (lines.length !== 1 || lines[0] === '') problems.push(`${lines.length} lines`);
  if (!says.test(said)) problems.push(`does not name the source (${says})`);
  if (CONTROL.test(said.trimEnd())) problems.push('prints a control character');
  if (said.length > 1024) problems.push(`${said.length} characters`);
  if (/credentials not found|^\s+at .+:\d+:\d+\)?$|internal error/m.test(said)) problems.push('not a real error');
  if (!FIX.test(said)) problems.push('names no fix');
  if (stored.now() !== stored.before) problems.push('something stored changed');
  return problems.map((problem) => `${problem}: ${JSON.stringify(said.slice(0, 600))}`);
}

async function timed(args: string[], env: Record<string, string>, stdin = ''): Promise<[RunResult, number]> {
  const started = Date.now();
  const r = await runHelper(args, { env: { ...sb.env, ...env }, stdin, timeoutMs: 60_000 });
  return [r, Date.now() - started];
}

/** Runs `each` over `items`, `width` at a time (each source has its own stand-in; its faults run in turn). */
async function inParallel<T>(items: T[], width: number, each: (item: T) => Promise<void>): Promise<void> {
  const queue = [...items];
  await Promise.all(
    Array.from({ length: width }, async () => {
      for (let item = queue.shift(); item !== undefined; item = queue.shift()) await each(item);
    }),
  );
}

test('every identity source against every hostile answer: bounded, one line, nothing changed', async () => {
  const failures: string[] = [];
  let cases = 0;
  await inParallel(sources, 3, async (source) => {
    for (const fault of source.faults) {
      const env = { ...source.env, ...source.turn(fault) };
      const stored = { before: storedState(), now: () => storedState() };
      const [r, ms] = await timed(['login', ...source.args], env);
      source.heal();
      cases += 1;
      for (const problem of refusalProblems(r, ms, source.says, source.deadlineMs, stored))
        failures.push(`${source.label} / ${fault} (${ms} ms): ${problem}`);
    }
  });
  assert.ok(cases >= 90, `${cases} cases ran`);
  assert.is(failures.length, 0, `${failures.length} of ${cases} cases broke a promise:\n${failures.join('\n')}`);
});

test('get for a source login: a hostile service is one line on stdout; healed and refreshed, get answers', async () => {
  const failures: string[] = [];
  for (const label of ['gcp-metadata (GCE metadata server)', 'ibm-vpc-instance (VPC metadata service)']) {
    const source = sources.find((s) => s.label === label)!;
    const host = source.args[0]!;
    const env = source.env;
    const [login] = await timed(['login', ...source.args], env);
    assert.is(login.code, 0, `${label}: ${describe(login)}`);
    for (const fault of FAULTS) {
      rmSync(join(sb.runtimeDir, 'lanyard', 'tokens'), { recursive: true, force: true });
      const stored = { before: storedState(true), now: () => storedState(true) };
      source.turn(fault);
      const [r, ms] = await timed(['get'], env, host);
      source.heal();
      for (const problem of refusalProblems(r, ms, source.says, source.deadlineMs, stored))
        failures.push(`${label} / get / ${fault} (${ms} ms): ${problem}`);
      if (r.stderr.trim()) failures.push(`${label} / get / ${fault}: stderr ${JSON.stringify(r.stderr)}`);
      // A hold the failure left (at most 60 s) ends with `refresh`, which asks the healed service at once.
      const [refreshed] = await timed(['refresh', host], env);
      const [healed] = await timed(['get'], env, host);
      if (refreshed.code !== 0 || healed.code !== 0)
        failures.push(`${label} / refresh and get after ${fault}: ${describe(refreshed)} ${describe(healed)}`);
    }
  }
  assert.is(failures.length, 0, failures.join('\n'));
});

test('a metadata address that is some other web server: --source auto stops in one line per cloud', async () => {
  const failures: string[] = [];
  const everywhere = {
    AWS_EC2_METADATA_SERVICE_ENDPOINT: html.url,
    GCE_METADATA_HOST: html.url.slice('http://'.length),
    AZURE_POD_IDENTITY_AUTHORITY_HOST: html.url,
    LANYARD_IBM_METADATA_ENDPOINT: html.url,
    AWS_ENDPOINT_URL_ECR: deadUrl,
  };
  const clouds: [string[], RegExp][] = [
    [[ECR_HOST], /EC2 instance metadata service/],
    [['gcp-auto.registry.test', '--kind', 'gcp'], /Google metadata server/],
    [['x.azurecr.io', '--acr-endpoint', deadUrl], /Azure instance metadata service/],
    [['us.icr.io'], /IBM Cloud VPC metadata service/],
  ];
  for (const [args, says] of clouds) {
    const stored = { before: storedState(), now: () => storedState() };
    const [r, ms] = await timed(['login', ...args, '--source', 'auto'], everywhere);
    for (const problem of refusalProblems(r, ms, says, METADATA_DEADLINE_MS, stored))
      failures.push(`auto ${args[0]} (${ms} ms): ${problem}`);
  }
  assert.is(failures.length, 0, failures.join('\n'));
});

test('the login made before every hostile answer is still there', async () => {
  const r = await runHelper(['get'], { env: sb.env, stdin: 'kept.registry.test' });
  assert.is(r.code, 0, describe(r));
  assert.is(JSON.parse(r.stdout).Secret, 'kept-secret');
});

test.run();
