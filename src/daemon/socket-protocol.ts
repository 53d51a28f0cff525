// The daemon's API on its unix socket: one JSON request line, one JSON response line.
// Requests are size-limited; the socket lives in the 0700 runtime dir, so only the
// user can reach it.
export const MAX_REQUEST_BYTES = 16 * 1024;

export type DaemonRequest = { op: 'status' } | { op: 'refresh'; server?: string };

export function parseDaemonRequest(line: string): DaemonRequest {
  const parsed = JSON.parse(line) as { op?: unknown; server?: unknown };
  if (parsed.op === 'status') return { op: 'status' };
  if (parsed.op === 'refresh' && (parsed.server === undefined || typeof parsed.server === 'string')) {
    return parsed.server === undefined ? { op: 'refresh' } : { op: 'refresh', server: parsed.server };
  }
  throw new Error('unknown request: expected {"op":"status"} or {"op":"refresh","server"?}');
}
