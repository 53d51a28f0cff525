import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { findBestMatch, patternMatches } from '../../src/hosts/match.js';
import { normalizeServer } from '../../src/hosts/normalize.js';

const n = normalizeServer;
const best = (entries: string[], target: string) => findBestMatch(entries, n(target), n);

test('a * matches exactly one DNS label', () => {
  assert.ok(patternMatches(n('*.icr.io'), n('us.icr.io')));
  assert.not.ok(patternMatches(n('*.icr.io'), n('private.us.icr.io')));
  assert.not.ok(patternMatches(n('*.icr.io'), n('icr.io')));
  assert.ok(patternMatches(n('private.*.icr.io'), n('private.jp2.icr.io')));
  assert.ok(patternMatches(n('registry.*.appuio.cloud'), n('registry.cloudscale-lpg-2.appuio.cloud')));
  assert.ok(patternMatches(n('k8s.*.io'), n('k8s.gcr.io')));
  assert.ok(patternMatches(n('*-docker.pkg.dev'), n('europe-docker.pkg.dev')));
});

test('ports must agree', () => {
  assert.ok(patternMatches(n('*.example.test:5000'), n('a.example.test:5000')));
  assert.not.ok(patternMatches(n('*.example.test:5000'), n('a.example.test')));
  assert.not.ok(patternMatches(n('*.example.test'), n('a.example.test:5000')));
});

test('exact beats pattern; fewer wildcards beat more; longer literal beats shorter', () => {
  assert.is(best(['*.icr.io', 'us.icr.io'], 'us.icr.io'), 'us.icr.io');
  assert.is(best(['*.icr.io', 'us.icr.io'], 'de.icr.io'), '*.icr.io');
  assert.is(best(['*.*.icr.io', 'private.*.icr.io'], 'private.us.icr.io'), 'private.*.icr.io');
  assert.is(best(['*.*.icr.io', 'private.*.icr.io'], 'other.us.icr.io'), '*.*.icr.io');
  assert.is(best(['*.icr.io'], 'icr.io'), undefined);
  assert.is(best(['*.icr.io', 'us.icr.io'], 'https://US.icr.io/v2/'), 'us.icr.io');
});

test('a pattern never answers a lookup of another pattern or an IPv6 host', () => {
  assert.is(best(['*.icr.io'], '[::1]'), undefined);
  assert.is(best(['*.icr.io', '*.*.io'], '*.icr.io'), '*.icr.io');
});

test.run();
