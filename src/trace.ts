// LANYARD_TRACE=1: where one `get`'s time goes, one stderr line per phase: wall time since the runtime
// started the process (performance.now() counts from its time origin), the step since the last line, and
// the CPU time used so far. Off, a call costs one boolean test and loads nothing.
import { writeErr } from './output.js';

let on = false;
let lastMs = 0;

/** The entry point's call, with its configuration's LANYARD_TRACE. */
export function startTrace(enabled: boolean): void {
  on = enabled;
}

export function trace(phase: string): void {
  if (!on) return;
  const nowMs = performance.now();
  const { user, system } = process.cpuUsage();
  const cpuMs = (user + system) / 1000;
  const step = `+${(nowMs - lastMs).toFixed(1)}`.padStart(7);
  writeErr(`lanyard trace: ${nowMs.toFixed(1).padStart(6)} ms ${step} ms  cpu ${cpuMs.toFixed(1)} ms  ${phase}\n`);
  lastMs = nowMs;
}
