import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { expiryMarginMs, isUsable, needsRefresh, refreshDueAt } from '../../src/tokens/policy.js';
import { backoffDelay, parseRetryAfter, withRetries } from '../../src/retry.js';
import { ServiceRefusedError, TransportError, UserError } from '../../src/errors.js';

const hour = { issuedAt: 0, expiresAt: 3600_000 };
const minute = { issuedAt: 0, expiresAt: 60_000 };

test('refresh at 80 % of the lifetime', () => {
  assert.is(refreshDueAt(hour), 2880_000);
  assert.not.ok(needsRefresh(hour, 2879_999));
  assert.ok(needsRefresh(hour, 2880_000));
  assert.is(refreshDueAt({ issuedAt: 5 }), Infinity);
});

test('expiry margin: 10 % of the lifetime, at most 60 s', () => {
  assert.is(expiryMarginMs(hour), 60_000);
  assert.is(expiryMarginMs(minute), 6_000);
  assert.ok(isUsable(hour, 3539_999));
  assert.not.ok(isUsable(hour, 3540_000));
  assert.ok(isUsable(minute, 53_999));
  assert.not.ok(isUsable(minute, 54_000));
  assert.ok(isUsable({ issuedAt: 0 }, 1e15), 'no expiry: always usable');
});

test('Retry-After: seconds or an HTTP date', () => {
  assert.is(parseRetryAfter('7'), 7000);
  assert.is(parseRetryAfter(new Date(10_000).toUTCString(), 4_000), 6000);
  assert.is(parseRetryAfter('soon'), undefined);
  assert.is(parseRetryAfter(undefined), undefined);
});

test('backoff is capped, jittered, and never shorter than Retry-After', () => {
  for (let attempt = 0; attempt < 10; attempt += 1) {
    const delay = backoffDelay(attempt, { baseMs: 100, capMs: 1000 });
    assert.ok(
      delay >= Math.min(1000, 100 * 2 ** attempt) / 2 && delay <= Math.min(1000, 100 * 2 ** attempt),
      `attempt ${attempt}: ${delay}`,
    );
  }
  assert.ok(backoffDelay(0, { baseMs: 100, capMs: 1000 }, 5000) >= 5000);
});

test('retries transient failures, not permanent ones, within the budget', async () => {
  let calls = 0;
  const value = await withRetries(
    async () => {
      calls += 1;
      if (calls < 3) throw new TransportError('reset');
      return 'ok';
    },
    { attempts: 3, baseMs: 1, capMs: 2, budgetMs: 1000 },
  );
  assert.is(value, 'ok');
  assert.is(calls, 3);

  calls = 0;
  try {
    await withRetries(
      async () => {
        calls += 1;
        throw new ServiceRefusedError('IAM', 'revoked', { status: 400, permanent: true });
      },
      { attempts: 5, baseMs: 1, capMs: 2, budgetMs: 1000 },
    );
    assert.unreachable();
  } catch (error) {
    assert.is((error as Error).message, 'IAM revoked');
  }
  assert.is(calls, 1, 'a permanent failure is not retried');

  for (const thrown of [new UserError('bad config'), new TypeError('a bug')]) {
    calls = 0;
    const policy = { attempts: 5, baseMs: 1, capMs: 2, budgetMs: 1000 };
    const failing = async () => {
      calls += 1;
      throw thrown;
    };
    assert.is(await withRetries(failing, policy).catch((error: unknown) => error), thrown, 'thrown as it is');
    assert.is(calls, 1, `${thrown.name}: only remote failures are retried`);
  }

  calls = 0;
  const started = Date.now();
  try {
    await withRetries(
      async () => {
        calls += 1;
        throw new ServiceRefusedError('IAM', 'slow down', { status: 429, permanent: false, retryAfterMs: 60_000 });
      },
      { attempts: 5, baseMs: 1, capMs: 2, budgetMs: 1000 },
    );
    assert.unreachable();
  } catch (error) {
    assert.is((error as Error).message, 'IAM slow down');
  }
  assert.is(calls, 1, 'a Retry-After beyond the budget is not waited for');
  assert.ok(Date.now() - started < 500);
});

test.run();
