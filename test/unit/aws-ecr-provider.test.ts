// The aws-ecr kind against the SigV4-verifying AWS stand-in (test/fixtures/aws.ts): hosts → region and
// partition, inference, the exchange for ECR, ECR Public and an assumed role, and every AWS error code
// classified by its code (ThrottlingException comes with HTTP 400), with the secret never in a message.
import type { IssueContext } from '../../src/clouds/provider.js';
import { loadConfig } from '../../src/config.js';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { describeError, isPermanent, ServiceRefusedError, UserError } from '../../src/errors.js';
import { ecrRegistryHost, isEcrHost } from '../../src/clouds/aws/hosts.js';
import type { MappingEntry } from '../../src/mapping/types.js';
import { parseAwsIni } from '../../src/clouds/aws/shared-files.js';
import { inferKind } from '../../src/clouds/infer-kind.js';
import { awsEcrProvider, roleSessionName } from '../../src/clouds/aws/ecr-provider.js';
import * as awsFixture from '../fixtures/aws.js';

const KEY = { accessKeyId: 'AKIAUNITTEST00000001', secretAccessKey: 'unit-secret/access+key0000000000000000000' };
const ROLE = 'arn:aws:iam::210987654321:role/ecr-pull';
const PRIVATE = '123456789012.dkr.ecr.us-west-2.amazonaws.com';

function entry(server: string, options?: Record<string, string>, username = KEY.accessKeyId): MappingEntry {
  return {
    server,
    serverURL: server,
    kind: 'aws-ecr',
    username,
    store: 'env',
    secretRef: 'UNUSED',
    ...(options ? { options } : {}),
    updatedAt: new Date().toISOString(),
  };
}

/** What issue threw, so one test can look at its class, permanence and message. */
async function failure(run: Promise<unknown>): Promise<Error> {
  try {
    await run;
  } catch (error) {
    assert.not.match(describeError(error), KEY.secretAccessKey, 'the secret reached a message');
    return error as Error;
  }
  return assert.unreachable('the exchange succeeded') as never;
}

// ---- hosts and inference --------------------------------------------------------------------------------
const hosts = suite('hosts');

hosts('a registry host gives account, region, FIPS and the partition of its API', () => {
  assert.equal(ecrRegistryHost(PRIVATE), {
    account: '123456789012',
    region: 'us-west-2',
    fips: false,
    apiSuffix: 'amazonaws.com',
  });
  assert.is(ecrRegistryHost('210987654321.dkr.ecr.cn-north-1.amazonaws.com.cn')?.apiSuffix, 'amazonaws.com.cn');
  assert.is(ecrRegistryHost('123456789012.dkr-ecr.us-west-2.on.aws')?.region, 'us-west-2');
  assert.is(ecrRegistryHost('123456789012.dkr.ecr-fips.us-gov-west-1.amazonaws.com')?.fips, true);
  assert.is(ecrRegistryHost('123456789012.dkr.ecr.us-isob-east-1.sc2s.sgov.gov')?.apiSuffix, 'sc2s.sgov.gov');
  assert.is(ecrRegistryHost('*.dkr.ecr.eu-west-1.amazonaws.com')?.region, 'eu-west-1');
  for (const lookalike of [
    `${PRIVATE}.fake.example.com`,
    'x123456789012.dkr.ecr.us-west-2.amazonaws.com',
    '12345.dkr.ecr.us-west-2.amazonaws.com',
    'dkr.ecr.us-west-2.amazonaws.com',
  ]) {
    assert.is(ecrRegistryHost(lookalike), undefined, lookalike);
  }
  assert.ok(isEcrHost('public.ecr.aws') && isEcrHost(`${PRIVATE}:443`) && !isEcrHost('ghcr.io'));
});

hosts('an access key id on an ECR host infers aws-ecr; a pasted token (AWS) and other hosts stay static', () => {
  assert.is(inferKind(PRIVATE, KEY.accessKeyId), 'aws-ecr');
  assert.is(inferKind('public.ecr.aws', KEY.accessKeyId), 'aws-ecr');
  assert.is(inferKind('*.dkr.ecr.us-east-1.amazonaws.com', 'ASIAABCDEFGHIJKLMNOP'), 'aws-ecr');
  assert.is(inferKind(PRIVATE, 'AWS'), 'static');
  assert.is(inferKind(PRIVATE, 'akiaunittest00000001'), 'static', 'lower case is no key id');
  assert.is(inferKind('registry.example.com', KEY.accessKeyId), 'static');
});

hosts('the role session name is lanyard-<host> within STS limits', () => {
  assert.is(roleSessionName(PRIVATE), `lanyard-${PRIVATE}`.slice(0, 64));
  assert.match(roleSessionName('*.dkr.ecr.us-east-1.amazonaws.com:5000'), /^[\w+=,.@-]{2,64}$/);
});

hosts.run();

// ---- the exchange -----------------------------------------------------------------------------------------
const exchange = suite('exchange');
let aws: awsFixture.AwsHandle;
let issueContext: IssueContext;

exchange.before(async () => {
  aws = await awsFixture.start({ keys: [KEY], roles: [ROLE] });
  // The stand-in is reached through the configuration's endpoint overrides, as the binary reads them.
  issueContext = { config: loadConfig(aws.endpointEnv()) };
});
exchange.after(async () => {
  await aws.stop();
});
exchange.before.each(() => {
  aws.faults.reset();
  aws.resetCounts();
  aws.setEcrTokenLifetime(43_200);
});

exchange('ECR: AWS + a password the registry accepts, for the host region, living the 12 h ECR announces', async () => {
  const issued = await awsEcrProvider.issue(entry(PRIVATE), KEY.secretAccessKey, issueContext);
  assert.is(issued.username, 'AWS');
  const check = aws.validateEcrPassword(issued.secret);
  assert.ok(check.ok && check.region === 'us-west-2' && !check.public, JSON.stringify(check));
  assert.ok(Math.abs(issued.expiresAt! - issued.issuedAt - 43_200_000) < 5_000, 'expiresAt (fractional s) read');
  assert.equal(aws.counts.byOperation, { 'ecr:GetAuthorizationToken': 1 });
});

exchange('ECR Public: its own API, always us-east-1', async () => {
  const issued = await awsEcrProvider.issue(entry('public.ecr.aws'), KEY.secretAccessKey, issueContext);
  const check = aws.validateEcrPassword(issued.secret);
  assert.ok(check.ok && check.public && check.region === 'us-east-1', JSON.stringify(check));
});

exchange('a host that names no region takes --region; a pattern across regions takes none', async () => {
  const local = await awsEcrProvider.issue(
    entry('127.0.0.1:5000', { region: 'eu-west-1' }),
    KEY.secretAccessKey,
    issueContext,
  );
  assert.ok(aws.validateEcrPassword(local.secret).ok);
  const noRegion = await failure(awsEcrProvider.issue(entry('127.0.0.1:5000'), KEY.secretAccessKey, issueContext));
  assert.instance(noRegion, UserError);
  assert.match(noRegion.message, '--region');
  const spanning = await failure(
    awsEcrProvider.issue(
      entry('*.dkr.ecr.*.amazonaws.com', { region: 'eu-west-1' }),
      KEY.secretAccessKey,
      issueContext,
    ),
  );
  assert.match(spanning.message, "takes each registry's region from its host");
  const clash = await failure(
    awsEcrProvider.issue(entry(PRIVATE, { region: 'eu-west-1' }), KEY.secretAccessKey, issueContext),
  );
  assert.match(clash.message, 'is in us-west-2');
  const temporary = await failure(awsEcrProvider.issue(entry(PRIVATE, {}, 'ASIAABCDEFGHIJKLMNOP'), 'x', issueContext));
  assert.match(temporary.message, 'temporary key');
  assert.is(aws.counts.total, 1, 'nothing is sent for a login that cannot work');
});

exchange('a pattern across regions is checked (login, doctor) in AWS_REGION within its partition', async () => {
  const regionOf = async (pattern: string, env: Record<string, string>) => {
    const context = { config: loadConfig({ ...aws.endpointEnv(), ...env }) };
    const issued = await awsEcrProvider.issue(entry(pattern), KEY.secretAccessKey, context);
    const check = aws.validateEcrPassword(issued.secret);
    return check.ok ? check.region : 'refused';
  };
  assert.is(await regionOf('*.dkr.ecr.*.amazonaws.com', {}), 'us-east-1');
  assert.is(await regionOf('*.dkr.ecr.*.amazonaws.com', { AWS_REGION: 'eu-west-1' }), 'eu-west-1');
  assert.is(await regionOf('*.dkr.ecr.*.amazonaws.com.cn', { AWS_REGION: 'eu-west-1' }), 'cn-north-1');
  assert.is(await regionOf('*.dkr.ecr.*.amazonaws.com.cn', { AWS_REGION: 'cn-north-1' }), 'cn-north-1');
});

exchange(
  'a role: AssumeRole first, then ECR with the session; the token lives no longer than the session',
  async () => {
    const issued = await awsEcrProvider.issue(entry(PRIVATE, { roleArn: ROLE }), KEY.secretAccessKey, issueContext);
    const check = aws.validateEcrPassword(issued.secret);
    assert.ok(check.ok && check.account === '210987654321' && check.accessKeyId.startsWith('ASIA'));
    assert.ok(Math.abs(issued.expiresAt! - issued.issuedAt - 3600_000) < 5_000, 'bounded by the 1 h session');
    assert.equal(aws.counts.byOperation, { 'sts:AssumeRole': 1, 'ecr:GetAuthorizationToken': 1 });
    const denied = await failure(
      awsEcrProvider.issue(
        entry(PRIVATE, { roleArn: 'arn:aws:iam::210987654321:role/other' }),
        KEY.secretAccessKey,
        issueContext,
      ),
    );
    assert.ok(isPermanent(denied));
    assert.match(denied.message, /AWS STS at .*AccessDenied.*sts:AssumeRole on arn:aws:iam::210987654321:role\/other/);
  },
);

exchange('wrong secret and revoked key are permanent, named by their code, with what to do', async () => {
  const wrong = await failure(awsEcrProvider.issue(entry(PRIVATE), 'not-the-secret', issueContext));
  assert.ok(isPermanent(wrong));
  assert.match(wrong.message, /InvalidSignatureException.*the secret access key does not belong to AKIAUNITTEST/);
  aws.addKey({ accessKeyId: 'AKIAUNITTEST00000002', secretAccessKey: 'second' });
  aws.revokeKey('AKIAUNITTEST00000002');
  const revoked = await failure(
    awsEcrProvider.issue(entry(PRIVATE, {}, 'AKIAUNITTEST00000002'), 'second', issueContext),
  );
  assert.ok(isPermanent(revoked));
  assert.match(revoked.message, /UnrecognizedClientException.*wrong, deleted or deactivated.*login /);
});

exchange('decided by the code, not the status: 400 throttling is transient, 403 access denied permanent', async () => {
  aws.failWith(1, 'ThrottlingException', 'Rate exceeded', 400);
  const throttled = await failure(awsEcrProvider.issue(entry(PRIVATE), KEY.secretAccessKey, issueContext));
  assert.instance(throttled, ServiceRefusedError);
  assert.not.ok(isPermanent(throttled), 'ThrottlingException is retried');
  aws.failWith(1, 'AccessDeniedException', 'User: arn:aws:iam::1:user/x is not authorized', 400);
  const denied = await failure(awsEcrProvider.issue(entry(PRIVATE), KEY.secretAccessKey, issueContext));
  assert.ok(isPermanent(denied));
  assert.match(denied.message, 'ecr:GetAuthorizationToken');
  aws.failWith(1, 'com.amazonaws.ecr#ServerException:http://internal', 'boom', 400);
  assert.not.ok(
    isPermanent(await failure(awsEcrProvider.issue(entry(PRIVATE), KEY.secretAccessKey, issueContext))),
    'prefixed',
  );
  aws.faults.fail(1, 503);
  assert.not.ok(
    isPermanent(await failure(awsEcrProvider.issue(entry(PRIVATE), KEY.secretAccessKey, issueContext))),
    '5xx',
  );
  aws.faults.malformed(1);
  const cut = await failure(awsEcrProvider.issue(entry(PRIVATE), KEY.secretAccessKey, issueContext));
  assert.not.ok(isPermanent(cut));
  assert.match(cut.message, 'not JSON');
});

exchange('an answer that is already dead is refused, not cached', async () => {
  aws.setEcrTokenLifetime(2);
  const dead = await failure(awsEcrProvider.issue(entry(PRIVATE), KEY.secretAccessKey, issueContext));
  assert.match(dead.message, /expiresAt .*cannot be used/);
});

exchange.run();

// ---- --aws-profile ------------------------------------------------------------------------------------------
const profile = suite('profile');

profile("the AWS CLI's INI: sections, `profile ` prefix in the config file, comments and nested settings", () => {
  const config = parseAwsIni(
    `[profile puller]\nrole_arn = ${ROLE}\nsource_profile = default\n# note\ns3 =\n  max_concurrent_requests = 1\n` +
      '[default]\r\nregion=eu-west-1\r\n',
    true,
  );
  assert.equal([...config.keys()], ['puller', 'default']);
  assert.equal(Object.fromEntries(config.get('puller')!), { role_arn: ROLE, source_profile: 'default', s3: '' });
  assert.is(config.get('default')!.get('region'), 'eu-west-1');
  const credentials = parseAwsIni('[profile x]\nAWS_Access_Key_ID = AKIA\n', false);
  assert.equal([...credentials.keys()], ['profile x'], 'the credentials file has no `profile ` prefix');
  assert.is(credentials.get('profile x')!.get('aws_access_key_id'), 'AKIA', 'keys are case-insensitive');
});

profile('a line before any section is refused with its key only: its value may be a secret key', () => {
  const secret = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
  assert.throws(
    () => parseAwsIni(`aws_secret_access_key = ${secret}\n[default]\n`, false, '/x/credentials'),
    (error: Error) =>
      error.message.includes('line 1 comes before any [section] (aws_secret_access_key = …)') &&
      !error.message.includes(secret),
  );
  assert.throws(
    () => parseAwsIni(`${secret}\n`, false, '/x/credentials'),
    (error: Error) => /line 1 comes before any \[section\]: fix/.test(error.message) && !error.message.includes(secret),
  );
});

profile.run();
