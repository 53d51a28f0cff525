// The daemon's API on its unix socket: one JSON request line, one JSON response line.
// Requests are size-limited; the socket lives in the 0700 runtime dir, so only the
// user can reach it, and where the runtime can tell, the daemon checks the peer's uid too.
// The answer to `get` has its own module (agent-answer.ts): `get` reads it before loading anything else.
import { UserError } from '../errors.js';
import { Field, parseJson } from '../validate.js';

export const MAX_REQUEST_BYTES = 16 * 1024;

/**
 * `get`: the whole answer for a registry, as `get` would print it, when the daemon has it at hand: a static
 * login's secret it holds, or a cached token. The daemon resolves the entry from the mapping itself, so the
 * answer is always for the login the mapping names now; it answers only an asker whose mapping and file store
 * are its own (a job with its own XDG_CONFIG_HOME has its own logins, even beside the user's daemon).
 */
export type GetRequest = { op: 'get'; serverURL: string; mappingFile: string; secretsFile: string };
export type DaemonRequest = { op: 'status' } | { op: 'refresh'; server?: string } | GetRequest;

const SOURCE = 'daemon request';
const EXPECTED =
  'expected {"op":"status"}, {"op":"refresh","server"?} or {"op":"get","serverURL","mappingFile","secretsFile"}';

export function parseDaemonRequest(line: string): DaemonRequest {
  let parsed: unknown;
  try {
    parsed = parseJson(line);
  } catch {
    throw new UserError(`${SOURCE} is not JSON: ${EXPECTED}`);
  }
  const request = Field.root(SOURCE, parsed);
  const op = request.member('op').oneOf(['status', 'refresh', 'get']);
  if (op === 'status') return { op };
  if (op === 'get') {
    const text = (key: string) => request.member(key).nonEmptyString();
    return { op, serverURL: text('serverURL'), mappingFile: text('mappingFile'), secretsFile: text('secretsFile') };
  }
  const server = request.member('server').optionalString();
  return server === undefined ? { op } : { op, server };
}
