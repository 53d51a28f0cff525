// The daemon's pull-secret sync: keeps each configured Kubernetes pull secret filled
// with fresh tokens, checking more often as the tokens inside approach expiry.
import type { CoreContext } from '../credentials/core-context.js';
import { describeError } from '../errors.js';
import { log } from '../log.js';
import type { PullSecretTarget } from '../mapping/types.js';
import { BACKGROUND_ATTEMPT, backoffDelay } from '../retry.js';
import { syncPullSecret, targetId } from '../integrations/pull-secret-sync.js';
import { MappingWatcher } from './mapping-watcher.js';

const RECHECK_MS = 10 * 60_000;
const MIN_INTERVAL_MS = 15_000;
const BACKOFF = { baseMs: 5_000, capMs: 5 * 60_000 };

export interface PullSecretStatus {
  secret: string;
  registries: string[];
  lastSync?: number;
  lastAction?: string;
  nextAt?: number;
  lastError?: string;
}

interface TargetState extends PullSecretStatus {
  target: PullSecretTarget;
  failures: number;
  running?: Promise<void>;
}

export class PullSecretSyncer {
  private readonly watcher: MappingWatcher;
  private states = new Map<string, TargetState>();
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly context: CoreContext) {
    this.watcher = new MappingWatcher(context.config.paths.mappingFile);
  }

  start(tickMs = 1000): void {
    this.tick();
    this.timer = setInterval(() => this.tick(), tickMs);
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await Promise.allSettled([...this.states.values()].map((s) => s.running));
  }

  status(): PullSecretStatus[] {
    return [...this.states.values()].map(({ secret, registries, lastSync, lastAction, nextAt, lastError }) => ({
      secret,
      registries,
      lastSync,
      lastAction,
      nextAt,
      lastError,
    }));
  }

  private tick(): void {
    const mapping = this.watcher.changed();
    if (mapping) {
      const next = new Map<string, TargetState>();
      for (const target of mapping.pullSecrets ?? []) {
        const id = targetId(target);
        const previous = this.states.get(id);
        next.set(
          id,
          previous?.target.updatedAt === target.updatedAt
            ? previous
            : { target, secret: id, registries: target.registries, failures: 0, nextAt: Date.now() },
        );
      }
      this.states = next;
    }
    const now = Date.now();
    for (const state of this.states.values()) {
      if (!state.running && state.nextAt !== undefined && now >= state.nextAt)
        state.running = this.sync(state).finally(() => {
          state.running = undefined;
        });
    }
  }

  private async sync(state: TargetState): Promise<void> {
    try {
      const result = await syncPullSecret(this.context, state.target, BACKGROUND_ATTEMPT);
      const now = Date.now();
      state.failures = 0;
      state.lastError = undefined;
      state.lastSync = now;
      state.lastAction = result.action;
      // Look again well before the tokens inside expire; the refresher will have new ones by then.
      const untilExpiry = result.expiresAt !== undefined ? (result.expiresAt - now) / 2 : RECHECK_MS;
      state.nextAt = now + Math.max(MIN_INTERVAL_MS, Math.min(RECHECK_MS, untilExpiry));
      if (result.action !== 'unchanged') log.info(`pull secret ${state.secret}: ${result.action}`);
    } catch (error) {
      state.failures += 1;
      state.lastError = describeError(error);
      state.nextAt = Date.now() + backoffDelay(state.failures - 1, BACKOFF);
      log.warn(`pull secret ${state.secret}: sync failed (${state.failures}x): ${state.lastError}`);
    }
  }
}
