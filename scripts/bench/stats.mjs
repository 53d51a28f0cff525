// Order statistics for the benchmark: the median and spread of a set of samples, and a
// fair shuffle for the run order. Medians and quartiles, not means: a spawn on a shared
// machine has a long right tail (a neighbour's burst), which a mean would fold in.
import { randomInt } from 'node:crypto';

/** Linear-interpolated quantile (q in 0..1) of a non-empty list. */
export function quantile(xs, q) {
  const sorted = [...xs].sort((a, b) => a - b);
  const at = (sorted.length - 1) * q;
  const lo = Math.floor(at);
  return sorted[lo] + (sorted[Math.ceil(at)] - sorted[lo]) * (at - lo);
}

/** Median, quartiles and extremes of a non-empty list of samples. */
export function summarize(xs) {
  return {
    median: quantile(xs, 0.5),
    q1: quantile(xs, 0.25),
    q3: quantile(xs, 0.75),
    min: Math.min(...xs),
    max: Math.max(...xs),
    n: xs.length,
  };
}

/** A new array in a uniformly random order (Fisher-Yates). */
export function shuffled(xs) {
  const out = [...xs];
  for (let i = out.length - 1; i > 0; i--) {
    const j = randomInt(i + 1);
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}
