// The kubelet image credential provider protocol (docs/wire-formats.md#kubelet-credential-provider): a
// CredentialProviderRequest on stdin, a CredentialProviderResponse on stdout. The same
// binary serves it as `docker-credential-lanyard kubelet` or under a provider name
// (a symlink or copy whose name contains "credential-provider" or "kubelet").
import { CredentialsNotFoundError, UserError } from '../errors.js';
import type { PodIdentity, PodServiceAccount } from '../clouds/cloud.js';
import { podIdentityOf } from '../clouds/registry.js';
import { quoted, registerSecret } from '../foreign-text.js';
import type { CoreContext } from '../credentials/core-context.js';
import { credentialFor, entryServing, tokenServerFor, type Answer } from '../credentials/issue-credential.js';
import { exchangeOnce, sourceContext } from '../credentials/long-lived-side.js';
import { findEntry } from '../credentials/resolve-credential.js';
import { DOCKER_HUB_KEY } from '../hosts/dockerhub.js';
import { patternMatches } from '../hosts/match.js';
import { normalizeServer, type ServerKey } from '../hosts/normalize.js';
import { registryOfImage } from '../hosts/image-reference.js';
import type { MappingEntry } from '../mapping/types.js';
import { log } from '../log.js';
import { INLINE_RETRY, withRetries } from '../retry.js';
import { emptyRecord, Field, parseJson } from '../validate.js';
import { passwordLogin } from './password-login.js';

const V1 = 'credentialprovider.kubelet.k8s.io/v1';
const API_VERSIONS = new Set([V1, 'credentialprovider.kubelet.k8s.io/v1beta1']);
// Plain passwords can change at any login; let kubelet ask again after a few minutes.
const STATIC_CACHE_SECONDS = 300;
// A pod's own credential is kept by kubelet per image and for a few minutes at most, whatever its cacheType says.
const POD_CACHE_SECONDS = 300;
/** Bounds on what tokenAttributes sends: a JWT of a few KiB, and Kubernetes' own annotation key sizes. */
const TOKEN_MAX_CHARS = 16 * 1024;
const ANNOTATIONS_MAX = 64;
const ANNOTATION_KEY_MAX_CHARS = 317; // a 253-character prefix, "/", a 63-character name
const ANNOTATION_VALUE_MAX_CHARS = 4096;
const JWT_SHAPE = /^[\w-]+\.[\w-]+\.[\w-]*$/;

/** How kubelet mode's lines on stderr begin (kubelet logs them). */
export const KUBELET_PREFIX = 'docker-credential-lanyard (kubelet credential provider)';

export interface ProviderResponse {
  apiVersion: string;
  kind: 'CredentialProviderResponse';
  /** `Image` for a pod's own credential: kubelet then never hands it to a pull of another image. */
  cacheKeyType: 'Registry' | 'Image';
  cacheDuration: string;
  auth: Record<string, { username: string; password: string }>;
}

export interface KubeletRequest {
  apiVersion: string;
  image: string;
  /** The pulling pod's service account, when the provider config sets tokenAttributes. */
  pod?: PodServiceAccount;
}

const REQUEST = 'the CredentialProviderRequest on stdin';

/** The pod's service-account token and annotations; absent (or empty, as Go omits it) means none. */
function podOf(request: Field): PodServiceAccount | undefined {
  const tokenField = request.member('serviceAccountToken');
  const token = tokenField.nullableString();
  const annotationsField = request.member('serviceAccountAnnotations');
  const annotations = annotationsField.absentOrNull ? emptyRecord<string>() : annotationsField.stringRecord();
  if (!token) return undefined;
  if (token.length > TOKEN_MAX_CHARS) throw tokenField.invalid(`is longer than ${TOKEN_MAX_CHARS} characters`);
  registerSecret(token); // no message quotes it; anything that echoes it later is redacted
  if (!JWT_SHAPE.test(token)) throw tokenField.invalid('is not a JWT (three base64url parts)');
  const keys = Object.keys(annotations);
  if (keys.length > ANNOTATIONS_MAX) throw annotationsField.invalid(`has more than ${ANNOTATIONS_MAX} entries`);
  for (const key of keys) {
    if (key.length > ANNOTATION_KEY_MAX_CHARS) {
      throw annotationsField.invalid(`has a key longer than ${ANNOTATION_KEY_MAX_CHARS} characters`);
    }
    if (annotations[key]!.length > ANNOTATION_VALUE_MAX_CHARS) {
      throw annotationsField.member(key).invalid(`is longer than ${ANNOTATION_VALUE_MAX_CHARS} characters`);
    }
  }
  return { token, annotations };
}

export function parseRequest(input: string): KubeletRequest {
  let parsed: unknown;
  try {
    parsed = parseJson(input);
  } catch {
    throw new UserError(`${REQUEST} is not JSON`);
  }
  const request = Field.root(REQUEST, parsed);
  const apiVersion = request.member('apiVersion').string();
  if (!API_VERSIONS.has(apiVersion)) {
    const shown = quoted(apiVersion, 80);
    throw request.member('apiVersion').invalid(`${shown} is not supported: expected ${V1}`);
  }
  request.member('kind').equal('CredentialProviderRequest');
  const image = request.member('image').nonEmptyString();
  const pod = podOf(request);
  return { apiVersion, image, ...(pod ? { pod } : {}) };
}

/**
 * kubelet matches auth keys like matchImages; Hub images may reach it under any of Hub's names, and a pattern
 * that serves a host beyond its labels (`*.icr.io` for `private.us.icr.io`) is keyed by that host as well. A token
 * for one registry of a pattern (`tokenPerRegistry`) is keyed by that registry alone: it opens no other.
 */
function entryKeys(entry: MappingEntry, target: ServerKey, tokenServer: string): string[] {
  if (entry.server === DOCKER_HUB_KEY) return [DOCKER_HUB_KEY, 'index.docker.io', 'registry-1.docker.io'];
  if (tokenServer !== entry.server) return [tokenServer];
  const pattern = normalizeServer(entry.server);
  return pattern.isPattern && !patternMatches(pattern, target) ? [entry.server, target.key] : [entry.server];
}

/** kubelet compares ports as written: an image on `host:443` needs that key too, though it is `host`'s login. */
function authKeys(entry: MappingEntry, registry: string, target: ServerKey, tokenServer: string): string[] {
  const keys = entryKeys(entry, target, tokenServer);
  const spelled = registry.toLowerCase();
  return spelled.endsWith(':443') && !keys.includes(spelled) ? [...keys, spelled] : keys;
}

function cacheSeconds(answer: Answer, now: number): number {
  if (answer.expiresAt === undefined) return STATIC_CACHE_SECONDS;
  // Well inside the token's remaining life, so kubelet never holds an expired one.
  return Math.max(0, Math.floor(((answer.expiresAt - now) * 0.8) / 1000));
}

/**
 * What the pulling pod's own identity gets (its cloud's `podIdentity`, then the provider's `issueFromSource`),
 * exchanged for this request alone: never through the entry's token cache, where another pod would find it.
 * A pod whose service account lacks the annotation naming its identity gets nothing, said in one line on stderr.
 */
async function podAnswer(
  context: CoreContext,
  entry: MappingEntry,
  pod: PodServiceAccount,
  identity: PodIdentity,
  registry: string,
): Promise<Answer | undefined> {
  const missing = identity.missingAnnotation(pod.annotations, sourceContext(context, entry));
  if (missing) {
    const line = `no credentials for ${quoted(registry, 120)}: the pod's service account has no annotation ${missing}`;
    // kubelet may not show a plugin's stderr when it exits 0: the log keeps the line too.
    log.warn(`kubelet: ${line}`);
    context.err(`${KUBELET_PREFIX}: ${line}\n`);
    return undefined;
  }
  const request = { timeoutMs: INLINE_RETRY.requestTimeoutMs };
  return (await withRetries(() => exchangeOnce(context, entry, { pod }, request), INLINE_RETRY)).issued;
}

export async function answerKubelet(context: CoreContext, input: string): Promise<ProviderResponse> {
  const request = parseRequest(input);
  const response: ProviderResponse = {
    apiVersion: request.apiVersion,
    kind: 'CredentialProviderResponse',
    cacheKeyType: 'Registry',
    cacheDuration: '0s',
    auth: emptyRecord(), // keyed by registry names, which are user text
  };
  let entry: MappingEntry;
  const registry = registryOfImage(request.image);
  const target = normalizeServer(registry);
  try {
    entry = findEntry(context, registry);
  } catch (error) {
    if (error instanceof CredentialsNotFoundError) return response; // no credentials: empty auth, as the API asks
    throw error;
  }
  // A pod's token counts only where its cloud can prove the pod: elsewhere the login answers, as without one.
  const { pod } = request;
  const identity = pod && podIdentityOf(entry.kind)?.podIdentity;
  const tokenServer = tokenServerFor(entry, target.key);
  const answer = identity
    ? await podAnswer(context, entryServing(entry, tokenServer), pod!, identity, registry)
    : await credentialFor(context, entry, {
        retry: INLINE_RETRY,
        acceptDueTokens: context.daemonRunning(),
        registry: target.key,
      });
  if (!answer) return response;
  const login = await passwordLogin(context, entry, answer);
  if (!login) return response;
  const seconds = cacheSeconds(answer, context.now());
  if (identity) response.cacheKeyType = 'Image';
  response.cacheDuration = `${identity ? Math.min(seconds, POD_CACHE_SECONDS) : seconds}s`;
  for (const key of authKeys(entry, registry, target, tokenServer))
    response.auth[key] = { username: login.username, password: login.secret };
  return response;
}
