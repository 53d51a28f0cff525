// The D-Bus wire format as the keychain reader speaks it: the messages it sends and the replies it reads
// round-trip, and whatever a peer sends that is not a well-formed message is refused with one
// DBusWireError, quickly, however it is broken (cut short, lengths past the end or absurd, an unknown
// endianness, nesting without end, text that is not UTF-8), never with another kind of error or a hang.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import {
  authExternalLine,
  type DBusValue,
  DBusWireError,
  helloCall,
  MAX_MESSAGE_BYTES,
  MessageType,
  marshalMessage,
  marshalMethodCall,
  unmarshalMessage,
} from '../../src/secrets/dbus-wire.js';

const SECRETS = {
  destination: 'org.freedesktop.secrets',
  path: '/org/freedesktop/secrets',
  interface: 'org.freedesktop.Secret.Service',
};

const reply = (signature: string, body: DBusValue[], replySerial = 3) =>
  marshalMessage({ type: MessageType.methodReturn, serial: 9, replySerial, signature, body });

function parsed(bytes: Buffer) {
  const result = unmarshalMessage(bytes);
  assert.ok(result, 'a whole message');
  assert.is(result.length, bytes.length, 'consumed exactly the message');
  return result.message;
}

/** Refused with a DBusWireError (and nothing else) whose message matches `expected`. */
function assertRefused(bytes: Buffer, expected: RegExp, what: string): void {
  try {
    unmarshalMessage(bytes);
  } catch (error) {
    assert.instance(error, DBusWireError, `${what}: ${String(error)}`);
    assert.match((error as Error).message, expected, what);
    return;
  }
  assert.unreachable(`${what}: accepted`);
}

test('Hello is the message libdbus and sd-bus send (byte for byte as the spec lays it out)', () => {
  const hello = helloCall(1);
  assert.is(hello.length % 8, 0);
  assert.is(hello.subarray(0, 4).toString('hex'), '6c010001');
  const message = parsed(hello);
  assert.is(message.type, MessageType.methodCall);
  assert.is(message.serial, 1);
  assert.is(message.signature, '');
  assert.equal(message.body, []);
  assert.is(authExternalLine(1000), '\0AUTH EXTERNAL 31303030\r\n');
});

test('method calls with the signatures the reader sends round-trip', () => {
  const calls: [string, DBusValue[]][] = [
    ['sv', ['plain', { signature: 's', value: '' }]],
    [
      'a{ss}',
      [
        [
          ['service', 'lanyard'],
          ['username', 'reg.example.test/2ec6 ünïcødé'],
        ],
      ],
    ],
    ['aoo', [['/org/freedesktop/secrets/collection/login/1'], '/org/freedesktop/secrets/session/s7']],
    ['so', ['x', '/']],
  ];
  for (const [signature, body] of calls) {
    const message = parsed(marshalMethodCall({ ...SECRETS, serial: 5, member: 'M', signature, body }));
    assert.is(message.signature, signature);
    assert.equal(message.body, body, signature);
  }
});

test('replies of the shapes the reader reads round-trip: (ao ao), (v o), a{o(oayays)}, an error s', () => {
  const items = ['/org/freedesktop/secrets/collection/login/1', '/org/freedesktop/secrets/collection/login/22'];
  assert.equal(parsed(reply('aoao', [items, []])).body, [items, []]);
  const session: DBusValue[] = [{ signature: 's', value: '' }, '/org/freedesktop/secrets/session/s1'];
  assert.equal(parsed(reply('vo', session)).body, session);
  const secret = Buffer.from('pässwörd 🔑', 'utf8');
  const secrets = [[items[0]!, ['/org/freedesktop/secrets/session/s1', Buffer.alloc(0), secret, 'text/plain']]];
  const got = parsed(reply('a{o(oayays)}', [secrets]));
  assert.equal(got.body, [secrets]);
  assert.is(got.replySerial, 3);
  const error = parsed(
    marshalMessage({
      type: MessageType.error,
      serial: 4,
      replySerial: 2,
      errorName: 'org.freedesktop.DBus.Error.ServiceUnknown',
      signature: 's',
      body: ['The name org.freedesktop.secrets was not provided by any .service files'],
    }),
  );
  assert.is(error.type, MessageType.error);
  assert.is(error.errorName, 'org.freedesktop.DBus.Error.ServiceUnknown');
  assert.is(error.replySerial, 2);
});

/** A big-endian METHOD_RETURN (reply to 3) with body `(ao ao)` = ([path], []), laid out by hand. */
function bigEndianSearchReply(path: string): Buffer {
  const bytes: number[] = [];
  const u32 = (v: number) => bytes.push(v >>> 24, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff);
  const pad = (to: number) => {
    while (bytes.length % to) bytes.push(0);
  };
  const body: number[] = [];
  const bodyU32 = (v: number) => body.push(v >>> 24, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff);
  bodyU32(4 + path.length + 1); // first array: one object path
  bodyU32(path.length);
  body.push(...Buffer.from(path), 0);
  while (body.length % 4) body.push(0);
  bodyU32(0); // second array: empty
  bytes.push(0x42, MessageType.methodReturn, 0, 1);
  u32(body.length);
  u32(7);
  u32(0); // header fields' length, patched below
  bytes.push(5, 1, 0x75, 0); // REPLY_SERIAL, variant "u"
  u32(3);
  pad(8);
  bytes.push(8, 1, 0x67, 0, 4, ...Buffer.from('aoao'), 0); // SIGNATURE, variant "g"
  const fieldsLength = bytes.length - 16;
  bytes.splice(12, 4, fieldsLength >>> 24, (fieldsLength >>> 16) & 0xff, (fieldsLength >>> 8) & 0xff, fieldsLength);
  pad(8);
  return Buffer.from([...bytes, ...body]);
}

test('a big-endian reply reads the same as a little-endian one', () => {
  const path = '/org/freedesktop/secrets/collection/login/1';
  const message = parsed(bigEndianSearchReply(path));
  assert.is(message.replySerial, 3);
  assert.equal(message.body, [[path], []]);
});

test('every prefix of a message asks for more bytes; the bytes after it are left alone', () => {
  const whole = reply('a{o(oayays)}', [[['/a', ['/s', Buffer.alloc(0), Buffer.alloc(300, 7), 'text/plain']]]]);
  for (let cut = 0; cut < whole.length; cut++) assert.is(unmarshalMessage(whole.subarray(0, cut)), undefined);
  const two = Buffer.concat([whole, helloCall(2)]);
  assert.is(unmarshalMessage(two)?.length, whole.length);
});

test('hostile headers are refused by name, at once', () => {
  const good = reply('s', ['hello']);
  const withByte = (at: number, value: number) => {
    const copy = Buffer.from(good);
    copy[at] = value;
    return copy;
  };
  assertRefused(withByte(0, 0x58), /unknown endianness flag 88/, 'endianness X');
  assertRefused(withByte(3, 2), /unknown protocol version 2/, 'protocol version 2');
  const absurdBody = Buffer.from(good.subarray(0, 16));
  absurdBody.writeUInt32LE(0xffffffff, 4);
  assertRefused(absurdBody, /over the 1048576-byte limit/, 'a 4 GiB body, seen from 16 bytes');
  const absurdFields = Buffer.from(good.subarray(0, 16));
  absurdFields.writeUInt32LE(MAX_MESSAGE_BYTES, 12);
  assertRefused(absurdFields, /over the 1048576-byte limit/, 'a 1 MiB header');
  const serialZero = Buffer.from(good);
  serialZero.writeUInt32LE(0, 8);
  assertRefused(serialZero, /serial 0/, 'serial 0');
  const noReplySerial = marshalMessage({ type: MessageType.methodReturn, serial: 2 });
  assertRefused(noReplySerial, /without a reply serial/, 'a reply to nothing');
  const nameless = marshalMessage({ type: MessageType.error, serial: 2, replySerial: 1 });
  assertRefused(nameless, /error without a name/, 'an error without a name');
});

/** `reply('s', [text])` with the string's length field replaced. */
function stringReplyWithLength(length: number): Buffer {
  const message = Buffer.from(reply('s', ['hello']));
  message.writeUInt32LE(length, message.length - 10); // the body: u32 length, 'hello', NUL
  return message;
}

test('lengths inside the body that run past the message are refused', () => {
  assertRefused(stringReplyWithLength(6), /not NUL-terminated|runs past the end/, 'string one byte longer');
  assertRefused(stringReplyWithLength(1000), /runs past the end/, 'string far longer');
  assertRefused(stringReplyWithLength(0xffffffff), /runs past the end/, 'a 4 GiB string');
  const array = Buffer.from(reply('ao', [['/a', '/b']]));
  const bodyStart = array.length - 19; // the array's length, "/a" (u32 2, 2 bytes, NUL), padding, "/b"
  array.writeUInt32LE(0x7fffffff, bodyStart);
  assertRefused(array, /an array runs past the end/, 'an array of 2 GiB');
  array.writeUInt32LE(9, bodyStart); // ends inside the second path
  assertRefused(array, /runs past/, 'an element overrunning its array');
});

test('a huge but well-formed array within the cap is read in linear time', () => {
  const paths = Array.from({ length: 20_000 }, (_, i) => `/org/freedesktop/secrets/collection/login/${i}`);
  const started = Date.now();
  assert.is((parsed(reply('aoao', [paths, []])).body[0] as string[]).length, 20_000);
  assert.ok(Date.now() - started < 2000, 'read quickly');
  const tooMany = Array.from({ length: 40_000 }, (_, i) => `/org/freedesktop/secrets/collection/login/${i}`);
  assertRefused(reply('ao', [tooMany]), /over the 1048576-byte limit/, 'an array past the cap');
});

test('text that is not UTF-8, holds NUL, or is not an object path or signature is refused', () => {
  const replaceIn = (message: Buffer, from: string, to: number[]) => {
    const copy = Buffer.from(message);
    const at = copy.indexOf(from);
    assert.ok(at > 0, from);
    copy.set(to, at);
    return copy;
  };
  assertRefused(replaceIn(reply('s', ['héllo']), 'é', [0xff, 0xfe]), /not valid UTF-8/, 'invalid UTF-8');
  assertRefused(replaceIn(reply('s', ['hello']), 'll', [0x6c, 0]), /contains NUL/, 'NUL inside');
  assertRefused(replaceIn(reply('o', ['/a/b']), '/a/b', [0x2f, 0x2d]), /invalid object path/, 'object path /-b');
  assertRefused(replaceIn(reply('s', ['x']), 's\0', [0x7a]), /unexpected "z" in signature/, 'signature z');
});

test('nesting without end is refused: in a signature, and in variants inside variants', () => {
  let deep: DBusValue = { signature: 's', value: 'x' };
  for (let i = 0; i < 70; i++) deep = { signature: 'v', value: deep };
  assertRefused(reply('v', [deep]), /nested deeper than 64/, 'variants 70 deep');
  assert.throws(() => reply(`${'a'.repeat(70)}y`, [[]]), /nested deeper than 64/);
});

test('a boolean other than 0 or 1 is refused', () => {
  const message = Buffer.from(reply('b', [true]));
  message.writeUInt32LE(2, message.length - 4);
  assertRefused(message, /boolean 2/, 'boolean 2');
});

test('marshalling refuses what would break the connection (NUL, a bad object path, a short body)', () => {
  const call = (signature: string, body: DBusValue[]) => () =>
    marshalMethodCall({ ...SECRETS, serial: 2, member: 'M', signature, body });
  assert.throws(call('s', ['a\0b']), (e: unknown) => e instanceof DBusWireError && /NUL/.test(String(e)));
  assert.throws(call('o', ['not/a/path']), (e: unknown) => e instanceof DBusWireError);
  assert.throws(call('ss', ['only one']), (e: unknown) => e instanceof DBusWireError);
  assert.throws(call('v', ['not a variant']), (e: unknown) => e instanceof DBusWireError);
});

test('fuzz: any bytes, and any mutation of real replies, give a message, "more", or a DBusWireError', () => {
  const samples = [
    helloCall(1),
    reply('aoao', [['/org/freedesktop/secrets/collection/login/1'], []]),
    reply('vo', [{ signature: 's', value: '' }, '/s']),
    reply('a{o(oayays)}', [[['/i', ['/s', Buffer.alloc(0), Buffer.from('secret'), 'text/plain']]]]),
  ];
  const outcome = (bytes: Buffer) => {
    try {
      unmarshalMessage(bytes);
    } catch (error) {
      if (!(error instanceof DBusWireError)) throw error;
    }
  };
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => outcome(Buffer.from(bytes))),
    { numRuns: 3000 },
  );
  fc.assert(
    fc.property(
      fc.constantFrom(...samples),
      fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 6 }),
      (sample, edits) => {
        const bytes = Buffer.from(sample);
        for (const [at, value] of edits) bytes[at % bytes.length] = value;
        outcome(bytes);
      },
    ),
    { numRuns: 5000 },
  );
});

test.run();
