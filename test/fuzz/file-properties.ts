// In-process properties of what lanyard reads from files and sockets (issue 21): the mapping file, token-cache
// records, the credential files identity sources read (AWS config and credentials, Google ADC JSON, Azure
// certificate files) and the agent's answer line. Each must refuse bad input with one clean UserError line that
// leaks no secret, and what it accepts must be within the bounds lanyard promises (docs/faults.md).
import fc from 'fast-check';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseMapping } from '../../src/mapping/mapping-schema.js';
import { normalizeServer } from '../../src/hosts/normalize.js';
import { believableRecord } from '../../src/tokens/believable-record.js';
import type { CacheRecord } from '../../src/tokens/cache-record.js';
import { MAX_SERVICE_DELAY_MS, MAX_TOKEN_LIFETIME_MS } from '../../src/service-limits.js';
import { parseAwsIni } from '../../src/clouds/aws/shared-files.js';
import { readAdcCredential } from '../../src/clouds/gcp/adc-file.js';
import { readClientCertificate } from '../../src/clouds/azure/client-certificate.js';
import { MAX_AGENT_SECRET_CHARS, parseGetAnswer } from '../../src/daemon/agent-answer.js';
import { nastyText, PROTOTYPE_NAMES, serverURL } from './arbitraries.js';
import { messageProblems, problemClass, SECRET_MARKER, show } from './checks.js';
import { type Problem, type Property, refusal } from './property.js';

const secret = fc.tuple(nastyText(8), fc.nat()).map(([noise, n]) => `${noise}${SECRET_MARKER}${n}`);
/** Any JSON value, or one of the values parsers trip on. */
const oddValue = fc.oneof(
  fc.jsonValue({ maxDepth: 2 }),
  nastyText(30),
  fc.constantFrom(null, -1, 0, 1e308, -1e308, 2 ** 53 + 1, '', ' ', '__proto__', [], {}),
);
/** A value of the right type most of the time, an odd one otherwise. */
const mostly = <T>(right: fc.Arbitrary<T>) =>
  fc.oneof({ arbitrary: right, weight: 3 }, { arbitrary: oddValue, weight: 1 });
const keyName = fc.oneof(fc.constantFrom(...PROTOTYPE_NAMES), nastyText(10));
/** An object with the known `fields` (each maybe missing) and some odd extra keys, serialised as JSON. */
const objectOf = (fields: Record<string, fc.Arbitrary<unknown>>) =>
  fc
    .tuple(fc.record(fields, { requiredKeys: [] }), fc.dictionary(keyName, oddValue, { maxKeys: 2 }))
    .map(([known, extra]) => ({ ...extra, ...known }));
/** JSON text: mostly a document built by `shape`, sometimes anything at all. */
const jsonText = (shape: fc.Arbitrary<unknown>) =>
  fc.oneof(
    { arbitrary: shape.map((value) => JSON.stringify(value)), weight: 8 },
    { arbitrary: fc.jsonValue({ maxDepth: 3 }).map((value) => JSON.stringify(value)), weight: 1 },
    { arbitrary: nastyText(60), weight: 1 },
  );

const problemsOfLines = (lines: string[], what: string): Problem[] =>
  lines.flatMap((line) =>
    messageProblems(line).map((p) => ({
      invariant: `bad ${what} (${problemClass(p)})`,
      detail: show(line.slice(0, 200)),
    })),
  );

// -- the mapping file -----------------------------------------------------------------------------

const KINDS = ['ibm-iam', 'aws-ecr', 'gcp', 'azure-acr', 'static', 'openshift', 'github', 'dockerhub', 'oauth2'];
const entry = objectOf({
  server: mostly(serverURL),
  serverURL: mostly(serverURL),
  kind: mostly(fc.constantFrom(...KINDS)),
  username: mostly(nastyText(12)),
  store: mostly(fc.constantFrom('keychain', 'file', 'env')),
  secretRef: mostly(fc.stringMatching(/^[0-9a-f]{1,16}$/)),
  source: fc.oneof(fc.constantFrom('aws-instance', 'gcp-metadata', 'auto'), oddValue),
  options: mostly(fc.dictionary(keyName, nastyText(10), { maxKeys: 3 })),
  updatedAt: mostly(fc.constant('2026-12-06T00:00:00.000Z')),
});
const pullSecret = objectOf({
  namespace: mostly(nastyText(8)),
  name: mostly(nastyText(8)),
  apiServer: mostly(fc.constant('https://127.0.0.1:6443')),
  secretRef: mostly(fc.stringMatching(/^[0-9a-f]{1,16}$/)),
  registries: mostly(fc.array(serverURL, { maxLength: 3 })),
  caFile: oddValue,
  store: mostly(fc.constant('file')),
  updatedAt: mostly(fc.constant('2026-12-06T00:00:00.000Z')),
});
const mappingText = jsonText(
  objectOf({
    version: mostly(fc.constant(1)),
    defaultStore: oddValue,
    entries: mostly(fc.array(entry, { maxLength: 4 })),
    pullSecrets: mostly(fc.array(pullSecret, { maxLength: 2 })),
  }),
);

function mappingProperty(): Property<string> {
  return {
    target: 'parseMapping',
    inputClass: 'mapping file (odd entries, types, prototype keys)',
    weight: 8,
    arbitrary: mappingText,
    check(text) {
      const { value, problems } = refusal(() => parseMapping(text, '/home/u/.config/lanyard/mapping.json'));
      if (!value) return problems;
      for (const kept of value.mapping.entries) {
        const { problems: server } = refusal(() => normalizeServer(kept.server));
        if (server.length)
          problems.push({ invariant: 'keeps an entry whose server is not a registry', detail: show(kept) });
      }
      problems.push(
        ...problemsOfLines(
          value.unreadable.map((item) => item.problem),
          'unreadable-entry line',
        ),
      );
      return problems;
    },
    reproduce: (text) => `parseMapping(${show(text)}, 'mapping.json')`,
  };
}

// -- token-cache records --------------------------------------------------------------------------

const NOW = Date.UTC(2026, 11, 6, 12);
const time = fc.oneof(
  fc.integer({ min: NOW - 86_400_000 * 400, max: NOW + 86_400_000 * 400 }),
  fc.constantFrom(0, -1, NOW, NOW + 1, 8.64e15, -8.64e15, 1e308, 2 ** 53),
  oddValue,
);
const cacheRecordValue = objectOf({
  version: mostly(fc.constant(1)),
  server: mostly(fc.constant('r.test')),
  token: mostly(objectOf({ username: mostly(nastyText(8)), secret: mostly(secret), issuedAt: time, expiresAt: time })),
  failure: mostly(
    objectOf({
      at: time,
      retryAt: time,
      serveCachedUntil: time,
      message: mostly(nastyText(80)),
      permanent: oddValue,
    }),
  ),
  check: mostly(objectOf({ at: time, ok: oddValue, message: mostly(nastyText(40)) })),
  answeredBy: mostly(objectOf({ source: mostly(nastyText(20)), identity: mostly(nastyText(40)) })),
  passThroughUntil: time,
  lastRefresh: time,
});

function cacheRecordProperty(): Property<unknown> {
  return {
    target: 'believableRecord',
    inputClass: 'token-cache record read back (odd times, types, messages)',
    weight: 8,
    arbitrary: cacheRecordValue,
    check(value) {
      const record = JSON.parse(JSON.stringify(value)) as CacheRecord; // as the cache reads it: parsed JSON
      let kept: CacheRecord;
      try {
        kept = believableRecord(record, NOW);
      } catch (error) {
        return [{ invariant: 'throws on a record read back', detail: String((error as Error)?.message ?? error) }];
      }
      const problems: Problem[] = [];
      const { token, failure, check } = kept;
      if (token && token.expiresAt !== undefined && !(token.expiresAt <= token.issuedAt + MAX_TOKEN_LIFETIME_MS))
        problems.push({ invariant: 'believes a token lifetime beyond the cap', detail: show(token) });
      if (token && !(token.issuedAt <= NOW + 5_000))
        problems.push({ invariant: 'believes a token issued in the future', detail: show(token) });
      if (failure?.retryAt !== undefined && !(failure.retryAt <= NOW + MAX_SERVICE_DELAY_MS))
        problems.push({ invariant: 'believes a hold longer than 60 s', detail: show(failure) });
      const messages = [failure?.message, check?.message, kept.answeredBy?.source, kept.answeredBy?.identity];
      // Empty text is no message to judge (an identity may be blank); what is there must be one clean line.
      const present = messages.filter((m): m is string => typeof m === 'string' && m.trim() !== '');
      problems.push(...problemsOfLines(present, 'cached text'));
      return problems;
    },
    reproduce: (value) => `believableRecord(${show(value)}, ${NOW})`,
  };
}

// -- AWS config and credentials files -------------------------------------------------------------

const iniLine = fc.oneof(
  fc.constantFrom('[default]', '[profile p]', '[ profile  p ]', '[sso-session s]', '[p]', '[', ']', '[profile]'),
  fc
    .tuple(
      fc.constantFrom('aws_access_key_id', 'role_arn', 'source_profile', 'credential_process', 's3', 'region', ''),
      fc.constantFrom(' = ', '=', ' =', ': ', ' '),
      fc.oneof(secret, nastyText(20)),
    )
    .map(([key, eq, value]) => `${key}${eq}${value}`),
  fc.constantFrom('  max_concurrent_requests = 10', '# comment', '; comment', '', '\t', '\r'),
  nastyText(20),
);
const iniText = fc.array(iniLine, { maxLength: 12 }).map((lines) => lines.join('\n'));

function awsIniProperty(): Property<[string, boolean]> {
  return {
    target: 'parseAwsIni',
    inputClass: 'AWS config and credentials files',
    weight: 6,
    arbitrary: fc.tuple(iniText, fc.boolean()),
    check([text, isConfig]) {
      const secrets = text.split('\n').filter((line) => line.includes(SECRET_MARKER));
      return refusal(() => parseAwsIni(text, isConfig, '/home/u/.aws/config'), secrets).problems;
    },
    reproduce: ([text, isConfig]) => `parseAwsIni(${show(text)}, ${isConfig})`,
  };
}

// -- Google ADC files -----------------------------------------------------------------------------

const adcDocument = objectOf({
  type: mostly(
    fc.constantFrom(
      'service_account',
      'authorized_user',
      'external_account',
      'external_account_authorized_user',
      'impersonated_service_account',
    ),
  ),
  client_email: mostly(fc.constant('sa@p.iam.gserviceaccount.com')),
  private_key: mostly(secret.map((s) => `-----BEGIN PRIVATE KEY-----\n${s}\n-----END PRIVATE KEY-----\n`)),
  private_key_id: oddValue,
  client_id: oddValue,
  client_secret: mostly(secret),
  refresh_token: mostly(secret),
  token_uri: mostly(fc.constantFrom('https://oauth2.googleapis.com/token', 'http://evil.test/t', 'not a url')),
  token_url: mostly(fc.constantFrom('https://sts.googleapis.com/v1/token', 'file:///etc/passwd')),
  audience: mostly(nastyText(20)),
  subject_token_type: mostly(fc.constantFrom('urn:ietf:params:oauth:token-type:jwt', 'x')),
  service_account_impersonation_url: oddValue,
  service_account_impersonation: mostly(objectOf({ token_lifetime_seconds: oddValue })),
  credential_source: mostly(
    objectOf({
      file: oddValue,
      url: mostly(fc.constantFrom('http://169.254.169.254/token', 'https://x.test/t', 'gopher://x')),
      headers: oddValue,
      format: mostly(objectOf({ type: mostly(fc.constantFrom('json', 'text')), subject_token_field_name: oddValue })),
      executable: mostly(objectOf({ command: mostly(nastyText(20)), timeout_millis: oddValue, output_file: oddValue })),
      environment_id: mostly(fc.constantFrom('aws1', 'aws2', 'azure1')),
      regional_cred_verification_url: oddValue,
    }),
  ),
  source_credentials: oddValue,
  delegates: oddValue,
});

function adcProperty(): Property<string> {
  return {
    target: 'readAdcCredential',
    inputClass: 'Google ADC JSON of every type (odd fields, sources)',
    weight: 6,
    arbitrary: jsonText(adcDocument),
    check(text) {
      const secrets = [...text.matchAll(new RegExp(`[^"\\\\]*${SECRET_MARKER}\\d+`, 'g'))].map((m) => m[0]);
      return refusal(() => readAdcCredential(text, '/home/u/adc.json'), secrets).problems;
    },
    reproduce: (text) => `readAdcCredential(${show(text)}, 'adc.json')`,
  };
}

// -- Azure certificate files ----------------------------------------------------------------------

/** A real PEM (key + certificate) and PKCS#12 made once with openssl, to be bent by the generator. */
const realCertificate = (() => {
  let made: { pem: Buffer; p12: Buffer } | undefined;
  return () => {
    if (made) return made;
    const dir = mkdtempSync(join(tmpdir(), 'lanyard-fuzz-cert-'));
    try {
      const [key, cert, p12] = ['key.pem', 'cert.pem', 'cert.p12'].map((name) => join(dir, name)) as [
        string,
        string,
        string,
      ];
      const quiet = { stdio: 'ignore' as const };
      execFileSync(
        'openssl',
        [
          'req',
          '-x509',
          '-newkey',
          'rsa:2048',
          '-nodes',
          '-keyout',
          key,
          '-out',
          cert,
          '-days',
          '1',
          '-subj',
          '/CN=fuzz',
        ],
        quiet,
      );
      execFileSync(
        'openssl',
        ['pkcs12', '-export', '-inkey', key, '-in', cert, '-out', p12, '-passout', 'pass:pw'],
        quiet,
      );
      made = { pem: Buffer.concat([readFileSync(key), readFileSync(cert)]), p12: readFileSync(p12) };
      return made;
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
})();

interface CertInput {
  base: 'pem' | 'p12' | 'random';
  flips: Array<[number, number]>;
  cut: number;
  random: Uint8Array;
  password: string | undefined;
}

const certInput: fc.Arbitrary<CertInput> = fc.record({
  base: fc.constantFrom('pem', 'p12', 'random'),
  flips: fc.array(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 })), { maxLength: 4 }),
  cut: fc.oneof(fc.constant(0), fc.nat()),
  random: fc.uint8Array({ maxLength: 512 }),
  password: fc.option(fc.oneof(fc.constant('pw'), secret), { nil: undefined }),
});

function certBytes(input: CertInput): Buffer {
  if (input.base === 'random') return Buffer.from(input.random);
  const bytes = Buffer.from(realCertificate()[input.base]);
  for (const [at, xor] of input.flips) bytes[at % bytes.length]! ^= xor;
  return input.cut ? bytes.subarray(0, input.cut % bytes.length) : bytes;
}

function azureCertificateProperty(): Property<CertInput> {
  const dir = mkdtempSync(join(tmpdir(), 'lanyard-fuzz-azure-'));
  const path = join(dir, 'client.pem');
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  return {
    target: 'readClientCertificate',
    inputClass: 'Azure certificate files (bent PEM and PKCS#12, random bytes)',
    weight: 2,
    arbitrary: certInput,
    check(input) {
      writeFileSync(path, certBytes(input), { mode: 0o600 });
      const secrets = input.password?.includes(SECRET_MARKER) ? [input.password] : [];
      return refusal(() => readClientCertificate(path, input.password), secrets).problems;
    },
    reproduce: (input) => `readClientCertificate(<${input.base} with ${show(input)}>, password)`,
  };
}

// -- the agent's answer line ----------------------------------------------------------------------

const agentAnswer = fc.oneof(
  jsonText(
    objectOf({
      answer: mostly(
        objectOf({
          username: mostly(nastyText(10)),
          secret: mostly(fc.oneof(secret, fc.constant('x'.repeat(MAX_AGENT_SECRET_CHARS + 1)))),
        }),
      ),
    }),
  ),
  fc.constantFrom('', '{}', '{"answer":null}', 'null', '{"answer":{"username":"u","secret":""}}'),
);

function agentAnswerProperty(): Property<string> {
  return {
    target: 'parseGetAnswer',
    inputClass: 'agent socket answer line',
    weight: 4,
    arbitrary: agentAnswer,
    check(line) {
      let login: ReturnType<typeof parseGetAnswer>;
      try {
        login = parseGetAnswer(line);
      } catch (error) {
        return [{ invariant: 'throws on an answer line', detail: String((error as Error)?.message ?? error) }];
      }
      if (!login) return [];
      const bad = [login.username, login.secret].some((v) => typeof v !== 'string' || v === '' || v.length > 65536);
      return bad ? [{ invariant: 'believes an answer out of bounds', detail: show(login).slice(0, 200) }] : [];
    },
    reproduce: (line) => `parseGetAnswer(${show(line)})`,
  };
}

export const FILE_PROPERTIES: Property<any>[] = [
  mappingProperty(),
  cacheRecordProperty(),
  awsIniProperty(),
  adcProperty(),
  azureCertificateProperty(),
  agentAnswerProperty(),
];
