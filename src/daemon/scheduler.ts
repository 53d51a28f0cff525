// The refresher: keeps every exchanging entry's token fresh ahead of expiry, so `get`
// never waits on the network in steady state, and checks Docker Hub PATs now and then.
// It re-reads the mapping when the file changes, uses the same single-flight path as
// `get` (so the two never exchange twice), and backs off on failure.
import type { CoreContext } from '../credentials/core-context.js';
import { IssueFailedError, issueCredential, type Issued } from '../credentials/issue-credential.js';
import { readSecret } from '../credentials/read-secret.js';
import {
  loginFingerprint,
  prepareRuntimeDir,
  recordSecretCheck,
  registryTokenServers,
  type SecretCheck,
} from '../credentials/token-state.js';
import { describeError, isPermanent } from '../errors.js';
import { log } from '../log.js';
import type { MappingEntry } from '../mapping/types.js';
import { checkSecret } from '../clouds/registry.js';
import { KIND_TRAITS } from '../clouds/registry.js';
import { BACKGROUND_ATTEMPT, backoffDelay } from '../retry.js';
import { isoTime } from '../service-limits.js';
import { MappingWatcher } from './mapping-watcher.js';
import { ClockJumps } from './clock-jumps.js';

const BACKOFF = { baseMs: 5_000, capMs: 5 * 60_000 };
const PERMANENT_RETRY_MS = 10 * 60_000;
// How often the cache is looked at for registries a pattern newly answered (their tokens are refreshed too).
const REGISTRY_SCAN_MS = 30_000;
export interface EntryStatus {
  server: string;
  kind: string;
  nextAt?: number;
  lastRefresh?: number;
  expiresAt?: number;
  lastError?: string;
  failures: number;
}

interface EntryState extends EntryStatus {
  entry: MappingEntry;
  /** For a pattern with a token per registry: the registry whose token this state keeps fresh (`server`). */
  registry?: string;
  fingerprint: string;
  running?: Promise<void>;
}

function jitter(ms: number): number {
  return Math.random() * ms;
}

export class RefreshScheduler {
  private states = new Map<string, EntryState>();
  private entries: readonly MappingEntry[] = [];
  private nextRegistryScan = 0;
  private readonly watcher: MappingWatcher;
  private timer: NodeJS.Timeout | undefined;
  private wake: NodeJS.Timeout | undefined;
  private stopped = false;
  private readonly clock: ClockJumps;

  constructor(private readonly context: CoreContext) {
    this.watcher = new MappingWatcher(context.config.paths.mappingFile);
    this.clock = new ClockJumps(() => context.now());
  }

  /** Checks the mapping every `tickMs`; refreshes run on timers of their own, to the millisecond. */
  start(tickMs = 1000): void {
    prepareRuntimeDir(this.context);
    this.tick();
    this.timer = setInterval(() => this.tick(), tickMs);
  }

  /** Stops scheduling and resolves once in-flight refreshes (and their writes) are done. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    clearTimeout(this.wake);
    await Promise.allSettled([...this.states.values()].map((s) => s.running));
  }

  status(): EntryStatus[] {
    return [...this.states.values()].map(({ server, kind, nextAt, lastRefresh, expiresAt, lastError, failures }) => ({
      server,
      kind,
      ...(Number.isFinite(nextAt) ? { nextAt } : {}),
      lastRefresh,
      expiresAt,
      lastError,
      failures,
    }));
  }

  /** Refreshes now (one server key, or all), waiting for the results; undefined if that server is not watched. */
  async refreshNow(server?: string): Promise<EntryStatus[] | undefined> {
    this.reloadMapping();
    const chosen = [...this.states.values()].filter((s) => server === undefined || s.server === server);
    if (server !== undefined && chosen.length === 0) return undefined;
    await Promise.allSettled(chosen.map((s) => this.run(s, true)));
    return this.status().filter((s) => server === undefined || s.server === server);
  }

  private tick(): void {
    if (this.stopped) return;
    this.reloadMapping();
    const now = this.context.now();
    this.afterClockJump(now);
    let earliest = Number.POSITIVE_INFINITY;
    for (const state of this.states.values()) {
      if (state.running || state.nextAt === undefined) continue;
      if (now >= state.nextAt) void this.run(state, false);
      else earliest = Math.min(earliest, state.nextAt);
    }
    // A 1 s tick alone could start a refresh up to 1 s late: too late for short-lived tokens.
    clearTimeout(this.wake);
    if (earliest - now < 1000) this.wake = setTimeout(() => this.tick(), earliest - now);
  }

  /**
   * What to keep fresh: each exchanging or checked entry, except that a pattern with a token per registry has
   * nothing of its own to refresh: each registry it has answered (a token in the cache) is kept fresh instead.
   */
  private watched(): Array<{ entry: MappingEntry; server: string; registry?: string }> {
    return this.entries
      .filter((e) => KIND_TRAITS[e.kind].exchanges || KIND_TRAITS[e.kind].checked)
      .flatMap((entry) =>
        KIND_TRAITS[entry.kind].tokenPerRegistry?.(entry.server)
          ? registryTokenServers(this.context, entry).map((registry) => ({ entry, server: registry, registry }))
          : [{ entry, server: entry.server }],
      );
  }

  /** After a suspend or a clock step, every entry is looked at now: its cache says whether it needs a refresh. */
  private afterClockJump(now: number): void {
    const jump = this.clock.sinceLastLook();
    if (jump === 0) return;
    log.info(
      `the clock moved ${jump > 0 ? 'ahead' : 'back'} by ${Math.round(Math.abs(jump) / 1000)} s: checking every entry`,
    );
    for (const state of this.states.values())
      if (state.nextAt !== undefined) state.nextAt = Math.min(state.nextAt, now);
  }

  private reloadMapping(): void {
    const entries = this.watcher.changed()?.entries;
    const now = this.context.now();
    if (entries) this.entries = entries;
    else if (now < this.nextRegistryScan) return;
    this.nextRegistryScan = now + REGISTRY_SCAN_MS;
    const next = new Map<string, EntryState>();
    for (const { entry, server, registry } of this.watched()) {
      const fingerprint = loginFingerprint(this.context, entry);
      const previous = this.states.get(server);
      if (previous?.fingerprint === fingerprint) {
        // The same object: a refresh in flight updates (and clears `running` on) this state.
        previous.entry = entry;
        next.set(server, previous);
      } else {
        next.set(server, {
          entry,
          ...(registry ? { registry } : {}),
          fingerprint,
          server,
          kind: entry.kind,
          nextAt: now,
          failures: 0,
        });
      }
    }
    if (next.size !== this.states.size || [...next.keys()].some((k) => !this.states.has(k))) {
      log.info(
        `watching ${next.size} entr${next.size === 1 ? 'y' : 'ies'}: ${[...next.keys()].join(', ') || '(none)'}`,
      );
    }
    this.states = next;
  }

  private run(state: EntryState, force: boolean): Promise<void> {
    state.running ??= this.attempt(state, force)
      .catch((error: unknown) => this.afterBug(state, error))
      .finally(() => {
        state.running = undefined;
        this.tick(); // arm the timer for the next refresh
      });
    return state.running;
  }

  private async attempt(state: EntryState, force: boolean): Promise<void> {
    const attemptAt = this.context.now();
    try {
      if (KIND_TRAITS[state.entry.kind].checked) this.afterCheck(state, await this.runCheck(state));
      else
        this.afterIssue(
          state,
          await issueCredential(this.context, state.entry, {
            retry: BACKGROUND_ATTEMPT,
            force,
            ...(state.registry ? { registry: state.registry } : {}),
          }),
        );
    } catch (error) {
      // No usable token: a failure of this attempt says whether the refusal was permanent.
      const recorded = error instanceof IssueFailedError ? error.failure : undefined;
      const fresh = recorded && recorded.at >= attemptAt ? recorded : undefined;
      const permanent = fresh?.permanent ?? isPermanent(error);
      this.afterFailure(state, describeError(error), permanent, fresh?.retryAt);
    }
  }

  /** A bug in one entry's bookkeeping must not stop the daemon: it serves the others and tries this one later. */
  private afterBug(state: EntryState, error: unknown): void {
    state.failures += 1;
    state.lastError = describeError(error);
    state.nextAt = this.context.now() + PERMANENT_RETRY_MS;
    log.error(`refresh of ${state.server} went wrong; next try ${isoTime(state.nextAt)}: ${state.lastError}`);
  }

  /** A still-usable old token served after a failure (now or recent) is no refresh. */
  private afterIssue(state: EntryState, issued: Issued): void {
    if (issued.outcome === 'stale-served' || issued.outcome === 'held-back') {
      const failure = issued.failure;
      this.afterFailure(
        state,
        failure?.message ?? 'the refresh did not happen',
        failure?.permanent ?? false,
        failure?.retryAt,
      );
      return;
    }
    const { refreshAt, lifetimeMs } = issued;
    // A token gets its refresh time plus jitter; a pass-through its end; nothing expires: wait for a mapping change.
    const nextAt =
      refreshAt !== undefined && lifetimeMs !== undefined ? refreshAt + jitter(lifetimeMs * 0.05) : refreshAt;
    // A pass-through's end is no token expiry: only a token's is shown.
    const expiresAt = lifetimeMs !== undefined ? issued.answer.expiresAt : undefined;
    this.afterSuccess(state, issued.lastRefresh, expiresAt, nextAt);
  }

  private afterCheck(state: EntryState, check: SecretCheck): void {
    if (!check.ok) {
      this.afterFailure(state, check.message ?? 'check failed', true);
      return;
    }
    this.afterSuccess(state, check.at, undefined, this.context.now() + this.context.config.hubCheckIntervalMs);
  }

  private afterSuccess(state: EntryState, lastRefresh?: number, expiresAt?: number, nextAt?: number): void {
    state.failures = 0;
    state.lastError = undefined;
    state.lastRefresh = lastRefresh;
    state.expiresAt = expiresAt;
    state.nextAt = nextAt;
    const next = nextAt === undefined ? 'on a mapping change' : isoTime(nextAt);
    log.debug(`${state.server}: refreshed; next refresh ${next}`);
  }

  private afterFailure(state: EntryState, message: string, permanent: boolean, retryAt?: number): void {
    state.failures += 1;
    state.lastError = message;
    const delay = permanent ? PERMANENT_RETRY_MS : backoffDelay(state.failures - 1, BACKOFF);
    state.nextAt = Math.max(this.context.now() + delay, retryAt ?? 0);
    log.warn(`refresh of ${state.server} failed (${state.failures}x); next try ${isoTime(state.nextAt)}: ${message}`);
  }

  private async runCheck(state: EntryState): Promise<SecretCheck> {
    let check: SecretCheck;
    try {
      await checkSecret(state.entry, await readSecret(this.context, state.entry), this.context.config);
      check = { at: this.context.now(), ok: true };
    } catch (error) {
      if (!isPermanent(error)) throw error; // rate limits and outages say nothing about the token
      check = { at: this.context.now(), ok: false, message: describeError(error) };
      log.warn(`secret check of ${state.server} (${state.kind}): ${check.message}`);
    }
    await recordSecretCheck(this.context, state.entry, check);
    return check;
  }
}
