// The error model: every class lanyard throws on purpose is one line for people, as it is; anything else is
// an "internal error" (a bug), still one line. Whether retrying can help is asked with isPermanent, never a cast.
// Every line is made safe: registered secrets masked, control characters escaped, length bounded.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  asRemoteFailure,
  CredentialsNotFoundError,
  describeError,
  isPermanent,
  isRefusedWith,
  ServiceRefusedError,
  TransportError,
  UserError,
} from '../../src/errors.js';
import { registerSecret } from '../../src/foreign-text.js';
import { LockUnavailableError } from '../../src/fsutil/lock.js';
import { MAX_SERVICE_DELAY_MS } from '../../src/service-limits.js';
import { InvalidInputError } from '../../src/validate.js';

const IAM = 'IBM Cloud IAM at https://iam.example';
const revoked = () =>
  new ServiceRefusedError(IAM, 'refused the exchange with 400 (BXNIM0415E: Provided API key could not be found)', {
    status: 400,
    permanent: true,
  });
const outage = () =>
  new ServiceRefusedError(IAM, 'answered 503 (no details)', { status: 503, permanent: false, retryAfterMs: 7000 });

// [what, thrown, the line describeError prints, isPermanent]
const CASES: [string, unknown, string, boolean][] = [
  ['a user error', new UserError('the secret is empty'), 'the secret is empty', false],
  ['not found (protocol text)', new CredentialsNotFoundError(), 'credentials not found in native keychain', false],
  [
    'a transport error',
    new TransportError('cannot reach http://127.0.0.1:9: connect ECONNREFUSED 127.0.0.1:9'),
    'cannot reach http://127.0.0.1:9: connect ECONNREFUSED 127.0.0.1:9',
    false,
  ],
  [
    'a permanent refusal',
    revoked(),
    `${IAM} refused the exchange with 400 (BXNIM0415E: Provided API key could not be found)`,
    true,
  ],
  ['a transient refusal', outage(), `${IAM} answered 503 (no details)`, false],
  [
    'a user error from a module (invalid input)',
    new InvalidInputError('/x/mapping.json: entries must be an array'),
    '/x/mapping.json: entries must be an array',
    false,
  ],
  ['a user error from a module (lock)', new LockUnavailableError('no space left'), 'no space left', false],
  ['a plain Error (a bug)', new Error('boom\n    at f (x.ts:1:1)'), 'internal error: Error: boom', false],
  [
    'a TypeError (a bug)',
    new TypeError("Cannot read properties of null (reading 'status')"),
    "internal error: TypeError: Cannot read properties of null (reading 'status')",
    false,
  ],
  ['a thrown string', 'oops', 'internal error: oops', false],
  [
    'a thrown object',
    { code: 'E42', permanent: true },
    'internal error: thrown {"code":"E42","permanent":true}',
    false,
  ],
  ['a thrown object without a prototype', Object.create(null), 'internal error: thrown {}', false],
  ['undefined', undefined, 'internal error: undefined', false],
];

test('describeError: one exact line for every class and for what is not ours', () => {
  for (const [what, thrown, line] of CASES) assert.is(describeError(thrown), line, what);
});

test('isPermanent: only a permanent refusal; a duck-typed `permanent` on anything else is not believed', () => {
  for (const [what, thrown, , permanent] of CASES) assert.is(isPermanent(thrown), permanent, what);
});

test('remote failures are what retries and the failure record see; the rest is not theirs', () => {
  assert.is(asRemoteFailure(revoked())?.permanent, true);
  assert.is(asRemoteFailure(outage())?.retryAfterMs, 7000);
  assert.is(asRemoteFailure(new TransportError('reset'))?.permanent, false);
  for (const other of [new UserError('x'), new CredentialsNotFoundError(), new Error('x'), 'x'])
    assert.is(asRemoteFailure(other), undefined, describeError(other));
});

test('a refusal carries the service, its HTTP status and Retry-After', () => {
  const refusal = outage();
  assert.is(refusal.service, IAM);
  assert.is(refusal.status, 503);
  assert.ok(
    isRefusedWith(new ServiceRefusedError('the Kubernetes API', 'answered 404', { status: 404, permanent: true }), 404),
  );
  assert.not.ok(isRefusedWith(refusal, 404));
  assert.not.ok(isRefusedWith(new TransportError('cannot reach'), 404));
  const noStatus = new ServiceRefusedError('IAM', 'answered a token with a lifetime of 0 s', { permanent: false });
  assert.is(noStatus.status, undefined, 'an unusable 200 answer has no refusal status');
});

test('Retry-After is believed up to MAX_SERVICE_DELAY_MS, never negative', () => {
  const after = (ms?: number) => new ServiceRefusedError('IAM', 'answered 429', { permanent: false, retryAfterMs: ms });
  assert.is(after(1e17).retryAfterMs, MAX_SERVICE_DELAY_MS);
  assert.is(after(-5).retryAfterMs, 0);
  assert.is(after(Number.NaN).retryAfterMs, undefined);
  assert.is(after().retryAfterMs, undefined);
  assert.is(new TransportError('reset').retryAfterMs, undefined);
});

test('a secret holding a lone surrogate is registered (it cannot be URL-encoded) and masked', () => {
  const secret = `\ud800lone-surrogate-${Date.now()}`;
  registerSecret(secret); // threw URIError, an internal error wherever a file or password held one
  assert.not.match(describeError(new UserError(`cannot use ${secret}`)), 'lone-surrogate');
});

test('a registered secret is masked in every class, ours or not', () => {
  const secret = `errors-test-key-${Date.now()}`;
  registerSecret(secret);
  for (const thrown of [
    new UserError(`cannot use ${secret}`),
    new TransportError(`cannot reach https://iam.example/?apikey=${secret}`),
    new ServiceRefusedError(IAM, `echoed "${secret}"`, { status: 400, permanent: true }),
    new Error(`leaked ${secret}`),
    `leaked ${secret}`,
  ]) {
    const line = describeError(thrown);
    assert.not.ok(line.includes(secret), line);
    assert.ok(line.includes('[redacted]'), line);
  }
  assert.not.ok(new ServiceRefusedError(IAM, secret, { permanent: true }).message.includes(secret), 'kept masked');
});

test('control characters are escaped: one line, no terminal escapes, no forged log lines', () => {
  assert.is(describeError(new UserError('a\nb\r\u001b[31mc')), 'a\\nb\\r\\u001b[31mc');
  const forged = 'denied\n2030-01-01T00:00:00.000Z INFO all good';
  const refusal = new ServiceRefusedError('IAM', forged, { permanent: false });
  assert.is(refusal.message, 'IAM denied\\n2030-01-01T00:00:00.000Z INFO all good', 'safe as it is cached and logged');
  assert.is(describeError(refusal), refusal.message);
  assert.is(describeError(new TransportError('x\u2028y')), 'x\\u2028y');
  assert.is(describeError(new Error('first\nsecond')), 'internal error: Error: first', 'a bug: its first line');
});

test('every line is bounded, however long the text', () => {
  assert.is(describeError(new UserError('x'.repeat(5000))), `${'x'.repeat(1000)}… (4000 more characters)`);
  for (const thrown of [
    new ServiceRefusedError(IAM, `said: ${'junk\n'.repeat(200_000)}`, { permanent: false }),
    new TransportError('y'.repeat(100_000)),
    new Error('z'.repeat(100_000)),
    'w'.repeat(100_000),
  ]) {
    const line = describeError(thrown);
    assert.ok(line.length <= 1100 && !line.includes('\n'), `bounded: ${line.length}`);
  }
});

test.run();
