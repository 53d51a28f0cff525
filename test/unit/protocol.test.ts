import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { formatCredentials, parseServerURL, parseStoreRequest } from '../../src/protocol/messages.js';
import { inferKind } from '../../src/clouds/infer-kind.js';

test('store request: valid, extra fields ignored, ServerURL trimmed, empty Secret allowed', () => {
  assert.equal(parseStoreRequest('{"ServerURL":" us.icr.io\\n","Username":"u","Secret":"s","Email":"x"}'), {
    ServerURL: 'us.icr.io',
    Username: 'u',
    Secret: 's',
  });
  assert.equal(parseStoreRequest('{"ServerURL":"a","Username":"u"}'), { ServerURL: 'a', Username: 'u', Secret: '' });
});

test('store request: keys in any case, as Go helpers decode them; the exact-case key wins', () => {
  const expected = { ServerURL: 'a', Username: 'u', Secret: 's' };
  assert.equal(parseStoreRequest('{"serverurl":"a","username":"u","secret":"s"}'), expected);
  assert.equal(parseStoreRequest('{"SERVERURL":"a","UserName":"u","SECRET":"s"}'), expected);
  assert.equal(parseStoreRequest('{"serverurl":"lower","ServerURL":"exact","Username":"u","secret":"s"}'), {
    ServerURL: 'exact',
    Username: 'u',
    Secret: 's',
  });
  assert.throws(
    () => parseStoreRequest('{"serverurl":"a","username":"u","secret":7}'),
    (e: Error) => /Secret must be a string/.test(e.message),
  );
});

test('store request: the exact texts clients match on', () => {
  assert.throws(
    () => parseStoreRequest('{"Username":"u","Secret":"s"}'),
    (e: Error) => e.message === 'no credentials server URL',
  );
  assert.throws(
    () => parseStoreRequest('{"ServerURL":"a","Secret":"s"}'),
    (e: Error) => e.message === 'no credentials username',
  );
  assert.throws(
    () => parseServerURL(' \n'),
    (e: Error) => e.message === 'no credentials server URL',
  );
});

test('store request: malformed input is one clear line, never echoing the secret', () => {
  for (const bad of [
    '',
    'nope',
    '[]',
    'null',
    '"str"',
    '{"ServerURL":1,"Username":"u","Secret":"hunter2"}',
    '{"ServerURL":"a","Username":"u","Secret":42}',
    '{"ServerURL":"a","Username":"u","Secret":"hunter2"',
  ]) {
    assert.throws(
      () => parseStoreRequest(bad),
      (e: Error) =>
        !e.message.includes('\n') && !e.message.includes('hunter2') && /invalid credentials JSON/.test(e.message),
      bad,
    );
  }
});

test('get response: PascalCase fields and a trailing newline, as Go encodes it', () => {
  assert.is(
    formatCredentials({ ServerURL: 'h', Username: 'u', Secret: 's"\\' }),
    '{"ServerURL":"h","Username":"u","Secret":"s\\"\\\\"}\n',
  );
});

test('kind inference', () => {
  assert.is(inferKind('private.us.icr.io', 'iamapikey'), 'ibm-iam');
  assert.is(inferKind('registry.corp.example', 'iamapikey'), 'ibm-iam');
  assert.is(inferKind('us.icr.io', 'iamrefresh'), 'iam-refresh');
  assert.is(inferKind('docker.io', 'bob'), 'dockerhub');
  assert.is(inferKind('docker.io', '<token>'), 'identity-token');
  assert.is(inferKind('registry.cloudscale-lpg-2.appuio.cloud', 'me'), 'openshift');
  assert.is(inferKind('default-route-openshift-image-registry.apps.ocp.example.com', 'me'), 'openshift');
  assert.is(inferKind('image-registry.openshift-image-registry.svc:5000', 'sa'), 'openshift');
  assert.is(inferKind('ghcr.io', 'me'), 'github');
  assert.is(inferKind('quay.io', 'me'), 'static');
  assert.is(inferKind('https://index.docker.io/v1/access-token', 'me'), 'static');
});

test.run();
