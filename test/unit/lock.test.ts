import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readFileSync, writeFileSync, existsSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { withLock } from '../../src/fsutil/lock.js';
import { writeFileAtomic } from '../../src/fsutil/atomic-write.js';

const dir = mkdtempSync(join(tmpdir(), 'lanyard-lock-'));

test('critical sections never overlap', async () => {
  const lock = join(dir, 'a.lock');
  let inside = 0;
  let maxInside = 0;
  await Promise.all(Array.from({ length: 20 }, () => withLock(lock, async () => {
    inside += 1;
    maxInside = Math.max(maxInside, inside);
    await new Promise((r) => setTimeout(r, 2));
    inside -= 1;
  })));
  assert.is(maxInside, 1);
  assert.not.ok(existsSync(lock), 'lock released');
});

test('a lock left by a dead process is taken over', async () => {
  const lock = join(dir, 'b.lock');
  const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']).stdout.toString();
  writeFileSync(lock, `${dead}\n`);
  const started = Date.now();
  const value = await withLock(lock, () => 'ran', 3000);
  assert.is(value, 'ran');
  assert.ok(Date.now() - started < 1000);
});

test('a live holder makes others wait, then time out with a clear message', async () => {
  const lock = join(dir, 'c.lock');
  writeFileSync(lock, `${process.ppid}\n`); // our parent is alive
  try {
    await withLock(lock, () => 'never', 200);
    assert.unreachable('should have timed out');
  } catch (error) {
    assert.match((error as Error).message, /timed out .* waiting for the lock .*held by PID \d+/);
  }
  assert.is(readFileSync(lock, 'utf8').trim(), String(process.ppid), 'live lock untouched');
});

test('atomic writes leave no temp files and set the mode', () => {
  const file = join(dir, 'sub', 'f.json');
  writeFileAtomic(file, 'one');
  writeFileAtomic(file, 'two');
  assert.is(readFileSync(file, 'utf8'), 'two');
  assert.is(statSync(file).mode & 0o777, 0o600);
  assert.equal(readdirSync(join(dir, 'sub')), ['f.json']);
});

test.run();
