// The in-process layer: properties of the parsers, the normaliser and the matcher, called
// directly (tens of thousands of inputs per second). A property that fails is shrunk by
// fast-check to a small reproducer; its run then continues with that class of violation set
// aside, so one bug neither hides another nor cuts the input count short.
import fc from 'fast-check';
import { parseServerURL, parseStoreRequest } from '../../src/protocol/messages.js';
import { normalizeServer, type ServerKey } from '../../src/hosts/normalize.js';
import { findBestMatch, patternMatches } from '../../src/hosts/match.js';
import { parseRequest as parseKubeletRequest } from '../../src/integrations/kubelet-provider.js';
import { registryOfImage } from '../../src/hosts/image-reference.js';
import { parseDaemonRequest } from '../../src/daemon/socket-protocol.js';
import { jwtExpiry, jwtIssuedAt } from '../../src/clouds/jwt.js';
import { backoffDelay, INLINE_RETRY, parseRetryAfter } from '../../src/retry.js';
import {
  composedURL,
  daemonLine,
  dnsName,
  label,
  jwtLike,
  kubeletRequest,
  nastyText,
  retryAfterValue,
  serverURL,
  storeBody,
  storeText,
  WELL_KNOWN_HOSTS,
  type StoreBody,
} from './arbitraries.js';
import { SECRET_MARKER, show } from './checks.js';
import { FILE_PROPERTIES } from './file-properties.js';
import { type Problem, type Property, refusal } from './property.js';
import type { ViolationLog } from './violations.js';

/** Remote services may ask us to wait, but no wait they ask for may exceed this (issue 8: delays capped). */
const MAX_RETRY_AFTER_MS = 3_600_000;
/** The range of a JS Date: an expiry outside it cannot even be printed. */
const MAX_DATE_MS = 8.64e15;
/** A label or host-name cap (issue 8: label <= 63, name <= 253). */
const MAX_LABEL = 63;
const MAX_NAME = 253;
/** The matcher is on every pull's path: one call must not take noticeable time, whatever was stored. */
const MATCH_BUDGET_MS = 50;

// -- store body -------------------------------------------------------------------------------

const secretText = fc.tuple(nastyText(12), fc.nat(), nastyText(12)).map(([a, n, b]) => `${a}${SECRET_MARKER}${n}${b}`);

function storeProperty(): Property<StoreBody> {
  return {
    target: 'parseStoreRequest',
    inputClass: 'store body (JSON objects with odd keys, values, forms)',
    weight: 12,
    arbitrary: storeBody(secretText),
    check(body) {
      const secrets = body.fields.flatMap(([, v]) => (typeof v === 'string' && v.includes(SECRET_MARKER) ? [v] : []));
      const { value, problems } = refusal(() => parseStoreRequest(storeText(body)), secrets);
      if (!value) return problems;
      if (value.ServerURL === '' || value.ServerURL !== value.ServerURL.trim())
        problems.push({ invariant: 'ServerURL not trimmed or empty', detail: show(value.ServerURL) });
      if (typeof value.Username !== 'string' || value.Username === '')
        problems.push({ invariant: 'accepted without a username', detail: show(value) });
      const exact = body.fields.filter(([k]) => k === 'Secret');
      if (
        (body.form === 'json' || body.form === 'spaced') &&
        exact.length === 1 &&
        typeof exact[0][1] === 'string' &&
        value.Secret !== exact[0][1]
      ) {
        problems.push({
          invariant: 'Secret changed on the way in',
          detail: `${show(exact[0][1])} -> ${show(value.Secret)}`,
        });
      }
      return problems;
    },
    reproduce: (body) => `parseStoreRequest(${show(storeText(body))})`,
  };
}

// -- server URLs --------------------------------------------------------------------------------

const isIPv6Host = (host: string) => host.startsWith('[');

function normalizeProperty(): Property<string> {
  return {
    target: 'normalizeServer',
    inputClass: 'server URL (composed, odd, huge, prototype names)',
    weight: 16,
    arbitrary: serverURL,
    check(input) {
      const { value, problems } = refusal(() => normalizeServer(input));
      if (!value) return problems;
      if (/[A-Z\s\u0000-\u001f\u007f]/.test(value.key))
        problems.push({ invariant: 'key has upper case, space or control characters', detail: show(value.key) });
      if (value.isPattern !== value.host.includes('*'))
        problems.push({ invariant: 'isPattern disagrees with the host', detail: show(value) });
      if (!isIPv6Host(value.host)) {
        const longest = Math.max(...value.host.split('.').map((l) => l.length));
        if (longest > MAX_LABEL)
          problems.push({
            invariant: `accepts a DNS label over ${MAX_LABEL} chars`,
            detail: `label of ${longest} chars`,
          });
        if (value.host.length > MAX_NAME)
          problems.push({
            invariant: `accepts a host name over ${MAX_NAME} chars`,
            detail: `${value.host.length} chars`,
          });
      }
      const again = refusal(() => normalizeServer(value.key));
      if (!again.value)
        problems.push({
          invariant: 'its own key is refused (not idempotent)',
          detail: `${show(value.key)}: ${again.problems.map((p) => p.detail).join('; ') || 'refused'}`,
        });
      else if (show(again.value) !== show(value))
        problems.push({
          invariant: 'normalize(normalize(x).key) differs (not idempotent)',
          detail: `${show(value)} -> ${show(again.value)}`,
        });
      return problems;
    },
    reproduce: (input) => `normalizeServer(${show(input)})`,
  };
}

/** Spellings that docs/host-names.md says are the same login. */
function spellings(host: string, port: string | undefined): string[] {
  const hostPort = port ? `${host}:${port}` : host;
  const list = [
    hostPort,
    hostPort.toUpperCase(),
    ` ${hostPort}\n`,
    `https://${hostPort}`,
    `http://${hostPort}/v2/x?y=1`,
    `HTTPS://${hostPort}/`,
  ];
  if (!host.startsWith('[')) list.push(port ? `${host}.:${port}` : `${host}.`);
  // Only 443 is a default: a key has no scheme and reads as https (http://host:80 is host:80's spelling).
  if (!port) list.push(`https://${host}:443`, `http://${host}:443/path`, `${host}:443`);
  return list;
}

function equivalenceProperty(): Property<[string, string | undefined]> {
  return {
    target: 'normalizeServer',
    inputClass: 'equivalent spellings of one valid host',
    weight: 8,
    arbitrary: fc.tuple(
      fc.oneof(dnsName, fc.constantFrom(...WELL_KNOWN_HOSTS.filter((h) => !h.includes(':') || h.startsWith('[')))),
      fc.option(fc.integer({ min: 1, max: 65535 }).map(String), { nil: undefined }),
    ),
    check([host, port]) {
      const keys = new Set<string>();
      for (const spelling of spellings(host, port)) {
        const { value, problems } = refusal(() => normalizeServer(spelling));
        if (problems.length) return problems;
        if (!value) return [{ invariant: 'a valid host is refused', detail: show(spelling) }];
        keys.add(value.key);
      }
      return keys.size === 1
        ? []
        : [{ invariant: 'spellings of one host give different keys', detail: show([...keys]) }];
    },
    reproduce: ([host, port]) => `normalizeServer over ${show(spellings(host, port))}`,
  };
}

function parseServerURLProperty(): Property<string> {
  return {
    target: 'parseServerURL',
    inputClass: 'raw stdin of get/erase',
    weight: 4,
    arbitrary: fc.oneof(serverURL, nastyText(80)),
    check(input) {
      const { value, problems } = refusal(() => parseServerURL(input));
      if (value !== undefined && (value !== input.trim() || value === ''))
        problems.push({ invariant: 'result is not the trimmed input', detail: show(value) });
      return problems;
    },
    reproduce: (input) => `parseServerURL(${show(input)})`,
  };
}

// -- matcher ------------------------------------------------------------------------------------

/** kubelet's matchImages glob on one label, by dynamic programming: `*` is any run of characters in the label. */
function globMatches(pattern: string, label: string): boolean {
  let row = Array<boolean>(label.length + 1).fill(false);
  row[0] = true;
  for (const p of pattern) {
    const next = Array<boolean>(label.length + 1).fill(false);
    for (let j = 0; j <= label.length; j++) {
      next[j] = p === '*' ? row[j] || (j > 0 && next[j - 1]) : j > 0 && row[j - 1] && label[j - 1] === p;
    }
    row = next;
  }
  return row[label.length];
}

/** The reference semantics (docs/host-names.md), written independently of src/hosts/match.ts. */
function oracleMatches(pattern: ServerKey, target: ServerKey): boolean {
  if (!pattern.isPattern || target.isPattern || pattern.port !== target.port || isIPv6Host(target.host)) return false;
  const p = pattern.host.split('.');
  const t = target.host.split('.');
  return p.length === t.length && p.every((label, i) => globMatches(label, t[i]));
}

const wildcards = (key: ServerKey) => key.host.split('*').length - 1;

interface MatchCase {
  entries: string[];
  target: string;
}

/** Entries (hosts and patterns) and a target, often one that some pattern was instantiated to. */
const matchCase: fc.Arbitrary<MatchCase> = fc
  .tuple(
    fc.array(
      fc.oneof(
        composedURL,
        dnsName.map((n) => `*.${n}`),
        dnsName.map((n) => `*.*.${n}`),
        dnsName,
      ),
      { minLength: 1, maxLength: 6 },
    ),
    fc.nat(),
    fc.stringMatching(/^[a-z0-9]{1,8}$/),
    fc.boolean(),
    composedURL,
  )
  .map(([entries, pick, fill, instantiate, other]) => {
    const base = entries[pick % entries.length];
    return { entries, target: instantiate ? base.replace(/\*/g, fill) : other };
  });

function normalizedOrUndefined(input: string): ServerKey | undefined {
  try {
    return normalizeServer(input);
  } catch {
    return undefined;
  }
}

function matcherProperty(): Property<MatchCase> {
  return {
    target: 'findBestMatch',
    inputClass: 'stored hosts/patterns and a target host',
    weight: 16,
    arbitrary: matchCase,
    check({ entries, target }) {
      const keys = entries.map(normalizedOrUndefined).filter((k): k is ServerKey => k !== undefined);
      const want = normalizedOrUndefined(target);
      if (!want || keys.length === 0) return [];
      const keyOf = (k: ServerKey) => k;
      const { value: got, problems } = refusal(() => findBestMatch(keys, want, keyOf));
      if (problems.length) return problems;
      if (got !== findBestMatch(keys, want, keyOf))
        problems.push({ invariant: 'not deterministic', detail: show(want.key) });
      if (got !== undefined && !keys.includes(got))
        problems.push({ invariant: 'result is not one of the entries', detail: show(got) });
      const exact = keys.some((k) => k.key === want.key);
      const matching = keys.filter((k) => oracleMatches(k, want));
      if (exact && got?.key !== want.key)
        problems.push({
          invariant: 'an exact entry does not beat the patterns',
          detail: `${show(want.key)} answered by ${show(got?.key)}`,
        });
      if (!exact && matching.length && !got)
        problems.push({
          invariant: 'a matching pattern is ignored',
          detail: `${show(matching.map((k) => k.key))} for ${show(want.key)}`,
        });
      if (!exact && got && !matching.includes(got))
        problems.push({
          invariant: 'answers with a pattern that does not match (e.g. * across labels)',
          detail: `${show(got.key)} for ${show(want.key)}`,
        });
      if (!exact && got && matching.some((k) => wildcards(k) < wildcards(got)))
        problems.push({
          invariant: 'a pattern with fewer wildcards loses',
          detail: `${show(got.key)} for ${show(want.key)}`,
        });
      return problems;
    },
    reproduce: ({ entries, target }) => `findBestMatch(${show(entries)} normalised, normalizeServer(${show(target)}))`,
  };
}

function oneLabelProperty(): Property<[string, string, string]> {
  return {
    target: 'patternMatches',
    inputClass: '*.name against one, two and zero extra labels',
    weight: 6,
    arbitrary: fc.tuple(dnsName, label, label),
    check([name, a, b]) {
      const pattern = normalizeServer(`*.${name}`);
      const cases: [string, boolean][] = [
        [`${a}.${name}`, true],
        [`${a}.${b}.${name}`, false],
        [name, false],
      ];
      return cases.flatMap(([host, expected]) => {
        const { value, problems } = refusal(() => patternMatches(pattern, normalizeServer(host)));
        if (problems.length) return problems;
        return value === expected
          ? []
          : [{ invariant: '`*` does not match exactly one label', detail: `*.${name} vs ${host}: ${value}` }];
      });
    },
    reproduce: ([name, a, b]) =>
      `patternMatches(normalizeServer("*.${name}"), normalizeServer(host)) for host in ` +
      show([`${a}.${name}`, `${a}.${b}.${name}`, name]),
  };
}

/** Patterns with many `*` against labels that almost match: a backtracking matcher takes seconds. */
// Sizes stay within 8 stars x 34 characters, where today's regex takes up to ~1 s rather than minutes.
const adversarialMatch = fc
  .tuple(
    fc
      .integer({ min: 4, max: 8 })
      .chain((n) => fc.array(fc.constantFrom('a', 'a', 'a', 'aa', 'b'), { minLength: n, maxLength: n })),
    fc.constantFrom('c', 'c', 'b', ''),
    fc.integer({ min: 16, max: 34 }),
  )
  .map(([parts, end, n]) => ({
    pattern: `${parts.map((p) => `*${p}`).join('')}${end}.x`,
    target: `${'a'.repeat(n)}.x`,
  }));

function matcherTimeProperty(): Property<{ pattern: string; target: string }> {
  const timed = (pattern: ServerKey, target: ServerKey) => {
    const started = performance.now();
    findBestMatch([pattern], target, (k) => k);
    return performance.now() - started;
  };
  return {
    target: 'findBestMatch',
    inputClass: 'adversarial wildcard patterns (time per call)',
    weight: 1,
    arbitrary: adversarialMatch,
    check({ pattern, target }) {
      const p = normalizedOrUndefined(pattern);
      const t = normalizedOrUndefined(target);
      if (!p || !t) return [];
      const first = timed(p, t);
      // The lesser of two: a GC pause is not a finding.
      const ms = first > MATCH_BUDGET_MS ? Math.min(first, timed(p, t)) : first;
      return ms > MATCH_BUDGET_MS
        ? [{ invariant: `one call takes over ${MATCH_BUDGET_MS} ms (backtracking)`, detail: `${ms.toFixed(0)} ms` }]
        : [];
    },
    reproduce: ({ pattern, target }) =>
      `findBestMatch([normalizeServer(${show(pattern)})], normalizeServer(${show(target)}), k => k)`,
  };
}

// -- kubelet, daemon, JWT, Retry-After -------------------------------------------------------

function kubeletProperty(): Property<string> {
  return {
    target: 'kubelet parseRequest + registryOfImage + normalizeServer',
    inputClass: 'CredentialProviderRequest JSON',
    weight: 12,
    arbitrary: kubeletRequest,
    check(input) {
      const { value, problems } = refusal(() => {
        const request = parseKubeletRequest(input);
        normalizeServer(registryOfImage(request.image));
        return request;
      });
      if (
        value &&
        (typeof value.image !== 'string' ||
          value.image === '' ||
          !value.apiVersion.startsWith('credentialprovider.kubelet.k8s.io/'))
      ) {
        problems.push({ invariant: 'accepts an invalid request', detail: show(value) });
      }
      return problems;
    },
    reproduce: (input) => `parseRequest(${show(input)}) then normalizeServer(registryOfImage(image))`,
  };
}

function daemonProperty(): Property<string> {
  return {
    target: 'parseDaemonRequest',
    inputClass: 'daemon socket request line',
    weight: 8,
    arbitrary: daemonLine,
    check(line) {
      const { value, problems } = refusal(() => parseDaemonRequest(line));
      if (value && value.op !== 'status' && value.op !== 'refresh' && value.op !== 'get')
        problems.push({ invariant: 'accepts an unknown op', detail: show(value) });
      if (value?.op === 'get' && [value.serverURL, value.mappingFile, value.secretsFile].some((v) => !v))
        problems.push({ invariant: 'accepts a get without its server or files', detail: show(value) });
      return problems;
    },
    reproduce: (line) => `parseDaemonRequest(${show(line)})`,
  };
}

function jwtProperty(): Property<string> {
  return {
    target: 'jwtExpiry/jwtIssuedAt',
    inputClass: 'JWTs with odd exp/iat, non-JWTs',
    weight: 8,
    arbitrary: jwtLike,
    check(token) {
      const problems: Problem[] = [];
      for (const [name, read] of [
        ['exp', jwtExpiry],
        ['iat', jwtIssuedAt],
      ] as const) {
        const { value, problems: thrown } = refusal(() => read(token));
        problems.push(...thrown);
        if (value !== undefined && !(Number.isFinite(value) && Math.abs(value) <= MAX_DATE_MS)) {
          problems.push({
            invariant: `${name} claim read as a time outside the Date range (not clamped)`,
            detail: String(value),
          });
        }
      }
      return problems;
    },
    reproduce: (token) => `jwtExpiry(${show(token)}) / jwtIssuedAt(...)`,
  };
}

function retryAfterProperty(): Property<string> {
  const now = Date.UTC(2025, 0, 1);
  return {
    target: 'parseRetryAfter',
    inputClass: 'Retry-After header values',
    weight: 8,
    arbitrary: retryAfterValue,
    check(value) {
      const { value: ms, problems } = refusal(() => parseRetryAfter(value, now));
      if (ms === undefined) return problems;
      if (!Number.isFinite(ms) || ms < 0 || ms > MAX_RETRY_AFTER_MS)
        problems.push({ invariant: `wait outside 0..${MAX_RETRY_AFTER_MS} ms (not clamped)`, detail: `${ms} ms` });
      const delay = backoffDelay(1, INLINE_RETRY, ms);
      if (!Number.isFinite(delay) || delay > MAX_RETRY_AFTER_MS)
        problems.push({ invariant: 'backoff delay not clamped', detail: `${delay} ms` });
      return problems;
    },
    reproduce: (value) => `parseRetryAfter(${show(value)}, Date.UTC(2025, 0, 1))`,
  };
}

const PROPERTIES: Property<any>[] = [
  storeProperty(),
  normalizeProperty(),
  equivalenceProperty(),
  parseServerURLProperty(),
  matcherProperty(),
  oneLabelProperty(),
  matcherTimeProperty(),
  kubeletProperty(),
  daemonProperty(),
  jwtProperty(),
  retryAfterProperty(),
  ...FILE_PROPERTIES,
];

/** A 31-bit seed for fast-check, derived from the run's seed, the property and the round. */
export const deriveSeed = (seed: number, ...parts: number[]) =>
  parts.reduce((s, p) => (Math.imul(s ^ p, 0x9e3779b1) + 0x7f4a7c15) | 0, seed) & 0x7fffffff;

/** Runs one property for `runs` inputs; returns how many inputs it ran. */
function runProperty<T>(
  property: Property<T>,
  index: number,
  runs: number,
  seed: number,
  log: ViolationLog,
  say: (line: string) => void,
): number {
  const known = new Set<string>();
  let executed = 0;
  for (let round = 0; executed < runs; round++) {
    let lastFailure: Problem[] = [];
    const result = fc.check(
      fc.property(property.arbitrary, (input) => {
        const problems = property.check(input);
        const fresh = problems.filter((p) => !known.has(p.invariant));
        for (const p of problems) if (known.has(p.invariant)) log.count('inproc', property.target, p.invariant);
        if (fresh.length) {
          lastFailure = fresh;
          return false;
        }
        return true;
      }),
      { numRuns: runs - executed, seed: deriveSeed(seed, index, round), interruptAfterTimeLimit: 120_000 },
    );
    executed += result.numRuns;
    if (!result.failed || !result.counterexample) break;
    const [input] = result.counterexample;
    for (const problem of lastFailure) {
      known.add(problem.invariant);
      log.add({
        layer: 'inproc',
        target: property.target,
        inputClass: property.inputClass,
        invariant: problem.invariant,
        detail: problem.detail,
        reproducer: property.reproduce(input),
      });
      say(`  VIOLATION ${property.target}: ${problem.invariant}`);
    }
  }
  return executed;
}

/** Runs every property; `inputs` is shared out by weight. Returns the inputs run per target. */
export function runInProcess(
  inputs: number,
  seed: number,
  log: ViolationLog,
  say: (line: string) => void,
): Map<string, number> {
  const totalWeight = PROPERTIES.reduce((sum, p) => sum + p.weight, 0);
  const counts = new Map<string, number>();
  let weightSoFar = 0;
  PROPERTIES.forEach((property, index) => {
    // Cumulative rounding: the shares add up to exactly `inputs`.
    const runs =
      Math.round((inputs * (weightSoFar + property.weight)) / totalWeight) -
      Math.round((inputs * weightSoFar) / totalWeight);
    weightSoFar += property.weight;
    if (runs === 0) return;
    const started = Date.now();
    const ran = runProperty(property, index, runs, seed, log, say);
    const label = `${property.target} [${property.inputClass}]`;
    counts.set(label, ran);
    say(`inproc ${label}: ${ran} inputs, ${((ran * 1000) / Math.max(1, Date.now() - started)).toFixed(0)}/s`);
  });
  return counts;
}
