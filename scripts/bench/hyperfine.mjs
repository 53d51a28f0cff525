// The second timer: hyperfine over the same helpers, in the same sandbox and minute, so
// its figures can be set beside the paired spawn loop's. hyperfine runs all runs of one
// command before the next (not interleaved) and times from its own fork, not from Node.
//
// How the server name reaches stdin: hyperfine >= 1.16 has --input, so the helper is
// exec'd directly (-N, no shell). Debian 12 ships 1.15, which has -N but no --input: there
// the command is `exec HELPER get < FILE` under sh, so sh's `exec` replaces itself with
// the helper (no extra fork) and hyperfine subtracts its measured cost of starting sh.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

const quote = (s) => `'${s.replaceAll("'", "'\\''")}'`;

/** undefined when hyperfine is not installed, else its version and whether it can feed stdin without a shell. */
export function findHyperfine() {
  const version = spawnSync('hyperfine', ['--version'], { encoding: 'utf8' });
  if (version.error || version.status !== 0) return undefined;
  const help = spawnSync('hyperfine', ['--help'], { encoding: 'utf8' }).stdout ?? '';
  return { version: version.stdout.trim().replace(/^hyperfine\s*/, ''), direct: help.includes('--input') };
}

/**
 * Runs hyperfine over `commands` ({ name, file, args }) with stdin from `inputFile`.
 * Returns { mode, results: [{ name, median, min, max, mean, userSys }] } in ms,
 * or { error } with hyperfine's own words when a command failed.
 */
export function runHyperfine({ hyperfine, commands, inputFile, env, runs, warmup, jsonFile }) {
  const line = (c) => [c.file, ...c.args].map(quote).join(' ');
  const args = ['--style', 'none', '--warmup', String(warmup), '--runs', String(runs), '--export-json', jsonFile];
  if (hyperfine.direct) args.push('-N', '--input', inputFile);
  for (const c of commands) {
    args.push('--command-name', c.name, hyperfine.direct ? line(c) : `exec ${line(c)} < ${quote(inputFile)}`);
  }
  const r = spawnSync('hyperfine', args, { env, encoding: 'utf8' });
  if (r.status !== 0) return { error: `${r.stderr || r.stdout}`.trim().split('\n').slice(-3).join(' / ') };
  const ms = (s) => s * 1000;
  const results = JSON.parse(readFileSync(jsonFile, 'utf8')).results.map((x, i) => ({
    name: commands[i].name,
    median: ms(x.median),
    min: ms(x.min),
    max: ms(x.max),
    mean: ms(x.mean),
    userSys: ms(x.user + x.system),
  }));
  const mode = hyperfine.direct
    ? 'direct exec (-N --input)'
    : "sh -c 'exec HELPER get < FILE', hyperfine's shell-start correction applied";
  return { mode, results };
}
