// The daemon's API on its unix socket: one JSON request line, one JSON response line.
// Requests are size-limited; the socket lives in the 0700 runtime dir, so only the
// user can reach it, and where the runtime can tell, the daemon checks the peer's uid too.
import { UserError } from '../errors.js';
import { isSourceEntry, type MappingEntry, type StoredEntry } from '../mapping/types.js';
import { KIND_TRAITS } from '../providers/kinds.js';
import { Field, parseJson } from '../validate.js';

export const MAX_REQUEST_BYTES = 16 * 1024;

/** The agent's secrets: larger ones are never held or believed (a registry secret is a few KiB at most). */
export const MAX_AGENT_SECRET_CHARS = 64 * 1024;
export const MAX_AGENT_USERNAME_CHARS = 1024;
/** The longest agent answer line a client reads: the JSON of the largest username and secret, escaped. */
export const MAX_AGENT_ANSWER_BYTES = 6 * (MAX_AGENT_SECRET_CHARS + MAX_AGENT_USERNAME_CHARS) + 64;

/**
 * `secret`: the static secret of the entry with this server key, if the daemon's mapping has that entry with
 * this fingerprint (tokens/fingerprint.ts): the asker read the same login, so the answer is never another one's.
 */
export type DaemonRequest =
  | { op: 'status' }
  | { op: 'refresh'; server?: string }
  | { op: 'secret'; server: string; fingerprint: string };

/**
 * Which entries the agent serves: kinds that exchange nothing (their stored secret is the answer), from a store
 * the daemon reads as the asker would: not `env`, whose value is in the asker's environment.
 */
/** Static logins kept in a store the daemon can read (an env-store value lives in the asker's environment). */
export const agentServes = (entry: MappingEntry): entry is StoredEntry =>
  !isSourceEntry(entry) && !KIND_TRAITS[entry.kind].exchanges && entry.store !== 'env';

/** The daemon's answer to `secret`: the login it holds, or nothing (the asker reads the store). */
export type AgentAnswer = { held: { username: string; secret: string } | null };

const SOURCE = 'daemon request';
const EXPECTED = 'expected {"op":"status"}, {"op":"refresh","server"?} or {"op":"secret","server","fingerprint"}';
const FINGERPRINT = /^[0-9a-f]{32}$/;

export function parseDaemonRequest(line: string): DaemonRequest {
  let parsed: unknown;
  try {
    parsed = parseJson(line);
  } catch {
    throw new UserError(`${SOURCE} is not JSON: ${EXPECTED}`);
  }
  const request = Field.root(SOURCE, parsed);
  const op = request.member('op').oneOf(['status', 'refresh', 'secret']);
  if (op === 'status') return { op };
  if (op === 'secret') {
    const fingerprint = request.member('fingerprint');
    const value = fingerprint.string();
    if (!FINGERPRINT.test(value)) throw fingerprint.invalid('is not 32 lowercase hex digits');
    return { op, server: request.member('server').nonEmptyString(), fingerprint: value };
  }
  const server = request.member('server').optionalString();
  return server === undefined ? { op } : { op, server };
}

const boundedString = (field: Field, maxChars: number): string => {
  const value = field.nonEmptyString();
  if (value.length > maxChars) throw field.invalid(`is longer than ${maxChars} characters`);
  return value;
};

/**
 * The daemon's answer to `secret`, believed only as a pair of bounded strings; anything else is no answer.
 * (Whether the username is the entry's is the asker's check: only it knows which entry it read.)
 */
export function parseAgentAnswer(line: string): AgentAnswer['held'] {
  try {
    const held = Field.root('daemon answer', parseJson(line)).member('held');
    if (held.absentOrNull) return null;
    const username = boundedString(held.member('username'), MAX_AGENT_USERNAME_CHARS);
    return { username, secret: boundedString(held.member('secret'), MAX_AGENT_SECRET_CHARS) };
  } catch {
    return null;
  }
}
