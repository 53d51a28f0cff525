// Just enough of the D-Bus wire format (https://dbus.freedesktop.org/doc/dbus-specification.html) for a
// client to say Hello and call a few methods: the EXTERNAL authentication line, METHOD_CALL messages
// (always little-endian), and any reply read back (either endianness). A generic reader driven by the
// signature keeps every body shape on one bounds-checked path. Everything a peer sends is untrusted:
// every length and offset is checked against the bytes received, a message is capped at 1 MiB, nesting
// at 64 levels, and each bad input is one DBusWireError naming what was wrong.
import { LanyardError } from '../errors.js';

export class DBusWireError extends LanyardError {
  constructor(message: string) {
    super(`malformed D-Bus data: ${message}`);
    this.name = 'DBusWireError';
  }
}

/** Far more than any reply we ask for (the spec allows 128 MiB); a peer sending more is refused. */
export const MAX_MESSAGE_BYTES = 1 << 20;
const MAX_DEPTH = 64; // the spec's limit for a whole message (32 arrays plus 32 structs)
const MAX_SIGNATURE_BYTES = 255;
const FIXED_HEADER_BYTES = 16; // endianness, type, flags, version, body length, serial, header fields' length

export const MessageType = { methodCall: 1, methodReturn: 2, error: 3, signal: 4 } as const;

export interface DBusVariant {
  signature: string;
  value: DBusValue;
}
/** Structs and dict entries are arrays of their fields; `ay` is a Buffer; 64-bit integers are bigints. */
export type DBusValue = string | number | bigint | boolean | Buffer | DBusVariant | DBusValue[];

export interface MethodCall {
  serial: number;
  destination: string;
  path: string;
  interface: string;
  member: string;
  signature?: string;
  body?: DBusValue[];
}

/** Any message, for a peer's side in tests too: the header fields a message of `type` needs. */
export interface OutgoingMessage extends Partial<Omit<MethodCall, 'serial'>> {
  type: number;
  serial: number;
  errorName?: string;
  replySerial?: number;
  /** Set by the bus on what it routes (a peer's replies in tests carry one). */
  sender?: string;
}

export interface DBusMessage {
  type: number;
  serial: number;
  replySerial?: number;
  errorName?: string;
  /** Who sent it, as the bus says: `org.freedesktop.DBus` itself, or a connection's unique name (`:1.42`). */
  sender?: string;
  /** The method or signal name (a peer's view of our calls, in tests). */
  member?: string;
  signature: string;
  body: DBusValue[];
}

type TypeNode =
  | { code: string }
  | { code: 'a'; element: TypeNode }
  | { code: '('; fields: TypeNode[] }
  | { code: '{'; key: TypeNode; value: TypeNode };

const BASIC_CODES = 'ybnqiuxtdhsog';
// biome-ignore format: a table
const ALIGNMENT: Record<string, number> = {
  y: 1, b: 4, n: 2, q: 2, i: 4, u: 4, x: 8, t: 8, d: 8, h: 4, s: 4, o: 4, g: 1, v: 1, a: 4, '(': 8, '{': 8,
};
const FIXED_SIZE: Record<string, number> = { y: 1, b: 4, n: 2, q: 2, i: 4, u: 4, h: 4, x: 8, t: 8, d: 8 };
const utf8 = new TextDecoder('utf-8', { fatal: true });

// Written with plain loops and byte arithmetic: this runs once per `get` in a cold process, where the
// first call of each Buffer method, regular expression or iterator helper costs Bun a tenth of a ms or more.

/** `/` or `/a/b_c/D9`: elements of [A-Za-z0-9_], never empty. */
function isObjectPath(path: string): boolean {
  if (path === '/') return true;
  let elementLength = 0;
  for (let i = 0; i < path.length; i++) {
    const c = path.charCodeAt(i);
    if (c === 0x2f) {
      if (i > 0 && elementLength === 0) return false;
      elementLength = 0;
    } else if ((c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c === 0x5f) {
      if (i === 0) return false;
      elementLength++;
    } else return false;
  }
  return path.length > 0 && elementLength > 0;
}

/** The complete types of a signature, e.g. `a{ss}o` -> [a{ss}, o]. */
export function parseSignature(signature: string): TypeNode[] {
  // Every valid character is ASCII, so characters count bytes here.
  if (signature.length > MAX_SIGNATURE_BYTES) throw new DBusWireError('signature longer than 255 bytes');
  let at = 0;
  const one = (depth: number): TypeNode => {
    if (depth > MAX_DEPTH) throw new DBusWireError(`signature nested deeper than ${MAX_DEPTH}`);
    const code = signature[at++];
    if (code === undefined) throw new DBusWireError(`incomplete signature ${JSON.stringify(signature)}`);
    if (BASIC_CODES.includes(code) || code === 'v') return { code };
    if (code === 'a') {
      if (signature[at] !== '{') return { code, element: one(depth + 1) };
      at++;
      const key = one(depth + 1);
      if (!BASIC_CODES.includes(key.code)) throw new DBusWireError('dict entry key is not a basic type');
      const value = one(depth + 1);
      if (signature[at++] !== '}') throw new DBusWireError(`dict entry not closed in ${JSON.stringify(signature)}`);
      return { code, element: { code: '{', key, value } };
    }
    if (code === '(') {
      const fields: TypeNode[] = [];
      while (signature[at] !== ')') fields.push(one(depth + 1));
      at++;
      if (fields.length === 0) throw new DBusWireError('empty struct in signature');
      return { code, fields };
    }
    throw new DBusWireError(`unexpected ${JSON.stringify(code)} in signature ${JSON.stringify(signature)}`);
  };
  const types: TypeNode[] = [];
  while (at < signature.length) types.push(one(1));
  return types;
}

/** A single complete type, as a variant's signature must be. */
function singleType(signature: string): TypeNode {
  const types = parseSignature(signature);
  if (types.length !== 1) throw new DBusWireError(`variant signature ${JSON.stringify(signature)} is not one type`);
  return types[0]!;
}

/** Little-endian; offsets count from the start of the message, as D-Bus alignment does. */
class Writer {
  private buffer = Buffer.alloc(512);
  length = 0;

  private reserve(count: number): void {
    if (this.length + count <= this.buffer.length) return;
    const grown = Buffer.alloc(2 * (this.length + count));
    this.buffer.copy(grown, 0, 0, this.length);
    this.buffer = grown;
  }
  align(to: number): void {
    const padded = this.length + ((to - (this.length % to)) % to);
    this.reserve(padded - this.length);
    this.length = padded; // the buffer is zero-filled
  }
  byte(value: number): void {
    this.reserve(1);
    this.buffer[this.length++] = value;
  }
  u32(value: number): void {
    this.align(4);
    this.reserve(4);
    this.patchU32(this.length, value);
    this.length += 4;
  }
  patchU32(at: number, value: number): void {
    this.buffer[at] = value & 0xff;
    this.buffer[at + 1] = (value >>> 8) & 0xff;
    this.buffer[at + 2] = (value >>> 16) & 0xff;
    this.buffer[at + 3] = value >>> 24;
  }
  /** A string's UTF-8 bytes and its NUL; returns how many bytes (without the NUL). */
  text(value: string): number {
    if (value.includes('\0')) throw new DBusWireError('a string contains NUL');
    this.reserve(3 * value.length + 1); // UTF-8 takes at most 3 bytes per UTF-16 unit
    const length = this.buffer.write(value, this.length, 'utf8');
    this.length += length + 1;
    return length;
  }
  raw(bytes: Uint8Array): void {
    this.reserve(bytes.length);
    this.buffer.set(bytes, this.length);
    this.length += bytes.length;
  }
  done(): Buffer {
    return this.buffer.subarray(0, this.length);
  }
}

function expectString(value: DBusValue, code: string): string {
  if (typeof value !== 'string') throw new DBusWireError(`expected a string for ${code}`);
  if (code === 'o' && !isObjectPath(value)) throw new DBusWireError(`invalid object path ${JSON.stringify(value)}`);
  if (code === 'g') parseSignature(value);
  return value;
}

function writeValue(out: Writer, type: TypeNode, value: DBusValue): void {
  out.align(ALIGNMENT[type.code]!);
  switch (type.code) {
    case 'y':
      out.byte(Number(value) & 0xff);
      return;
    case 'b':
      out.u32(value ? 1 : 0);
      return;
    case 'u':
      out.u32(Number(value) >>> 0);
      return;
    case 's':
    case 'o': {
      out.u32(0);
      out.patchU32(out.length - 4, out.text(expectString(value, type.code)));
      return;
    }
    case 'g': {
      const text = expectString(value, type.code); // a valid signature is ASCII: characters count bytes
      out.byte(text.length);
      out.text(text);
      return;
    }
    case 'v': {
      const variant = value as Partial<DBusVariant>;
      if (typeof variant?.signature !== 'string') throw new DBusWireError('expected a variant');
      writeValue(out, { code: 'g' }, variant.signature);
      writeValue(out, singleType(variant.signature), variant.value as DBusValue);
      return;
    }
    case 'a': {
      const { element } = type as { element: TypeNode };
      out.u32(0);
      const lengthAt = out.length - 4;
      out.align(ALIGNMENT[element.code]!); // the padding before the first element is not counted
      const start = out.length;
      if (element.code === 'y' && value instanceof Uint8Array) out.raw(value);
      else for (const item of listOf(value)) writeValue(out, element, item);
      out.patchU32(lengthAt, out.length - start);
      return;
    }
    case '(':
    case '{':
      writeFields(out, type.code === '(' ? (type as { fields: TypeNode[] }).fields : dictFields(type), value);
      return;
    default:
      throw new DBusWireError(`cannot marshal type ${type.code}`);
  }
}

function writeFields(out: Writer, types: TypeNode[], value: DBusValue): void {
  const values = listOf(value, types.length);
  for (let i = 0; i < types.length; i++) writeValue(out, types[i]!, values[i]!);
}

/** `value` as the list of an array's elements or a struct's fields (of exactly `count` when given). */
function listOf(value: DBusValue, count?: number): DBusValue[] {
  if (!Array.isArray(value) || (count !== undefined && value.length !== count))
    throw new DBusWireError(count === undefined ? 'expected an array' : `expected ${count} values`);
  return value;
}

function dictFields(type: TypeNode): TypeNode[] {
  const { key, value } = type as { key: TypeNode; value: TypeNode };
  return [key, value];
}

const HeaderField = { member: 3, errorName: 4, replySerial: 5, sender: 7, signature: 8 };
const HEADER_FIELDS_TYPE = parseSignature('a(yv)')[0]!;

// The header fields we write: [what, field code, its type].
const OUTGOING_FIELDS: [keyof OutgoingMessage, number, string][] = [
  ['path', 1, 'o'],
  ['interface', 2, 's'],
  ['member', 3, 's'],
  ['errorName', 4, 's'],
  ['replySerial', 5, 'u'],
  ['destination', 6, 's'],
  ['sender', 7, 's'],
];

/** A message, little-endian, no flags (a METHOD_CALL expects a reply). */
export function marshalMessage(message: OutgoingMessage): Buffer {
  const signature = message.signature ?? '';
  const fields: DBusValue[] = [];
  for (const [key, code, type] of OUTGOING_FIELDS) {
    const value = message[key];
    if (value !== undefined) fields.push([code, { signature: type, value: value as DBusValue }]);
  }
  if (signature) fields.push([HeaderField.signature, { signature: 'g', value: signature }]);
  const out = new Writer();
  out.raw(Buffer.from([0x6c, message.type, 0, 1])); // 'l'ittle-endian, no flags, protocol version 1
  out.u32(0); // the body's length, known once it is written
  out.u32(message.serial);
  writeValue(out, HEADER_FIELDS_TYPE, fields);
  out.align(8);
  const bodyStart = out.length;
  writeFields(out, parseSignature(signature), message.body ?? []);
  out.patchU32(4, out.length - bodyStart);
  return out.done();
}

export const marshalMethodCall = (call: MethodCall) => marshalMessage({ type: MessageType.methodCall, ...call });

/** org.freedesktop.DBus.Hello: the first message every connection must send. */
export function helloCall(serial: number): Buffer {
  const bus = 'org.freedesktop.DBus';
  return marshalMethodCall({
    serial,
    destination: bus,
    path: '/org/freedesktop/DBus',
    interface: bus,
    member: 'Hello',
  });
}

/** The SASL line that authenticates as `uid` (EXTERNAL: the bus checks it against the socket's peer credentials). */
export function authExternalLine(uid: number): string {
  let hex = '';
  for (const digit of String(uid)) hex += digit.charCodeAt(0).toString(16);
  return `\0AUTH EXTERNAL ${hex}\r\n`;
}

class Reader {
  at: number;
  private readonly little: boolean;

  constructor(
    private readonly bytes: Buffer,
    at: number,
    private readonly end: number,
  ) {
    this.at = at;
    const flag = bytes[0];
    if (flag !== 0x6c && flag !== 0x42) throw new DBusWireError(`unknown endianness flag ${flag}`);
    this.little = flag === 0x6c;
  }

  private need(count: number, what: string): void {
    if (count > this.end - this.at) throw new DBusWireError(`${what} runs past the end of the message`);
  }
  align(to: number): void {
    const padding = (to - (this.at % to)) % to;
    this.need(padding, 'padding');
    this.at += padding;
  }
  u32(): number {
    this.align(4);
    this.need(4, 'an integer');
    const b = this.bytes;
    const i = this.at;
    this.at += 4;
    return this.little
      ? (b[i]! | (b[i + 1]! << 8) | (b[i + 2]! << 16) | (b[i + 3]! << 24)) >>> 0
      : ((b[i]! << 24) | (b[i + 1]! << 16) | (b[i + 2]! << 8) | b[i + 3]!) >>> 0;
  }
  private fixed(code: string): DBusValue {
    if (code === 'u' || code === 'h') return this.u32();
    if (code === 'b') {
      const value = this.u32();
      if (value > 1) throw new DBusWireError(`boolean ${value} is neither 0 nor 1`);
      return value === 1;
    }
    const size = FIXED_SIZE[code]!;
    this.align(size);
    this.need(size, 'a number');
    const b = this.bytes;
    const at = this.at;
    this.at += size;
    const l = this.little;
    switch (code) {
      case 'y':
        return b[at]!;
      case 'n':
        return l ? b.readInt16LE(at) : b.readInt16BE(at);
      case 'q':
        return l ? b.readUInt16LE(at) : b.readUInt16BE(at);
      case 'i':
        return l ? b.readInt32LE(at) : b.readInt32BE(at);
      case 'x':
        return l ? b.readBigInt64LE(at) : b.readBigInt64BE(at);
      case 't':
        return l ? b.readBigUInt64LE(at) : b.readBigUInt64BE(at);
      default: // d
        return l ? b.readDoubleLE(at) : b.readDoubleBE(at);
    }
  }
  private text(length: number, code: string): string {
    this.need(length + 1, 'a string');
    const b = this.bytes;
    const start = this.at;
    const end = start + length;
    if (b[end] !== 0) throw new DBusWireError('a string is not NUL-terminated');
    let ascii = true;
    for (let i = start; i < end; i++) {
      if (b[i] === 0) throw new DBusWireError('a string contains NUL');
      if (b[i]! >= 0x80) ascii = false;
    }
    this.at = end + 1;
    let value: string;
    try {
      value = ascii ? b.toString('utf8', start, end) : utf8.decode(b.subarray(start, end));
    } catch {
      throw new DBusWireError('a string is not valid UTF-8');
    }
    if (code === 'o' && !isObjectPath(value)) throw new DBusWireError('invalid object path');
    if (code === 'g') parseSignature(value);
    return value;
  }
  value(type: TypeNode, depth: number): DBusValue {
    if (depth > MAX_DEPTH) throw new DBusWireError(`values nested deeper than ${MAX_DEPTH}`);
    const code = type.code;
    if (code in FIXED_SIZE) return this.fixed(code);
    switch (code) {
      case 's':
      case 'o':
        return this.text(this.u32(), code);
      case 'g':
        this.need(1, 'a signature');
        return this.text(this.bytes[this.at++]!, code);
      case 'v': {
        const signature = this.value({ code: 'g' }, depth) as string;
        return { signature, value: this.value(singleType(signature), depth + 1) };
      }
      case 'a':
        return this.array((type as { element: TypeNode }).element, depth);
      case '(':
      case '{': {
        this.align(8);
        const fields = code === '(' ? (type as { fields: TypeNode[] }).fields : dictFields(type);
        const values: DBusValue[] = [];
        for (let i = 0; i < fields.length; i++) values.push(this.value(fields[i]!, depth + 1));
        return values;
      }
      default:
        throw new DBusWireError(`cannot read type ${code}`);
    }
  }
  private array(element: TypeNode, depth: number): DBusValue {
    const length = this.u32();
    this.align(ALIGNMENT[element.code]!);
    this.need(length, 'an array');
    const end = this.at + length;
    if (element.code === 'y') {
      const bytes = Buffer.alloc(length);
      this.bytes.copy(bytes, 0, this.at, end);
      this.at = end;
      return bytes;
    }
    const items: DBusValue[] = [];
    // Every element takes at least one byte, so this ends; an element that overruns `end` is refused.
    while (this.at < end) {
      items.push(this.value(element, depth + 1));
      if (this.at > end) throw new DBusWireError('an array element runs past the array');
    }
    return items;
  }
}

function headerField(fields: [number, DBusVariant][], code: number, signature: string): DBusValue | undefined {
  for (const [fieldCode, field] of fields) {
    if (fieldCode !== code) continue;
    if (field.signature !== signature) throw new DBusWireError(`header field ${code} has type ${field.signature}`);
    return field.value;
  }
  return undefined;
}

/**
 * The whole message at the start of `bytes` and how many bytes it took, or undefined while more are needed.
 * Throws DBusWireError on anything malformed, as soon as the bytes so far show it (an absurd length at once).
 */
export function unmarshalMessage(bytes: Buffer): { message: DBusMessage; length: number } | undefined {
  if (bytes.length < FIXED_HEADER_BYTES) return undefined;
  const header = new Reader(bytes, 4, FIXED_HEADER_BYTES);
  const type = bytes[1]!;
  if (bytes[3] !== 1) throw new DBusWireError(`unknown protocol version ${bytes[3]}`);
  const bodyLength = header.u32();
  const serial = header.u32();
  const fieldsLength = header.u32();
  const headerEnd = FIXED_HEADER_BYTES + fieldsLength;
  const length = headerEnd + ((8 - (headerEnd % 8)) % 8) + bodyLength; // the body starts 8-aligned
  if (length > MAX_MESSAGE_BYTES)
    throw new DBusWireError(`a message of ${length} bytes is over the ${MAX_MESSAGE_BYTES}-byte limit`);
  if (bytes.length < length) return undefined;
  if (serial === 0) throw new DBusWireError('serial 0');

  const fields = new Reader(bytes, 12, headerEnd).value(HEADER_FIELDS_TYPE, 1) as [number, DBusVariant][];
  const signature = (headerField(fields, HeaderField.signature, 'g') as string | undefined) ?? '';
  const replySerial = headerField(fields, HeaderField.replySerial, 'u') as number | undefined;
  const errorName = headerField(fields, HeaderField.errorName, 's') as string | undefined;
  const member = headerField(fields, HeaderField.member, 's') as string | undefined;
  const sender = headerField(fields, HeaderField.sender, 's') as string | undefined;
  if ((type === MessageType.methodReturn || type === MessageType.error) && replySerial === undefined)
    throw new DBusWireError('a reply without a reply serial');
  if (type === MessageType.error && errorName === undefined) throw new DBusWireError('an error without a name');

  const bodyReader = new Reader(bytes, length - bodyLength, length);
  const body: DBusValue[] = [];
  for (const type of parseSignature(signature)) body.push(bodyReader.value(type, 1));
  if (bodyReader.at !== length) throw new DBusWireError(`the body is longer than its signature ${signature}`);
  return { message: { type, serial, replySerial, errorName, sender, member, signature, body }, length };
}
