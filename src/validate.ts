// Reading JSON that came from outside (a file, a request) against the shape the code
// expects. A failure names the source and the field, e.g.
// `/home/me/.config/lanyard/mapping.json: entries[3].secretRef must be a string, not a number`.
// Objects are built without a prototype, so keys such as `__proto__` or `constructor`
// (registry names, secret ids: user text) are plain data, never inherited members.
import { UserError } from './errors.js';
import { quoted } from './foreign-text.js';

/** Input that does not have the expected shape; the message names the source and the field. */
export class InvalidInputError extends UserError {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidInputError';
  }
}

/** A record keyed by user or service text: no prototype, so every key is an own, ordinary key. */
export function emptyRecord<T>(): Record<string, T> {
  return Object.create(null) as Record<string, T>;
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * Every object of a parsed document rebuilt without a prototype, by one walk: a JSON.parse reviver does the
 * same but calls back for every value, four times the cost of the parse on a 300-entry mapping (every `get`).
 */
function withoutPrototypes(value: unknown): unknown {
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) value[i] = withoutPrototypes(value[i]);
    return value;
  }
  if (!isObject(value)) return value;
  const bare = emptyRecord();
  for (const key of Object.keys(value)) bare[key] = withoutPrototypes(value[key]);
  return bare;
}

/** JSON.parse, with every object built without a prototype. Throws SyntaxError as JSON.parse does. */
export function parseJson(text: string): unknown {
  return withoutPrototypes(JSON.parse(text));
}

/** A deep copy that keeps objects prototype-free (structuredClone gives them Object.prototype back). */
export function cloneJson<T>(value: T): T {
  return parseJson(JSON.stringify(value)) as T;
}

/** What a value is, never the value itself: a misplaced one may well be a secret. */
function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

/** A value known not to be secret (a key, a version, a kind), quoted and shortened for a message. */
function shown(value: unknown): string {
  if (typeof value === 'number') return String(value);
  if (typeof value !== 'string') return kindOf(value);
  return quoted(value, 60);
}

/** A foreign key as it appears in a field path: short, and quoted unless it is a plain name. */
function keyInPath(key: string): string {
  if (/^[A-Za-z_][A-Za-z0-9_]{0,40}$/.test(key)) return `.${key}`;
  return `[${shown(key)}]`;
}

/** One value inside a document, with where it came from; the readers check its type or throw naming it. */
export class Field {
  private constructor(
    readonly source: string,
    readonly value: unknown,
    private readonly path: string,
  ) {}

  /** The whole document; `source` names it in messages (a file path, "the request on stdin"). */
  static root(source: string, value: unknown): Field {
    return new Field(source, value, '');
  }

  invalid(problem: string): InvalidInputError {
    const where = this.path.replace(/^\./, '');
    return new InvalidInputError(`${this.source}: ${where ? `${where} ` : ''}${problem}`);
  }

  private expected(what: string): InvalidInputError {
    return this.invalid(this.absent ? `is missing (it must be ${what})` : `must be ${what}, not ${kindOf(this.value)}`);
  }

  get absent(): boolean {
    return this.value === undefined;
  }

  /** Absent or null: Go's encoding/json (docker, podman) reads both as the zero value. */
  get absentOrNull(): boolean {
    return this.value === undefined || this.value === null;
  }

  object(): Record<string, unknown> {
    if (!isObject(this.value)) throw this.expected(this.path ? 'an object' : 'a JSON object');
    return this.value;
  }

  /** The member `key` of this object (own members only); absent reads as undefined. */
  member(key: string): Field {
    const object = this.object();
    const value = Object.hasOwn(object, key) ? object[key] : undefined;
    return new Field(this.source, value, `${this.path}${keyInPath(key)}`);
  }

  members(): [string, Field][] {
    return Object.keys(this.object()).map((key) => [key, this.member(key)]);
  }

  items(): Field[] {
    if (!Array.isArray(this.value)) throw this.expected('a list');
    return this.value.map((item, index) => new Field(this.source, item, `${this.path}[${index}]`));
  }

  string(): string {
    if (typeof this.value !== 'string') throw this.expected('a string');
    return this.value;
  }

  nonEmptyString(): string {
    const value = this.string();
    if (value === '') throw this.invalid('must not be empty');
    return value;
  }

  optionalString(): string | undefined {
    return this.absent ? undefined : this.string();
  }

  /** A string where Go's decoder also takes null (or absence) for "none". */
  nullableString(): string | undefined {
    return this.absentOrNull ? undefined : this.string();
  }

  /** Checks for one exact value (a version, a kind tag). */
  equal<T extends string | number>(expected: T): T {
    if (this.absent) throw this.expected(JSON.stringify(expected));
    if (this.value !== expected) throw this.invalid(`must be ${JSON.stringify(expected)}, not ${shown(this.value)}`);
    return expected;
  }

  oneOf<T extends string>(choices: readonly T[]): T {
    const value = this.string();
    if (!(choices as readonly string[]).includes(value)) {
      throw this.invalid(`must be one of ${choices.join(', ')}, not ${shown(value)}`);
    }
    return value as T;
  }

  /** An object whose every member is a string, as a prototype-free record. */
  stringRecord(): Record<string, string> {
    const record = emptyRecord<string>();
    for (const [key, field] of this.members()) record[key] = field.string();
    return record;
  }
}
