// The refresher: keeps every exchanging entry's token fresh ahead of expiry, so `get`
// never waits on the network in steady state, and checks Docker Hub PATs now and then.
// It re-reads the mapping when the file changes, uses the same single-flight path as
// `get` (so the two never exchange twice), and backs off on failure.
import { credentialFor } from '../credentials/issue-credential.js';
import { readSecret } from '../credentials/read-secret.js';
import { describeError, isPermanent } from '../errors.js';
import { withLock } from '../fsutil/lock.js';
import { processConfig } from '../config.js';
import { log } from '../log.js';
import type { MappingEntry } from '../mapping/types.js';
import { checkSecret } from '../providers/index.js';
import { KIND_TRAITS } from '../providers/kinds.js';
import { BACKGROUND_ATTEMPT, backoffDelay } from '../providers/retry.js';
import { isoTime } from '../service-limits.js';
import { secretFingerprint } from '../tokens/fingerprint.js';
import { needsRefresh, refreshDueAt } from '../tokens/policy.js';
import { MappingWatcher } from './mapping-watcher.js';
import { cacheLockFor, ensureRuntimeDir, readCacheRecord, writeCacheRecord } from '../tokens/token-cache.js';

const BACKOFF = { baseMs: 5_000, capMs: 5 * 60_000 };
const PERMANENT_RETRY_MS = 10 * 60_000;
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
  fingerprint: string;
  running?: Promise<void>;
}

function jitter(ms: number): number {
  return Math.random() * ms;
}

export class RefreshScheduler {
  private states = new Map<string, EntryState>();
  private readonly watcher = new MappingWatcher();
  private timer: NodeJS.Timeout | undefined;
  private wake: NodeJS.Timeout | undefined;
  private stopped = false;

  /** Checks the mapping every `tickMs`; refreshes run on timers of their own, to the millisecond. */
  start(tickMs = 1000): void {
    ensureRuntimeDir();
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
    const now = Date.now();
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

  private reloadMapping(): void {
    const entries = this.watcher.changed()?.entries;
    if (!entries) return;
    const next = new Map<string, EntryState>();
    for (const entry of entries.filter((e) => KIND_TRAITS[e.kind].exchanges || KIND_TRAITS[e.kind].checked)) {
      const fingerprint = secretFingerprint(entry);
      const previous = this.states.get(entry.server);
      if (previous?.fingerprint === fingerprint) {
        // The same object: a refresh in flight updates (and clears `running` on) this state.
        previous.entry = entry;
        next.set(entry.server, previous);
      } else {
        next.set(entry.server, {
          entry,
          fingerprint,
          server: entry.server,
          kind: entry.kind,
          nextAt: Date.now(),
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
    const attemptAt = Date.now();
    try {
      if (KIND_TRAITS[state.entry.kind].checked) await this.runCheck(state);
      else await credentialFor(state.entry, { retry: BACKGROUND_ATTEMPT, force });
      this.afterAttempt(state, attemptAt);
    } catch (error) {
      // With no usable token credentialFor throws; the cache record says whether the refusal was permanent.
      const recorded = readCacheRecord(state.server)?.failure;
      const fresh = recorded && recorded.at >= attemptAt ? recorded : undefined;
      const permanent = fresh?.permanent ?? isPermanent(error);
      this.afterFailure(state, describeError(error), permanent, fresh?.retryAt);
    }
  }

  /** A bug in one entry's bookkeeping must not stop the daemon: it serves the others and tries this one later. */
  private afterBug(state: EntryState, error: unknown): void {
    state.failures += 1;
    state.lastError = describeError(error);
    state.nextAt = Date.now() + PERMANENT_RETRY_MS;
    log.error(`refresh of ${state.server} went wrong; next try ${isoTime(state.nextAt)}: ${state.lastError}`);
  }

  /**
   * credentialFor serves a still-valid old token when an exchange fails (or is held
   * back by a recent failure): only the cache record tells whether a refresh happened.
   */
  private afterAttempt(state: EntryState, attemptAt: number): void {
    const record = readCacheRecord(state.server);
    const now = Date.now();
    const token = record?.token;
    const checked = KIND_TRAITS[state.entry.kind].checked;
    const refreshed = checked
      ? record?.check !== undefined && record.check.at >= attemptAt && record.check.ok
      : (token !== undefined && !needsRefresh(token, now)) || (record?.passThroughUntil ?? 0) > now;
    const failure = record?.failure;
    if (!refreshed || (failure && failure.at >= attemptAt)) {
      const reason =
        failure ??
        (record?.check
          ? { message: record.check.message ?? 'check failed', permanent: true, retryAt: undefined }
          : undefined);
      this.afterFailure(
        state,
        reason?.message ?? 'the refresh did not happen',
        reason?.permanent ?? false,
        reason?.retryAt,
      );
      return;
    }
    state.failures = 0;
    state.lastError = undefined;
    state.lastRefresh = checked ? record?.check?.at : record?.lastRefresh;
    state.expiresAt = token?.expiresAt;
    if (checked) state.nextAt = now + processConfig().hubCheckIntervalMs;
    else if (token?.expiresAt !== undefined)
      state.nextAt = refreshDueAt(token) + jitter((token.expiresAt - token.issuedAt) * 0.05);
    else state.nextAt = record?.passThroughUntil; // nothing expires: wait for a mapping change
    const next = state.nextAt === undefined ? 'on a mapping change' : isoTime(state.nextAt);
    log.debug(`${state.server}: refreshed; next refresh ${next}`);
  }

  private afterFailure(state: EntryState, message: string, permanent: boolean, retryAt?: number): void {
    state.failures += 1;
    state.lastError = message;
    const delay = permanent ? PERMANENT_RETRY_MS : backoffDelay(state.failures - 1, BACKOFF);
    state.nextAt = Math.max(Date.now() + delay, retryAt ?? 0);
    log.warn(`refresh of ${state.server} failed (${state.failures}x); next try ${isoTime(state.nextAt)}: ${message}`);
  }

  private async runCheck(state: EntryState): Promise<void> {
    let check: { at: number; ok: boolean; message?: string };
    try {
      await checkSecret(state.entry, await readSecret(state.entry));
      check = { at: Date.now(), ok: true };
    } catch (error) {
      if (!isPermanent(error)) throw error; // rate limits and outages say nothing about the token
      check = { at: Date.now(), ok: false, message: describeError(error) };
      log.warn(`Docker Hub token check for ${state.server}: ${check.message}`);
    }
    await withLock(cacheLockFor(state.server), () => {
      const record = readCacheRecord(state.server);
      const base =
        record?.fingerprint === state.fingerprint
          ? record
          : { version: 1 as const, server: state.server, fingerprint: state.fingerprint };
      writeCacheRecord({ ...base, check });
    });
  }
}
