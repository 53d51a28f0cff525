// Distribution token auth as registries speak it (docs/wire-formats.md#distribution-token-auth): a registry's
// base URL, its `/v2/` challenge, and the realm that trades a login for a token. Shared by the kinds that talk
// to a registry's own token service instead of a cloud's.
import { assertSafeEndpoint, header, httpFetch } from '../http.js';
import type { LoginEntry } from './provider.js';

/** Parses `Bearer realm="…",service="…"` (RFC 6750 §3). */
export function parseBearerChallenge(value: string | undefined): Record<string, string> | undefined {
  if (!value || !/^bearer\s/i.test(value)) return undefined;
  const params: Record<string, string> = {};
  for (const match of value.slice(7).matchAll(/([a-zA-Z_]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^,\s]*))/g)) {
    params[match[1].toLowerCase()] = (match[2] ?? match[3]).replace(/\\(.)/g, '$1');
  }
  return params.realm ? params : undefined;
}

/** A registry key on this machine (the tests' registries): reached over plain http. */
export const isLoopbackServer = (serverKey: string) => /^(localhost|127\.[\d.]+|\[::1\])(:\d+)?$/.test(serverKey);

/** The registry's base URL: the login's `registryURL` option, else https (http on loopback) to its host. */
export function registryBase(entry: LoginEntry): string {
  if (entry.options?.registryURL) return entry.options.registryURL;
  return `${isLoopbackServer(entry.server) ? 'http' : 'https'}://${entry.server}`;
}

/** The registry's Bearer challenge from an anonymous `/v2/`; undefined for Basic auth or none. */
export async function bearerChallenge(
  entry: LoginEntry,
  timeoutMs: number | undefined,
): Promise<Record<string, string> | undefined> {
  const timeout = timeoutMs ? { timeoutMs } : {};
  const probe = await httpFetch(assertSafeEndpoint(`${registryBase(entry)}/v2/`, 'the registry'), timeout);
  return probe.status === 401 ? parseBearerChallenge(header(probe, 'www-authenticate')) : undefined;
}
