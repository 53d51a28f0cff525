import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { cloneJson, emptyRecord, Field, InvalidInputError, parseJson } from '../../src/validate.js';
import { parseDaemonRequest } from '../../src/daemon/socket-protocol.js';

const doc = (text: string) => Field.root('/x/mapping.json', parseJson(text));
const message = (action: () => unknown): string => {
  try {
    action();
  } catch (error) {
    assert.instance(error, InvalidInputError);
    return (error as Error).message;
  }
  return assert.unreachable('expected a throw') as never;
};

test('messages name the source and the path of the field', () => {
  const d = doc('{"entries":[{"server":"a"},{"secretRef":12}],"auths":{"us.icr.io":{"auth":true}}}');
  assert.is(
    message(() => d.member('entries').items()[1].member('secretRef').string()),
    '/x/mapping.json: entries[1].secretRef must be a string, not a number',
  );
  assert.is(
    message(() => d.member('auths').member('us.icr.io').member('auth').string()),
    '/x/mapping.json: auths["us.icr.io"].auth must be a string, not a boolean',
  );
  assert.is(
    message(() => d.member('entries').items()[0].member('kind').string()),
    '/x/mapping.json: entries[0].kind is missing (it must be a string)',
  );
  assert.is(
    message(() => doc('null').member('version')),
    '/x/mapping.json: must be a JSON object, not null',
  );
  assert.is(
    message(() => doc('{"entries":{}}').member('entries').items()),
    '/x/mapping.json: entries must be a list, not an object',
  );
  assert.is(
    message(() => doc('{"v":2}').member('v').equal(1)),
    '/x/mapping.json: v must be 1, not 2',
  );
  assert.is(
    message(() => doc('{"s":"vault"}').member('s').oneOf(['file', 'env'])),
    '/x/mapping.json: s must be one of file, env, not "vault"',
  );
  assert.is(
    message(() => doc('{"s":""}').member('s').nonEmptyString()),
    '/x/mapping.json: s must not be empty',
  );
});

test('a misplaced value is described by its kind, never shown (it may be a secret)', () => {
  assert.not.match(
    message(() => doc('{"auths":{"h":"c2VjcmV0"}}').member('auths').member('h').object()),
    /c2VjcmV0/,
  );
  assert.not.match(
    message(() => doc('{"password":123456}').member('password').string()),
    /123456/,
  );
});

test('keys that are not plain names are quoted and shortened in paths', () => {
  const long = 'k'.repeat(100);
  const text = message(() => doc(`{"a b\\n":{"${long}":1}}`).member('a b\n').member(long).string());
  assert.ok(text.startsWith('/x/mapping.json: ["a b\\n"]["kkkk'), text);
  assert.ok(text.length < 160, text);
});

test('parsed objects have no prototype: __proto__ and constructor are ordinary keys', () => {
  const d = parseJson('{"__proto__":{"x":1},"inner":{"constructor":"c"}}') as Record<string, Record<string, unknown>>;
  assert.is(Object.getPrototypeOf(d), null);
  assert.equal(Object.keys(d), ['__proto__', 'inner']);
  assert.is(d.inner.constructor, 'c');
  assert.is(Field.root('s', parseJson('{}')).member('constructor').value, undefined);
  assert.is(Field.root('s', parseJson('{}')).member('toString').absent, true);
  const record = emptyRecord<string>();
  // biome-ignore lint/suspicious/noProto: the test is that __proto__ is an ordinary key here
  record.__proto__ = 'v';
  assert.equal(Object.keys(record), ['__proto__']);
  const clone = cloneJson(d);
  assert.is(Object.getPrototypeOf(clone.inner), null);
  assert.equal(Object.keys(clone), ['__proto__', 'inner']);
});

test('record and list readers check every member', () => {
  const record = doc('{"o":{"a":"1","__proto__":"2"}}').member('o').stringRecord();
  assert.equal({ ...record }, JSON.parse('{"a":"1","__proto__":"2"}'));
  assert.is(
    message(() => doc('{"o":{"a":"1","b":null}}').member('o').stringRecord()),
    '/x/mapping.json: o.b must be a string, not null',
  );
  assert.is(doc('{"o":null}').member('o').nullableString(), undefined);
  assert.is(doc('{}').member('o').optionalString(), undefined);
});

test('daemon socket requests: the two operations, anything else one clear error', () => {
  assert.equal(parseDaemonRequest('{"op":"status"}'), { op: 'status' });
  assert.equal(parseDaemonRequest('{"op":"refresh"}'), { op: 'refresh' });
  assert.equal(parseDaemonRequest('{"op":"refresh","server":"us.icr.io"}'), { op: 'refresh', server: 'us.icr.io' });
  assert.throws(() => parseDaemonRequest('null'), /daemon request: must be a JSON object, not null/);
  assert.throws(() => parseDaemonRequest('{"op":"refresh","server":5}'), /server must be a string, not a number/);
  assert.throws(() => parseDaemonRequest('{"op":"stop"}'), /op must be one of status, refresh/);
  assert.throws(() => parseDaemonRequest('{'), /daemon request is not JSON/);
});

test.run();
