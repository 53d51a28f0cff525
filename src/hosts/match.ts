// Host patterns, with kubelet's matchImages rules (docs/wire-formats.md#kubelet-credential-provider):
// `*` globs within a single DNS label (`*.icr.io` matches `us.icr.io`, not `a.b.icr.io` nor `icr.io`),
// label counts must be equal, ports must be equal. An exact entry beats any pattern;
// among patterns the one with fewer wildcards, then more literal characters, wins.
import type { ServerKey } from './normalize.js';

/**
 * Glob match of one label, without a regex: the literal parts between stars must appear
 * in order, the first as a prefix and the last as a suffix. Taking each middle part at its
 * leftmost place is never wrong, so one forward scan decides: no backtracking, whatever
 * the stars (a backtracking regex took over 20 s for `*a*a*a*a*b` against a long label).
 */
export function labelMatches(pattern: string, label: string): boolean {
  const parts = pattern.split('*');
  if (parts.length === 1) return pattern === label;
  const first = parts[0];
  const last = parts[parts.length - 1];
  const end = label.length - last.length;
  if (end < first.length || !label.startsWith(first) || !label.endsWith(last)) return false;
  let from = first.length;
  for (const part of parts.slice(1, -1)) {
    const at = label.indexOf(part, from);
    if (at < 0 || at + part.length > end) return false;
    from = at + part.length;
  }
  return true;
}

export function patternMatches(pattern: ServerKey, target: ServerKey): boolean {
  if (pattern.port !== target.port || target.isPattern || target.host.startsWith('[')) return false;
  const patternLabels = pattern.host.split('.');
  const targetLabels = target.host.split('.');
  return (
    patternLabels.length === targetLabels.length &&
    patternLabels.every((label, i) => labelMatches(label, targetLabels[i]))
  );
}

/** Larger is more specific. */
function specificity(pattern: ServerKey): [number, number] {
  const wildcards = (pattern.host.match(/\*/g) ?? []).length;
  return [-wildcards, pattern.host.length - wildcards];
}

/**
 * Picks the entry that answers `target`: the exact key if present, else the most
 * specific matching pattern. `keyOf` maps an entry to its normalised server key, or
 * to undefined for an entry to skip.
 */
export function findBestMatch<T>(
  entries: readonly T[],
  target: ServerKey,
  keyOf: (entry: T) => ServerKey | undefined,
): T | undefined {
  let best: { entry: T; rank: [number, number] } | undefined;
  for (const entry of entries) {
    const key = keyOf(entry);
    if (!key) continue;
    if (key.key === target.key) return entry;
    if (!key.isPattern || !patternMatches(key, target)) continue;
    const rank = specificity(key);
    if (!best || rank[0] > best.rank[0] || (rank[0] === best.rank[0] && rank[1] > best.rank[1])) best = { entry, rank };
  }
  return best?.entry;
}
