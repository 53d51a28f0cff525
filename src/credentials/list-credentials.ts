// `list` answers server URL -> username for every concrete server. Host patterns are
// left out: clients would call `get` with them and ship a pattern as a registry name.
import { readMapping } from '../mapping/mapping-file.js';
import { emptyRecord } from '../validate.js';
import type { CoreContext } from './core-context.js';

export function listCredentials(context: CoreContext): Record<string, string> {
  const listing = emptyRecord<string>(); // a server named `__proto__` is listed like any other
  for (const entry of readMapping(context.config.paths.mappingFile).entries) {
    if (!entry.server.includes('*')) listing[entry.serverURL] = entry.username;
  }
  return listing;
}
