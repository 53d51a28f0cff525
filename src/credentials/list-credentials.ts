// `list` answers server URL -> username for every concrete server. Host patterns are
// left out: clients would call `get` with them and ship a pattern as a registry name.
import { readMapping } from '../mapping/mapping-file.js';

export function listCredentials(): Record<string, string> {
  const listing: Record<string, string> = {};
  for (const entry of readMapping().entries) {
    if (!entry.server.includes('*')) listing[entry.serverURL] = entry.username;
  }
  return listing;
}
