// Notices when the mapping file changed (by mtime) so the daemon picks up logins,
// logouts and pull-secret targets without a restart.
import { statSync } from 'node:fs';
import { describeError } from '../errors.js';
import { log } from '../log.js';
import { readMapping } from '../mapping/mapping-file.js';
import type { Mapping } from '../mapping/types.js';

export class MappingWatcher {
  private stamp = -1;

  constructor(private readonly mappingFile: string) {}

  /** The mapping if it changed since the last call (or on the first call); undefined otherwise. */
  changed(): Mapping | undefined {
    let stamp: number;
    try {
      stamp = statSync(this.mappingFile).mtimeMs;
    } catch {
      stamp = 0;
    }
    if (stamp === this.stamp) return undefined;
    try {
      const mapping = readMapping(this.mappingFile);
      this.stamp = stamp;
      return mapping;
    } catch (error) {
      log.error(`cannot read the mapping: ${describeError(error)}`);
      return undefined; // keep the last good view; try again next tick
    }
  }
}
