// Text lanyard did not write (a service's error message, a Kubernetes Status, a
// transport error naming a certificate) reaches terminals, the log and the token
// cache. Every such string goes through foreignText first: known secrets and
// secret-shaped strings masked, control characters escaped (one line, no forged log
// lines, no terminal escapes) and its length bounded. The registry of known secrets
// lives here, so that every way out redacts the same values.

const knownSecrets = new Set<string>();
const SECRET_PATTERNS = [/eyJ[\w-]{4,}\.[\w-]{4,}\.[\w-]*/g, /dckr_(?:pat|oat)_[\w-]+/g, /sha256~[\w-]{20,}/g];

/** A value never to be written, whatever line it turns up in; also as a service may echo it (URL- or JSON-escaped). */
export function registerSecret(value: string | undefined): void {
  if (!value || value.length < 4) return;
  for (const form of [value, urlEncoded(value), JSON.stringify(value).slice(1, -1)]) knownSecrets.add(form);
}

/** A value as a URL or form carries it; a lone surrogate cannot be URL-encoded, so nothing can echo it that way. */
function urlEncoded(value: string): string {
  try {
    return encodeURIComponent(value);
  } catch {
    return value;
  }
}

function redact(text: string): string {
  let result = text;
  // Longest first: a secret's escaped form may contain the plain one.
  for (const secret of [...knownSecrets].sort((a, b) => b.length - a.length)) {
    result = result.split(secret).join('[redacted]');
  }
  for (const pattern of SECRET_PATTERNS) result = result.replace(pattern, '[redacted]');
  return result;
}

// C0 and C1 controls, DEL, Unicode line/paragraph separators and bidirectional overrides.
const UNSAFE_CHARACTERS = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;
const NAMED_ESCAPES: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

function escapeControls(text: string): string {
  const escapeOne = (c: string) => NAMED_ESCAPES[c] ?? `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;
  return text.replace(UNSAFE_CHARACTERS, escapeOne);
}

/** Enough for any real error text from a service; one that sends more is cut short. */
const FOREIGN_TEXT_MAX_CHARS = 300;
/** A whole message of ours with a foreign part in it: room for the fix hints at the end. */
export const MESSAGE_MAX_CHARS = 1000;

/** `text` made safe for any output, file or log: redacted, one line, at most `maxChars` (plus a note of the cut). */
export function foreignText(text: string, maxChars = FOREIGN_TEXT_MAX_CHARS): string {
  // Redact before cutting: a cut through a secret would leave its first part unmasked.
  const safe = escapeControls(redact(text));
  if (safe.length <= maxChars) return safe;
  const cut = safe.slice(0, /[\ud800-\udbff]/.test(safe[maxChars - 1] ?? '') ? maxChars - 1 : maxChars);
  return `${cut}… (${safe.length - cut.length} more characters)`;
}

/** A name someone else gave (a server URL, a key, an image), quoted for a message: escaped, and cut at `maxChars`. */
export function quoted(text: string, maxChars = 100): string {
  return escapeControls(JSON.stringify(text.length > maxChars ? `${text.slice(0, maxChars)}…` : text));
}

/** The start of a body that is not the expected JSON (e.g. a gateway's HTML page), as one short line. */
export function bodyExcerpt(body: string): string {
  return foreignText(body.slice(0, 120).replace(/\s+/g, ' ').trim(), 120) || 'no details';
}
