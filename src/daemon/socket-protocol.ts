// The daemon's API on its unix socket: one JSON request line, one JSON response line.
// Requests are size-limited; the socket lives in the 0700 runtime dir, so only the
// user can reach it.
import { UserError } from '../errors.js';
import { Field, parseJson } from '../validate.js';

export const MAX_REQUEST_BYTES = 16 * 1024;

export type DaemonRequest = { op: 'status' } | { op: 'refresh'; server?: string };

const SOURCE = 'daemon request';
const EXPECTED = 'expected {"op":"status"} or {"op":"refresh","server"?}';

export function parseDaemonRequest(line: string): DaemonRequest {
  let parsed: unknown;
  try {
    parsed = parseJson(line);
  } catch {
    throw new UserError(`${SOURCE} is not JSON: ${EXPECTED}`);
  }
  const request = Field.root(SOURCE, parsed);
  const op = request.member('op').oneOf(['status', 'refresh']);
  if (op === 'status') return { op };
  const server = request.member('server').optionalString();
  return server === undefined ? { op } : { op, server };
}
