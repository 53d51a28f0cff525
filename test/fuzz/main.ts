// scripts/fuzz: generated inputs against the parsers (in process) and the compiled binary (a
// process per input), every result checked against the invariants of issue 8. Prints the seed,
// progress, counts per layer and each class of violation with a reproducer; exit 1 on any.
import { randomInt } from 'node:crypto';
import { runInProcess } from './inproc.js';
import { runProcessLayer, type ProcessCounts } from './process-layer.js';
import { HANG_MS, SLOW_MS } from './checks.js';
import { ViolationLog } from './violations.js';

export interface FuzzOptions {
  inputs: number;
  seed: number;
  layer: 'inproc' | 'process' | 'both';
  keychain: boolean;
  /** Share of `inputs` that goes to the process layer when both run. */
  processShare: number;
  concurrency: number;
}

export interface FuzzResult {
  log: ViolationLog;
  inproc: number;
  process?: ProcessCounts;
}

const USAGE =
  'usage: scripts/fuzz [--inputs N] [--seed S] [--layer inproc|process|both] [--keychain]' +
  ' [--process-share F] [--concurrency C]';

export function parseArgs(args: string[]): FuzzOptions {
  const options: FuzzOptions = {
    inputs: 100_000,
    seed: randomInt(2 ** 31 - 1),
    layer: 'both',
    keychain: false,
    processShare: 0.05,
    concurrency: 3,
  };
  for (let i = 0; i < args.length; i++) {
    const value = () => {
      const v = args[++i];
      if (v === undefined) throw new Error(`${args[i - 1]} needs a value\n${USAGE}`);
      return v;
    };
    const number = (min: number, max: number) => {
      const n = Number(value());
      if (!Number.isFinite(n) || n < min || n > max)
        throw new Error(`${args[i - 1]} must be a number from ${min} to ${max}\n${USAGE}`);
      return n;
    };
    switch (args[i]) {
      case '--inputs':
        options.inputs = Math.floor(number(1, 1e9));
        break;
      case '--seed':
        options.seed = Math.floor(number(0, 2 ** 31 - 1));
        break;
      case '--layer': {
        const layer = value();
        if (layer !== 'inproc' && layer !== 'process' && layer !== 'both')
          throw new Error(`--layer must be inproc, process or both\n${USAGE}`);
        options.layer = layer;
        break;
      }
      case '--keychain':
        options.keychain = true;
        break;
      case '--process-share':
        options.processShare = number(0, 1);
        break;
      case '--concurrency':
        options.concurrency = Math.floor(number(1, 16));
        break;
      case '--help':
      case '-h':
        throw new Error(USAGE);
      default:
        throw new Error(`unknown option ${args[i]}\n${USAGE}`);
    }
  }
  return options;
}

export async function runFuzz(
  options: FuzzOptions,
  say: (line: string) => void,
  log = new ViolationLog(),
): Promise<FuzzResult> {
  const processInputs =
    options.layer === 'process'
      ? options.inputs
      : options.layer === 'both'
        ? Math.round(options.inputs * options.processShare)
        : 0;
  const inprocInputs = options.layer === 'process' ? 0 : options.inputs - processInputs;
  say(
    `fuzz: seed ${options.seed}; ${inprocInputs} in-process inputs, ${processInputs} process inputs ` +
      `(${options.keychain ? 'keychain' : 'file'} store)`,
  );
  const result: FuzzResult = { log, inproc: 0 };
  if (inprocInputs > 0) {
    const started = Date.now();
    const counts = runInProcess(inprocInputs, options.seed, log, say);
    result.inproc = [...counts.values()].reduce((a, b) => a + b, 0);
    const seconds = (Date.now() - started) / 1000;
    say(
      `inproc: ${result.inproc} inputs in ${seconds.toFixed(1)} s (${(result.inproc / seconds).toFixed(0)} inputs/s)`,
    );
  }
  if (processInputs > 0) {
    result.process = await runProcessLayer(
      {
        inputs: processInputs,
        seed: options.seed,
        store: options.keychain ? 'keychain' : 'file',
        concurrency: options.concurrency,
        checkEvery: Math.min(250, Math.max(25, Math.ceil(processInputs / 8))),
      },
      log,
      say,
    );
    const p = result.process;
    say(
      `process: ${p.cases} inputs, ${p.processes} processes, ${p.checkpoints} checkpoints in ` +
        `${p.seconds.toFixed(1)} s ` +
        `(${(p.cases / p.seconds).toFixed(1)} inputs/s, ${(p.processes / p.seconds).toFixed(1)} processes/s); ` +
        `${p.slow} runs over ${SLOW_MS / 1000} s, slowest ${(p.slowestMs / 1000).toFixed(1)} s ` +
        `(hung: past ${HANG_MS / 1000} s)`,
    );
  }
  return result;
}

async function main(): Promise<number> {
  let options: FuzzOptions;
  try {
    options = parseArgs(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n`);
    return 2;
  }
  const say = (line: string) => process.stdout.write(`${line}\n`);
  const log = new ViolationLog();
  const summary = () =>
    say(
      log.classCount === 0
        ? `fuzz: 0 violations (seed ${options.seed})`
        : `fuzz: ${log.classCount} violation classes, ${log.total} hits (seed ${options.seed}):\n${log.report()}`,
    );
  // Stopped early (Ctrl-C, a time limit): what was found so far is still worth its reproducers.
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      say(`fuzz: stopped by ${signal} before the last input`);
      summary();
      process.exit(1);
    });
  }
  await runFuzz(options, say, log);
  summary();
  return log.classCount === 0 ? 0 : 1;
}

if (process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  main().then(
    (code) => process.exit(code),
    (error: unknown) => {
      process.stderr.write(`fuzz: ${(error as Error)?.stack ?? String(error)}\n`);
      process.exit(2);
    },
  );
}
