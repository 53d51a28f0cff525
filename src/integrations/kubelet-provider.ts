// The kubelet image credential provider protocol (docs/wire-formats.md#kubelet-credential-provider): a
// CredentialProviderRequest on stdin, a CredentialProviderResponse on stdout. The same
// binary serves it as `docker-credential-lanyard kubelet` or under a provider name
// (a symlink or copy whose name contains "credential-provider" or "kubelet").
import { CredentialsNotFoundError, UserError } from '../errors.js';
import { quoted } from '../foreign-text.js';
import type { CoreContext } from '../credentials/core-context.js';
import { credentialFor, type Answer } from '../credentials/issue-credential.js';
import { findEntry } from '../credentials/resolve-credential.js';
import { DOCKER_HUB_KEY } from '../hosts/dockerhub.js';
import { patternMatches } from '../hosts/match.js';
import { normalizeServer } from '../hosts/normalize.js';
import { registryOfImage } from '../hosts/image-reference.js';
import type { MappingEntry } from '../mapping/types.js';
import { INLINE_RETRY } from '../retry.js';
import { emptyRecord, Field, parseJson } from '../validate.js';
import { passwordLogin } from './password-login.js';

const V1 = 'credentialprovider.kubelet.k8s.io/v1';
const API_VERSIONS = new Set([V1, 'credentialprovider.kubelet.k8s.io/v1beta1']);
// Plain passwords can change at any login; let kubelet ask again after a few minutes.
const STATIC_CACHE_SECONDS = 300;

export interface ProviderResponse {
  apiVersion: string;
  kind: 'CredentialProviderResponse';
  cacheKeyType: 'Registry';
  cacheDuration: string;
  auth: Record<string, { username: string; password: string }>;
}

const REQUEST = 'the CredentialProviderRequest on stdin';

export function parseRequest(input: string): { apiVersion: string; image: string } {
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
  return { apiVersion, image: request.member('image').nonEmptyString() };
}

/**
 * kubelet matches auth keys like matchImages; Hub images may reach it under any of Hub's names, and a pattern
 * that serves a host beyond its labels (`*.icr.io` for `private.us.icr.io`) is keyed by that host as well.
 */
function authKeys(entry: MappingEntry, registry: string): string[] {
  if (entry.server === DOCKER_HUB_KEY) return [DOCKER_HUB_KEY, 'index.docker.io', 'registry-1.docker.io'];
  const pattern = normalizeServer(entry.server);
  const target = normalizeServer(registry);
  return pattern.isPattern && !patternMatches(pattern, target) ? [entry.server, target.key] : [entry.server];
}

function cacheSeconds(answer: Answer, now: number): number {
  if (answer.expiresAt === undefined) return STATIC_CACHE_SECONDS;
  // Well inside the token's remaining life, so kubelet never holds an expired one.
  return Math.max(0, Math.floor(((answer.expiresAt - now) * 0.8) / 1000));
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
  try {
    entry = findEntry(context, registry);
  } catch (error) {
    if (error instanceof CredentialsNotFoundError) return response; // no credentials: empty auth, as the API asks
    throw error;
  }
  const answer = await credentialFor(context, entry, { retry: INLINE_RETRY, acceptDueTokens: context.daemonRunning() });
  const login = await passwordLogin(context, entry, answer);
  if (!login) return response;
  response.cacheDuration = `${cacheSeconds(answer, context.now())}s`;
  for (const key of authKeys(entry, registry))
    response.auth[key] = { username: login.username, password: login.secret };
  return response;
}
