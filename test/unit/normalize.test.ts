import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { normalizeServer } from '../../src/hosts/normalize.js';

const key = (input: string) => normalizeServer(input).key;

test('scheme, case, path and query do not change the key', () => {
  for (const input of [
    'us.icr.io',
    'https://us.icr.io',
    'http://us.icr.io',
    'US.ICR.IO',
    'https://us.icr.io/v2/',
    '//us.icr.io',
    'us.icr.io/ns/repo?x=1#f',
    'us.icr.io.',
  ]) {
    assert.is(key(input), 'us.icr.io', input);
  }
});

test('ports are significant but 443, whatever the scheme', () => {
  assert.is(key('localhost:5000'), 'localhost:5000');
  assert.is(key('https://localhost:05000/v2'), 'localhost:5000');
  assert.is(key('https://host.example:443'), 'host.example');
  // Only 443 goes: http://host:80 keeps its port, as host:80 does, so each spelling of one host:port is one key.
  assert.is(key('http://host.example:80'), 'host.example:80');
  assert.is(key('host.example:443'), 'host.example');
  assert.is(key('host.example:443/v2/'), 'host.example');
  assert.is(key('*.icr.io:443'), '*.icr.io');
  // A key reads as https: 443 is dropped whatever the scheme, so that a key normalises to itself (the fuzz's rule).
  assert.is(key('http://host.example:443'), 'host.example');
  assert.is(key(key('http://host.example:443')), key('http://host.example:443'));
  assert.is(key('host.example:80'), 'host.example:80');
  assert.is(key('[::1]:443'), '[::1]');
  assert.is.not(key('localhost:5000'), key('localhost:5001'));
});

test('Docker Hub aliases are one key; OAuth items stay verbatim and separate', () => {
  for (const input of [
    'https://index.docker.io/v1/',
    'index.docker.io',
    'docker.io',
    'registry-1.docker.io',
    'https://registry-1.docker.io/v2/',
    'DOCKER.IO',
  ]) {
    assert.is(key(input), 'docker.io', input);
  }
  assert.is(key('https://index.docker.io/v1/access-token'), 'https://index.docker.io/v1/access-token');
  assert.is(key('https://index.docker.io/v1/refresh-token'), 'https://index.docker.io/v1/refresh-token');
  assert.is(key('docker.io:5000'), 'docker.io:5000');
});

test('IPv6 literals, bracketed or not', () => {
  assert.is(key('[::1]:5000'), '[::1]:5000');
  assert.is(key('https://[0:0::1]:5000/v2'), '[::1]:5000');
  assert.is(key('::1'), '[::1]');
  assert.is(key('https://::1:8080//////location/../../hello'), '[::1:8080]');
  assert.is(key('[2001:db8::1]'), '[2001:db8::1]');
});

test('patterns are recognised', () => {
  const p = normalizeServer('*.icr.io');
  assert.ok(p.isPattern);
  assert.is(p.key, '*.icr.io');
  assert.not.ok(normalizeServer('icr.io').isPattern);
});

test('bad input names the problem', () => {
  assert.throws(() => key('ftp://example.com'), /unsupported scheme: ftp/);
  assert.throws(() => key('https://'), /no hostname in URL/);
  assert.throws(() => key('/foobar.example.com'), /no hostname in URL/);
  assert.throws(() => key(''), /no credentials server URL/);
  assert.throws(() => key('host:99999'), /invalid port/);
  assert.throws(() => key('host:abc'), /invalid port/);
  assert.throws(() => key('exa mple.com'), /whitespace/);
  assert.throws(() => key('user:pw@example.com'), /must not contain a username or password/);
  assert.throws(() => key('bad_host!.com'), /invalid hostname/);
  assert.throws(() => key('[::1'), /invalid IPv6/);
});

test('DNS limits: a label of at most 63 characters, a name of at most 253, for patterns too', () => {
  const label63 = 'a'.repeat(63);
  assert.is(key(`${label63}.example.com`), `${label63}.example.com`);
  const tooLongLabel = /^invalid hostname in server URL ".*": a label longer than 63 characters$/;
  assert.throws(() => key(`${label63}b.example.com`), tooLongLabel);
  assert.throws(() => key(`*${'a*'.repeat(40)}.example.com`), /a label longer than 63 characters/);
  const name253 = [label63, label63, label63, 'a'.repeat(61)].join('.');
  assert.is(name253.length, 253);
  assert.is(key(name253), name253);
  assert.is(key(`${name253}.`), name253, 'a trailing dot is not counted');
  assert.throws(() => key(`${name253}a`), /^invalid hostname in server URL ".{100}…": longer than 253 characters$/);
  assert.throws(() => key(`*${'.*'.repeat(200_000)}`), /longer than 253 characters/, 'a 400 KB pattern');
});

test('error messages quote the input escaped: no raw C1 control, DEL or line separator reaches a terminal', () => {
  for (const input of ['\u0085', 'a\u007fb.io', 'x\u2028y.io', 'a\u202eb.io']) {
    const unescaped = /[\u007f-\u009f\u2028\u2029\u202a-\u202e]/;
    assert.throws(
      () => normalizeServer(input),
      (e: Error) => !unescaped.test(e.message),
      input,
    );
  }
});

test.run();
