// The process layer: generated cases run against the compiled binary in a throwaway sandbox
// (HOME and XDG_* in a temp dir), a few at a time. Seeded logins made at the start must keep
// answering, and the stored files must stay valid, private and free of secrets where they
// should have none: that is checked every `checkEvery` cases and at the end.
import fc from 'fast-check';
import { readFileSync, readdirSync, statSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { createSandbox, type Sandbox } from '../e2e/support/sandbox.js';
import { BIN } from '../e2e/support/paths.js';
import { run, type RunResult } from '../e2e/support/run.js';
import { start as startIam, type IamHandle } from '../fixtures/iam.js';
import { caseFor, DEAD_URL, kubeletJSON, PROTOTYPE_CASES, type Case, type Creds, type Step } from './cases.js';
import { HANG_MS, SECRET_MARKER, SLOW_MS, messageProblems, problemClass, show } from './checks.js';
import { deriveSeed } from './inproc.js';
import type { ViolationLog } from './violations.js';

export interface ProcessOptions {
  inputs: number;
  seed: number;
  store: 'file' | 'keychain';
  concurrency: number;
  checkEvery: number;
}

export interface ProcessCounts {
  cases: number;
  processes: number;
  checkpoints: number;
  seconds: number;
  /** Runs slower than SLOW_MS, and the slowest run's time: within the stated deadline, but worth seeing. */
  slow: number;
  slowestMs: number;
}

/** Protocol verbs answer errors on stdout (clients read only that); the rest of the CLI on stderr. */
const STDOUT_VERBS = new Set(['store', 'get', 'erase', 'list', 'version']);

/** Every endpoint an identity source could ask (`login --source`), moved to a port where nothing listens. */
const IDENTITY_ENDPOINTS_NOWHERE: Record<string, string> = {
  AWS_EC2_METADATA_SERVICE_ENDPOINT: DEAD_URL,
  AWS_ENDPOINT_URL: DEAD_URL,
  AWS_CONFIG_FILE: '/nonexistent/aws-config',
  AWS_SHARED_CREDENTIALS_FILE: '/nonexistent/aws-credentials',
  LANYARD_AWS_CONTAINER_ENDPOINT: DEAD_URL,
  GCE_METADATA_HOST: '127.0.0.1:9',
  CLOUDSDK_CONFIG: '/nonexistent/gcloud',
  LANYARD_GOOGLE_STS_URL: `${DEAD_URL}/v1/token`,
  LANYARD_GOOGLE_IAM_CREDENTIALS_ENDPOINT: DEAD_URL,
  AZURE_AUTHORITY_HOST: DEAD_URL,
  AZURE_POD_IDENTITY_AUTHORITY_HOST: DEAD_URL,
  LANYARD_IBM_METADATA_ENDPOINT: DEAD_URL,
  LANYARD_IBM_CR_TOKEN_FILE: '/nonexistent/cr-token',
};

const STACK_LINE = /\n\s+at .+[(:]\d+/;
const SEEDS: Creds[] = [
  { ServerURL: 'seed-0.lanyard-fuzz.test', Username: 'seed-user-0', Secret: `${SECRET_MARKER}-seed0-ü"\\'\u{1f433}` },
  {
    ServerURL: 'https://seed-1.lanyard-fuzz.test:5000/v2/',
    Username: 'seed user 1',
    Secret: `${SECRET_MARKER}-seed1\twith tab`,
  },
  { ServerURL: '*.pattern.lanyard-fuzz.test', Username: 'seed-pattern', Secret: `${SECRET_MARKER}-seed2` },
  { ServerURL: '[fd00::f:5]:5999', Username: 'seed-v6', Secret: `${SECRET_MARKER}-seed3 ${'x'.repeat(2000)}` },
];
/** How each seed is asked for, and the ServerURL its answer must carry. */
const SEED_GETS: [string, Creds][] = [
  ['seed-0.lanyard-fuzz.test', SEEDS[0]],
  ['SEED-1.lanyard-fuzz.test:5000', SEEDS[1]],
  ['probe.pattern.lanyard-fuzz.test', SEEDS[2]],
  ['[fd00::f:5]:5999', SEEDS[3]],
];

interface Problem {
  invariant: string;
  detail: string;
}

function oneLine(text: string): boolean {
  return /^[^\n]+\n?$/.test(text);
}

function parseJsonLine(text: string): unknown {
  if (!oneLine(text)) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

const isStringRecord = (value: unknown): value is Record<string, string> =>
  typeof value === 'object' &&
  value !== null &&
  !Array.isArray(value) &&
  Object.values(value).every((v) => typeof v === 'string');

/** Invariants of every run: answered in time, exit 0/1, one clean error line, the right shape on success, no leak. */
function runProblems(step: Step, r: RunResult): Problem[] {
  const problems: Problem[] = [];
  const verb = step.args[0];
  if (r.timedOut) return [{ invariant: `no answer within ${HANG_MS / 1000} s (hang)`, detail: 'killed' }];
  if (r.code !== 0 && r.code !== 1)
    problems.push({ invariant: 'exit code is not 0 or 1', detail: `code ${r.code} signal ${r.signal}` });
  if (/internal error/i.test(r.stdout + r.stderr))
    problems.push({ invariant: '"internal error"', detail: (r.stdout + r.stderr).trim().slice(0, 300) });
  if (STACK_LINE.test(r.stdout) || STACK_LINE.test(r.stderr))
    problems.push({ invariant: 'stack trace in output', detail: r.stderr.slice(0, 300) });
  const kubelet = verb === 'kubelet' && step.args.length === 1;
  const errorText = STDOUT_VERBS.has(verb ?? '') ? r.stdout : r.stderr;
  if (r.code === 1) {
    if (!oneLine(errorText))
      problems.push({
        invariant: `error is not exactly one line on ${errorText === r.stdout ? 'stdout' : 'stderr'}`,
        detail: show(errorText.slice(0, 300)),
      });
    else
      for (const p of messageProblems(errorText.replace(/\n$/, '')))
        if (!p.includes('internal error'))
          problems.push({
            invariant: `bad error line (${problemClass(p)})`,
            detail: `${p}: ${show(errorText.slice(0, 200))}`,
          });
    if (kubelet && r.stdout !== '')
      problems.push({ invariant: 'kubelet error with output on stdout', detail: show(r.stdout.slice(0, 200)) });
  }
  if (r.code === 0) problems.push(...successShapeProblems(step, r, kubelet));
  const answered = r.code === 0 && (verb === 'get' || kubelet);
  const leakText = answered ? r.stderr : r.stdout + r.stderr;
  if (leakText.includes(SECRET_MARKER))
    problems.push({
      invariant: `a secret appears in the output of ${answered ? 'a successful answer on stderr' : verb}`,
      detail: show(leakText.slice(0, 200)),
    });
  return problems;
}

function successShapeProblems(step: Step, r: RunResult, kubelet: boolean): Problem[] {
  const verb = step.args[0];
  if (kubelet) {
    const response = parseJsonLine(r.stdout) as Record<string, unknown> | undefined;
    const ok =
      response &&
      response.kind === 'CredentialProviderResponse' &&
      response.cacheKeyType === 'Registry' &&
      typeof response.cacheDuration === 'string' &&
      /^\d+s$/.test(response.cacheDuration) &&
      typeof response.auth === 'object' &&
      response.auth !== null;
    return ok
      ? []
      : [
          {
            invariant: 'kubelet success is not a CredentialProviderResponse line',
            detail: show(r.stdout.slice(0, 300)),
          },
        ];
  }
  if (verb === 'store' || verb === 'erase')
    return r.stdout === ''
      ? []
      : [{ invariant: `${verb} succeeded with output`, detail: show(r.stdout.slice(0, 200)) }];
  const parsed = parseJsonLine(r.stdout);
  if (verb === 'list')
    return isStringRecord(parsed)
      ? []
      : [{ invariant: 'list is not one JSON line of strings', detail: show(r.stdout.slice(0, 200)) }];
  if (verb === 'get') {
    const c = parsed as Partial<Creds> | undefined;
    const ok =
      c &&
      typeof c.ServerURL === 'string' &&
      typeof c.Username === 'string' &&
      typeof c.Secret === 'string' &&
      Object.keys(c).length === 3;
    return ok
      ? []
      : [
          {
            invariant: 'get success is not one {"ServerURL","Username","Secret"} line',
            detail: show(r.stdout.slice(0, 200)),
          },
        ];
  }
  return [];
}

/** The case-specific expectation of one run. */
function expectationProblems(step: Step, r: RunResult): Problem[] {
  const expect = step.expect;
  if (!expect || r.timedOut) return [];
  switch (expect.kind) {
    case 'stored':
      return r.code === 0
        ? []
        : [{ invariant: 'a well-formed login is refused by store', detail: show(r.stdout.trim()) }];
    case 'refused':
      return r.code === 1
        ? []
        : [
            {
              invariant: 'accepted what must be refused',
              detail: `exit ${r.code}, stdout ${show(r.stdout.slice(0, 200))}`,
            },
          ];
    case 'silent':
      return r.code === 0 && r.stdout === ''
        ? []
        : [
            {
              invariant: 'erase of a stored login is not a silent success',
              detail: `exit ${r.code}: ${show(r.stdout.trim())}`,
            },
          ];
    case 'creds': {
      const got = parseJsonLine(r.stdout);
      return r.code === 0 && show(got) === show(expect.creds)
        ? []
        : [
            {
              invariant: 'get does not answer the login just stored',
              detail:
                `exit ${r.code}: ${show(r.stdout.trim().slice(0, 200))}, ` +
                `expected ${show(expect.creds).slice(0, 200)}`,
            },
          ];
    }
    case 'listed': {
      const listing = parseJsonLine(r.stdout);
      const ok =
        isStringRecord(listing) &&
        Object.hasOwn(listing, expect.serverURL) &&
        listing[expect.serverURL] === expect.username;
      return ok
        ? []
        : [
            {
              invariant: 'list leaves out a stored login',
              detail: `${show(expect.serverURL)} missing from a list of ${r.stdout.length} chars`,
            },
          ];
    }
    case 'not-secret':
      return r.stdout.includes(JSON.stringify(expect.secret).slice(1, -1))
        ? [{ invariant: 'get still answers an erased login', detail: show(r.stdout.slice(0, 200)) }]
        : [];
    case 'kubelet-auth': {
      const auth =
        (parseJsonLine(r.stdout) as { auth?: Record<string, { username?: string; password?: string }> } | undefined)
          ?.auth ?? {};
      const ok = Object.values(auth).some((a) => a.username === expect.username && a.password === expect.password);
      return r.code === 0 && ok
        ? []
        : [
            {
              invariant: 'kubelet does not answer with the stored login',
              detail: `exit ${r.code}: ${show((r.stdout || r.stderr).slice(0, 200))}`,
            },
          ];
    }
  }
}

function describeStep(step: Step): string {
  const stdin =
    typeof step.stdin === 'string'
      ? step.stdin.length > 400
        ? `${show(step.stdin.slice(0, 200))}…(${Buffer.byteLength(step.stdin)} bytes UTF-8)`
        : show(step.stdin)
      : `base64:${step.stdin.toString('base64')}`;
  return `docker-credential-lanyard ${show(step.args)} <<< ${stdin}`;
}

class ProcessRunner {
  processes = 0;
  slow = 0;
  slowestMs = 0;
  private iam!: IamHandle;
  private sandbox!: Sandbox;
  private env!: NodeJS.ProcessEnv;
  readonly validIamKey = `${SECRET_MARKER}-iam-valid-key`;

  constructor(
    private readonly options: ProcessOptions,
    private readonly log: ViolationLog,
    private readonly say: (line: string) => void,
  ) {}

  async setUp(): Promise<void> {
    this.sandbox = createSandbox('fuzz');
    this.iam = await startIam({ apikeys: [this.validIamKey] });
    this.env = {
      ...this.sandbox.env,
      LANYARD_STORE: this.options.store,
      LANYARD_TTY: '0',
      LANYARD_IAM_ENDPOINT: this.iam.url,
      LANYARD_HUB_ENDPOINT: DEAD_URL, // nothing listens: no request may leave the machine
      ...IDENTITY_ENDPOINTS_NOWHERE,
    };
    for (const seed of SEEDS) {
      const r = await this.exec({ args: ['store'], stdin: JSON.stringify(seed) });
      if (r.code !== 0) throw new Error(`cannot store the seed login ${seed.ServerURL}: ${r.stdout}${r.stderr}`);
    }
  }

  async tearDown(): Promise<void> {
    await this.iam?.stop();
    this.sandbox?.cleanup();
  }

  private async exec(step: Step): Promise<RunResult> {
    this.processes += 1;
    const started = Date.now();
    const result = await run(BIN, step.args, { env: this.env, stdin: step.stdin, timeoutMs: HANG_MS });
    const ms = Date.now() - started;
    if (ms > SLOW_MS) this.slow += 1;
    this.slowestMs = Math.max(this.slowestMs, ms);
    return result;
  }

  private record(kase: Case, steps: Step[], problem: Problem, target: string): void {
    const reproducer = steps.map(describeStep).join('\n      then ');
    if (
      this.log.add({
        layer: 'process',
        target,
        inputClass: kase.inputClass,
        invariant: problem.invariant,
        detail: problem.detail,
        reproducer,
      })
    ) {
      this.say(`  VIOLATION ${target}: ${problem.invariant}`);
    }
  }

  async runCase(kase: Case): Promise<void> {
    const done: Step[] = [];
    for (const step of kase.steps) {
      const r = await this.exec(step);
      done.push(step);
      for (const problem of [...runProblems(step, r), ...expectationProblems(step, r)])
        this.record(kase, done, problem, step.args[0] ?? '(no args)');
      if (step.stopIfRefused && r.code !== 0) return;
    }
  }

  /** Seeds still answer; files are valid, 0600, and hold no secret where none belongs. */
  async checkpoint(): Promise<void> {
    const probe: Case = { inputClass: 'checkpoint', steps: [] };
    for (const [url, seed] of SEED_GETS) {
      const step: Step = { args: ['get'], stdin: url, expect: { kind: 'creds', creds: { ...seed, ServerURL: url } } };
      const r = await this.exec(step);
      for (const p of expectationProblems(step, r))
        this.record(
          probe,
          [step],
          { ...p, invariant: `a seeded login stopped answering (${p.invariant})` },
          'checkpoint',
        );
    }
    const kubelet: Step = {
      args: ['kubelet'],
      stdin: kubeletJSON('seed-0.lanyard-fuzz.test/app:1'),
      expect: { kind: 'kubelet-auth', username: SEEDS[0].Username, password: SEEDS[0].Secret },
    };
    for (const p of expectationProblems(kubelet, await this.exec(kubelet)))
      this.record(probe, [kubelet], p, 'checkpoint');
    for (const problem of this.fileProblems()) this.record(probe, [], problem, 'checkpoint');
  }

  private fileProblems(): Problem[] {
    const problems: Problem[] = [];
    const files = [this.sandbox.mappingFile, ...(this.options.store === 'file' ? [this.sandbox.secretsFile] : [])];
    for (const file of files) {
      if (!existsSync(file)) {
        problems.push({ invariant: 'a store file is missing', detail: file });
        continue;
      }
      const mode = statSync(file).mode & 0o777;
      if (mode !== 0o600)
        problems.push({ invariant: 'a store file is not mode 0600', detail: `${file}: ${mode.toString(8)}` });
      try {
        JSON.parse(readFileSync(file, 'utf8'));
      } catch {
        problems.push({ invariant: 'a store file is not valid JSON', detail: file });
      }
    }
    // Only the file store may hold long-lived secrets; the mapping, the log and the token cache never.
    const walk = (dir: string): string[] =>
      existsSync(dir)
        ? readdirSync(dir, { withFileTypes: true }).flatMap((d) =>
            d.isDirectory() ? walk(join(dir, d.name)) : d.isFile() ? [join(dir, d.name)] : [],
          )
        : [];
    for (const file of [...walk(this.sandbox.home), ...walk(this.sandbox.runtimeDir)]) {
      if (file === this.sandbox.secretsFile) continue;
      if (readFileSync(file).includes(SECRET_MARKER))
        problems.push({
          invariant: 'a secret is written to a file other than the secret store',
          detail: file.slice(this.sandbox.root.length),
        });
      const mode = statSync(file).mode & 0o777;
      if (mode & 0o077)
        problems.push({
          invariant: 'a file is readable by others',
          detail: `${file.slice(this.sandbox.root.length)}: ${mode.toString(8)}`,
        });
    }
    return problems;
  }
}

/** Runs `inputs` generated cases (plus the prototype-name life cycles) and the checkpoints. */
export async function runProcessLayer(
  options: ProcessOptions,
  log: ViolationLog,
  say: (line: string) => void,
): Promise<ProcessCounts> {
  const runner = new ProcessRunner(options, log, say);
  const started = Date.now();
  let cases = 0;
  let checkpoints = 0;
  try {
    await runner.setUp();
    for (const kase of PROTOTYPE_CASES.slice(0, Math.min(PROTOTYPE_CASES.length, options.inputs))) {
      await runner.runCase(kase);
      cases += 1;
    }
    const batchSize = options.checkEvery;
    while (cases < options.inputs) {
      const count = Math.min(batchSize, options.inputs - cases);
      const batch = Array.from({ length: count }, (_, i) => cases + i).map(
        (index) =>
          fc.sample(caseFor(index, runner.validIamKey), {
            seed: deriveSeed(options.seed, 1_000_003, index),
            numRuns: 1,
          })[0],
      );
      let next = 0;
      const worker = async () => {
        while (next < batch.length) await runner.runCase(batch[next++]);
      };
      await Promise.all(Array.from({ length: options.concurrency }, worker));
      cases += count;
      await runner.checkpoint();
      checkpoints += 1;
      const seconds = (Date.now() - started) / 1000;
      say(
        `process: ${cases}/${options.inputs} inputs, ${runner.processes} processes, ` +
          `${(cases / seconds).toFixed(1)} inputs/s, ${(runner.processes / seconds).toFixed(1)} processes/s, ` +
          `${log.classCount} violation classes`,
      );
    }
    if (checkpoints === 0) {
      await runner.checkpoint();
      checkpoints += 1;
    }
  } finally {
    await runner.tearDown();
  }
  const { processes, slow, slowestMs } = runner;
  return { cases, processes, checkpoints, seconds: (Date.now() - started) / 1000, slow, slowestMs };
}
