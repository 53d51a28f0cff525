import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { assertSafeEndpoint, httpFetch } from '../../src/http.js';
import { describeError, TransportError, UserError } from '../../src/errors.js';
import { withRetries } from '../../src/retry.js';

let server: Server;
let base: string;

test.before(async () => {
  server = createServer((req, res) => {
    if (req.url === '/ok') {
      res.end('{"a":1}');
      return;
    }
    if (req.url === '/drop-mid-body') {
      // headers and part of the body, then a reset: reported only on the response object
      res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': '1000' });
      res.write('{"access_token":"eyJ');
      setTimeout(() => res.socket?.destroy(), 50);
      return;
    }
    if (req.url === '/hang') return; // never answers
    if (req.url === '/moved') {
      res.writeHead(307, { Location: 'https://elsewhere.example:8443/identity/token?x=%1B' }).end();
      return;
    }
    if (req.url === '/huge') {
      res.writeHead(200);
      res.end(Buffer.alloc(2 * 1024 * 1024, 'x'));
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

test('a redirect is not followed and is named as one, with where it pointed', async () => {
  const error = await httpFetch(new URL(`${base}/moved`)).catch((e: unknown) => e);
  assert.instance(error, UserError);
  assert.is(
    (error as Error).message,
    `${base} answered 307, a redirect to https://elsewhere.example:8443, which lanyard does not follow: ` +
      'check the endpoint (the login option or override variable that names it)',
  );
});

test('the last of several tries says how many and how long they took in all', async () => {
  let tries = 0;
  const failing = () => {
    tries += 1;
    return Promise.reject(new TransportError('no answer from http://127.0.0.1:9 within 0.1 s'));
  };
  const policy = { attempts: 3, baseMs: 20, capMs: 40, budgetMs: 5_000 };
  const error = (await withRetries(failing, policy).catch((e: unknown) => e)) as Error;
  assert.is(tries, 3);
  assert.match(error.message, /^no answer from http:\/\/127\.0\.0\.1:9 within 0\.1 s \(3 tries in 0\.\d s\)$/);
  const once = await withRetries(failing, { ...policy, attempts: 1 }).catch((e: unknown) => e);
  assert.is((once as Error).message, 'no answer from http://127.0.0.1:9 within 0.1 s', 'one try: nothing added');
});

test.after(() => {
  server.closeAllConnections();
  server.close();
});

async function rejection(path: string, timeoutMs = 3000): Promise<Error> {
  const started = Date.now();
  try {
    await httpFetch(new URL(`${base}${path}`), { timeoutMs });
  } catch (error) {
    assert.ok(Date.now() - started < timeoutMs + 1000, `settled in time (${Date.now() - started} ms)`);
    return error as Error;
  }
  throw new Error(`${path} should have failed`);
}

test('a complete answer resolves', async () => {
  const r = await httpFetch(new URL(`${base}/ok`));
  assert.is(r.status, 200);
  assert.is(r.body, '{"a":1}');
});

test('a connection reset in the middle of the body rejects (it used to hang forever)', async () => {
  const error = await rejection('/drop-mid-body');
  assert.instance(error, TransportError);
  assert.match(error.message, /dropped|reset|aborted|socket hang up/i);
});

test('no answer: rejected at the timeout', async () => {
  const error = await rejection('/hang', 300);
  assert.instance(error, TransportError);
  assert.match(error.message, /no answer .* within 0.3 s/);
});

test('an answer over 1 MiB is refused', async () => {
  const error = await rejection('/huge');
  assert.match(error.message, /larger than 1 MiB/);
});

test('plain http only on loopback', () => {
  assert.ok(assertSafeEndpoint('https://iam.cloud.ibm.com', 'x'));
  assert.ok(assertSafeEndpoint('http://127.0.0.1:8080', 'x'));
  assert.ok(assertSafeEndpoint('http://[::1]:8080', 'x'));
  assert.ok(assertSafeEndpoint('http://localhost', 'x'));
  assert.throws(() => assertSafeEndpoint('http://iam.example.com', 'the IAM endpoint'), /must use https/);
  assert.throws(() => assertSafeEndpoint('http://10.0.0.1', 'x'), /must use https/);
  assert.throws(() => assertSafeEndpoint('not a url', 'x'), /not a valid URL/);
});

test('a stored token with a line break cannot go into a header: a user error naming the fix, not a bug', async () => {
  const headers = { Authorization: 'Bearer abc\ndef' };
  const error = await httpFetch(new URL(`${base}/ok`), { headers }).catch((thrown: unknown) => thrown);
  assert.instance(error, UserError);
  assert.not.instance(error, TransportError, 'not worth retrying');
  assert.match(
    describeError(error),
    new RegExp(`^cannot send a request to ${base}: .*Authorization.*store it again\\)$`),
  );
});

test.run();
