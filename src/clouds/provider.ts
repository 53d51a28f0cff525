// What every kind of login implements: turn the stored long-lived secret into the
// credential a client should receive. Providers do network I/O only; caching,
// single flight and scheduling belong to tokens/ and daemon/.
import type { Config } from '../config.js';
import { ServiceRefusedError } from '../errors.js';
import { boundedExpiry, CLOCK_HINT, UNUSABLE_ANSWER_HOLD_MS, unusableLifetime } from '../service-limits.js';
import type { SourceIdentity } from './source-io.js';

/** What a provider reads of a mapping entry (mapping/types.ts's entries are these, with more). */
export interface LoginEntry {
  /** Normalised lookup key: `host[:port]`, a pattern such as `*.icr.io`, or a verbatim Hub OAuth key. */
  server: string;
  /** The server URL as the client first gave it. */
  serverURL: string;
  kind: string;
  username: string;
  /** Provider settings (endpoints, API server, CA bundle), never secrets. */
  options?: Record<string, string>;
}

export interface IssuedCredential {
  username: string;
  secret: string;
  /** Epoch ms. */
  issuedAt: number;
  /** Epoch ms; undefined when the credential does not expire (or we cannot know). */
  expiresAt?: number;
  /** Whom the service says the credential belongs to, made safe to show (doctor names it); never cached. */
  identity?: string;
}

/** What a login gives: the username (possibly empty, from `login` without -u) and the secret. */
export interface LoginSecret {
  username: string;
  secret: string;
}

/** What a provider may take from its caller: lanyard's configuration (endpoint overrides), and a deadline. */
export interface IssueContext {
  config: Config;
  /** Per-request limit: a `get` inside a pull must give up sooner than the daemon. */
  timeoutMs?: number;
}

/** What an identity source answered for a `login --source` entry: its name, and the credential. */
export interface ResolvedSource {
  name: string;
  cloud: string;
  /** In its cloud's shape (credentialOf gives it that type). */
  credential: SourceIdentity;
  /** The pulling pod's own identity (kubelet mode): the login's options name no identity to assume on top. */
  pod?: true;
  /** `--source auto`: the sources tried first and why each did not answer (`aws-env: AWS_ACCESS_KEY_ID not set`). */
  passedOver?: string[];
}

export interface Provider {
  /** The credential a client should get; the stored secret itself (passThrough) when nothing can be exchanged. */
  issue(entry: LoginEntry, secret: string, context: IssueContext): Promise<IssuedCredential>;
  /**
   * For kinds whose traits (their cloud's index.ts) say `checked`: asks the service whether it still accepts the
   * secret; resolves to what was confirmed (for people), throws a ServiceRefusedError or TransportError otherwise.
   */
  check?(entry: LoginEntry, secret: string, context: IssueContext): Promise<string>;
  /**
   * For kinds whose secret names its owner (a key file): checks the secret a login gives and says what to store,
   * the username taken from the secret. Throws a UserError naming what is wrong, never quoting the secret.
   */
  acceptLogin?(login: LoginSecret): LoginSecret;
  /**
   * For kinds whose traits name `sourceHosts`: the same credential as `issue`, from what an identity
   * source answered in place of a stored secret. Both meet at one function in the provider.
   */
  issueFromSource?(entry: LoginEntry, source: ResolvedSource, context: IssueContext): Promise<IssuedCredential>;
}

/** A source's credential in its cloud's shape `C`; a source of another cloud reaching a provider is a bug. */
export function credentialOf<C extends SourceIdentity>(source: ResolvedSource, cloud: string): C {
  if (source.cloud !== cloud) throw new Error(`the ${source.name} source is not a ${cloud} source`);
  return source.credential as C;
}

/**
 * The expiry a service announced, believed within limits: at most a day after issue;
 * a token that is already dead (or nearly) is refused, and the service asked again later.
 * `service` and `field` name the source in the error, e.g. "IBM Cloud IAM at …", "expires_in -5".
 */
export function checkedExpiry(service: string, field: string, issuedAt: number, expiresAt: number): number {
  const problem = unusableLifetime(issuedAt, expiresAt);
  if (problem) {
    const detail = `answered a token with ${problem} (${field}): it cannot be used (${CLOCK_HINT})`;
    throw new ServiceRefusedError(service, detail, { permanent: false, retryAfterMs: UNUSABLE_ANSWER_HOLD_MS });
  }
  return boundedExpiry(issuedAt, expiresAt);
}

export function passThrough(entry: LoginEntry, secret: string, expiresAt?: number): IssuedCredential {
  return { username: entry.username, secret, issuedAt: Date.now(), ...(expiresAt !== undefined ? { expiresAt } : {}) };
}
