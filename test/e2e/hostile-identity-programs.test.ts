// Issue 21, continued from hostile-identity.test.ts: the programs identity sources run (an AWS profile's
// credential_process, a Google executable credential source, the Azure CLI) print garbage, 10 MB, their answer a
// byte every 0.3 s, wrong-typed or expired JSON, HTML, or never finish (test/fixtures/identity-command/, az-cli/):
// each is stopped at its deadline or cap, in one line naming the program and a fix, nothing stored changed. And a
// source login's `get` against a hostile metadata service answers one line on stdout, nothing on stderr, loses
// nothing: once the service heals, `refresh HOST` ends the hold and `get` answers again.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import {
  FAULTS,
  forgetCachedToken,
  inParallel,
  keptLoginProblems,
  loginCases,
  refusalProblems,
  sb,
  sources,
  startHostileWorld,
  stopHostileWorld,
  timed,
} from './support/hostile-sources.js';
import { describe } from './support/run.js';

/** The mapping's entry for `server`, as stored. */
function mappingEntry(server: string): unknown {
  const mapping = JSON.parse(readFileSync(sb.mappingFile, 'utf8')) as { entries: { server: string }[] };
  return mapping.entries.find((entry) => entry.server === server);
}

test.before(() => startHostileWorld('hostile-programs'));
test.after(() => stopHostileWorld());

test('every program an identity source runs, misbehaving every way: stopped in time, one line', async () => {
  const { cases, failures } = await loginCases(sources.filter((source) => source.program));
  assert.ok(cases >= 18, `${cases} cases ran`);
  assert.is(failures.length, 0, `${failures.length} of ${cases} cases broke a promise:\n${failures.join('\n')}`);
});

test('get for a source login: a hostile service is one line on stdout; healed and refreshed, get answers', async () => {
  const failures: string[] = [];
  const labels = ['gcp-metadata (GCE metadata server)', 'ibm-vpc-instance (VPC metadata service)'];
  await inParallel(labels, labels.length, async (label) => {
    const source = sources.find((s) => s.label === label)!;
    const host = source.args[0]!;
    const env = source.env;
    const [login] = await timed(['login', ...source.args], env);
    assert.is(login.code, 0, `${label}: ${describe(login)}`);
    // The other source's login runs beside this one: what must not change is this login's entry.
    const entry = () => JSON.stringify(mappingEntry(host));
    assert.ok(mappingEntry(host), `${label}: the login made an entry`);
    for (const fault of FAULTS) {
      forgetCachedToken(host); // so that `get` asks the source
      const stored = { before: entry(), now: entry };
      source.turn(fault);
      const [r, ms] = await timed(['get'], env, host);
      source.heal();
      for (const problem of refusalProblems(r, ms, source.says, source.deadlineMs, stored))
        failures.push(`${label} / get / ${fault} (${ms} ms): ${problem}`);
      if (r.stderr.trim()) failures.push(`${label} / get / ${fault}: stderr ${JSON.stringify(r.stderr)}`);
      // A hold the failure left (at most 60 s) ends with `refresh`, which asks the healed service at once.
      const [refreshed] = await timed(['refresh', host], env);
      const [healed] = await timed(['get'], env, host);
      if (refreshed.code !== 0 || healed.code !== 0)
        failures.push(`${label} / refresh and get after ${fault}: ${describe(refreshed)} ${describe(healed)}`);
    }
  });
  assert.is(failures.length, 0, failures.join('\n'));
});

test('the login made before every hostile answer is still there', async () => {
  assert.equal(await keptLoginProblems(), []);
});

test.run();
