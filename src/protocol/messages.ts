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
  const record = parsed as Record<string, unknown>;
  for (const field of ['ServerURL', 'Username', 'Secret'] as const) {
    if (record[field] !== undefined && record[field] !== null && typeof record[field] !== 'string') {
      throw new UserError(`invalid credentials JSON on stdin: ${field} must be a string`);
    }
  }
  const credentials = {
    ServerURL: ((record.ServerURL as string | undefined) ?? '').trim(),
    Username: (record.Username as string | undefined) ?? '',
    Secret: (record.Secret as string | undefined) ?? '',
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
  return `${JSON.stringify({ ServerURL: credentials.ServerURL, Username: credentials.Username, Secret: credentials.Secret })}\n`;
}
