// Types of stats.mjs for the TypeScript benchmarks.
export interface Summary {
  median: number;
  q1: number;
  q3: number;
  min: number;
  max: number;
  n: number;
}
export function quantile(xs: number[], q: number): number;
export function summarize(xs: number[]): Summary;
export function shuffled<T>(xs: T[]): T[];
