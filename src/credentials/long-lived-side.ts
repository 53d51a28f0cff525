// One exchange of an entry's long-lived side for what a client gets: the secret its store keeps, or, for a
// `login --source` entry, what its identity source answers now (nothing is stored). `get`, the daemon,
// `login`'s check and doctor all exchange through here, so the two kinds of login differ only in this file
// and in the provider's two entry points, which meet at one function.
import { UserError } from '../errors.js';
import { registerSecret } from '../foreign-text.js';
import { isSourceEntry, type MappingEntry, type SourceEntry } from '../mapping/types.js';
import { loadProvider } from '../clouds/registry.js';
import { KIND_TRAITS } from '../clouds/kind.js';
import { checkedExpiry, type IssueContext, type IssuedCredential, type ResolvedSource } from '../clouds/provider.js';
import type { SourceContext } from '../clouds/sources.js';
import type { CoreContext } from './core-context.js';
import { readSecret } from './read-secret.js';

/** The stored secret (read once, before any retry), or the source to ask at each try. */
export type LongLivedSide = { secret: string } | { entry: SourceEntry };

export async function longLivedSide(context: CoreContext, entry: MappingEntry): Promise<LongLivedSide> {
  if (isSourceEntry(entry)) return { entry };
  const secret = await readSecret(context, entry);
  registerSecret(secret);
  return { secret };
}

/** `--trusted-profile`: an IBM trusted profile by id (`Profile-…`), by CRN (`crn:…`), or else by name. */
function trustedProfile(value: string | undefined): SourceContext['ibmProfile'] {
  if (value === undefined) return undefined;
  if (value.startsWith('Profile-')) return { profileId: value };
  return value.startsWith('crn:') ? { profileCrn: value } : { profileName: value };
}

function sourceContext(context: CoreContext, entry: SourceEntry, timeoutMs?: number): SourceContext {
  const { identity, awsFiles, awsEndpoints, azureAuthorityHost } = context.config;
  const options = entry.options ?? {};
  const iamEndpoint = options.iamEndpoint ?? context.config.iamEndpoint;
  const profile = trustedProfile(options.trustedProfile);
  return {
    identity,
    awsFiles,
    ...(awsEndpoints.sts ? { stsEndpoint: awsEndpoints.sts } : {}),
    ...(azureAuthorityHost ? { azureAuthorityHost } : {}),
    ...(options.clientId ? { azureClientId: options.clientId } : {}),
    ...(iamEndpoint ? { iamEndpoint } : {}),
    ...(profile ? { ibmProfile: profile } : {}),
    ...(timeoutMs ? { timeoutMs } : {}),
  };
}

/** Asks the entry's identity source (for `auto`: the first of its cloud's that answers) for a credential. */
export async function resolveSource(
  context: CoreContext,
  entry: SourceEntry,
  timeoutMs?: number,
): Promise<ResolvedSource> {
  const cloud = KIND_TRAITS[entry.kind].sources?.cloud;
  if (!cloud) throw new UserError(`${entry.kind} logins cannot take an identity source: log in with a secret`);
  const sources = await import('../clouds/sources.js');
  const where = sourceContext(context, entry, timeoutMs);
  if (entry.source === 'auto') {
    const found = await sources.credentialFromAuto(cloud, where);
    return { name: found.source, credential: found.credential };
  }
  if (sources.SOURCE_CLOUDS[entry.source] !== cloud) {
    throw new UserError(`the ${entry.source} source is not a ${cloud} identity: it cannot serve ${entry.kind}`);
  }
  return { name: entry.source, credential: await sources.credentialFrom(entry.source, where) };
}

/** What one exchange gave, and for a source entry which source answered (doctor and `login` name it). */
export interface Exchanged {
  issued: IssuedCredential;
  source?: { name: string; identity: string };
}

/**
 * One exchange (callers wrap it in their retry policy). A source's credential expires: the answer never
 * outlives it, and one about to die is a transient refusal, asked again shortly, not a token nobody can use.
 */
export async function exchangeOnce(
  context: CoreContext,
  entry: MappingEntry,
  side: LongLivedSide,
  issue: IssueContext,
): Promise<Exchanged> {
  const provider = await loadProvider(entry.kind);
  if ('secret' in side) return { issued: await provider.issue(entry, side.secret, issue) };
  if (!provider.issueFromSource) throw new UserError(`${entry.kind} logins cannot take an identity source`);
  const source = await resolveSource(context, side.entry, issue.timeoutMs);
  const issued = await provider.issueFromSource(entry, source, issue);
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
    source: { name: source.name, identity },
  };
}
