// STS AssumeRole (a profile's role_arn over stored keys) answered with a session already expired, or expiring
// within seconds: refused as STS's answer, naming the clock, before the session is used at ECR (where it would
// read as an expired key). A session of an hour is believed as it is.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { assumeRole } from '../../src/clouds/aws/aws-client.js';
import { ServiceRefusedError } from '../../src/errors.js';

let expiration = '';
let server: Server;
let endpoint: URL;

const answer = () =>
  '<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRoleResult><Credentials>' +
  '<AccessKeyId>ASIAROLESESSION00001</AccessKeyId><SecretAccessKey>role/secret</SecretAccessKey>' +
  `<SessionToken>role-session-token</SessionToken><Expiration>${expiration}</Expiration></Credentials>` +
  '<AssumedRoleUser><Arn>arn:aws:sts::123456789012:assumed-role/pull/s</Arn></AssumedRoleUser>' +
  '</AssumeRoleResult></AssumeRoleResponse>';

test.before(async () => {
  server = createServer((req, res) => {
    req.resume();
    req.on('end', () => res.writeHead(200, { 'Content-Type': 'text/xml' }).end(answer()));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  endpoint = new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
});
test.after(() => new Promise<void>((resolve) => server.close(() => resolve())));

const assume = () =>
  assumeRole(
    { signingName: 'sts', region: 'us-east-1', endpoint, label: `AWS STS at ${endpoint.origin}` },
    { accessKeyId: 'AKIAASSUMEROLE000001', secretAccessKey: 'base/secret' },
    { roleArn: 'arn:aws:iam::123456789012:role/pull', sessionName: 's' },
    { permission: 'sts:AssumeRole', relogin: 'login again' },
  );

for (const [what, offsetMs] of [
  ['an hour ago', -3_600_000],
  ['in two seconds', 2_000],
] as const) {
  test(`a session that expires ${what} is refused as STS's answer, naming the clock`, async () => {
    expiration = new Date(Date.now() + offsetMs).toISOString();
    try {
      await assume();
      assert.unreachable('a dead session was taken');
    } catch (error) {
      assert.instance(error, ServiceRefusedError);
      assert.match(String((error as Error).message), /AWS STS at http:\/\/127\.0\.0\.1:\d+/);
      assert.match(String((error as Error).message), /clock/);
    }
  });
}

test('a session of an hour is believed', async () => {
  expiration = new Date(Date.now() + 3_600_000).toISOString();
  const session = await assume();
  assert.is(session.accessKeyId, 'ASIAROLESESSION00001');
  assert.ok(Math.abs(session.expiresAt - Date.parse(expiration)) < 1000);
});

test.run();
