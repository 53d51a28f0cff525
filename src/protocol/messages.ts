// The wire shapes and exact texts of the docker-credential-helpers protocol.
// Clients match some of these strings literally; do not reword them.
import { UserError } from '../errors.js';

export const ERR_NO_SERVER_URL = 'no credentials server URL';
export const ERR_NO_USERNAME = 'no credentials username';

export interface Credentials {
  ServerURL: string;
  Username: string;
  Secret: string;
}

const STORE_FIELDS = ['ServerURL', 'Username', 'Secret'] as const;

/**
 * A field's value the way Go's encoding/json finds it, which docker-credential-helpers uses: the exact
 * key if present, else the first key that matches ignoring case (`serverurl`, `SERVERURL`).
 */
function fieldOf(record: Record<string, unknown>, field: string): unknown {
  if (Object.hasOwn(record, field)) return record[field];
  const folded = field.toLowerCase();
  const key = Object.keys(record).find((k) => k.toLowerCase() === folded);
  return key === undefined ? undefined : record[key];
}

/** Parses and validates the JSON body of `store`. Unknown fields are ignored, as Go's decoder does. */
export function parseStoreRequest(input: string): Credentials {
  let parsed: unknown;
  try {
    parsed = JSON.parse(input);
  } catch {
    throw new UserError('invalid credentials JSON on stdin: expected {"ServerURL","Username","Secret"}');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new UserError('invalid credentials JSON on stdin: expected an object {"ServerURL","Username","Secret"}');
  }
  const values = new Map<string, string>();
  for (const field of STORE_FIELDS) {
    const value = fieldOf(parsed as Record<string, unknown>, field);
    if (value !== undefined && value !== null && typeof value !== 'string') {
      throw new UserError(`invalid credentials JSON on stdin: ${field} must be a string`);
    }
    values.set(field, value ?? '');
  }
  const credentials = {
    ServerURL: values.get('ServerURL')!.trim(),
    Username: values.get('Username')!,
    Secret: values.get('Secret')!,
  };
  if (credentials.ServerURL === '') throw new UserError(ERR_NO_SERVER_URL);
  if (credentials.Username === '') throw new UserError(ERR_NO_USERNAME);
  return credentials;
}

/** The raw server URL that `get` and `erase` receive (no JSON; surrounding space trimmed). */
export function parseServerURL(input: string): string {
  const serverURL = input.trim();
  if (serverURL === '') throw new UserError(ERR_NO_SERVER_URL);
  return serverURL;
}

export function formatCredentials(credentials: Credentials): string {
  const { ServerURL, Username, Secret } = credentials; // exactly these keys, in this order
  return `${JSON.stringify({ ServerURL, Username, Secret })}\n`;
}
