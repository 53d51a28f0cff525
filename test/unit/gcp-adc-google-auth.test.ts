// lanyard against google-auth, the reference: for every ADC case of support/gcp-adc-cases.ts both are pointed at
// the same file and the same loopback stand-ins, and the stand-in must have issued both tokens to the same
// principal (the one the case expects). google-auth is the copy bundled in Debian's google-cloud-cli (Debian's
// python3-google-auth is too old for these types); without it the test is skipped, saying so. Python gets a
// proxy on a dead loopback port for everything but 127.0.0.1, so nothing it might try leaves the machine.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { lanyardToken, type Stage, stage } from './support/gcp-adc-cases.js';

const THIRD_PARTY = '/usr/lib/google-cloud-sdk/lib/third_party';
const DRIVER = join(import.meta.dirname, 'support', 'google-auth-token.py');
const available = existsSync(join(THIRD_PARTY, 'google', 'auth', 'external_account.py'));

/** google-auth's token, from a child process (asynchronous: the stand-ins answer from this process). */
function googleAuthToken(path: string, env: Record<string, string>, dir: string): Promise<string> {
  const options = {
    env: {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: dir,
      HTTPS_PROXY: 'http://127.0.0.1:9',
      HTTP_PROXY: 'http://127.0.0.1:9',
      NO_PROXY: '127.0.0.1',
      ...env,
    },
    timeout: 60_000,
  };
  return new Promise((resolve, reject) => {
    execFile('python3', [DRIVER, path, THIRD_PARTY], options, (error, stdout, stderr) => {
      if (error) return reject(new Error(`google-auth failed for ${path}: ${String(stderr).slice(-800)}`));
      resolve((JSON.parse(String(stdout).trim().split('\n').pop() ?? '{}') as { token: string }).token);
    });
  });
}

const compare = suite('lanyard and google-auth');
let s: Stage;
compare.before(async () => {
  s = await stage();
});
compare.after(() => s.stop());

compare('both get a token for the same principal from every ADC type', async () => {
  if (!available)
    return console.log(`  skipped: no google-auth under ${THIRD_PARTY} (apt-get install google-cloud-cli)`);
  const rows: string[] = [];
  const cases = s.cases();
  for (const adc of cases) {
    const theirs = s.google.validateToken(await googleAuthToken(adc.path, adc.env, s.dir));
    const ours = s.google.validateToken((await lanyardToken(adc.path, adc.env)).issued.secret);
    const principal = (check: typeof ours) => (check.ok ? check.subject : `(no live token: ${JSON.stringify(check)})`);
    rows.push(`| ${adc.name} | ${principal(theirs)} | ${principal(ours)} |`);
    assert.is(principal(theirs), adc.principal, `${adc.name}: google-auth's principal`);
    assert.is(principal(ours), principal(theirs), `${adc.name}: lanyard's principal is google-auth's`);
  }
  console.log(['', '| ADC case | google-auth | lanyard |', '|---|---|---|', ...rows].join('\n'));
  assert.ok(cases.length >= 9, `${cases.length} cases`);
});

compare.run();
