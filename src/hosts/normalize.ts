// Turns whatever a client sends as a server URL into the key lanyard looks entries
// up by, the way docker-credential-helpers and the clients treat it
// (docs/wire-formats.md#credential-helper-protocol, #docker-cli): scheme optional
// (http/https only), host case-insensitive, port significant but 443 (a key has no scheme and reads as https: the
// port clients reach a registry on), path and query ignored, IPv6 literals bracketed.
import { UserError } from '../errors.js';
import { quoted } from '../foreign-text.js';
import { DOCKER_HUB_KEY, dockerHubOAuthKey, isDockerHubHost } from './dockerhub.js';

export interface ServerKey {
  /** `host`, `host:port`, `[v6]:port`, a pattern like `*.icr.io`, or a verbatim Hub OAuth key. */
  key: string;
  host: string;
  port: string | undefined;
  isPattern: boolean;
}

/** The port a key without one means: clients reach a registry over https. */
const KEY_PORT = '443';
const LABEL = /^(?:[a-z0-9_*](?:[a-z0-9_*-]*[a-z0-9_*])?)$/;

const show = (input: string) => quoted(input);

/**
 * An IPv6 literal, checked by the URL parser rather than node:net's isIPv6: loading node:net costs the
 * Bun-compiled binary ~17 ms of CPU, on every `get`.
 */
function isIPv6(address: string): boolean {
  if (!address.includes(':') || /[[\]/?#@%\s]/.test(address)) return false;
  try {
    new URL(`http://[${address}]`);
    return true;
  } catch {
    return false;
  }
}

/** The input after its scheme, which must be http or https when there is one (a key has none). */
function withoutScheme(input: string): string {
  const match = /^([a-zA-Z][a-zA-Z0-9+.-]*):\/\//.exec(input);
  if (!match) return input.replace(/^\/\//, '');
  const scheme = match[1].toLowerCase();
  if (scheme !== 'http' && scheme !== 'https') throw new UserError(`unsupported scheme: ${scheme}`);
  return input.slice(match[0].length);
}

function splitHostPort(authority: string, input: string): { host: string; port: string | undefined } {
  if (authority.startsWith('[')) {
    const close = authority.indexOf(']');
    const address = authority.slice(1, close);
    const tail = authority.slice(close + 1);
    if (close < 0 || address.includes('%') || !isIPv6(address) || (tail !== '' && !tail.startsWith(':'))) {
      throw new UserError(`invalid IPv6 address in server URL ${show(input)}`);
    }
    return {
      host: `[${new URL(`http://[${address}]`).hostname.slice(1, -1)}]`,
      port: tail ? tail.slice(1) : undefined,
    };
  }
  const colons = authority.split(':').length - 1;
  if (colons > 1) {
    // Unbracketed IPv6 (docker's ConvertToHostname accepts it): the whole thing, or address:port.
    if (isIPv6(authority)) return splitHostPort(`[${authority}]`, input);
    const last = authority.lastIndexOf(':');
    return splitHostPort(`[${authority.slice(0, last)}]${authority.slice(last)}`, input);
  }
  const [host, port] = authority.split(':');
  return { host, port: colons === 1 ? port : undefined };
}

function normalizePort(port: string | undefined, input: string): string | undefined {
  if (port === undefined) return undefined;
  if (!/^\d{1,5}$/.test(port) || Number(port) < 1 || Number(port) > 65535) {
    throw new UserError(`invalid port in server URL ${show(input)}`);
  }
  const canonical = String(Number(port));
  // `docker login host:443` reaches the registry `host` reaches: one registry, one key. Only 443 goes, whatever the
  // scheme: `http://host:80` keeps its port (as docker's own lookup does), so every spelling of one host:port gives
  // one key, and a key normalises to itself.
  return canonical === KEY_PORT ? undefined : canonical;
}

// DNS limits (RFC 1035), for patterns too: nothing longer can name a registry, and
// capping them keeps matching cheap whatever a stored pattern holds.
const MAX_HOST_LENGTH = 253;
const MAX_LABEL_LENGTH = 63;

function validateHost(host: string, input: string): void {
  if (host === '') throw new UserError('no hostname in URL');
  if (host.startsWith('[')) return;
  if (host.length > MAX_HOST_LENGTH) {
    throw new UserError(`invalid hostname in server URL ${show(input)}: longer than ${MAX_HOST_LENGTH} characters`);
  }
  const labels = host.split('.');
  for (const label of labels) {
    if (label.length > MAX_LABEL_LENGTH) {
      const reason = `a label longer than ${MAX_LABEL_LENGTH} characters`;
      throw new UserError(`invalid hostname in server URL ${show(input)}: ${reason}`);
    }
    if (!LABEL.test(label)) throw new UserError(`invalid hostname in server URL ${show(input)}`);
  }
}

export function normalizeServer(input: string): ServerKey {
  const trimmed = input.trim();
  if (trimmed === '') throw new UserError('no credentials server URL');
  if (/[\s\u0000-\u001f\u007f]/.test(trimmed)) {
    throw new UserError('invalid server URL: it contains whitespace or control characters');
  }
  const rest = withoutScheme(trimmed);
  const authorityEnd = rest.search(/[/?#]/);
  const authority = authorityEnd < 0 ? rest : rest.slice(0, authorityEnd);
  const path = authorityEnd < 0 ? '' : rest.slice(authorityEnd).replace(/[?#].*$/, '');
  if (authority.includes('@')) {
    throw new UserError('invalid server URL: it must not contain a username or password');
  }
  const split = splitHostPort(authority, trimmed);
  const host = split.host.toLowerCase().replace(/\.$/, '');
  validateHost(host, trimmed);
  const port = normalizePort(split.port, trimmed);
  const isPattern = host.includes('*');

  if (!isPattern && port === undefined && isDockerHubHost(host)) {
    const oauthKey = dockerHubOAuthKey(path);
    return { key: oauthKey ?? DOCKER_HUB_KEY, host: DOCKER_HUB_KEY, port, isPattern };
  }
  return { key: port === undefined ? host : `${host}:${port}`, host, port, isPattern };
}
