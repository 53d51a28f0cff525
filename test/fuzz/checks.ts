// The invariants every fuzz input is checked against, shared by the in-process and the
// process layer. They state the intended behaviour (docs/CONTRACT.md, docs/host-names.md,
// DESIGN "Rules that hold everywhere"), not what today's code happens to do.

/** A message for people is one short line: longer ones are a dump of someone's input. */
export const MAX_MESSAGE_CHARS = 1024;
/**
 * The longest wait lanyard states for any fuzzed run (docs/faults.md): a store's lock (20 s) outlasts the inline
 * exchange budget (12 s) and the keychain's deadline (5 s). Each run is held to it on its own, not the batch.
 */
export const STATED_DEADLINE_MS = 20_000;
/** What starting the binary may add on a 2-core machine loaded by the other runs and other work. */
export const START_SLACK_MS = 5_000;
/** A process that has not answered by then counts as hung (issue 8): past the stated deadline, not just slow. */
export const HANG_MS = STATED_DEADLINE_MS + START_SLACK_MS;
/** A run slower than this is counted (and the slowest reported), so a creeping slowdown shows in the figures. */
export const SLOW_MS = 5_000;
/** Every generated secret carries this marker, so a leak is a substring search anywhere. */
export const SECRET_MARKER = 'FZSECRET';

/** C0 and C1 controls, DEL, and the Unicode line/paragraph separators: each can break or forge a line. */
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;

/** What is wrong with `text` as a one-line message (empty when nothing is). */
export function messageProblems(text: string): string[] {
  const problems: string[] = [];
  if (text.trim() === '') problems.push('empty message');
  if (text.length > MAX_MESSAGE_CHARS) problems.push(`message of ${text.length} chars (limit ${MAX_MESSAGE_CHARS})`);
  const control = CONTROL.exec(text);
  if (control)
    problems.push(`control character U+${control[0].charCodeAt(0).toString(16).padStart(4, '0')} in message`);
  if (/internal error/i.test(text)) problems.push('"internal error" in message');
  return problems;
}

/** A message problem without its numbers and code points: one class for every control character, every length. */
export const problemClass = (problem: string) => problem.replace(/U\+[0-9a-f]{4}/g, 'U+XXXX').replace(/\d+/g, 'N');

/** The first secret of `secrets` (at least 4 chars long) that occurs in `text`. */
export function leakedSecret(text: string, secrets: Iterable<string>): string | undefined {
  for (const secret of secrets) if (secret.length >= 4 && text.includes(secret)) return secret;
  return undefined;
}

/** JSON with everything outside printable ASCII escaped: a reproducer must show invisible characters. */
export function show(value: unknown): string {
  return (JSON.stringify(value) ?? String(value)).replace(
    /[^\x20-\x7e]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}
