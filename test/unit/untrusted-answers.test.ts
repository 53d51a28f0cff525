// What a token service answers is believed only within limits: the sanitiser for foreign text,
// the caps on delays and lifetimes, and the cache record read back (the error classes: errors.test.ts).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ServiceRefusedError } from '../../src/errors.js';
import { foreignText, registerSecret } from '../../src/foreign-text.js';
import { checkedExpiry } from '../../src/clouds/provider.js';
import { jwtExpiry } from '../../src/clouds/jwt.js';
import { parseRetryAfter } from '../../src/retry.js';
import {
  isoTime,
  MAX_SERVICE_DELAY_MS,
  MAX_TOKEN_LIFETIME_MS,
  UNUSABLE_ANSWER_HOLD_MS,
} from '../../src/service-limits.js';
import { believableRecord } from '../../src/tokens/believable-record.js';
import type { CacheRecord, FailureRecord } from '../../src/tokens/token-cache.js';

const NOW = Date.UTC(2030, 0, 1);
const HOUR = 3600_000;

test('foreignText: one line, control characters escaped visibly', () => {
  assert.is(foreignText('a\nb\r\nc\td'), 'a\\nb\\r\\nc\\td');
  assert.is(foreignText('\u001b[31mred\u001b[0m'), '\\u001b[31mred\\u001b[0m', 'no terminal escapes');
  assert.is(foreignText('x\u0085y\u2028z\u202ew'), 'x\\u0085y\\u2028z\\u202ew', 'C1, line separator, bidi override');
  assert.is(foreignText('plain text: ünïcode ok'), 'plain text: ünïcode ok');
  const forged = foreignText('denied\n2030-01-01T00:00:00.000Z INFO [daemon 1] all good');
  assert.not.ok(forged.includes('\n'), 'no forged log line');
});

test('foreignText: bounded, with a note of what was cut, never a half surrogate pair', () => {
  const long = foreignText('x'.repeat(900_000));
  assert.ok(long.length < 350, `bounded: ${long.length}`);
  assert.match(long, /^x{300}… \(899700 more characters\)$/);
  assert.is(foreignText('abc', 2), 'ab… (1 more characters)');
  const emoji = foreignText(`${'a'.repeat(9)}😀tail`, 10);
  assert.ok(emoji.startsWith(`${'a'.repeat(9)}…`), `the pair is not split: ${emoji}`);
  assert.is(foreignText(foreignText('a\nb')), 'a\\nb', 'idempotent');
});

test('foreignText: registered secrets are masked, also URL- and JSON-escaped, before the cut', () => {
  const key = 'Key+/with"special=chars-0123456789';
  registerSecret(key);
  assert.is(foreignText(`bad key ${key} given`), 'bad key [redacted] given');
  assert.is(foreignText(`apikey=${encodeURIComponent(key)}`), 'apikey=[redacted]');
  assert.is(foreignText(JSON.stringify({ apikey: key })), '{"apikey":"[redacted]"}');
  // The cut falls inside the echoed key: no prefix of it may survive.
  const cut = foreignText(`${'y'.repeat(290)}${key}`);
  assert.not.ok(cut.includes(key.slice(0, 8)), cut);
  assert.is(foreignText('token eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln here'), 'token [redacted] here', 'JWT-shaped');
});

test('Retry-After is believed up to the cap, in both forms', () => {
  assert.is(parseRetryAfter('7'), 7000);
  assert.is(parseRetryAfter('31536000'), MAX_SERVICE_DELAY_MS, 'a year: capped');
  assert.is(parseRetryAfter('99999999999999'), MAX_SERVICE_DELAY_MS, 'beyond what a Date holds: capped');
  assert.is(parseRetryAfter(new Date(NOW + 365 * 24 * HOUR).toUTCString(), NOW), MAX_SERVICE_DELAY_MS);
  assert.is(parseRetryAfter(new Date(NOW - HOUR).toUTCString(), NOW), 0, 'a date in the past: no wait');
  assert.is(parseRetryAfter('soon'), undefined);
  assert.is(MAX_SERVICE_DELAY_MS, 60_000);
});

test('announced lifetimes: a day at most; dead or nearly dead tokens refused and held', () => {
  const issuedAt = NOW;
  assert.is(checkedExpiry('IAM', 'expires_in 3600', issuedAt, issuedAt + HOUR), issuedAt + HOUR);
  assert.is(checkedExpiry('IAM', 'expires_in 1e13', issuedAt, issuedAt + 1e16), issuedAt + MAX_TOKEN_LIFETIME_MS);
  assert.is(checkedExpiry('IAM', 'expires_in 1e400', issuedAt, Infinity), issuedAt + MAX_TOKEN_LIFETIME_MS);
  const unusable: [string, number][] = [
    ['expires_in 0', issuedAt],
    ['expires_in -5', issuedAt - 5000],
    ['bad', Number.NaN],
    ['expires_in 2', issuedAt + 2000],
  ];
  for (const [field, expiresAt] of unusable) {
    try {
      checkedExpiry('IAM at x', field, issuedAt, expiresAt);
      assert.unreachable(`${field} accepted`);
    } catch (error) {
      assert.instance(error, ServiceRefusedError, field);
      assert.match((error as Error).message, `IAM at x answered a token with`);
      assert.match((error as Error).message, field);
      assert.is((error as ServiceRefusedError).permanent, false, `${field}: the service may recover`);
      assert.is((error as ServiceRefusedError).retryAfterMs, UNUSABLE_ANSWER_HOLD_MS, `${field}: held, not re-asked`);
    }
  }
});

test('times beyond what a Date holds never throw', () => {
  assert.is(isoTime(0), '1970-01-01T00:00:00.000Z');
  assert.match(isoTime(1e20), /not a representable time/);
  const jwt = (claims: object) => `e30.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.sig`;
  assert.is(jwtExpiry(jwt({ exp: 1_900_000_000 })), 1_900_000_000_000);
  assert.is(jwtExpiry(jwt({ exp: 1e20 })), undefined, 'not a time: no known expiry');
  assert.is(jwtExpiry(jwt({ exp: -1e20 })), undefined);
});

/** The record as read back at NOW. */
const readBack = (extra: Partial<CacheRecord>): CacheRecord =>
  believableRecord({ version: 1, server: 's', fingerprint: 'f', ...extra }, NOW);
const failure = (extra: Partial<FailureRecord>): FailureRecord => ({
  at: NOW,
  message: 'm',
  permanent: false,
  ...extra,
});

test('a cache record read back: times outside what lanyard could have written are absent', () => {
  const token = { username: 'iambearer', secret: 't', issuedAt: NOW - 10 * 60_000, expiresAt: NOW + 50 * 60_000 };
  const good = { token, lastRefresh: NOW - 10 * 60_000, failure: failure({ at: NOW - 1000, retryAt: NOW + 60_000 }) };
  assert.equal(readBack(good), { version: 1, server: 's', fingerprint: 'f', ...good }, 'kept whole');

  const future = readBack({ token, failure: failure({ at: NOW + HOUR, message: 'clock stepped back' }) });
  assert.is(future.failure, undefined, 'a failure recorded in the future');
  assert.equal(future.token, token);
  assert.is(readBack({ failure: failure({ retryAt: NOW + 365 * 24 * HOUR }) }).failure, undefined, 'beyond the cap');
  assert.is(readBack({ failure: failure({ serveCachedUntil: NOW + HOUR }) }).failure, undefined);
  assert.is(readBack({ token: { ...token, issuedAt: NOW + HOUR, expiresAt: NOW + 2 * HOUR } }).token, undefined);
  assert.is(readBack({ token: { ...token, expiresAt: NOW + 1e13 } }).token, undefined, 'a lifetime beyond a day');
  assert.is(readBack({ token: { ...token, expiresAt: 'soon' as unknown as number } }).token, undefined);
  assert.is(readBack({ passThroughUntil: NOW + 365 * 24 * HOUR }).passThroughUntil, undefined);
  assert.is(readBack({ check: { at: NOW + HOUR, ok: false, message: 'm' } }).check, undefined);
  const raw = readBack({ failure: failure({ message: `a\n${'b'.repeat(5000)}` }) }).failure;
  assert.ok(raw && !raw.message.includes('\n') && raw.message.length < 1100, 'an old raw message is made safe');
  const answered = readBack({ answeredBy: { source: 'aws-env\n', identity: `arn\u001b[2J${'x'.repeat(500)}` } });
  assert.ok(answered.answeredBy, 'the answering source is kept');
  const { source, identity } = answered.answeredBy!;
  assert.not.match(source + identity, /[\u0000-\u001f]/, 'no raw control character left');
  assert.ok(answered.answeredBy!.identity.length < 200, 'and short');
  const wrongType = { source: 7, identity: 'x' } as unknown as CacheRecord['answeredBy'];
  assert.is(readBack({ answeredBy: wrongType }).answeredBy, undefined, 'not strings: dropped');
});

test.run();
