// Process-layer cases: each is one or more runs of the compiled binary (argv + stdin), with
// what the result must satisfy beyond the checks every run gets. Cases that write logins use
// a host of their own (`c<index>.fuzz-life.test`), so concurrent cases never disturb each other.
import fc from 'fast-check';
import {
  PROTOTYPE_NAMES,
  imageReference,
  jwtLike,
  kubeletRequest,
  nastyText,
  serverURL,
  storeBody,
  storeText,
} from './arbitraries.js';
import { SECRET_MARKER } from './checks.js';

const MiB = 1024 * 1024;

export interface Creds {
  ServerURL: string;
  Username: string;
  Secret: string;
}

/** What one run must answer, beyond the invariants every run is checked against. */
export type Expect =
  | { kind: 'stored' } // store of a well-formed login: exit 0 (or a refusal when it carries a lone surrogate)
  | { kind: 'refused' } // exit 1 with one line
  | { kind: 'creds'; creds: Creds } // get answers exactly these
  | { kind: 'listed'; serverURL: string; username: string } // list contains this login
  | { kind: 'not-secret'; secret: string } // get does not answer with this secret (after erase)
  | { kind: 'kubelet-auth'; username: string; password: string } // kubelet answers with this login
  | { kind: 'silent' }; // exit 0, nothing on stdout (erase)

export interface Step {
  args: string[];
  stdin: string | Buffer;
  expect?: Expect;
  /** Skip the remaining steps of the case when this one was refused (the login was never made). */
  stopIfRefused?: boolean;
}

export interface Case {
  inputClass: string;
  steps: Step[];
}

const PROTOCOL_VERBS = ['store', 'get', 'erase', 'list'];

/** A secret carrying the leak marker; any text around it, or only well-formed text (no lone surrogate). */
const secretFor = (index: number, wellFormed = false) =>
  nastyText(10)
    .filter((noise) => !wellFormed || !/[\ud800-\udfff]/u.test(noise))
    .map((noise) => `${noise}${SECRET_MARKER}${index}x${noise}`);

/** An argument as a client could pass it: anything but NUL, which argv cannot hold. */
const argText = nastyText(8).map((text) => text.replace(/\0/g, ''));

/** Printable, non-blank text: a username any helper must accept. */
const username = fc
  .string({ unit: 'grapheme', minLength: 1, maxLength: 20 })
  .filter((u) => u.trim() !== '' && !['iamapikey', 'iamrefresh', '<token>'].includes(u));

/** Spellings of one host that are all the same login (docs/host-names.md). */
const spelling = (host: string) =>
  fc
    .tuple(
      fc.constantFrom('', 'https://', 'http://', 'HTTPS://'),
      fc.boolean(),
      fc.constantFrom('', '/', '/v2/x', '?q=1'),
      fc.constantFrom('', ' ', '\n'),
    )
    .map(([scheme, upper, path, space]) => `${space}${scheme}${upper ? host.toUpperCase() : host}${path}${space}`);

const storeStep = (creds: Creds): Step => ({
  args: ['store'],
  stdin: JSON.stringify(creds),
  expect: { kind: 'stored' },
  stopIfRefused: true,
});

/** store, get under another spelling, list, kubelet, erase, get: the whole life of one login. */
function lifecycle(index: number, withSurrogate: boolean): fc.Arbitrary<Case> {
  const host = `c${index}.fuzz-life.test`;
  return fc
    .tuple(
      fc.option(fc.integer({ min: 1024, max: 65535 }), { nil: undefined }),
      username,
      secretFor(index, true),
      nastyText(4),
      fc.nat(2),
    )
    .chain(([port, user, secret, surrogateNoise, where]) => {
      const hostPort = port === undefined ? host : `${host}:${port}`;
      return fc
        .tuple(spelling(hostPort), spelling(hostPort), fc.boolean())
        .map(([storeURL, getURL, viaKubelet]): Case => {
          const values = [storeURL, user, secret];
          // A high surrogate before '!' is always lone: issue 8 wants it refused at store, not stored mangled.
          if (withSurrogate) values[where] = `${values[where].trimEnd()}\ud83d!${surrogateNoise}`;
          const creds: Creds = { ServerURL: values[0], Username: values[1], Secret: values[2] };
          const steps: Step[] = [
            withSurrogate ? { ...storeStep(creds), expect: { kind: 'refused' } } : storeStep(creds),
          ];
          steps.push(
            {
              args: ['get'],
              stdin: getURL,
              expect: {
                kind: 'creds',
                creds: { ServerURL: getURL.trim(), Username: creds.Username, Secret: creds.Secret },
              },
            },
            {
              args: ['list'],
              stdin: '',
              expect: { kind: 'listed', serverURL: creds.ServerURL.trim(), username: creds.Username },
            },
          );
          if (viaKubelet) {
            steps.push({
              args: ['kubelet'],
              stdin: kubeletJSON(`${hostPort}/ns/app:1`),
              expect: { kind: 'kubelet-auth', username: creds.Username, password: creds.Secret },
            });
          }
          steps.push(
            { args: ['erase'], stdin: getURL, expect: { kind: 'silent' } },
            { args: ['get'], stdin: storeURL, expect: { kind: 'not-secret', secret: creds.Secret } },
          );
          return {
            inputClass: withSurrogate
              ? 'login life cycle with a lone surrogate'
              : 'login life cycle (store/get/list/kubelet/erase)',
            steps,
          };
        });
    });
}

/** The same life cycle for a server named like a property of every JS object. */
export function prototypeNameCase(name: string, index: number): Case {
  const creds: Creds = { ServerURL: name, Username: `user-${name}`, Secret: `${SECRET_MARKER}${index}-${name}` };
  return {
    inputClass: 'login life cycle on a prototype name',
    steps: [
      storeStep(creds),
      { args: ['get'], stdin: name, expect: { kind: 'creds', creds } },
      { args: ['list'], stdin: '', expect: { kind: 'listed', serverURL: name, username: creds.Username } },
      { args: ['erase'], stdin: name, expect: { kind: 'silent' } },
      { args: ['get'], stdin: name, expect: { kind: 'not-secret', secret: creds.Secret } },
    ],
  };
}

export const PROTOTYPE_CASES = PROTOTYPE_NAMES.map((name, i) => prototypeNameCase(name, -1 - i));

export const kubeletJSON = (image: string) =>
  JSON.stringify({ apiVersion: 'credentialprovider.kubelet.k8s.io/v1', kind: 'CredentialProviderRequest', image });

/** An OpenShift-kind login whose token is a JWT with odd claims: get reads its expiry. */
function openshiftJwt(index: number): fc.Arbitrary<Case> {
  const host = `registry.c${index}.appuio.cloud`;
  // Only well-formed text: a lone surrogate is refused at store (its own input class covers that).
  return jwtLike
    .filter((token) => !/[\ud800-\udfff]/u.test(token))
    .map((token) => {
      const secret = `${token}${SECRET_MARKER}${index}`;
      return {
        inputClass: 'OpenShift token with odd JWT claims',
        steps: [
          storeStep({ ServerURL: host, Username: 'developer', Secret: secret }),
          { args: ['get'], stdin: host },
          { args: ['kubelet'], stdin: kubeletJSON(`${host}/ns/app`) },
          { args: ['erase'], stdin: host, expect: { kind: 'silent' } },
        ],
      };
    });
}

/** An IBM IAM login (exchanged at the IAM stand-in): a key it knows or one it refuses. */
function iamLogin(index: number, validKey: string): fc.Arbitrary<Case> {
  const host = `c${index}.icr-fuzz.test`;
  return fc.tuple(fc.boolean(), secretFor(index, true)).map(([valid, unknownKey]) => ({
    inputClass: 'IBM IAM login (key valid or refused by the stand-in)',
    steps: [
      storeStep({ ServerURL: host, Username: 'iamapikey', Secret: valid ? validKey : unknownKey }),
      { args: ['get'], stdin: host, ...(valid ? {} : { expect: { kind: 'refused' } as Expect }) },
      { args: ['erase'], stdin: host, expect: { kind: 'silent' } },
    ],
  }));
}

/** A pattern with many `*` and a host that almost matches it: a backtracking matcher hangs `get`. */
function wildcardBomb(index: number): fc.Arbitrary<Case> {
  return fc.tuple(fc.integer({ min: 10, max: 30 }), fc.integer({ min: 40, max: 62 })).map(([stars, length]) => {
    const pattern = `${'*a'.repeat(stars)}c.c${index}.fuzz-life.test`;
    const secret = `${SECRET_MARKER}${index}`;
    return {
      inputClass: 'wildcard-heavy pattern, then a get of a near-miss host',
      steps: [
        storeStep({ ServerURL: pattern, Username: 'u', Secret: secret }),
        { args: ['get'], stdin: `${'a'.repeat(length)}.c${index}.fuzz-life.test`, expect: { kind: 'refused' } },
        { args: ['erase'], stdin: pattern, expect: { kind: 'silent' } },
      ],
    };
  });
}

/** stdin just under, at and over the 1 MiB limit. */
function hugeInput(index: number): fc.Arbitrary<Case> {
  return fc
    .tuple(
      fc.constantFrom('store', 'get', 'erase', 'kubelet'),
      fc.integer({ min: -64, max: 64 }),
      fc.constantFrom('a', 'é', '\u{1f433}'),
    )
    .map(([verb, delta, fill]) => {
      const size = MiB + delta;
      const secret = `${SECRET_MARKER}${index}`;
      const pad = (bytes: number) => fill.repeat(Math.max(0, Math.floor(bytes / Buffer.byteLength(fill))));
      let stdin: string;
      if (verb === 'store') {
        const shell = JSON.stringify({ ServerURL: `c${index}.fuzz-life.test`, Username: 'u', Secret: secret });
        stdin = `${shell.slice(0, -2)}${pad(size - Buffer.byteLength(shell))}"}`;
      } else if (verb === 'kubelet') {
        const shell = kubeletJSON(`c${index}.fuzz-life.test/`);
        stdin = `${shell.slice(0, -2)}${pad(size - Buffer.byteLength(shell))}"}`;
      } else {
        stdin = `${pad(size - 10)}.fuzz.test`;
      }
      const steps: Step[] = [{ args: [verb], stdin }];
      if (verb === 'store')
        steps.push({ args: ['erase'], stdin: `c${index}.fuzz-life.test`, expect: { kind: 'silent' } });
      return { inputClass: `stdin near the 1 MiB limit (${verb}, ${delta >= 0 ? '+' : ''}${delta} bytes)`, steps };
    });
}

/** Raw stdin for a single verb: odd URLs, store bodies, kubelet requests, invalid UTF-8. */
function singleRun(index: number): fc.Arbitrary<Case> {
  const url = serverURL.filter((u) => !PROTOTYPE_NAMES.includes(u.trim().toLowerCase()));
  const bytes = fc
    .uint8Array({ maxLength: 40 })
    .map((b) => Buffer.concat([Buffer.from(b), Buffer.from([0xc3, 0x28, 0xff])]));
  return fc
    .oneof(
      {
        arbitrary: storeBody(secretFor(index)).map((body) => ({
          args: ['store'],
          stdin: storeText(body),
          cls: 'store body (odd JSON, fields, prototype keys)',
        })),
        weight: 6,
      },
      {
        arbitrary: fc
          .tuple(fc.constantFrom('get', 'erase'), url)
          .map(([verb, u]) => ({ args: [verb], stdin: u, cls: `${verb} of an odd server URL` })),
        weight: 6,
      },
      {
        arbitrary: kubeletRequest.map((request) => ({
          args: ['kubelet'],
          stdin: request,
          cls: 'kubelet request (odd JSON)',
        })),
        weight: 4,
      },
      {
        arbitrary: imageReference.map((image) => ({
          args: ['kubelet'],
          stdin: kubeletJSON(image),
          cls: 'kubelet request for an odd image',
        })),
        weight: 2,
      },
      {
        arbitrary: fc
          .tuple(fc.constantFrom('store', 'get', 'erase', 'kubelet'), bytes)
          .map(([verb, b]) => ({ args: [verb], stdin: b, cls: 'stdin that is not UTF-8' })),
        weight: 1,
      },
      {
        arbitrary: fc
          .tuple(fc.constantFrom(...PROTOCOL_VERBS), fc.array(argText, { minLength: 1, maxLength: 2 }), url)
          .map(([verb, extra, u]) => ({ args: [verb, ...extra], stdin: u, cls: 'protocol verb with extra arguments' })),
        weight: 1,
      },
      { arbitrary: nastyText(20).map((s) => ({ args: ['list'], stdin: s, cls: 'list (stdin ignored)' })), weight: 1 },
    )
    .map(({ args, stdin, cls }) => ({ inputClass: cls, steps: [{ args, stdin }] }));
}

// -- login flags and the management verbs ---------------------------------------------------------

/** Where a login may point: a dead loopback port (ProcessRunner's DEAD_URL), never anywhere off the machine. */
export const DEAD_URL = 'http://127.0.0.1:9';
const SOURCES = [
  'auto',
  'aws-env',
  'aws-profile',
  'aws-web-identity',
  'aws-container',
  'aws-instance',
  'gcp-adc',
  'gcp-metadata',
  'azure-env',
  'azure-workload-identity',
  'azure-managed-identity',
  'azure-cli',
  'ibm-trusted-profile',
  'ibm-vpc-instance',
];
/** Kinds that never call a service at login or reach only the stand-ins (IAM) or dead loopback ports. */
const OFFLINE_KINDS = ['static', 'ibm-iam', 'iam-refresh', 'aws-ecr', 'gcp', 'azure-acr', 'identity-token'];
const flagValue = fc.oneof(argText, fc.constantFrom('', '-', '--', '0', '-1', '99999999999', DEAD_URL, 'http://[::1'));
/** One login flag with a value (or none, or two); endpoint flags only ever name a dead loopback port or junk. */
const loginFlag: fc.Arbitrary<string[]> = fc.oneof(
  fc.tuple(fc.constantFrom('-u', '--username'), flagValue),
  fc.tuple(fc.constant('--kind'), fc.oneof(fc.constantFrom(...OFFLINE_KINDS), argText)),
  fc.tuple(fc.constant('--source'), fc.oneof(fc.constantFrom(...SOURCES), argText)),
  fc.tuple(fc.constant('--store'), fc.oneof(fc.constantFrom('file', 'env', 'keychain'), argText)),
  fc.tuple(
    fc.constantFrom(
      '--region',
      '--tenant',
      '--client-id',
      '--trusted-profile',
      '--aws-profile',
      '--role-arn',
      '--namespace',
      '--service-account',
      '--expiration-seconds',
      '--secret-env',
      '--ca-file',
    ),
    flagValue,
  ),
  fc.tuple(
    fc.constantFrom('--iam-endpoint', '--acr-endpoint', '--hub-endpoint', '--api-server'),
    fc.constantFrom(DEAD_URL, 'not a url', 'ftp://127.0.0.1:9', 'http://example.invalid', ''),
  ),
  fc
    .constantFrom('--password-stdin', '--password-stdin=false', '--bogus', '-x', '--', '--help=1')
    .map((flag) => [flag]),
);

/** `login SERVER <odd flags>` with a secret (or anything) on stdin, on a host of the case's own. */
function loginRun(index: number): fc.Arbitrary<Case> {
  const server = fc.oneof(
    fc.constant(`c${index}.fuzz-login.test`),
    fc.constant(`*.c${index}.fuzz-login.test`),
    fc.constant(`us.icr.io`),
    fc.constant(`123456789012.dkr.ecr.us-east-1.amazonaws.com`),
    fc.constant(`c${index}.azurecr.io`),
    argText,
  );
  return fc
    .tuple(server, fc.array(loginFlag, { maxLength: 5 }), fc.oneof(secretFor(index), nastyText(20)))
    .map(([host, flags, stdin]) => ({
      inputClass: 'login with odd flags',
      steps: [{ args: ['login', host, ...flags.flat()], stdin }],
    }));
}

/** The other verbs with odd arguments: version, ls, logout, refresh (never of a seed: checkpoints read those). */
function managementRun(index: number): fc.Arbitrary<Case> {
  const notSeed = argText.filter((a) => !a.toLowerCase().includes('lanyard-fuzz'));
  return fc
    .oneof(
      fc.constantFrom(['version'], ['--version'], ['-v'], ['version', 'x'], ['ls'], ['ls', '--json'], ['ls', '-x']),
      fc.tuple(fc.constantFrom('logout', 'refresh'), fc.oneof(notSeed, fc.constant(`c${index}.fuzz-login.test`))),
      fc
        .tuple(fc.constantFrom('logout', 'refresh', 'ls'), fc.array(notSeed, { maxLength: 3 }))
        .map(([v, a]) => [v, ...a]),
    )
    .map((args) => ({ inputClass: `${args[0]} with odd arguments`, steps: [{ args: [...args], stdin: '' }] }));
}

/** The case for input number `index` (deterministic given fast-check's seed). */
export function caseFor(index: number, validIamKey: string): fc.Arbitrary<Case> {
  return fc.oneof(
    { arbitrary: singleRun(index), weight: 20 },
    { arbitrary: lifecycle(index, false), weight: 6 },
    { arbitrary: lifecycle(index, true), weight: 1 },
    { arbitrary: openshiftJwt(index), weight: 2 },
    { arbitrary: iamLogin(index, validIamKey), weight: 1 },
    { arbitrary: wildcardBomb(index), weight: 1 },
    { arbitrary: hugeInput(index), weight: 1 },
    { arbitrary: loginRun(index), weight: 4 },
    { arbitrary: managementRun(index), weight: 2 },
  );
}
