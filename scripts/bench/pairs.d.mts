// Types of pairs.mjs for the TypeScript benchmarks.
export interface PairedSamples {
  samples: number[];
  baseline: number[];
  ratios: number[];
}
export function timePairs<C extends { id: string }>(options: {
  cases: C[];
  baseline: C;
  rounds: number;
  warmup: number;
  timeOne: (c: C) => number;
}): Record<string, PairedSamples>;
