import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { findBestMatch, labelMatches, patternMatches } from '../../src/hosts/match.js';
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

test('label globs: stars match any run of characters within the label, in order', () => {
  assert.ok(labelMatches('a*b', 'ab'));
  assert.ok(labelMatches('a*b', 'axxb'));
  assert.not.ok(labelMatches('a*a', 'a'), 'prefix and suffix may not share a character');
  assert.not.ok(labelMatches('*ab*b', 'ab'), 'a middle part may not overlap the suffix');
  assert.ok(labelMatches('a*b*c', 'aXbYc'));
  assert.not.ok(labelMatches('a*b*c', 'acb'));
  assert.ok(labelMatches('**', 'anything'));
  assert.ok(labelMatches('*', 'x'));
  assert.not.ok(labelMatches('abc', 'abd'));
});

test('label globs agree with a regex reference on every small case', () => {
  const reference = (pattern: string, label: string) => new RegExp(`^${pattern.split('*').join('[^.]*')}$`).test(label);
  const words = (alphabet: string[], max: number): string[] => {
    let level = [''];
    const all = [''];
    for (let length = 1; length <= max; length++) {
      level = level.flatMap((w) => alphabet.map((c) => w + c));
      all.push(...level);
    }
    return all;
  };
  const labels = words(['a', 'b'], 6);
  for (const pattern of words(['a', 'b', '*'], 5)) {
    for (const label of labels) {
      assert.is(labelMatches(pattern, label), reference(pattern, label), `${pattern} ~ ${label}`);
    }
  }
});

// Before: the pattern became a backtracking regex; this case did not finish in minutes.
test('a hostile pattern against a maximal label is decided at once', () => {
  const pattern = `${'*a'.repeat(30)}*b`; // 62 characters, 31 stars
  const label = 'a'.repeat(63);
  const started = Date.now();
  assert.not.ok(patternMatches(n(`${pattern}.example.com`), n(`${label}.example.com`)));
  assert.ok(labelMatches(pattern, `${'a'.repeat(62)}b`));
  assert.ok(Date.now() - started < 1000, `took ${Date.now() - started} ms`);
});

test('an entry whose key is undefined is skipped, not matched', () => {
  const keyOf = (entry: string) => (entry === 'broken' ? undefined : n(entry));
  assert.is(findBestMatch(['broken', '*.icr.io'], n('us.icr.io'), keyOf), '*.icr.io');
});

test.run();
