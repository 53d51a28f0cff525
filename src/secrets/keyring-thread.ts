// Calls into the keyring addon with a deadline that holds. The addon blocks the thread it runs on
// inside libdbus for as long as the bus makes it wait, so a timer on that thread never fires: the
// addon runs on a worker thread (keyring-worker.ts), started on the first call and kept for the
// process's later ones, while this side waits with a timer. A call past its deadline rejects, and its
// worker is abandoned: a thread stuck in a native call cannot be stopped, but unreferenced it no longer
// keeps the process alive. While it is stuck, later calls fail at once for a while (a `store` that
// sweeps, then writes, waits once, not twice), and then get a new worker: a daemon whose keyring comes
// back is answered again, at the cost of at most one stuck thread per STUCK_RETRY_MS.
import { Worker } from 'node:worker_threads';
import { trace } from '../trace.js';

export interface AddonRequest {
  id: number;
  op: 'read' | 'write' | 'delete';
  service: string;
  account: string;
  secret?: string;
}

/** `id` 0 says the worker has loaded the addon. `elapsedMs` is the native call's own duration. */
export type AddonReply =
  | { id: number; value: string | null; elapsedMs: number }
  | { id: number; error: string; elapsedMs: number };

/** The addon's call failed: its message (the library's, first line kept by the caller) and how long it took. */
export class AddonCallError extends Error {
  constructor(
    message: string,
    readonly elapsedMs: number,
  ) {
    super(message);
  }
}

/** The deadline passed with the call unanswered. */
export class AddonDeadlineError extends Error {}

interface Pending {
  resolve(value: string | null): void;
  reject(error: Error): void;
}

interface AddonThread {
  worker: Worker;
  pending: Map<number, Pending>;
}

/** How long calls fail at once after one was abandoned, while its worker has not answered since. */
const STUCK_RETRY_MS = 30_000;

let thread: AddonThread | undefined;
let stuck: { thread: AddonThread; since: number } | undefined;
let nextId = 1;

function abandon(dead: AddonThread, error: Error, hung: boolean): void {
  if (thread === dead) thread = undefined;
  if (hung) stuck = { thread: dead, since: Date.now() };
  for (const { reject } of dead.pending.values()) reject(error);
  dead.pending.clear();
  // No terminate(): under Bun its promise keeps the process alive while the thread is stuck.
  dead.worker.unref();
}

function startThread(): AddonThread {
  const worker = new Worker(new URL('./keyring-worker.ts', import.meta.url));
  const started: AddonThread = { worker, pending: new Map() };
  worker.on('message', (reply: AddonReply) => {
    if (stuck?.thread === started) stuck = undefined;
    const waiting = started.pending.get(reply.id);
    started.pending.delete(reply.id);
    // An idle worker must not keep the process alive. Bun ignores an unref made before the worker's first message.
    if (started.pending.size === 0) worker.unref();
    if (reply.id === 0) trace('keychain addon loaded');
    else if ('error' in reply) waiting?.reject(new AddonCallError(reply.error, reply.elapsedMs));
    else waiting?.resolve(reply.value);
  });
  worker.on('error', (error) => abandon(started, new AddonCallError(`keyring addon: ${error.message}`, 0), false));
  worker.on('exit', () => abandon(started, new AddonCallError('keyring addon thread ended', 0), false));
  return started;
}

/** One addon call, answered within `deadlineMs` or rejected with AddonDeadlineError. */
export function callAddon(request: Omit<AddonRequest, 'id'>, deadlineMs: number): Promise<string | null> {
  if (stuck && Date.now() - stuck.since < STUCK_RETRY_MS) return Promise.reject(new AddonDeadlineError());
  thread ??= startThread();
  const current = thread;
  const id = nextId++;
  return new Promise<string | null>((resolve, reject) => {
    const timer = setTimeout(() => abandon(current, new AddonDeadlineError(), true), deadlineMs);
    const settle = () => clearTimeout(timer);
    current.pending.set(id, {
      resolve: (value) => {
        settle();
        resolve(value);
      },
      reject: (error) => {
        settle();
        reject(error);
      },
    });
    current.worker.ref();
    current.worker.postMessage({ ...request, id } satisfies AddonRequest);
  });
}
