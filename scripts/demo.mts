// `npm run demo`: lanyard doing its main job, end to end, on this machine only.
// A real registry (docker-registry, token auth like icr.io) and a stand-in for IBM
// Cloud IAM run on 127.0.0.1; an API key goes into the keychain once; skopeo then
// pushes and pulls through lanyard, and the registry only ever sees a short-lived
// `iambearer` token. Run inside a D-Bus session with a keyring (scripts/demo.sh).
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import * as iamFixture from '../test/fixtures/iam.js';
import * as registryFixture from '../test/fixtures/token-registry.js';
import { makeSandbox, runCommand } from './sandbox.mjs';

const binDir = resolve('dist-bin');
const sandbox = makeSandbox('demo');
const root = sandbox.root;
const env = { ...process.env, PATH: `${binDir}:${process.env.PATH}`, ...sandbox.env };
const say = (text: string) => process.stdout.write(`\n\x1b[1m== ${text}\x1b[0m\n`);
async function execute(command: string, args: string[], input = ''): Promise<string> {
  const r = await runCommand(command, args, env, input);
  const output = r.stdout + r.stderr;
  if (r.code !== 0) throw new Error(`${command} ${args[0]} failed:\n${output}`);
  return output;
}
const lanyard = (args: string[], input = '') => execute('docker-credential-lanyard', args, input);

const apiKey = `demo-key-${Math.random().toString(36).slice(2)}`;
const iam = await iamFixture.start({ apikeys: [apiKey] });
const registry = await registryFixture.start({ iam });
try {
  say(`registry with token auth at ${registry.host}; IAM stand-in at ${iam.url}`);
  say('docker-credential-lanyard login (the API key goes to the OS keychain, once)');
  process.stdout.write(
    await lanyard(['login', registry.host, '-u', 'iamapikey', '--iam-endpoint', iam.url, '--password-stdin'], apiKey),
  );
  const authFile = join(root, 'auth.json');
  writeFileSync(authFile, JSON.stringify({ credHelpers: { [registry.host]: 'lanyard' } }), { mode: 0o600 });
  say(`skopeo push and pull, with credHelpers {"${registry.host}": "lanyard"} and no password anywhere`);
  mkdirSync(join(root, 'image'));
  const image = await registryFixture.buildTinyImage(join(root, 'image'));
  const skopeo = (args: string[]) => execute('skopeo', ['--insecure-policy', 'copy', '--authfile', authFile, ...args]);
  await skopeo(['--dest-tls-verify=false', image, `docker://${registry.host}/team/app:1.0`]);
  for (let i = 0; i < 3; i += 1)
    await skopeo([
      '--src-tls-verify=false',
      `docker://${registry.host}/team/app:1.0`,
      `oci:${join(root, `pulled-${i}`)}:app`,
    ]);
  process.stdout.write('pushed once, pulled three times\n');
  say('what `get` hands the clients: a short-lived IAM token as iambearer, not the key');
  const answer = JSON.parse(await lanyard(['get'], registry.host)) as { Username: string; Secret: string };
  process.stdout.write(
    `Username: ${answer.Username}\n` +
      `Secret:   ${answer.Secret.slice(0, 24)}… (${answer.Secret.length} chars, an IAM access token)\n`,
  );
  say('docker-credential-lanyard ls');
  process.stdout.write(await lanyard(['ls']));
  say('who asked whom');
  process.stdout.write(`IAM token exchanges: ${iam.counts.issued} (for 4 skopeo runs and a get)\n`);
  process.stdout.write(`registry logins by username: ${JSON.stringify(registry.counts.byUsername)}\n`);
  if (answer.Username !== 'iambearer' || iam.counts.issued !== 1) throw new Error('demo did not behave as described');
} finally {
  await registry.stop();
  await iam.stop();
  rmSync(root, { recursive: true, force: true });
}
