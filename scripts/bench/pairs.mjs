// Paired timing. Every sample of a case is taken right next to one of the baseline, in a
// random order within the pair, and the ratio is kept per pair: drift in the machine's
// speed (a neighbour's build, a busy keyring daemon) moves both halves of a pair alike, so
// the median of per-pair ratios is steadier than a ratio of two medians taken apart.
// The cases of one round run in a random order too, so no case always follows another.
import { shuffled } from './stats.mjs';

/**
 * Times `rounds` pairs per case after `warmup` untimed rounds. `timeOne(c)` runs one
 * sample and returns its wall time in ms (it fails the bench on a wrong answer).
 * Returns, per case id, the case's samples, its partners' samples and the ratios.
 */
export function timePairs({ cases, baseline, rounds, warmup, timeOne }) {
  const out = Object.fromEntries(cases.map((c) => [c.id, { samples: [], baseline: [], ratios: [] }]));
  for (let round = 0; round < warmup + rounds; round++) {
    for (const c of shuffled(cases)) {
      const [first, second] = Math.random() < 0.5 ? [c, baseline] : [baseline, c];
      const t1 = timeOne(first);
      const t2 = timeOne(second);
      if (round < warmup) continue;
      const [mine, theirs] = first === c ? [t1, t2] : [t2, t1];
      const slot = out[c.id];
      slot.samples.push(mine);
      slot.baseline.push(theirs);
      slot.ratios.push(mine / theirs);
    }
  }
  return out;
}
