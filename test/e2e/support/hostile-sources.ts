// The world of issue 21's hostile-identity tests (test/e2e/hostile-identity*.test.ts): every identity source's
// stand-in (test/fixtures/aws-identity.ts, aws-chain.ts, gce-metadata.ts, google.ts, azure-identity.ts,
// ibm-identity.ts) or program (identity-command/, az-cli/), a table of sources with the deadline lanyard states for
// each (docs/faults.md) and how to turn each hostile answer on, and the check of one refusal: within the deadline,
// one line naming the source and a fix, non-zero exit, nothing foreign printed raw, nothing stored changed.
// Times are a run's wall time less that of a control run started beside it (`timed`), so a loaded machine's slow
// starts do not count against lanyard's deadlines.
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { INLINE_RETRY } from '../../../src/retry.js';
import { METADATA_TIMEOUT_MS } from '../../../src/clouds/source-io.js';
import { startImds, startStsWebIdentity } from '../../fixtures/aws-identity.js';
import { startContainerCredentials } from '../../fixtures/aws-chain.js';
import { startGceMetadata } from '../../fixtures/gce-metadata.js';
import * as googleFixture from '../../fixtures/google.js';
import { startAzureIdentity } from '../../fixtures/azure-identity.js';
import { startIbmIdentity } from '../../fixtures/ibm-identity.js';
import { HOSTILE_ANSWERS, HTML, type HostileAnswer } from '../../fixtures/hostile-answers.js';
import { listen, type Faults, type Served } from '../../fixtures/support.js';
import { fileStoreSandbox } from './exchange-env.js';
import { runHelper } from './helper.js';
import { freePort } from './port.js';
import { describe, type RunResult } from './run.js';
import type { Sandbox } from './sandbox.js';

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'fixtures');
const COMMAND = join(FIXTURES, 'identity-command', 'identity-command');
/** A `login`/`get` retries within INLINE_RETRY's budget, and its last try may run a whole request deadline. */
export const METADATA_DEADLINE_MS = INLINE_RETRY.budgetMs + METADATA_TIMEOUT_MS;
const TOKEN_SERVICE_DEADLINE_MS = INLINE_RETRY.budgetMs + INLINE_RETRY.requestTimeoutMs;
const PROCESS_TIMEOUT_S = 3;
const EXECUTABLE_TIMEOUT_MS = 5_000;
/** docs/identity-sources.md: the Azure CLI gets 10 s. */
const AZ_CLI_DEADLINE_MS = 10_000;
/** What a run may take beyond its stated deadline and its control run (`timed`): module loading, scheduling. */
const START_SLACK_MS = 5_000;
export const ECR_HOST = '123456789012.dkr.ecr.us-east-1.amazonaws.com';
const ROLE = 'arn:aws:iam::123456789012:role/hostile';
const TENANT = '72f988bf-86f1-41af-91ab-2d7cd011db47';
const CLIENT = '0b9d1a4c-1f7e-4a8e-9d2a-6f3c2b1a0e9d';
const PROFILE = { id: 'Profile-hostile-1', name: 'hostile', crn: 'crn:v1:bluemix:public:iam-identity::a/1::profile:h' };
/** Words of advice every line carries (the sources' own hints, or the shared ones of src/clouds/source-io.ts). */
const FIX = /check|fix |run |\bset\b|not on |log in|see |attach|turn/i;
const KEPT = { host: 'kept.registry.test', secret: 'kept-secret' };
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/;

export type Fault = HostileAnswer | 'never';
export const FAULTS: readonly Fault[] = [...HOSTILE_ANSWERS, 'never'];
/** What a program can do: everything but redirect. */
const PROGRAM_FAULTS = FAULTS.filter((fault) => fault !== 'redirect');

export interface Source {
  label: string;
  /** A program lanyard runs (credential_process, a Google executable, az), not a service it asks. */
  program?: true;
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

export let sb: Sandbox;
const stops: Served[] = [];
export const sources: Source[] = [];
export let deadUrl: string;
export let html: Served;

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
  return { program: true as const, turn: (fault: Fault) => ({ [variable]: fault }), heal: () => {} };
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
      program: true,
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

/** Starts every stand-in and stores the login every hostile answer must leave alone. */
export async function startHostileWorld(label: string): Promise<void> {
  sb = fileStoreSandbox(label);
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
  const kept = await runHelper(['login', KEPT.host, '-u', 'kept', '--password-stdin'], {
    env: sb.env,
    stdin: KEPT.secret,
  });
  if (kept.code !== 0) throw new Error(`cannot store the kept login: ${describe(kept)}`);
}

export async function stopHostileWorld(): Promise<void> {
  for (const served of stops) await served.stop().catch(() => {});
  sb?.cleanup();
}

/** Problems with the login stored before every hostile answer: it must still answer. */
export async function keptLoginProblems(): Promise<string[]> {
  const r = await runHelper(['get'], { env: sb.env, stdin: KEPT.host });
  return r.code === 0 && JSON.parse(r.stdout).Secret === KEPT.secret ? [] : [`the kept login is gone: ${describe(r)}`];
}

/** Runs `login` for every fault of every source in `table`, 5 sources at a time; returns the broken promises. */
export async function loginCases(table: Source[]): Promise<{ cases: number; failures: string[] }> {
  const failures: string[] = [];
  let cases = 0;
  await inParallel(table, 5, async (source) => {
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
  return { cases, failures };
}

/**
 * Every file lanyard keeps (mapping, secrets; the token cache unless `withoutCache`), with a digest of its bytes:
 * "nothing stored changed". A failed `get` may record a hold in the cache (at most 60 s, docs/faults.md).
 */
export function storedState(withoutCache = false): string {
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
export function refusalProblems(
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

/** The token cache's file for `server` (src/tokens/token-cache.ts names it by the server's hash). */
export function forgetCachedToken(server: string): void {
  const name = `${createHash('sha256').update(server).digest('hex').slice(0, 32)}.json`;
  rmSync(join(sb.runtimeDir, 'lanyard', 'tokens', name), { force: true });
}

/** A run that fails as soon as the CLI has read its arguments: the control for what start-up costs right now. */
const CONTROL_RUN = ['login', 'control.registry.test', '--source', 'no-such-source'];

async function wallTime(args: string[], env: NodeJS.ProcessEnv, stdin: string): Promise<[RunResult, number]> {
  const started = Date.now();
  const r = await runHelper(args, { env, stdin, timeoutMs: 60_000 });
  return [r, Date.now() - started];
}

/**
 * Runs the binary beside a control run started at the same moment; the time returned is the run's wall time less
 * the control's, so what a loaded machine adds to every start (seconds, at a load of 40) is not counted against
 * lanyard's deadlines, while what lanyard waits for is.
 */
export async function timed(args: string[], env: Record<string, string>, stdin = ''): Promise<[RunResult, number]> {
  const [[r, wall], [, control]] = await Promise.all([
    wallTime(args, { ...sb.env, ...env }, stdin),
    wallTime(CONTROL_RUN, sb.env, ''),
  ]);
  return [r, Math.max(0, wall - control)];
}

/** Runs `each` over `items`, `width` at a time (each source has its own stand-in; its faults run in turn). */
export async function inParallel<T>(items: T[], width: number, each: (item: T) => Promise<void>): Promise<void> {
  const queue = [...items];
  await Promise.all(
    Array.from({ length: width }, async () => {
      for (let item = queue.shift(); item !== undefined; item = queue.shift()) await each(item);
    }),
  );
}
