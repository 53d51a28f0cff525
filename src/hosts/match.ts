// Host patterns, with kubelet's matchImages rules (reference §8): `*` globs within a
// single DNS label (`*.icr.io` matches `us.icr.io`, not `a.b.icr.io` nor `icr.io`),
// label counts must be equal, ports must be equal. An exact entry beats any pattern;
// among patterns the one with fewer wildcards, then more literal characters, wins.
import type { ServerKey } from './normalize.js';

function labelMatches(pattern: string, label: string): boolean {
  if (!pattern.includes('*')) return pattern === label;
  const regex = new RegExp(`^${pattern.split('*').map((part) => part.replace(/[.+?^${}()|[\]\\-]/g, '\\$&')).join('[^.]*')}$`);
  return regex.test(label);
}

export function patternMatches(pattern: ServerKey, target: ServerKey): boolean {
  if (pattern.port !== target.port || target.isPattern || target.host.startsWith('[')) return false;
  const patternLabels = pattern.host.split('.');
  const targetLabels = target.host.split('.');
  return patternLabels.length === targetLabels.length && patternLabels.every((label, i) => labelMatches(label, targetLabels[i]));
}

/** Larger is more specific. */
function specificity(pattern: ServerKey): [number, number] {
  const wildcards = (pattern.host.match(/\*/g) ?? []).length;
  return [-wildcards, pattern.host.length - wildcards];
}

/**
 * Picks the entry that answers `target`: the exact key if present, else the most
 * specific matching pattern. `keyOf` maps an entry to its normalised server key.
 */
export function findBestMatch<T>(entries: readonly T[], target: ServerKey, keyOf: (entry: T) => ServerKey): T | undefined {
  let best: { entry: T; rank: [number, number] } | undefined;
  for (const entry of entries) {
    const key = keyOf(entry);
    if (key.key === target.key) return entry;
    if (!key.isPattern || !patternMatches(key, target)) continue;
    const rank = specificity(key);
    if (!best || rank[0] > best.rank[0] || (rank[0] === best.rank[0] && rank[1] > best.rank[1])) best = { entry, rank };
  }
  return best?.entry;
}
