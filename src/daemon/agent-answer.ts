// The daemon's answer to `get` on the agent path, shared by both sides: its bounds, and how the asker reads
// it. Plain JSON and type checks, no schema library: `get` reads it before loading anything else of ours.

/** The agent's secrets: larger ones are never held or believed (a registry secret is a few KiB at most). */
export const MAX_AGENT_SECRET_CHARS = 64 * 1024;
export const MAX_AGENT_USERNAME_CHARS = 1024;
/** The longest agent answer line a client reads: the JSON of the largest username and secret, escaped. */
export const MAX_AGENT_ANSWER_BYTES = 6 * (MAX_AGENT_SECRET_CHARS + MAX_AGENT_USERNAME_CHARS) + 64;

export interface AgentLogin {
  username: string;
  secret: string;
}

/** The daemon's answer to `get`: the login to print, or nothing (the asker works it out itself). */
export type GetAnswer = { answer: AgentLogin | null };

const bounded = (value: unknown, maxChars: number): value is string =>
  typeof value === 'string' && value !== '' && value.length <= maxChars;

/** Whether a login may travel as an agent answer: both sides hold it to the same bounds. */
export const withinAgentBounds = (login: { username: unknown; secret: unknown }): login is AgentLogin =>
  bounded(login.username, MAX_AGENT_USERNAME_CHARS) && bounded(login.secret, MAX_AGENT_SECRET_CHARS);

/** The answer line, believed only as a pair of bounded, non-empty strings; anything else is no answer. */
export function parseGetAnswer(line: string): AgentLogin | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch {
    return null;
  }
  const answer = (parsed as { answer?: unknown } | null)?.answer as Partial<Record<string, unknown>> | null;
  if (typeof answer !== 'object' || answer === null) return null;
  const login = { username: answer.username, secret: answer.secret };
  return withinAgentBounds(login) ? login : null;
}
