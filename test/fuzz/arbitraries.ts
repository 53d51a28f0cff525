// fast-check generators for what clients, kubelet and remote services hand lanyard: server
// URLs (well-formed, odd and hostile), store bodies, kubelet requests, JWTs, Retry-After values
// and daemon socket lines. Each generator mixes well-formed values (which must work) with
// malformed ones (which must be refused in one line).
import fc from 'fast-check';

const loneSurrogate = fc.integer({ min: 0xd800, max: 0xdfff }).map((code) => String.fromCharCode(code));

/** Characters that break naive parsers, terminals and JSON handling. */
const trickyChar = fc.constantFrom(
  '\u0000',
  '\u0007',
  '\n',
  '\r',
  '\t',
  '\u001b',
  '\u007f',
  '\u0085',
  '\u2028',
  '\u2029',
  '\u200b',
  '\u202e',
  '\ufeff',
  '"',
  '\\',
  '%',
  '@',
  '/',
  ':',
  '*',
  '.',
  '[',
  ']',
  '?',
  '#',
  ' ',
  'ü',
  '\u{1f433}',
  '\u0130',
  '\u212a',
);

/** Any text, weighted towards the characters that matter here; includes lone surrogates. */
export const nastyText = (maxLength = 40) =>
  fc.string({
    unit: fc.oneof(
      { arbitrary: fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 1 }), weight: 6 },
      { arbitrary: trickyChar, weight: 3 },
      { arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }), weight: 2 },
      { arbitrary: loneSurrogate, weight: 1 },
    ),
    maxLength,
  });

/** A valid DNS label. */
export const label = fc.stringMatching(/^[a-z0-9](?:[a-z0-9-]{0,14}[a-z0-9])?$/);
const tld = fc.constantFrom('io', 'com', 'test', 'example', 'internal', 'cloud', 'x');

/** A plain, valid DNS name: 2–4 labels. */
export const dnsName = fc
  .tuple(fc.array(label, { minLength: 1, maxLength: 3 }), tld)
  .map(([labels, end]) => [...labels, end].join('.'));

/** Registries clients really name, Docker Hub's aliases, the OpenShift names the kind inference knows, IP literals. */
export const WELL_KNOWN_HOSTS = [
  'us.icr.io',
  'icr.io',
  'de.icr.io',
  'private.us.icr.io',
  'docker.io',
  'index.docker.io',
  'registry-1.docker.io',
  'registry.hub.docker.com',
  'localhost',
  '127.0.0.1',
  'quay.io',
  'ghcr.io',
  'registry.example.com',
  '[::1]',
  '::1',
  '[2001:db8::1]',
  'default-route-openshift-image-registry.apps.c1.example.com',
  'registry.zone1.appuio.cloud',
  'image-registry.openshift-image-registry.svc',
];

/** Keys that are special on plain JS objects: a store keyed by them must still behave like any other name. */
export const PROTOTYPE_NAMES = [
  '__proto__',
  'constructor',
  'prototype',
  'toString',
  'hasOwnProperty',
  'valueOf',
  '__defineGetter__',
];

const pattern = fc.oneof(
  dnsName.map((name) => `*.${name}`),
  fc.tuple(label, dnsName).map(([l, name]) => `${l.slice(0, 3)}*.${name}`),
  dnsName.map((name) => `*.*.${name}`),
);

const port = fc.oneof(
  { arbitrary: fc.integer({ min: 1, max: 65535 }).map(String), weight: 4 },
  {
    arbitrary: fc.constantFrom(
      '443',
      '80',
      '5000',
      '0',
      '65536',
      '-1',
      '00443',
      '',
      'abc',
      '99999999999999999999',
      '1e3',
    ),
    weight: 2,
  },
);
const scheme = fc.constantFrom('', '', '', 'https://', 'http://', 'HTTPS://', 'ftp://', '//', 'docker://', 'oci:');
const suffix = fc.constantFrom(
  '',
  '',
  '/',
  '/v1/',
  '/v2/ns/app',
  '/v1/access-token',
  '/v1/refresh-token',
  '?q=1',
  '#f',
  '/a?b#c',
);

/** Case changes, a trailing dot and surrounding space: all must map to the same login. */
const decorate = (host: fc.Arbitrary<string>) =>
  fc
    .tuple(host, fc.boolean(), fc.boolean(), fc.constantFrom('', ' ', '\t', '\n'))
    .map(
      ([h, upper, dot, space]) => `${space}${upper ? h.toUpperCase() : h}${dot && !h.endsWith(']') ? '.' : ''}${space}`,
    );

/** Server URLs built from parts: mostly well-formed, some with bad ports, schemes or user info. */
export const composedURL = fc
  .record({
    scheme,
    host: decorate(fc.oneof(dnsName, fc.constantFrom(...WELL_KNOWN_HOSTS), pattern)),
    port: fc.option(port, { nil: undefined }),
    userinfo: fc.constantFrom('', '', '', 'user@', 'u:p@'),
    suffix,
  })
  .map(
    ({ scheme: s, host, port: p, userinfo, suffix: tail }) =>
      `${s}${userinfo}${host.trim()}${p === undefined ? '' : `:${p}`}${tail}`,
  );

/** Names at and past the DNS limits (label 63, name 253) and far past them. */
const longName = fc.oneof(
  fc.integer({ min: 60, max: 70 }).map((n) => `${'a'.repeat(n)}.example.com`),
  fc.integer({ min: 240, max: 300 }).map((n) => `${'abcdefghi.'.repeat(Math.ceil(n / 10)).slice(0, n - 4)}.com`),
  fc.integer({ min: 1_000, max: 200_000 }).map((n) => `${'a'.repeat(n)}.io`),
  fc.integer({ min: 100, max: 5_000 }).map((n) => `${'a.'.repeat(n)}io`),
);

/** Anything a client might send as a server URL. */
export const serverURL = fc.oneof(
  { arbitrary: composedURL, weight: 8 },
  { arbitrary: nastyText(60), weight: 3 },
  {
    arbitrary: fc
      .tuple(composedURL, nastyText(6), fc.nat(40))
      .map(([u, s, at]) => `${u.slice(0, at)}${s}${u.slice(at)}`),
    weight: 3,
  },
  { arbitrary: longName, weight: 1 },
  { arbitrary: fc.constantFrom(...PROTOTYPE_NAMES), weight: 1 },
);

/** A store body's field value: usually a string, sometimes another JSON type. */
const fieldValue = (text: fc.Arbitrary<string>) =>
  fc.oneof(
    { arbitrary: text, weight: 10 },
    { arbitrary: fc.constantFrom<unknown>(null, 0, 1.5, true, [], {}, ['a'], { a: 1 }), weight: 1 },
  );

export interface StoreBody {
  fields: [string, unknown][];
  /** How the fields are written out. */
  form: 'json' | 'spaced' | 'truncated' | 'array' | 'scalar';
  cut: number;
}

/** A store body as a list of fields (duplicates and odd key cases allowed), serialised by `storeText`. */
export const storeBody = (secret: fc.Arbitrary<string>): fc.Arbitrary<StoreBody> =>
  fc.record({
    fields: fc
      .tuple(
        fc.constantFrom('ServerURL', 'ServerURL', 'ServerURL', 'serverurl', 'SERVERURL', 'Serverurl'),
        fieldValue(serverURL),
        fc.constantFrom('Username', 'Username', 'Username', 'username', 'USERNAME'),
        fieldValue(fc.oneof(nastyText(20), fc.constantFrom('iamapikey', 'iamrefresh', '<token>', 'user', ''))),
        fc.constantFrom('Secret', 'Secret', 'Secret', 'secret', 'SECRET'),
        fieldValue(secret),
        fc.array(
          fc.tuple(
            fc.oneof(fc.constantFrom(...PROTOTYPE_NAMES, 'ServerURL', 'Secret', 'Username', 'Extra'), nastyText(8)),
            fc.jsonValue({ maxDepth: 2 }),
          ),
          { maxLength: 3 },
        ),
      )
      .map(([k1, v1, k2, v2, k3, v3, extra]) => {
        const fields: [string, unknown][] = [
          [k1, v1],
          [k2, v2],
          [k3, v3],
        ];
        for (const field of extra) fields.splice(field[0].length % (fields.length + 1), 0, field);
        return fields;
      }),
    form: fc.constantFrom('json', 'json', 'json', 'json', 'spaced', 'truncated', 'array', 'scalar'),
    cut: fc.nat(400),
  });

/** JSON text of the body, built by hand so that duplicate keys and `__proto__` keys survive. */
export function storeText(body: StoreBody): string {
  const members = body.fields.map(([key, value]) => `${JSON.stringify(key)}:${JSON.stringify(value)}`);
  const object = `{${members.join(body.form === 'spaced' ? ' ,\n ' : ',')}}`;
  switch (body.form) {
    case 'json':
    case 'spaced':
      return object;
    case 'truncated':
      return object.slice(0, body.cut % object.length);
    case 'array':
      return `[${object}]`;
    case 'scalar':
      return JSON.stringify(body.fields[0][1] ?? null);
  }
}

const API_VERSIONS = ['credentialprovider.kubelet.k8s.io/v1', 'credentialprovider.kubelet.k8s.io/v1beta1'];

/** An image reference: registry host (or none: Docker Hub), repository, tag or digest. */
export const imageReference = fc.oneof(
  {
    arbitrary: fc
      .tuple(
        fc.oneof(dnsName, fc.constantFrom(...WELL_KNOWN_HOSTS)),
        fc.option(port, { nil: undefined }),
        fc.constantFrom('/ns/app:1.0', '/app', '/a/b/c@sha256:abc', ':tag'),
      )
      .map(([host, p, rest]) => `${host}${p === undefined ? '' : `:${p}`}${rest}`),
    weight: 6,
  },
  {
    arbitrary: fc.constantFrom(
      'ubuntu',
      'library/ubuntu:22.04',
      'localhost/app',
      '__proto__/x',
      'a:b:c/x',
      '[::1]:5000/app',
    ),
    weight: 2,
  },
  { arbitrary: nastyText(50), weight: 2 },
  { arbitrary: longName.map((name) => `${name}/app`), weight: 1 },
);

/** A kubelet CredentialProviderRequest, often well-formed, sometimes not an object at all. */
export const kubeletRequest = fc.oneof(
  {
    arbitrary: fc
      .record(
        {
          apiVersion: fc.oneof(
            { arbitrary: fc.constantFrom(...API_VERSIONS), weight: 6 },
            { arbitrary: fc.jsonValue({ maxDepth: 1 }), weight: 1 },
            { arbitrary: fc.integer({ min: 1_000, max: 300_000 }).map((n) => 'v'.repeat(n)), weight: 1 },
          ),
          kind: fc.oneof(
            { arbitrary: fc.constant('CredentialProviderRequest'), weight: 6 },
            { arbitrary: fc.jsonValue({ maxDepth: 1 }), weight: 1 },
            { arbitrary: nastyText(30), weight: 1 },
          ),
          image: fc.oneof(
            { arbitrary: imageReference, weight: 8 },
            { arbitrary: fc.jsonValue({ maxDepth: 1 }), weight: 1 },
          ),
        },
        { requiredKeys: [] },
      )
      .map((request) => JSON.stringify(request)),
    weight: 8,
  },
  {
    arbitrary: fc.constantFrom(
      'null',
      '[]',
      '"x"',
      '42',
      'true',
      '{',
      '',
      '{"__proto__":{"apiVersion":"credentialprovider.kubelet.k8s.io/v1"}}',
    ),
    weight: 1,
  },
  { arbitrary: nastyText(60), weight: 1 },
);

/** A JWT with arbitrary `exp`/`iat` (huge, negative, fractional, not numbers), or a token that only looks like one. */
export const jwtLike = fc.oneof(
  {
    arbitrary: fc
      .record(
        {
          exp: fc.oneof(
            fc.double(),
            fc.integer(),
            fc.constantFrom<unknown>(1e300, -1e300, 8.64e12, 8.64e12 + 1, 1e13, -1e13, '1', null),
          ),
          iat: fc.oneof(fc.double(), fc.integer(), fc.constantFrom<unknown>(1e300, -1e13)),
        },
        { requiredKeys: [] },
      )
      .map((claims) =>
        [{ alg: 'none' }, claims]
          .map((p) => Buffer.from(JSON.stringify(p)).toString('base64url'))
          .join('.')
          .concat('.sig'),
      ),
    weight: 6,
  },
  {
    arbitrary: fc
      .array(fc.base64String({ maxLength: 40 }), { minLength: 1, maxLength: 4 })
      .map((parts) => parts.join('.')),
    weight: 1,
  },
  { arbitrary: nastyText(40), weight: 1 },
);

/** What a server may put in Retry-After: delta-seconds, HTTP dates, and junk. */
export const retryAfterValue = fc.oneof(
  fc.nat().map(String),
  fc.bigInt({ min: 0n, max: 10n ** 400n }).map(String),
  fc.date({ min: new Date(-8.64e15), max: new Date(8.64e15), noInvalidDate: true }).map((d) => d.toUTCString()),
  fc.constantFrom(
    '',
    ' ',
    '-1',
    '1.5',
    '0x10',
    '1e9',
    'Infinity',
    'NaN',
    ' 120 ',
    'Fri, 31 Dec 9999 23:59:59 GMT',
    '275760-09-13',
  ),
  nastyText(20),
);

/** One line sent to the daemon's socket. */
export const daemonLine = fc.oneof(
  fc
    .record(
      {
        op: fc.oneof(fc.constantFrom('status', 'refresh', 'get', 'stop', '__proto__'), fc.jsonValue({ maxDepth: 1 })),
        server: fc.oneof(serverURL, fc.jsonValue({ maxDepth: 1 })),
        serverURL: fc.oneof(serverURL, fc.jsonValue({ maxDepth: 1 })),
        mappingFile: fc.oneof(fc.constantFrom('/home/u/.config/lanyard/mapping.json', '', '../x'), nastyText(20)),
        secretsFile: fc.oneof(fc.constantFrom('/home/u/.local/share/lanyard/secrets.json', ''), nastyText(20)),
      },
      { requiredKeys: [] },
    )
    .map((request) => JSON.stringify(request)),
  fc.constantFrom('null', '[]', '"status"', '', '{', '{"op":"status"}', '{"op":"refresh","server":null}'),
  nastyText(60),
);
