// What one cloud folder gives the rest of lanyard: its kinds of login (traits, and the provider behind each,
// loaded only when used), its identity sources in the order its SDKs try them, its `login` flags and the
// registry hosts it knows by name. ./registry.ts lists the folders; the core and the CLI learn every kind from
// there and never name one. An index.ts that implements this is on the path of every `get`: it imports only
// host tables and types, and reaches its providers and sources through `import()`.
import type { Config } from '../config.js';
import type { Provider } from './provider.js';
import type { SourceIdentity } from './source-io.js';

/** The username docker gives an identity token (a registry refresh token) in place of a password. */
export const IDENTITY_TOKEN_USERNAME = '<token>';

export interface KindTraits {
  /**
   * Its provider may answer something other than the stored secret, or something that expires: answers go
   * through the token cache, the daemon refreshes them ahead of expiry, and doctor tries one exchange.
   * Otherwise the stored secret is answered as is, read on every request and never cached.
   */
  exchanges: boolean;
  /**
   * Its provider has a `check` hook (a service that cannot exchange the secret can still vouch for it):
   * the daemon runs it every few hours, doctor once.
   */
  checked: boolean;
  /**
   * Its identity tokens were traded for the stored username and password, so a client that takes only
   * those (the kubelet, a pull secret) gets them instead. Other identity tokens cannot go to such clients.
   */
  identityTokenFromPassword?: true;
  /**
   * Its identity tokens are also passwords under this username, so a client that takes only a username and
   * password gets the token itself (ACR's refresh tokens under the null GUID).
   */
  identityTokenPasswordUsername?: string;
  /** The username that marks a login of this kind: `store` infers the kind from it, `login --kind` defaults to it. */
  username?: string;
  /** `login` tries one exchange before storing the secret, and stores nothing if the service refuses it. */
  verifiedAtLogin?: true;
  /**
   * Whether a login on this registry (its normalised key) is of this kind, when no kind's `username` matches;
   * the username helps where the host alone is not enough (a pasted registry token stays `static`).
   */
  hostImplies?(serverKey: string, username: string): boolean;
  /**
   * A provider option the kind needs, set by the `login` flag of the same name. `hostImplies` then marks only a
   * `login` that gives it: a `store` on such a host (a pasted registry token) stays static.
   */
  loginOption?: string;
  /**
   * Registries a pattern login of this kind serves beyond the hosts its labels match (one label per `*`): an IBM
   * Cloud key for `*.icr.io` reaches icr.io and the private endpoints too. An exact entry, then a pattern that
   * matches by its labels, still come first.
   */
  patternAlsoServes?(patternKey: string, serverKey: string): boolean;
  /**
   * A pattern login of this kind whose tokens each serve one registry (an ECR token is for one region): every
   * registry the pattern answers gets its own token, exchanged for that host and cached under its key.
   */
  tokenPerRegistry?(patternKey: string): boolean;
  /**
   * Its provider can take the long-lived side from its cloud's identity sources instead of a stored secret
   * (`issueFromSource`); `sourceHosts` are the registries where `login --source auto` means this kind.
   */
  sourceHosts?(serverKey: string): boolean;
}

export interface KindDefinition extends KindTraits {
  /** The provider, imported on first use so a `get` pays only for the one it needs. */
  provider(): Promise<Provider>;
}

/** Where an identity source looks: lanyard's configuration, the login's options, and the caller's deadline. */
export interface SourceContext {
  config: Config;
  options: Readonly<Record<string, string>>;
  /** Per-request deadline for remote token services (STS, Entra, IAM); metadata services keep their own. */
  timeoutMs?: number;
}

export interface IdentitySource {
  /** `login --source NAME`; cloud-prefixed (`aws-env`), unique across clouds. */
  name: string;
  /** A service on the host's link (instance metadata): silence from it means "not on this platform". */
  metadata?: true;
  /** Why `--source auto` would not try it here (a variable or file missing); undefined when it would. */
  notConfigured?(context: SourceContext): string | undefined | Promise<string | undefined>;
  /** What it answers now; errors name the source and the fix. */
  credential(context: SourceContext): Promise<SourceIdentity>;
}

/**
 * The pod whose image the kubelet pulls, as a provider config with `tokenAttributes` sends it: its service-account
 * token (a JWT for the configured audience; registered as a secret) and the annotations the config asks for.
 */
export interface PodServiceAccount {
  token: string;
  annotations: Readonly<Record<string, string>>;
}

/** How a cloud proves the pulling pod's own identity (kubelet mode) with its service-account token. */
export interface PodIdentity {
  /** An annotation the identity needs, when the pod lacks it (and nothing stands in for it): no credentials. */
  missingAnnotation(annotations: PodServiceAccount['annotations'], context: SourceContext): string | undefined;
  /** The pod's identity in the shape the cloud's identity sources answer, for the provider's `issueFromSource`. */
  credential(pod: PodServiceAccount, context: SourceContext): Promise<SourceIdentity>;
}

/** A `login` flag whose value becomes the provider option `key` of the entry. */
export interface LoginOption {
  flag: string;
  key: string;
  describe: string;
  /** A token endpoint: checked at login as every endpoint is (HTTPS, or loopback). */
  endpoint?: true;
  /** What is wrong with the value, for one line; undefined when it is fine. */
  problem?(value: string): string | undefined;
}

/** What a `login` flag that brings the login itself (a key from a cloud CLI's files) gives instead of stdin. */
export interface ImportedLogin {
  username: string;
  secret: string;
  options: Record<string, string>;
}

/**
 * One pattern for every registry of a cloud, answered from the identity the environment proves at each pull
 * (`--source auto`), as the cloud's own credential helper does without any set-up: `configure --<flag>` maps it.
 */
export interface AmbientLogin {
  flag: string;
  describe: string;
  /** The pattern the entry is mapped under; its kind's `patternAlsoServes` makes it answer the whole cloud. */
  pattern: string;
  kind: string;
  /** What to do for the registries a client config cannot name in advance (they are the user's own). */
  clientNote: string;
}

/** A `login` flag that imports the secret from somewhere it already is, so nothing is typed or piped. */
export interface LoginImport {
  flag: string;
  describe: string;
  read(value: string, config: Config): Promise<ImportedLogin>;
}

export interface Cloud {
  /** The folder's name, and the cloud `--source` names (`aws`, `gcp`, …). */
  name: string;
  kinds: Readonly<Record<string, KindDefinition>>;
  /** Identity sources, in the order the cloud's own SDKs try them (`--source auto`). */
  sources?: readonly IdentitySource[];
  /** The pulling pod's identity, for kubelet requests that carry its service-account token. */
  podIdentity?: PodIdentity;
  loginOptions?: readonly LoginOption[];
  /**
   * Why a login on this host can never work, when its kind is left to inference (a username the registry never
   * takes): one line naming the fix, or undefined. An explicit `--kind` is the user's to insist on.
   */
  loginProblem?(serverKey: string, username: string): string | undefined;
  /** Options that are wrong only together (one without the other): one line, or undefined. */
  optionsProblem?(options: Readonly<Record<string, string>>): string | undefined;
  loginImports?: readonly LoginImport[];
  /** `configure --<flag>`: every registry of the cloud, from the environment's identity. */
  ambientLogin?: AmbientLogin;
  /** Registry hosts known by name: what a mapped pattern (`*.icr.io`) stands for in a client config. */
  knownHosts?: readonly string[];
}
