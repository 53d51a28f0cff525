// The github kind's provider against a stand-in registry on 127.0.0.1 that speaks distribution token auth as
// ghcr.io does (a Bearer challenge at /v2/, a realm that takes the login as Basic auth): the token is answered
// as it is, and its check asks the realm once, telling a refused token (permanent, with the fix) from a
// struggling service (transient), in one line that never holds the token.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type http from 'node:http';
import { inferKind } from '../../src/clouds/infer-kind.js';
import type { IssueContext, LoginEntry } from '../../src/clouds/provider.js';
import { loadProvider } from '../../src/clouds/registry.js';
import { loadConfig } from '../../src/config.js';
import { isPermanent, ServiceRefusedError, UserError } from '../../src/errors.js';
import { basicAuth, listen, sendJson, type Served } from '../fixtures/support.js';

const TOKEN = 'ghp_unitGitHubToken0123456789abcdefghijk';
const issueContext: IssueContext = { config: loadConfig({}) };

let registry: Served;
let realmAnswer: { status: number; headers?: Record<string, string> } | undefined;
const asked: { account: string | null; service: string | null; user: string | undefined }[] = [];

test.before(async () => {
  registry = await listen((req: http.IncomingMessage, res: http.ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname === '/v2/') {
      res.writeHead(401, { 'WWW-Authenticate': `Bearer realm="${registry.url}/token",service="ghcr.io"` }).end();
      return;
    }
    const login = basicAuth(req);
    asked.push({
      account: url.searchParams.get('account'),
      service: url.searchParams.get('service'),
      user: login?.user,
    });
    if (realmAnswer) return sendJson(res, realmAnswer.status, {}, realmAnswer.headers);
    const valid = login?.user === 'octocat' && login.pass === TOKEN;
    sendJson(res, valid ? 200 : 403, valid ? { token: 'registry-token' } : { errors: [{ code: 'DENIED' }] });
  });
});
test.after(() => registry.stop());
test.before.each(() => {
  realmAnswer = undefined;
  asked.length = 0;
});

const entry = (username = 'octocat'): LoginEntry => ({
  server: registry.url.replace('http://', ''),
  serverURL: registry.url,
  kind: 'github',
  username,
  options: {},
});

test('ghcr.io logins are the github kind; the token is answered as it is, with nothing that expires', async () => {
  assert.is(inferKind('ghcr.io', 'octocat'), 'github');
  assert.is(inferKind('docker.pkg.github.com', 'octocat'), 'github');
  const issued = await (await loadProvider('github')).issue(entry(), TOKEN, issueContext);
  assert.equal([issued.username, issued.secret, issued.expiresAt], ['octocat', TOKEN, undefined]);
  assert.is(asked.length, 0, 'a get asks nothing');
});

test('the check asks the token realm once, as docker login does, and names who was accepted', async () => {
  const provider = await loadProvider('github');
  const confirmed = await provider.check!(entry(), TOKEN, issueContext);
  assert.is(confirmed, "the registry's token realm accepts the token of octocat");
  assert.equal(asked, [{ account: 'octocat', service: 'ghcr.io', user: 'octocat' }]);
});

test('a refused token is permanent and says what to do; a struggling realm is transient', async () => {
  const provider = await loadProvider('github');
  const refused = await provider.check!(entry(), 'ghp_revoked', issueContext).catch((error: unknown) => error);
  assert.instance(refused, ServiceRefusedError);
  assert.ok(isPermanent(refused));
  const message = (refused as Error).message;
  assert.match(message, /refused the token of octocat \(403\).*lacks read:packages.*docker login 127\.0\.0\.1:\d+ -u/);
  assert.not.match(message, /ghp_revoked|\n/);
  realmAnswer = { status: 503, headers: { 'Retry-After': '7' } };
  const busy = await provider.check!(entry(), TOKEN, issueContext).catch((error: unknown) => error);
  assert.instance(busy, ServiceRefusedError);
  assert.not.ok(isPermanent(busy));
  assert.match((busy as Error).message, /answered 503 to the token check/);
});

test('a registry that asks for no token is not a GitHub registry: one line, no request with the token', async () => {
  const plain = await listen((_req: http.IncomingMessage, res: http.ServerResponse) => sendJson(res, 200, {}));
  try {
    const other = { ...entry(), server: plain.url.replace('http://', '') };
    const error = await (await loadProvider('github')).check!(other, TOKEN, issueContext).catch((e: unknown) => e);
    assert.instance(error, UserError);
    assert.match((error as Error).message, /asked for no token at \/v2\/: it is not a GitHub registry$/);
  } finally {
    await plain.stop();
  }
});

test.run();
