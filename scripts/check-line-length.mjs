#!/usr/bin/env node
// Lines of at most 120 characters in every tracked source, script and document: the formatter
// wraps code, but not strings, comments or prose. Markdown table rows and lines that are one unbroken
// token (a regular expression, a URL, a form body in a code block) are exempt: they cannot wrap.
// Prints each offending line as file:line: length, and exits 1 if there is any.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

const MAX = 120;
const CHECKED = /\.(ts|mts|mjs|js|sh|go|md)$|^scripts\/[^./]+$|^\.ci\/run$/;

const files = execFileSync('git', ['ls-files'], { encoding: 'utf8' })
  .split('\n')
  .filter((file) => CHECKED.test(file));
let offending = 0;
for (const file of files) {
  const lines = readFileSync(file, 'utf8').split('\n');
  lines.forEach((line, index) => {
    const unwrappable = file.endsWith('.md') && (line.startsWith('|') || !/\s/.test(line.trim()));
    if ([...line].length <= MAX || unwrappable) return;
    offending++;
    console.log(`${file}:${index + 1}: ${[...line].length} characters`);
  });
}
if (offending > 0) {
  console.log(`${offending} lines longer than ${MAX} characters`);
  process.exit(1);
}
