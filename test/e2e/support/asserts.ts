// Assertions shared by the e2e files: protocol output shapes, secrets not leaking.
import * as assert from 'uvu/assert';
import { readdirSync, readFileSync, lstatSync } from 'node:fs';
import { join } from 'node:path';
import { describe, type RunResult } from './run.js';
import type { Creds } from './helper.js';

const STACK_LINE = /\n\s+at .+[(:]\d+/;

export function assertOk(r: RunResult, what: string): void {
  assert.ok(!r.timedOut, `${what}: timed out\n${describe(r)}`);
  assert.is(r.code, 0, `${what}: expected exit 0\n${describe(r)}`);
}

/** Protocol success with no output (store, erase). */
export function assertSilentOk(r: RunResult, what: string): void {
  assertOk(r, what);
  assert.is(r.stdout, '', `${what}: expected no stdout\n${describe(r)}`);
}

/** `get` answered exactly these credentials: one JSON line. */
export function assertCreds(r: RunResult, expected: Creds, what: string): void {
  assertOk(r, what);
  assert.ok(/^[^\n]+\n$/.test(r.stdout), `${what}: expected one JSON line ending in \\n\n${describe(r)}`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(r.stdout);
  } catch {
    assert.unreachable(`${what}: stdout is not JSON\n${describe(r)}`);
  }
  assert.equal(parsed, expected, `${what}: wrong credentials`);
}

/** A protocol error: exit 1, exactly one line on stdout (the exact text when given), no stack trace. */
export function assertOneLineError(r: RunResult, what: string, exact?: string): void {
  assert.ok(!r.timedOut, `${what}: timed out\n${describe(r)}`);
  assert.is(r.code, 1, `${what}: expected exit 1\n${describe(r)}`);
  assert.ok(
    /^[^\n]*\S[^\n]*\n?$/.test(r.stdout),
    `${what}: expected exactly one non-empty line on stdout\n${describe(r)}`,
  );
  if (exact !== undefined) assert.is(r.stdout.trim(), exact, `${what}: wrong error text\n${describe(r)}`);
  assert.not.ok(
    STACK_LINE.test(r.stdout) || STACK_LINE.test(r.stderr),
    `${what}: stack trace in output\n${describe(r)}`,
  );
}

export function assertNotFound(r: RunResult, what: string): void {
  assertOneLineError(r, what, 'credentials not found in native keychain');
}

export function assertNoLeak(r: RunResult, secret: string, what: string): void {
  assert.not.ok(r.stdout.includes(secret), `${what}: the secret appears on stdout\n${describe(r)}`);
  assert.not.ok(r.stderr.includes(secret), `${what}: the secret appears on stderr\n${describe(r)}`);
}

/** Regular files under `dir` whose bytes contain `needle`. */
export function filesContaining(dir: string, needle: string): string[] {
  const found: string[] = [];
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      const st = lstatSync(p);
      if (st.isDirectory()) walk(p);
      else if (st.isFile() && readFileSync(p).includes(needle)) found.push(p);
    }
  };
  walk(dir);
  return found;
}
