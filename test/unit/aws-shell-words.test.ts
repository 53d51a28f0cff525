// credential_process lines are split as botocore splits them (Python's shlex.split, POSIX mode): each line below
// is split by shell-words.ts and by python3's shlex, and the words must be the same; a line shlex refuses is
// refused too.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { shellWords, ShellWordsError } from '../../src/clouds/aws/shell-words.js';

const LINES = [
  '/usr/bin/get-keys --profile ci',
  '  spaced\targs\r\nacross lines  ',
  `/bin/sh "/path with space/creds.sh" 'single $HOME quoted'`,
  String.raw`"a \" quote" "back\\slash" "keep \n escape" "\$dollar"`,
  String.raw`outside\ space and\'quote \\ end`,
  `mixed"dq"'sq'plain`,
  `empty '' "" words`,
  'tool --json={"a":1}',
  `unicode ümlaut "日本"`,
];
const BAD = [`"unclosed`, `'unclosed`, 'trailing\\'];

const SPLIT_ALL = `
import json, shlex, sys
def split(line):
    try:
        return shlex.split(line)
    except ValueError:
        return "error"
print(json.dumps([split(line) for line in json.loads(sys.argv[1])]))
`;

/** What shlex.split gives for each line ("error" where it refuses), asked in one python3 run. */
function shlex(lines: string[]): Array<string[] | 'error'> {
  const r = spawnSync('/usr/bin/python3', ['-c', SPLIT_ALL, JSON.stringify(lines)], { encoding: 'utf8' });
  assert.is(r.status, 0, r.stderr);
  return JSON.parse(r.stdout);
}

test('the words are those shlex.split gives', () => {
  const expected = shlex(LINES);
  for (const [index, line] of LINES.entries()) assert.equal(shellWords(line), expected[index], JSON.stringify(line));
});

test('a line shlex refuses is refused', () => {
  assert.equal(
    shlex(BAD),
    BAD.map(() => 'error'),
  );
  for (const line of BAD) {
    assert.throws(
      () => shellWords(line),
      (error: unknown) => error instanceof ShellWordsError,
    );
  }
});

test.run();
