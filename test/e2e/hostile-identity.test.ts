// Issue 21: every identity source that asks a service, against a hostile one, with the compiled binary: the
// metadata servers (IMDSv2 credentials and session token, GCE, Azure IMDS, IBM VPC), STS AssumeRoleWithWebIdentity,
// the AWS container endpoint, Google STS, Entra and IBM IAM each answer in turn garbage, 10 MB, their real answer
// dripped a byte every 0.3 s, a 307 to another host, their real answer wrong-typed or expired on arrival, HTML, or
// never (test/fixtures/hostile-answers.ts). Every case ends within the deadline lanyard states for that source
// (docs/faults.md), in one line naming the source and a fix, exit non-zero, nothing foreign printed raw, nothing
// stored changed (test/e2e/support/hostile-sources.ts). And a metadata address that is some other web server
// stops `--source auto` in one line for every cloud. The programs sources run: hostile-identity-programs.test.ts.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  deadUrl,
  ECR_HOST,
  html,
  keptLoginProblems,
  loginCases,
  METADATA_DEADLINE_MS,
  refusalProblems,
  sources,
  startHostileWorld,
  stopHostileWorld,
  storedState,
  timed,
} from './support/hostile-sources.js';

test.before(() => startHostileWorld('hostile-identity'));
test.after(() => stopHostileWorld());

test('every service an identity source asks, against every hostile answer: bounded, one line', async () => {
  const { cases, failures } = await loginCases(sources.filter((source) => !source.program));
  assert.ok(cases >= 70, `${cases} cases ran`);
  assert.is(failures.length, 0, `${failures.length} of ${cases} cases broke a promise:\n${failures.join('\n')}`);
});

test('a metadata address that is some other web server: --source auto stops in one line per cloud', async () => {
  const failures: string[] = [];
  const everywhere = {
    AWS_EC2_METADATA_SERVICE_ENDPOINT: html.url,
    GCE_METADATA_HOST: html.url.slice('http://'.length),
    AZURE_POD_IDENTITY_AUTHORITY_HOST: html.url,
    LANYARD_IBM_METADATA_ENDPOINT: html.url,
    AWS_ENDPOINT_URL_ECR: deadUrl,
  };
  const clouds: [string[], RegExp][] = [
    [[ECR_HOST], /EC2 instance metadata service/],
    [['gcp-auto.registry.test', '--kind', 'gcp'], /Google metadata server/],
    [['x.azurecr.io', '--acr-endpoint', deadUrl], /Azure instance metadata service/],
    [['us.icr.io'], /IBM Cloud VPC metadata service/],
  ];
  for (const [args, says] of clouds) {
    const stored = { before: storedState(), now: () => storedState() };
    const [r, ms] = await timed(['login', ...args, '--source', 'auto'], everywhere);
    for (const problem of refusalProblems(r, ms, says, METADATA_DEADLINE_MS, stored))
      failures.push(`auto ${args[0]} (${ms} ms): ${problem}`);
  }
  assert.is(failures.length, 0, failures.join('\n'));
});

test('the login made before every hostile answer is still there', async () => {
  assert.equal(await keptLoginProblems(), []);
});

test.run();
