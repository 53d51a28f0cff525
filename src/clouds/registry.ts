// The one table of clouds: every kind, identity source, `login` flag and known registry host comes from the
// folders listed here. Adding a cloud is its folder and one line in CLOUDS; adding a kind is a row in its
// cloud's index.ts. This module is on the path of every `get`: the folders' index files load no provider.
import type { Config } from '../config.js';
import { UserError } from '../errors.js';
import { aws } from './aws/index.js';
import { azure } from './azure/index.js';
import type {
  AmbientLogin,
  Cloud,
  IdentitySource,
  KindDefinition,
  LoginImport,
  LoginOption,
  PodIdentity,
} from './cloud.js';
import { dockerhub } from './dockerhub/index.js';
import { gcp } from './gcp/index.js';
import { generic } from './generic/index.js';
import { github } from './github/index.js';
import { ibm } from './ibm/index.js';
import { openshift } from './openshift/index.js';
import type { LoginEntry, Provider } from './provider.js';

// The order is the order `store` tries kinds in, and the order people see them listed.
const CLOUDS = [ibm, dockerhub, openshift, generic, aws, azure, gcp, github] as const;

type Listed = (typeof CLOUDS)[number];
export type Kind = Listed extends infer C ? (C extends { kinds: infer K } ? Extract<keyof K, string> : never) : never;
export type SourceName = Listed extends infer C
  ? C extends { sources: readonly (infer S)[] }
    ? S extends { name: infer N extends string }
      ? N
      : never
    : never
  : never;
/** The clouds with identity sources (`login --source`). */
export type SourceCloud = Listed extends infer C ? (C extends { sources: unknown; name: infer N } ? N : never) : never;

const clouds: readonly Cloud[] = CLOUDS;

export const KINDS = clouds.flatMap((cloud) => Object.keys(cloud.kinds)) as readonly Kind[];
export const isKind = (value: string): value is Kind => (KINDS as readonly string[]).includes(value);

/** What the code outside clouds/ may ask about a kind, answered without loading its provider. */
export const KIND_TRAITS = Object.fromEntries(clouds.flatMap((cloud) => Object.entries(cloud.kinds))) as Readonly<
  Record<Kind, KindDefinition>
>;

/** The cloud whose identity sources a kind takes (`login --source`), or undefined when it takes none. */
export function sourceCloudOf(kind: Kind): SourceCloud | undefined {
  if (!KIND_TRAITS[kind].sourceHosts) return undefined;
  return clouds.find((cloud) => Object.hasOwn(cloud.kinds, kind))?.name as SourceCloud;
}

/** The pod identity of a kind's cloud (kubelet mode), with the cloud's name; undefined when the kind takes none. */
export function podIdentityOf(kind: Kind): { cloud: string; podIdentity: PodIdentity } | undefined {
  if (!KIND_TRAITS[kind].sourceHosts) return undefined; // only kinds that take identity sources (issueFromSource)
  const cloud = clouds.find((candidate) => Object.hasOwn(candidate.kinds, kind));
  return cloud?.podIdentity ? { cloud: cloud.name, podIdentity: cloud.podIdentity } : undefined;
}

export function loadProvider(kind: Kind): Promise<Provider> {
  return KIND_TRAITS[kind].provider();
}

/** Runs the `check` hook of a kind whose traits say `checked`; resolves to what was confirmed. */
export async function checkSecret(entry: LoginEntry & { kind: Kind }, secret: string, config: Config): Promise<string> {
  const provider = await loadProvider(entry.kind);
  if (!provider.check) throw new Error(`the ${entry.kind} provider has no check`); // a table error: kinds.test.ts
  return provider.check(entry, secret, { config });
}

/** Every identity source by name, with its cloud. */
export const SOURCE_CLOUDS = Object.fromEntries(
  clouds.flatMap((cloud) => (cloud.sources ?? []).map((source) => [source.name, cloud.name])),
) as Readonly<Record<SourceName, SourceCloud>>;
export const SOURCE_NAMES = Object.keys(SOURCE_CLOUDS) as readonly SourceName[];
export const isSourceName = (value: string): value is SourceName => Object.hasOwn(SOURCE_CLOUDS, value);

/** A cloud's identity sources in the order its SDKs try them. */
export function sourcesOf(cloudName: SourceCloud): readonly IdentitySource[] {
  return clouds.find((cloud) => cloud.name === cloudName)?.sources ?? [];
}

export function identitySource(name: SourceName): IdentitySource {
  const found = clouds.flatMap((cloud) => cloud.sources ?? []).find((source) => source.name === name);
  if (!found) throw new UserError(`no identity source named ${name}`);
  return found;
}

/** Every cloud's `login` flags that become provider options, in the order of CLOUDS. */
export const LOGIN_OPTIONS: readonly LoginOption[] = clouds.flatMap((cloud) => cloud.loginOptions ?? []);
/** Every cloud's `configure` flag that maps all its registries to the environment's identity. */
export const AMBIENT_LOGINS = clouds.flatMap((cloud) =>
  cloud.ambientLogin ? [cloud.ambientLogin] : [],
) as ReadonlyArray<AmbientLogin & { kind: Kind }>;
/** Every cloud's `login` flags that bring the login itself. */
export const LOGIN_IMPORTS: readonly LoginImport[] = clouds.flatMap((cloud) => cloud.loginImports ?? []);

/** The first problem any cloud names, in the order of CLOUDS; undefined when none does. */
const firstProblem = (ask: (cloud: Cloud) => string | undefined) => clouds.map(ask).find((problem) => problem);

/** Why a login whose kind is inferred can never work on this host, or undefined. */
export const loginProblem = (serverKey: string, username: string) =>
  firstProblem((cloud) => cloud.loginProblem?.(serverKey, username));

/** What is wrong with a login's options taken together, or undefined. */
export const optionsProblem = (options: Readonly<Record<string, string>>) =>
  firstProblem((cloud) => cloud.optionsProblem?.(options));

/** Registry hosts some cloud knows by name: what a mapped pattern can stand for in a client config. */
export const KNOWN_REGISTRY_HOSTS: readonly string[] = clouds.flatMap((cloud) => cloud.knownHosts ?? []);
