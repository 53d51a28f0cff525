// Benchmark of the cloud kinds: a cached-token `get` of aws-ecr, gcp and azure-acr against a cached IBM IAM
// `get` (the same code path: none of them may load its provider once the token is cached), paired and
// interleaved, plus each kind's first exchange (login done, empty cache) timed against its stand-in.
// Everything runs on 127.0.0.1 against the stand-ins in test/fixtures/; the compiled binary is measured.
// Usage: node --import tsx scripts/bench-clouds.mts [--rounds 30] [--warmup 3]
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import * as awsFixture from '../test/fixtures/aws.js';
import * as azureFixture from '../test/fixtures/azure.js';
import * as googleFixture from '../test/fixtures/google.js';
import * as iamFixture from '../test/fixtures/iam.js';
import { timePairs } from './bench/pairs.mjs';
import { binaryCopy, makeSandbox, runCommand } from './sandbox.mjs';
import { summarize } from './bench/stats.mjs';

const { values } = parseArgs({
  options: { rounds: { type: 'string', default: '30' }, warmup: { type: 'string', default: '3' } },
});
const sandbox = makeSandbox('bench-clouds');
const binary = binaryCopy(sandbox);
const IAM_KEY = 'bench-clouds-api-key-0123456789abcdef';
const AWS_KEY = { accessKeyId: 'AKIABENCHCLOUDS00001', secretAccessKey: 'bench/clouds/secret/access/key/000000000' };
const AZURE_CLIENT = { tenant: 'bench-tenant', clientId: 'bench-client-id', clientSecret: 'bench-client-secret' };
const [iam, aws, google, azure] = await Promise.all([
  iamFixture.start({ apikeys: [IAM_KEY] }),
  awsFixture.start({ keys: [AWS_KEY] }),
  googleFixture.start(),
  azureFixture.start({ clients: [AZURE_CLIENT] }),
]);
const env: NodeJS.ProcessEnv = {
  PATH: process.env.PATH,
  ...sandbox.env,
  LANYARD_STORE: 'file',
  LANYARD_TTY: '0',
  LANYARD_IAM_ENDPOINT: iam.url,
  AZURE_AUTHORITY_HOST: azure.authorityUrl,
  ...aws.endpointEnv(),
};

interface Kind {
  id: string;
  host: string;
  login: string[];
  secret: string;
}
const KINDS: Kind[] = [
  { id: 'ibm-iam', host: 'us.icr.io', login: ['-u', 'iamapikey'], secret: IAM_KEY },
  {
    id: 'aws-ecr',
    host: '123456789012.dkr.ecr.us-east-1.amazonaws.com',
    login: ['-u', AWS_KEY.accessKeyId],
    secret: AWS_KEY.secretAccessKey,
  },
  { id: 'gcp', host: 'us-docker.pkg.dev', login: [], secret: JSON.stringify(google.makeServiceAccountKey()) },
  {
    id: 'azure-acr',
    host: 'benchregistry.azurecr.io',
    login: ['-u', AZURE_CLIENT.clientId, '--tenant', AZURE_CLIENT.tenant, '--acr-endpoint', azure.url],
    secret: AZURE_CLIENT.clientSecret,
  },
];

function helper(args: string[], input: string): { ms: number; stdout: string } {
  const started = performance.now();
  const r = spawnSync(binary, args, { env, input, encoding: 'utf8' });
  const ms = performance.now() - started;
  if (r.status !== 0) throw new Error(`${args.join(' ')} failed: ${r.stdout}${r.stderr}`);
  return { ms, stdout: r.stdout };
}

function checkedAnswer(kind: Kind, stdout: string): void {
  const answer = JSON.parse(stdout) as { Secret?: string };
  if (!answer.Secret || answer.Secret === kind.secret) throw new Error(`${kind.id}: get answered no token`);
}

/** A cached-token get: no network, so a synchronous spawn is fine (and times only the process). */
function timedGet(kind: Kind): number {
  const { ms, stdout } = helper(['get'], kind.host);
  checkedAnswer(kind, stdout);
  return ms;
}

/** Login, or a get that exchanges: asynchronous, since the stand-ins answering it live in this process. */
async function helperAsync(args: string[], input: string): Promise<{ ms: number; stdout: string }> {
  const r = await runCommand(binary, args, env, input);
  if (r.code !== 0) throw new Error(`${args.join(' ')} failed: ${r.stdout}${r.stderr}`);
  return r;
}

const fmt = (ms: number) => `${ms.toFixed(1)} ms`;
try {
  const load = loadavg()[0]!.toFixed(1);
  console.log(`binary ${binary}; ${values.warmup} warm-up + ${values.rounds} pairs; load average ${load}`);
  for (const kind of KINDS) {
    await helperAsync(['login', kind.host, ...kind.login, '--password-stdin'], kind.secret);
    const first = await helperAsync(['get'], kind.host);
    checkedAnswer(kind, first.stdout);
    console.log(`${kind.id.padEnd(10)} first exchange (cold get): ${fmt(first.ms)}`);
  }
  const [baseline, ...cases] = KINDS;
  const pairs = timePairs({
    cases,
    baseline,
    rounds: Number(values.rounds),
    warmup: Number(values.warmup),
    timeOne: timedGet,
  });
  console.log(`cached-token get, paired with a cached ibm-iam get (median, ratio median and IQR):`);
  for (const kind of cases) {
    const slot = pairs[kind.id]!;
    const ratio = summarize(slot.ratios);
    const line =
      `${kind.id.padEnd(10)} ${fmt(summarize(slot.samples).median)} vs ${fmt(summarize(slot.baseline).median)}: ` +
      `${ratio.median.toFixed(2)}x (IQR ${ratio.q1.toFixed(2)}-${ratio.q3.toFixed(2)})`;
    console.log(line);
  }
  const exchanges = { iam: iam.counts.issued, aws: aws.counts, google: google.counts, azure: azure.counts };
  console.log(`stand-in requests after the run: ${JSON.stringify(exchanges)}`);
} finally {
  await Promise.all([iam.stop(), aws.stop(), google.stop(), azure.stop()]);
  rmSync(sandbox.root, { recursive: true, force: true });
}
