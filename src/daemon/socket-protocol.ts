// The daemon's API on its unix socket: one JSON request line, one JSON response line.
// Requests are size-limited; the socket lives in the 0700 runtime dir, so only the
// user can reach it, and where the runtime can tell, the daemon checks the peer's uid too.
import { UserError } from '../errors.js';
import { Field, parseJson } from '../validate.js';

export const MAX_REQUEST_BYTES = 16 * 1024;

/** The agent's secrets: larger ones are never held or believed (a registry secret is a few KiB at most). */
export const MAX_AGENT_SECRET_CHARS = 64 * 1024;
export const MAX_AGENT_USERNAME_CHARS = 1024;
/** The longest agent answer line a client reads: the JSON of the largest username and secret, escaped. */
export const MAX_AGENT_ANSWER_BYTES = 6 * (MAX_AGENT_SECRET_CHARS + MAX_AGENT_USERNAME_CHARS) + 64;

/**
 * `get`: the whole answer for a registry, as `get` would print it, when the daemon has it at hand: a static
 * login's secret it holds, or a cached token. The daemon resolves the entry from the mapping itself, so the
 * answer is always for the login the mapping names now.
 */
export type DaemonRequest = { op: 'status' } | { op: 'refresh'; server?: string } | { op: 'get'; serverURL: string };

/** The daemon's answer to `get`: the login to print, or nothing (the asker works it out itself). */
export type GetAnswer = { answer: { username: string; secret: string } | null };

const SOURCE = 'daemon request';
const EXPECTED = 'expected {"op":"status"}, {"op":"refresh","server"?} or {"op":"get","serverURL"}';

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
  if (op === 'get') return { op, serverURL: request.member('serverURL').nonEmptyString() };
  const server = request.member('server').optionalString();
  return server === undefined ? { op } : { op, server };
}

const boundedString = (field: Field, maxChars: number): string => {
  const value = field.nonEmptyString();
  if (value.length > maxChars) throw field.invalid(`is longer than ${maxChars} characters`);
  return value;
};

/** The daemon's answer to `get`, believed only as a pair of bounded strings; anything else is no answer. */
export function parseGetAnswer(line: string): GetAnswer['answer'] {
  try {
    const answer = Field.root('daemon answer', parseJson(line)).member('answer');
    if (answer.absentOrNull) return null;
    const username = boundedString(answer.member('username'), MAX_AGENT_USERNAME_CHARS);
    return { username, secret: boundedString(answer.member('secret'), MAX_AGENT_SECRET_CHARS) };
  } catch {
    return null;
  }
}
