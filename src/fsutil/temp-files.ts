// Temp files that atomic writes leave behind when their writer is killed mid-write
// (kill -9, power loss). They hold what was being written, secrets included, so the
// next write of the same file removes them; a live writer's temp file is never touched.
import { readdirSync, statSync, unlinkSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { isAlive } from './process-alive.js';

// No write holds its temp file for this long: past it, a "live" PID is a reused one.
const ABANDONED_AFTER_MS = 60 * 60_000;

function isAbandoned(path: string, pid: number): boolean {
  if (!isAlive(pid)) return true;
  try {
    return Date.now() - statSync(path).mtimeMs > ABANDONED_AFTER_MS;
  } catch {
    return false; // already gone
  }
}

/** Removes the abandoned temp files of `target`. Never fails: it is housekeeping before a write. */
export function sweepAbandonedTempFiles(target: string): void {
  const prefix = `.${basename(target)}.`; // writeFileAtomic's names: .<name>.<pid>.<hex>.tmp
  let names: string[];
  try {
    names = readdirSync(dirname(target));
  } catch {
    return;
  }
  for (const name of names) {
    if (!name.startsWith(prefix) || !name.endsWith('.tmp')) continue;
    const match = /^(\d+)\.[0-9a-f]+\.tmp$/.exec(name.slice(prefix.length));
    if (!match) continue;
    const path = join(dirname(target), name);
    if (!isAbandoned(path, Number(match[1]))) continue;
    try {
      unlinkSync(path);
    } catch {
      /* another writer swept it first */
    }
  }
}
