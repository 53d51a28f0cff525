// A command line split into words the way botocore splits credential_process (compat_shell_split, i.e. Python's
// shlex.split in POSIX mode), so the same line runs the same program with the same arguments, and no shell ever
// sees it: whitespace separates words; '…' is literal; in "…" a backslash escapes only `"` and `\`; outside
// quotes a backslash escapes the next character.

export class ShellWordsError extends Error {}

export function shellWords(line: string): string[] {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  let quote: string | undefined;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quote === "'") {
      if (c === "'") quote = undefined;
      else word += c;
    } else if (quote === '"') {
      if (c === '"') quote = undefined;
      else if (c === '\\' && (line[i + 1] === '"' || line[i + 1] === '\\')) word += line[++i];
      else word += c;
    } else if (c === "'" || c === '"') {
      quote = c;
      inWord = true;
    } else if (c === '\\') {
      if (i + 1 >= line.length) throw new ShellWordsError('a backslash ends the line');
      word += line[++i];
      inWord = true;
    } else if (/[ \t\r\n]/.test(c)) {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
    } else {
      word += c;
      inWord = true;
    }
  }
  if (quote) throw new ShellWordsError(`a ${quote} quote is not closed`);
  if (inWord) words.push(word);
  return words;
}
