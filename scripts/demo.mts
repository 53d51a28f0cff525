// `npm run demo`: lanyard doing its main job, end to end, on this machine only.
// A real registry (docker-registry, token auth like icr.io) and a stand-in for IBM
// Cloud IAM run on 127.0.0.1; an API key goes into the keychain once; skopeo then
// pushes and pulls through lanyard, and the registry only ever sees a short-lived
// `iambearer` token. Run inside a D-Bus session with a keyring (scripts/demo.sh).
import { spawn } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import * as iamFixture from '../test/fixtures/iam.js';
import * as registryFixture from '../test/fixtures/token-registry.js';

const binDir = resolve('dist-bin');
const root = mkdtempSync(join(tmpdir(), 'lanyard-demo-'));
const env = {
  ...process.env,
  PATH: `${binDir}:${process.env.PATH}`,
  HOME: join(root, 'home'),
  XDG_CONFIG_HOME: join(root, 'config'),
  XDG_DATA_HOME: join(root, 'data'),
  XDG_STATE_HOME: join(root, 'state'),
  XDG_CACHE_HOME: join(root, 'cache'),
  XDG_RUNTIME_DIR: join(root, 'run'),
};
mkdirSync(env.XDG_RUNTIME_DIR, { mode: 0o700 });
const say = (text: string) => process.stdout.write(`\n\x1b[1m== ${text}\x1b[0m\n`);
// Asynchronous on purpose: the stand-ins answer from this very process.
function execute(command: string, args: string[], input = ''): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env, stdio: ['pipe', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk) => {
      output += chunk;
    });
    child.stderr.on('data', (chunk) => {
      output += chunk;
    });
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0 ? resolve(output) : reject(new Error(`${command} ${args[0]} failed:\n${output}`)),
    );
    child.stdin.end(input);
  });
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
