#!/usr/bin/env node
// Runs every uvu test file in its own process and prints one closing line
// `N passed, N failed, N skipped`. uvu prints no failed count, and a file that
// throws at import prints no summary at all: such a file counts as one failure.
// Each file's wall time is printed with its result, and the slowest ten before the last line,
// so a slow file shows up in every run instead of only as a longer total.
import { spawn } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const roots = process.argv.slice(2).length ? process.argv.slice(2) : ['test/unit', 'test/e2e'];
const perFileTimeoutMs = Number(process.env.LANYARD_TEST_FILE_TIMEOUT_MS ?? 300_000);

function testFiles(path) {
  if (statSync(path).isFile()) return [path];
  return readdirSync(path, { withFileTypes: true })
    .flatMap((d) =>
      d.isDirectory() ? testFiles(join(path, d.name)) : d.name.endsWith('.test.ts') ? [join(path, d.name)] : [],
    )
    .sort();
}

function runFile(file) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', file], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const collect = (chunk) => {
      output += chunk;
      process.stdout.write(chunk);
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
const started = Date.now();
for (const file of roots.flatMap(testFiles)) {
  const name = relative(process.cwd(), file);
  process.stdout.write(`\n=== ${name}\n`);
  const fileStarted = Date.now();
  const { code, output } = await runFile(file);
  const took = Date.now() - fileStarted;
  timings.push({ name, took });
  const count = (label) => Number(output.match(new RegExp(`^\\s*${label}:\\s+(\\d+)`, 'm'))?.[1] ?? NaN);
  const total = count('Total'),
    passed = count('Passed'),
    skipped = count('Skipped');
  if (Number.isNaN(total)) {
    totals.failed += 1;
    process.stdout.write(`=== ${name}: no uvu summary (exit ${code}); counted as 1 failure (${seconds(took)})\n`);
    continue;
  }
  let failed = total - passed; // uvu's Total leaves skipped tests out
  if (code !== 0 && failed === 0) failed = 1; // crashed after the summary, or a hook failed
  totals.passed += passed;
  totals.failed += failed;
  totals.skipped += skipped;
  process.stdout.write(`=== ${name}: ${passed} passed, ${failed} failed, ${skipped} skipped (${seconds(took)})\n`);
}
process.stdout.write('\nslowest files:\n');
for (const { name, took } of timings.sort((a, b) => b.took - a.took).slice(0, 10)) {
  process.stdout.write(`${seconds(took).padStart(8)}  ${name}\n`);
}
process.stdout.write(`\n(${seconds(Date.now() - started)} in all)\n`);
process.stdout.write(`${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped\n`);
process.exit(totals.failed === 0 ? 0 : 1);
