// The concrete registry hosts lanyard answers for: mapped servers, with host patterns
// expanded over the registry domains lanyard knows by name (client configs and pull
// secrets cannot hold patterns).
import { UserError } from '../errors.js';
import { KIND_TRAITS, KNOWN_REGISTRY_HOSTS } from '../clouds/registry.js';
import { patternMatches } from '../hosts/match.js';
import { normalizeServer } from '../hosts/normalize.js';
import type { Mapping } from '../mapping/types.js';

export function mappedRegistries(mapping: Mapping): { registries: string[]; unexpanded: string[] } {
  const registries = new Set<string>();
  const unexpanded: string[] = [];
  for (const entry of mapping.entries) {
    const key = normalizeServer(entry.server);
    if (key.key.startsWith('https://')) continue; // docker's OAuth items ride along with docker.io
    if (!key.isPattern) {
      registries.add(key.key);
      continue;
    }
    const serves = KIND_TRAITS[entry.kind].patternAlsoServes;
    const hosts = KNOWN_REGISTRY_HOSTS.filter(
      (host) => patternMatches(key, normalizeServer(host)) || serves?.(entry.server, host),
    );
    if (hosts.length === 0) unexpanded.push(entry.server);
    for (const host of hosts) registries.add(host);
  }
  return { registries: [...registries], unexpanded };
}

export function explicitRegistries(values: string[]): string[] {
  return values.map((value) => {
    const key = normalizeServer(value);
    if (key.isPattern)
      throw new UserError(
        `a pattern like ${value} cannot be written into a client config or pull secret: ` +
          'name the hosts (e.g. us.icr.io)',
      );
    return key.key;
  });
}
