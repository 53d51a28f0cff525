// One exchange of an entry's long-lived side for what a client gets: the secret its store keeps, or, for a
// `login --source` entry, what its identity source answers now (nothing is stored), or, for a kubelet request
// that carries the pulling pod's service-account token, what the pod's own identity gets. `get`, the daemon,
// `login`'s check and doctor all exchange through here, so the two kinds of login differ only in this file
// and in the provider's two entry points, which meet at one function.
import { ServiceRefusedError, UserError } from '../errors.js';
import { UNUSABLE_ANSWER_HOLD_MS } from '../service-limits.js';
import { registerSecret } from '../foreign-text.js';
import { isSourceEntry, type MappingEntry, type SourceEntry } from '../mapping/types.js';
import type { PodServiceAccount, SourceContext } from '../clouds/cloud.js';
import { loadProvider, podIdentityOf, SOURCE_CLOUDS, sourceCloudOf } from '../clouds/registry.js';
import { checkedExpiry, type IssueContext, type IssuedCredential, type ResolvedSource } from '../clouds/provider.js';
import type { CoreContext } from './core-context.js';
import { readSecret } from './read-secret.js';
import { withinClaimedExpiry } from './claimed-expiry.js';

/**
 * The stored secret (read once, before any retry), or the source to ask at each try, or (kubelet mode) the
 * pulling pod's service account, whose identity its cloud proves in place of the entry's.
 */
export type LongLivedSide = { secret: string } | { entry: SourceEntry } | { pod: PodServiceAccount };

export async function longLivedSide(context: CoreContext, entry: MappingEntry): Promise<LongLivedSide> {
  if (isSourceEntry(entry)) return { entry };
  const secret = await readSecret(context, entry);
  registerSecret(secret);
  return { secret };
}

/** Where an identity source of the entry looks: the configuration, the login's options, the deadline. */
export const sourceContext = (context: CoreContext, entry: MappingEntry, timeoutMs?: number): SourceContext => ({
  config: context.config,
  options: entry.options ?? {},
  ...(timeoutMs ? { timeoutMs } : {}),
});

/** The pulling pod's identity, proved by the cloud of the entry's kind (`podIdentityOf`) with its token. */
async function podSource(
  context: CoreContext,
  entry: MappingEntry,
  pod: PodServiceAccount,
  timeoutMs?: number,
): Promise<ResolvedSource> {
  const found = podIdentityOf(entry.kind);
  if (!found) throw new UserError(`${entry.kind} logins cannot answer as the pod`);
  const credential = await found.podIdentity.credential(pod, sourceContext(context, entry, timeoutMs));
  return { name: `${found.cloud}-pod-identity`, cloud: found.cloud, credential, pod: true };
}

/** Asks the entry's identity source (for `auto`: the first of its cloud's that answers) for a credential. */
export async function resolveSource(
  context: CoreContext,
  entry: SourceEntry,
  timeoutMs?: number,
): Promise<ResolvedSource> {
  const cloud = sourceCloudOf(entry.kind);
  if (!cloud) throw new UserError(`${entry.kind} logins cannot take an identity source: log in with a secret`);
  const sources = await import('../clouds/sources.js');
  const where = sourceContext(context, entry, timeoutMs);
  if (entry.source === 'auto') return sources.credentialFromAuto(cloud, where);
  if (SOURCE_CLOUDS[entry.source] !== cloud) {
    throw new UserError(`the ${entry.source} source is not a ${cloud} identity: it cannot serve ${entry.kind}`);
  }
  return sources.credentialFrom(entry.source, where);
}

// A control character in a login breaks the client's JSON, its terminal or the registry's header parsing; no
// token service means to send one. The stored secret itself, answered as is, is the user's own to judge.
const CONTROL_CHARACTER = /[\u0000-\u001f\u007f]/;

/**
 * `issued`, dying no later than its token says, unless a service's answer holds a control character: then a
 * transient refusal, asked again later.
 */
function usableAnswer(entry: MappingEntry, issued: IssuedCredential, side: LongLivedSide): IssuedCredential {
  if ('secret' in side && issued.secret === side.secret) return issued;
  const service = `the ${entry.kind} token service for ${entry.server}`;
  if (!CONTROL_CHARACTER.test(issued.secret + issued.username)) return withinClaimedExpiry(service, issued);
  throw new ServiceRefusedError(service, 'answered a login with control characters in it, which no client can use', {
    permanent: false,
    retryAfterMs: UNUSABLE_ANSWER_HOLD_MS,
  });
}

/** Which source answered, whom it proved, and (for `auto`) why the sources before it did not. */
export interface SourceAnswer {
  name: string;
  identity: string;
  passedOver: string[];
}

/** What one exchange gave, and for a source entry which source answered (doctor and `login` name it). */
export interface Exchanged {
  issued: IssuedCredential;
  source?: SourceAnswer;
}

/**
 * One exchange (callers wrap it in their retry policy). A source's credential expires: the answer never
 * outlives it, and one about to die is a transient refusal, asked again shortly, not a token nobody can use.
 */
export async function exchangeOnce(
  context: CoreContext,
  entry: MappingEntry,
  side: LongLivedSide,
  request: { timeoutMs?: number },
): Promise<Exchanged> {
  const provider = await loadProvider(entry.kind);
  const issue: IssueContext = { ...request, config: context.config };
  if ('secret' in side) return { issued: usableAnswer(entry, await provider.issue(entry, side.secret, issue), side) };
  if (!provider.issueFromSource) throw new UserError(`${entry.kind} logins cannot take an identity source`);
  const source =
    'pod' in side
      ? await podSource(context, entry, side.pod, issue.timeoutMs)
      : await resolveSource(context, side.entry, issue.timeoutMs);
  const issued = usableAnswer(entry, await provider.issueFromSource(entry, source, issue), side);
  registerSecret(issued.secret);
  const { expiresAt: sourceExpiry, identity } = source.credential;
  const bound =
    sourceExpiry === undefined
      ? issued.expiresAt
      : Math.min(
          issued.expiresAt ?? Number.POSITIVE_INFINITY,
          checkedExpiry(`the ${source.name} identity source`, 'its credential', issued.issuedAt, sourceExpiry),
        );
  return {
    issued: { ...issued, ...(bound !== undefined ? { expiresAt: bound } : {}) },
    source: { name: source.name, identity, passedOver: source.passedOver ?? [] },
  };
}
