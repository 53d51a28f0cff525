import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { writeFileAtomic } from '../../src/fsutil/atomic-write.js';

// A full disk must leave the previous content intact: needs a tiny tmpfs (root only).
const dir = mkdtempSync(join(tmpdir(), 'lanyard-fulldisk-'));
const mounted =
  process.getuid?.() === 0 && spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', dir]).status === 0;

test.after(() => {
  if (mounted) spawnSync('umount', [dir]);
  rmSync(dir, { recursive: true, force: true });
});

(mounted ? test : test.skip)('a full disk: a clear error, the old file intact, no temp file left', () => {
  const file = join(dir, 'secrets.json');
  writeFileAtomic(file, 'x'.repeat(10_000));
  writeFileSync(join(dir, 'filler'), Buffer.alloc(40 * 1024)); // leaves less room than the next write needs
  try {
    writeFileAtomic(file, 'y'.repeat(30_000));
    assert.unreachable('the write should have failed');
  } catch (error) {
    const expected = /^no space left on .*lanyard-fulldisk-\w+ \(writing secrets\.json\); nothing changed$/;
    assert.match((error as Error).message, expected);
  }
  assert.is(readFileSync(file, 'utf8'), 'x'.repeat(10_000));
  assert.equal(readdirSync(dir).sort(), ['filler', 'secrets.json']);
});

test.run();
