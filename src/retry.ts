// Capped exponential backoff with full jitter, honouring a server's Retry-After,
// within a time budget: a `get` inside a pull cannot wait for minutes, the daemon can.
import { asRemoteFailure } from './errors.js';
import { capServiceDelay } from './service-limits.js';

export interface RetryPolicy {
  attempts: number;
  baseMs: number;
  capMs: number;
  /** Give up rather than start a wait that would end after this many ms from the first try. */
  budgetMs: number;
  /** Limit for each HTTP request. */
  requestTimeoutMs: number;
}

export const INLINE_RETRY: RetryPolicy = {
  attempts: 3,
  baseMs: 300,
  capMs: 2_000,
  budgetMs: 8_000,
  requestTimeoutMs: 4_000,
};

/** The daemon tries once per round; its scheduler's own backoff spaces the rounds. */
export const BACKGROUND_ATTEMPT: RetryPolicy = {
  attempts: 1,
  baseMs: 0,
  capMs: 0,
  budgetMs: 0,
  requestTimeoutMs: 15_000,
};

export function backoffDelay(
  attempt: number,
  policy: Pick<RetryPolicy, 'baseMs' | 'capMs'>,
  retryAfterMs?: number,
): number {
  const exponential = Math.min(policy.capMs, policy.baseMs * 2 ** attempt);
  const jittered = exponential / 2 + Math.random() * (exponential / 2);
  return Math.max(jittered, retryAfterMs ?? 0);
}

export async function withRetries<T>(
  action: () => Promise<T>,
  policy: Omit<RetryPolicy, 'requestTimeoutMs'>,
): Promise<T> {
  const started = Date.now();
  for (let attempt = 0; ; attempt += 1) {
    try {
      return await action();
    } catch (error) {
      // Only a remote failure may pass with time: user errors and bugs are not retried, nor permanent refusals.
      const failure = asRemoteFailure(error);
      if (!failure) throw error;
      const lastTry = () => failure.afterTries(attempt + 1, Date.now() - started);
      if (failure.permanent || attempt + 1 >= policy.attempts) throw lastTry();
      const delay = backoffDelay(attempt, policy, failure.retryAfterMs);
      if (Date.now() + delay - started > policy.budgetMs) throw lastTry();
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }
}

/** Retry-After is either delta-seconds or an HTTP date; believed up to MAX_SERVICE_DELAY_MS. */
export function parseRetryAfter(value: string | undefined, now = Date.now()): number | undefined {
  if (!value) return undefined;
  if (/^\d+$/.test(value.trim())) return capServiceDelay(Number(value.trim()) * 1000);
  return capServiceDelay(Date.parse(value) - now);
}
