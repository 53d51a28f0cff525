// A daemon started on demand stops after a while without a `get`, as an agent nobody installed should: it must not
// stay for good. Monotonic time, so a clock set back does not keep it up; one timer, re-armed only when it fires,
// so that a `get` costs one assignment.
const MAX_TIMER_MS = 2 ** 31 - 1; // setTimeout fires at once beyond this

export class IdleExit {
  private lastUseAt = performance.now();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly idleMs: number,
    private readonly onIdle: () => void,
  ) {}

  /** Milliseconds until it exits if nothing uses it before. */
  get leftMs(): number {
    return Math.max(this.lastUseAt + this.idleMs - performance.now(), 0);
  }

  start(): void {
    this.arm();
  }

  used(): void {
    this.lastUseAt = performance.now();
  }

  stop(): void {
    clearTimeout(this.timer);
  }

  private arm(): void {
    this.timer = setTimeout(
      () => (this.leftMs === 0 ? this.onIdle() : this.arm()),
      Math.min(this.leftMs, MAX_TIMER_MS),
    );
  }
}
