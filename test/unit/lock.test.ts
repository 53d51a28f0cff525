import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  mkdtempSync,
  mkdirSync,
  readFileSync,
  writeFileSync,
  existsSync,
  lstatSync,
  readdirSync,
  statSync,
  symlinkSync,
  utimesSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn, spawnSync } from 'node:child_process';
import { withLock } from '../../src/fsutil/lock.js';
import { writeFileAtomic } from '../../src/fsutil/atomic-write.js';

const dir = mkdtempSync(join(tmpdir(), 'lanyard-lock-'));

test('critical sections never overlap', async () => {
  const lock = join(dir, 'a.lock');
  let inside = 0;
  let maxInside = 0;
  await Promise.all(
    Array.from({ length: 20 }, () =>
      withLock(lock, async () => {
        inside += 1;
        maxInside = Math.max(maxInside, inside);
        await new Promise((r) => setTimeout(r, 2));
        inside -= 1;
      }),
    ),
  );
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

test('a live owner is never overruled, however old its lock (waiters time out instead)', async () => {
  const lock = join(dir, 'd.lock');
  writeFileSync(lock, '1 token-of-init\n'); // PID 1: alive, and started long before this lock was written
  const uptimeSeconds = Number(readFileSync('/proc/uptime', 'utf8').split(' ')[0]);
  const age = Math.min(120, uptimeSeconds - 5);
  utimesSync(lock, new Date(Date.now() - age * 1000), new Date(Date.now() - age * 1000));
  const started = Date.now();
  try {
    await withLock(lock, () => 'never', 300);
    assert.unreachable('a live owner was overruled');
  } catch (error) {
    assert.match((error as Error).message, /timed out/);
  }
  assert.ok(Date.now() - started < 2000, 'gave up at the deadline instead of spinning past it');
  assert.is(readFileSync(lock, 'utf8'), '1 token-of-init\n', 'the live lock is untouched');
});

test('a PID reused by a process started after the lock was written does not hold it', async () => {
  const lock = join(dir, 'e.lock');
  const impostor = spawn('sleep', ['30']);
  await new Promise((r) => setTimeout(r, 50));
  writeFileSync(lock, `${impostor.pid} token-of-a-dead-owner\n`);
  const written = new Date(Date.now() - 10_000); // the real owner wrote it before the impostor started
  utimesSync(lock, written, written);
  try {
    assert.is(await withLock(lock, () => 'taken over', 2000), 'taken over');
  } finally {
    impostor.kill();
  }
});

test('release removes only our own lock', async () => {
  const lock = join(dir, 'f.lock');
  await withLock(lock, () => {
    writeFileSync(lock, `${process.ppid} someone-else\n`); // replaced under us (e.g. judged stale elsewhere)
  });
  assert.is(readFileSync(lock, 'utf8'), `${process.ppid} someone-else\n`, 'the other owner keeps its lock');
});

// Before: a dangling symlink made every waiter spin until its deadline (30 s for a get), forever.
test('a dangling symlink at the lock path is removed at once, without following it', async () => {
  const lock = join(dir, 'g.lock');
  const target = join(dir, 'g-target-that-does-not-exist');
  symlinkSync(target, lock);
  const started = Date.now();
  assert.is(await withLock(lock, () => 'ran', 5000), 'ran');
  assert.ok(Date.now() - started < 1000, `took ${Date.now() - started} ms`);
  assert.not.ok(existsSync(target), 'nothing was created through the link');
  assert.not.ok(existsSync(lock), 'released');
});

test('a symlink to a real file is removed as debris; the file it points to is untouched', async () => {
  const lock = join(dir, 'h.lock');
  const victim = join(dir, 'h-victim');
  writeFileSync(victim, `${process.ppid} looks-like-a-live-lock\n`);
  symlinkSync(victim, lock);
  assert.is(await withLock(lock, () => 'ran', 1000), 'ran');
  assert.is(readFileSync(victim, 'utf8'), `${process.ppid} looks-like-a-live-lock\n`);
});

test('a FIFO at the lock path never blocks a reader', async () => {
  const lock = join(dir, 'i.lock');
  spawnSync('mkfifo', [lock]);
  assert.ok(lstatSync(lock).isFIFO());
  assert.is(await withLock(lock, () => 'ran', 1000), 'ran');
});

test('a directory at the lock path is reported at once, in one line', async () => {
  const lock = join(dir, 'j.lock');
  mkdirSync(lock);
  const started = Date.now();
  try {
    await withLock(lock, () => 'never', 5000);
    assert.unreachable('a directory was taken for a lock');
  } catch (error) {
    assert.match((error as Error).message, /^the lock .*j\.lock is a directory, not a lock file: remove it$/);
  }
  assert.ok(Date.now() - started < 1000);
});

test('atomic writes leave no temp files and set the mode', () => {
  const file = join(dir, 'sub', 'f.json');
  writeFileAtomic(file, 'one');
  writeFileAtomic(file, 'two');
  assert.is(readFileSync(file, 'utf8'), 'two');
  assert.is(statSync(file).mode & 0o777, 0o600);
  assert.equal(readdirSync(join(dir, 'sub')), ['f.json']);
});

test('a lock is never seen without its owner (a slow taker is not mistaken for debris)', async () => {
  // Another process takes and releases the lock as fast as it can; this one looks at the lock file
  // meanwhile. An empty lock file would be judged debris after a second by a waiter on a busy machine.
  const lock = join(dir, 'never-empty.lock');
  const source = `import { withLock } from ${JSON.stringify(join(process.cwd(), 'src/fsutil/lock.ts'))};
    const until = Date.now() + 2500;
    while (Date.now() < until) await withLock(${JSON.stringify(lock)}, () => undefined);`;
  const taker = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', source], { stdio: 'inherit' });
  const exited = new Promise((resolve) => taker.once('exit', resolve));
  let seen = 0;
  let empty = 0;
  // Watch until the taker is done: under load, starting it (tsx) can take longer than its 2.5 s of work.
  // The event loop gets a turn after each look: without one, the taker's exit is never noticed and the
  // watch always ran its whole 30 s.
  const until = Date.now() + 30_000;
  while (Date.now() < until && taker.exitCode === null) {
    try {
      const content = readFileSync(lock, 'utf8');
      seen += 1;
      if (content === '') empty += 1;
    } catch {
      /* not held at this instant */
    }
    await new Promise((resolve) => setImmediate(resolve));
  }
  await exited;
  assert.ok(seen > 50, `the lock was observed while held (${seen} times)`);
  assert.is(empty, 0, `the lock was seen empty ${empty} of ${seen} times`);
  assert.equal(
    readdirSync(dir).filter((n) => n.startsWith('.never-empty.lock.')),
    [],
    'no content file left behind',
  );
});

test.run();
