// Tells when the wall clock moved other than time passed: the machine slept (the monotonic clock stands
// still during a suspend on Linux, the wall clock does not) or the clock was stepped, back or forward.
// Every refresh time the scheduler keeps is a wall-clock time computed before the jump: after a step
// back by a day they would all lie a day ahead, and no token would be refreshed until then.

/** A difference smaller than this is a slow tick or an NTP slew, not a jump. */
const JUMP_MS = 5_000;

export class ClockJumps {
  private wall: number;
  private monotonic: number;

  constructor(
    private readonly now: () => number,
    private readonly monotonicNow: () => number = () => performance.now(),
  ) {
    this.wall = now();
    this.monotonic = this.monotonicNow();
  }

  /** How far the wall clock jumped since the last call (0 if it did not), positive when it moved ahead. */
  sinceLastLook(): number {
    const wall = this.now();
    const monotonic = this.monotonicNow();
    const jump = wall - this.wall - (monotonic - this.monotonic);
    this.wall = wall;
    this.monotonic = monotonic;
    return Math.abs(jump) >= JUMP_MS ? jump : 0;
  }
}
