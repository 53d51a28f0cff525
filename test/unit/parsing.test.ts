import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { registryOfImage } from '../../src/hosts/image-reference.js';
import { parseBearerChallenge } from '../../src/clouds/distribution-auth.js';
import { parseRequest } from '../../src/integrations/kubelet-provider.js';
import { jwtExpiry, jwtIssuedAt } from '../../src/clouds/jwt.js';
import { lineDiff } from '../../src/integrations/text-diff.js';

test('registry of an image reference, as docker decides it', () => {
  assert.is(registryOfImage('ubuntu'), 'docker.io');
  assert.is(registryOfImage('library/ubuntu:22.04'), 'docker.io');
  assert.is(registryOfImage('us.icr.io/ns/app:1.0'), 'us.icr.io');
  assert.is(registryOfImage('localhost/app'), 'localhost');
  assert.is(registryOfImage('127.0.0.1:5000/a/b@sha256:abc'), '127.0.0.1:5000');
  assert.throws(() => registryOfImage(' '), /invalid image reference/);
});

test('Bearer challenges (RFC 6750)', () => {
  assert.equal(
    parseBearerChallenge(
      'Bearer realm="https://auth.docker.io/token",service="registry.docker.io",' +
        'scope="repository:samalba/my-app:pull,push"',
    ),
    {
      realm: 'https://auth.docker.io/token',
      service: 'registry.docker.io',
      scope: 'repository:samalba/my-app:pull,push',
    },
  );
  assert.equal(parseBearerChallenge('bearer realm=https://r/t, service=s'), { realm: 'https://r/t', service: 's' });
  assert.is(parseBearerChallenge('Basic realm="x"'), undefined);
  assert.is(parseBearerChallenge('Bearer service="x"'), undefined);
  assert.is(parseBearerChallenge(undefined), undefined);
});

test('kubelet requests are validated', () => {
  assert.equal(
    parseRequest(
      '{"apiVersion":"credentialprovider.kubelet.k8s.io/v1","kind":"CredentialProviderRequest","image":"ubuntu"}',
    ),
    { apiVersion: 'credentialprovider.kubelet.k8s.io/v1', image: 'ubuntu' },
  );
  assert.throws(() => parseRequest('nope'), /not JSON/);
  const v1 = '"apiVersion":"credentialprovider.kubelet.k8s.io/v1"';
  assert.throws(
    () => parseRequest('{"apiVersion":"v2","kind":"CredentialProviderRequest","image":"x"}'),
    /apiVersion "v2" is not supported/,
  );
  assert.throws(() => parseRequest(`{${v1},"kind":"Other","image":"x"}`), /kind must be "CredentialProviderRequest"/);
  assert.throws(() => parseRequest(`{${v1},"kind":"CredentialProviderRequest"}`), /image is missing/);
  assert.throws(() => parseRequest('null'), /CredentialProviderRequest on stdin: must be a JSON object, not null/);
});

test('JWT claims without verification; opaque tokens have none', () => {
  const jwt = ['{"alg":"none"}', '{"exp":2000,"iat":1000}', '']
    .map((p) => Buffer.from(p).toString('base64url'))
    .join('.');
  assert.is(jwtExpiry(jwt), 2_000_000);
  assert.is(jwtIssuedAt(jwt), 1_000_000);
  assert.is(jwtExpiry('sha256~abcdef'), undefined);
  assert.is(jwtExpiry('a.b.c'), undefined);
});

test('line diff marks additions and removals', () => {
  assert.equal(lineDiff('a\nb\nc\n', 'a\nx\nc\n'), ['  a', '+ x', '- b', '  c']);
  assert.equal(lineDiff('', '{}\n'), ['+ {}']);
});

test.run();
