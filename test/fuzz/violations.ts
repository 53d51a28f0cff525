// Violations found by either layer, grouped into classes (layer, target, invariant) so that a
// run with thousands of hits still reports each kind of bug once, with its smallest reproducer.

export interface Violation {
  layer: 'inproc' | 'process';
  /** The function or command under test. */
  target: string;
  /** Which generator produced the input. */
  inputClass: string;
  /** The invariant broken, stable across inputs (it names the class). */
  invariant: string;
  /** What exactly went wrong for this input. */
  detail: string;
  /** How to see it again: the call, or the exact argv and stdin. */
  reproducer: string;
}

/** Writes long repetitions as ⟨"unit"×count⟩, so that a 1 MiB reproducer stays exact and readable. */
export function compactRuns(text: string): string {
  return text.replace(
    /(.{1,10}?)\1{15,}/gs,
    (run: string, unit: string) => `⟨${JSON.stringify(unit)}×${run.length / unit.length}⟩`,
  );
}

interface ViolationClass {
  first: Violation;
  hits: number;
}

export class ViolationLog {
  private readonly classes = new Map<string, ViolationClass>();

  /** Records a violation; returns true when it opens a new class. */
  add(violation: Violation): boolean {
    const key = `${violation.layer}\u0000${violation.target}\u0000${violation.invariant}`;
    const known = this.classes.get(key);
    if (!known) {
      this.classes.set(key, { first: violation, hits: 1 });
      return true;
    }
    known.hits += 1;
    if (violation.reproducer.length < known.first.reproducer.length) known.first = violation;
    return false;
  }

  /** One more input that hit an already recorded class. */
  count(layer: Violation['layer'], target: string, invariant: string): void {
    const known = this.classes.get(`${layer}\u0000${target}\u0000${invariant}`);
    if (known) known.hits += 1;
  }

  get total(): number {
    return [...this.classes.values()].reduce((sum, c) => sum + c.hits, 0);
  }

  get classCount(): number {
    return this.classes.size;
  }

  /** One paragraph per class, smallest reproducer first. */
  report(): string {
    return [...this.classes.values()]
      .map(({ first: v, hits }, i) =>
        [
          `#${i + 1} [${v.layer}] ${v.target}: ${v.invariant} ` +
            `(${hits} input${hits === 1 ? '' : 's'}; input class ${v.inputClass})`,
          `   ${compactRuns(v.detail)}`,
          `   reproducer: ${compactRuns(v.reproducer)}`,
        ].join('\n'),
      )
      .join('\n');
  }
}
