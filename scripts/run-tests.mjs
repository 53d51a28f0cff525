#!/usr/bin/env node
// Runs every uvu test file in its own process and prints one closing line
// `N passed, N failed, N skipped`. uvu prints no failed count, and a file that
// throws at import prints no summary at all: such a file counts as one failure.
// Each file's wall time is printed with its result, and the slowest ten before the last line,
// so a slow file shows up in every run instead of only as a longer total.
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, join, relative } from 'node:path';

const roots = process.argv.slice(2).length ? process.argv.slice(2) : ['test/unit', 'test/e2e'];
const perFileTimeoutMs = Number(process.env.LANYARD_TEST_FILE_TIMEOUT_MS ?? 300_000);
// Files run side by side, one per core (files are isolated: own sandbox, keyring, ports and servers), each
// file's output printed in one piece when it ends; LANYARD_TEST_JOBS=1 (or a single file) runs them one at
// a time and shows the output as it comes.
const jobs = Math.max(1, Number(process.env.LANYARD_TEST_JOBS ?? availableParallelism()));
// Files that start a storm of helper processes and hold each to a time limit: side by side, two of them
// starve each other's processes past those limits (fuzz-smoke reported hangs), so they never run together.
const STORMS = new Set(['test/e2e/concurrency.test.ts', 'test/e2e/fuzz-smoke.test.ts']);

function testFiles(path) {
  if (statSync(path).isFile()) return [path];
  return readdirSync(path, { withFileTypes: true })
    .flatMap((d) =>
      d.isDirectory() ? testFiles(join(path, d.name)) : d.name.endsWith('.test.ts') ? [join(path, d.name)] : [],
    )
    .sort();
}

// Each file's time in the last run, so that the longest files start first and two workers finish together
// (a long file picked up last would run on alone). New files count as longest: their time is unknown.
const TIMES_FILE = 'node_modules/.cache/lanyard-test-times.json';
function lastTimes() {
  try {
    return JSON.parse(readFileSync(TIMES_FILE, 'utf8'));
  } catch {
    return {};
  }
}

function runFile(file, live) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', file], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const collect = (chunk) => {
      output += chunk;
      if (live) process.stdout.write(chunk);
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    const timer = setTimeout(() => {
      output += `\n[runner] ${file} timed out after ${perFileTimeoutMs} ms\n`;
      child.kill('SIGKILL');
    }, perFileTimeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

const seconds = (ms) => `${(ms / 1000).toFixed(1)} s`;
const totals = { passed: 0, failed: 0, skipped: 0 };
const timings = [];

/** Runs one file and adds its counts; with `live` false its output is printed in one piece when it ends. */
async function runOne(name, live) {
  if (live) process.stdout.write(`\n=== ${name}\n`);
  const fileStarted = Date.now();
  const { code, output } = await runFile(name, live);
  const took = Date.now() - fileStarted;
  timings.push({ name, took });
  if (!live) process.stdout.write(`\n=== ${name}\n${output}`);
  const count = (label) => Number(output.match(new RegExp(`^\\s*${label}:\\s+(\\d+)`, 'm'))?.[1] ?? NaN);
  const total = count('Total'),
    passed = count('Passed'),
    skipped = count('Skipped');
  if (Number.isNaN(total)) {
    totals.failed += 1;
    process.stdout.write(`=== ${name}: no uvu summary (exit ${code}); counted as 1 failure (${seconds(took)})\n`);
    return;
  }
  let failed = total - passed; // uvu's Total leaves skipped tests out
  if (code !== 0 && failed === 0) failed = 1; // crashed after the summary, or a hook failed
  totals.passed += passed;
  totals.failed += failed;
  totals.skipped += skipped;
  process.stdout.write(`=== ${name}: ${passed} passed, ${failed} failed, ${skipped} skipped (${seconds(took)})\n`);
}

/**
 * Runs `names` on up to `workers` workers, each taking the next file when its last one ends, except a
 * storm while another storm runs; a worker left with only such files stops, the storm's worker takes them.
 */
async function runAll(names, workers) {
  const queue = [...names];
  const count = Math.min(workers, queue.length);
  let stormRunning = false;
  const next = () => {
    const index = queue.findIndex((name) => !(stormRunning && STORMS.has(name)));
    return index < 0 ? undefined : queue.splice(index, 1)[0];
  };
  const worker = async () => {
    for (let name = next(); name !== undefined; name = next()) {
      const storm = STORMS.has(name);
      if (storm) stormRunning = true;
      await runOne(name, count === 1);
      if (storm) stormRunning = false;
    }
  };
  await Promise.all(Array.from({ length: count }, worker));
}

const started = Date.now();
const times = lastTimes();
const names = roots
  .flatMap(testFiles)
  .map((file) => relative(process.cwd(), file))
  .sort((a, b) => (times[b] ?? Infinity) - (times[a] ?? Infinity));
await runAll(names, jobs);
for (const { name, took } of timings) times[name] = took;
mkdirSync(dirname(TIMES_FILE), { recursive: true });
writeFileSync(TIMES_FILE, `${JSON.stringify(times, null, 2)}\n`);
process.stdout.write('\nslowest files:\n');
for (const { name, took } of timings.sort((a, b) => b.took - a.took).slice(0, 10)) {
  process.stdout.write(`${seconds(took).padStart(8)}  ${name}\n`);
}
process.stdout.write(`\n(${seconds(Date.now() - started)} in all)\n`);
process.stdout.write(`${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped\n`);
process.exit(totals.failed === 0 ? 0 : 1);
