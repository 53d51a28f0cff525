// The Windows lane: the windows-x64 release exe under Wine, through the protocol verbs on both stores —
// Credential Manager (Wine's advapi32 Cred* functions, through the keyring addon the exe embeds) and the file
// store — plus login, ls and doctor. One prefix and one wineserver serve every case (Wine starts slowly).
// Skips only when wine is absent; CI installs it (scripts/install-deps.sh).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { generateKeyPair } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe } from './support/run.js';
import { startWinePrefix, windowsExe, wineMissing, type WinePrefix } from './support/wine.js';

const missing = wineMissing();
const NOT_FOUND = 'credentials not found in native keychain';

let work = '';
let exe = '';
let wine: WinePrefix | undefined;
const keys: Record<'small' | 'large', string> = { small: '', large: '' };
const started = Date.now();

/** A Google service-account key file as `gcloud iam service-accounts keys create` writes it. */
async function googleKey(bits: number): Promise<string> {
  const { privateKey } = await promisify(generateKeyPair)('rsa', {
    modulusLength: bits,
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
    publicKeyEncoding: { type: 'spki', format: 'pem' },
  });
  const email = 'ci-pusher@lanyard-ci.iam.gserviceaccount.com';
  const key = {
    type: 'service_account',
    project_id: 'lanyard-ci',
    private_key_id: '3f1c0a9e8b7d6c5b4a39281706f5e4d3c2b1a090',
    private_key: privateKey,
    client_email: email,
    client_id: '104758392017465839201',
    auth_uri: 'https://accounts.google.com/o/oauth2/auth',
    token_uri: 'https://oauth2.googleapis.com/token',
    auth_provider_x509_cert_url: 'https://www.googleapis.com/oauth2/v1/certs',
    client_x509_cert_url: `https://www.googleapis.com/robot/v1/metadata/x509/${encodeURIComponent(email)}`,
    universe_domain: 'googleapis.com',
  };
  return `${JSON.stringify(key, null, 2)}\n`;
}

test.before(async () => {
  if (missing) return;
  work = mkdtempSync(join(tmpdir(), 'lanyard-wine-'));
  const keysMade = Promise.all([googleKey(2048), googleKey(5632)]);
  [exe, wine] = await Promise.all([windowsExe(work), startWinePrefix(join(work, 'wine'))]);
  [keys.small, keys.large] = await keysMade;
  console.log(`wine lane: exe and prefix ready after ${((Date.now() - started) / 1000).toFixed(1)} s`);
});

test.after(async () => {
  await wine?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
  if (!missing) console.log(`wine lane: ${((Date.now() - started) / 1000).toFixed(1)} s in all`);
});

const lanyard = (args: string[], stdin?: string, env?: NodeJS.ProcessEnv) => wine!.run(exe, args, { stdin, env });

const STORES = [
  { name: 'Credential Manager', env: {}, label: 'keychain' },
  { name: 'file store', env: { LANYARD_STORE: 'file' }, label: 'file' },
] as const;

/** The exe's file store, seen from Linux. */
const secretsFile = () =>
  wine!.driveC('users', userInfo().username, 'AppData', 'Local', 'lanyard', 'Data', 'secrets.json');

for (const store of STORES) {
  const host = (name: string) => `${name}.${store.label}.example`;
  const verb = async (name: string, stdin: string) => {
    const result = await lanyard([name], stdin, store.env);
    return { ...result, stdout: result.stdout.trim() };
  };
  const storeOk = async (server: string, username: string, secret: string) => {
    const result = await verb('store', JSON.stringify({ ServerURL: server, Username: username, Secret: secret }));
    assert.is(result.code, 0, `store ${server}: ${describe(result)}`);
  };
  const getAnswer = async (server: string) => {
    const result = await verb('get', server);
    assert.is(result.code, 0, `get ${server}: ${describe(result)}`);
    return JSON.parse(result.stdout) as { Username: string; Secret: string };
  };

  (missing ? test.skip : test)(`${store.name}: store, get, overwrite and UTF-8 round trips`, async () => {
    await storeOk(host('plain'), 'bob', 'first-s3cret');
    assert.equal(await getAnswer(host('plain')), { ServerURL: host('plain'), Username: 'bob', Secret: 'first-s3cret' });
    await storeOk(host('plain'), 'bob2', 'second-s3cret');
    assert.equal(await getAnswer(host('plain')), {
      ServerURL: host('plain'),
      Username: 'bob2',
      Secret: 'second-s3cret',
    });
    const utf8 = 'pässwörd-ключ-密码-🔑';
    await storeOk(host('utf8'), 'zoë', utf8);
    const answer = await getAnswer(host('utf8'));
    assert.is(answer.Secret, utf8);
    assert.is(answer.Username, 'zoë');
  });

  (missing ? test.skip : test)(`${store.name}: a 2.3 KB and a 5 KB Google service-account key`, async () => {
    assert.ok(keys.small.length > 2300 && keys.small.length < 2560, `small key is ${keys.small.length} bytes`);
    assert.ok(keys.large.length > 5000, `large key is ${keys.large.length} bytes`);
    for (const [name, key] of Object.entries(keys)) {
      await storeOk(host(`gcr-${name}`), '_json_key', key);
      assert.is((await getAnswer(host(`gcr-${name}`))).Secret, key, `${name} key`);
    }
    // Overwriting a split secret with another leaves the newer one.
    await storeOk(host('gcr-small'), '_json_key', keys.large);
    assert.is((await getAnswer(host('gcr-small'))).Secret, keys.large);
  });

  (missing ? test.skip : test)(`${store.name}: list, then erase of present and missing entries`, async () => {
    await storeOk(host('gone'), 'eve', 'erase-me-secret');
    const listed = await verb('list', '');
    assert.is(listed.code, 0, describe(listed));
    const servers = JSON.parse(listed.stdout) as Record<string, string>;
    assert.is(servers[host('gone')], 'eve');
    assert.is(servers[host('plain')], 'bob2');

    const erased = await verb('erase', host('gone'));
    assert.is(erased.code, 0, describe(erased));
    const after = await verb('get', host('gone'));
    assert.is(after.stdout, NOT_FOUND);
    assert.is(after.code, 1);
    if (store.label === 'file') assert.not.match(readFileSync(secretsFile(), 'utf8'), 'erase-me-secret');

    const missingErase = await verb('erase', host('never-stored'));
    assert.is(missingErase.code, 0, describe(missingErase));
    assert.is(missingErase.stdout, '');
    assert.not.ok(JSON.parse((await verb('list', '')).stdout)[host('gone')]);
  });
}

(missing ? test.skip : test)('the file store on Windows: usable again and again, no POSIX mode complaint', async () => {
  // Windows reports mode 0666 for every writable file; the profile's ACL protects it, not mode bits.
  assert.ok(existsSync(secretsFile()), 'the file store cases wrote the secrets file');
  for (let round = 0; round < 2; round++) {
    const result = await lanyard(['get'], 'plain.file.example', { LANYARD_STORE: 'file' });
    assert.is(result.code, 0, describe(result));
    assert.not.match(result.stdout + result.stderr, /readable by others|chmod/);
  }
});

(missing ? test.skip : test)('the keyring addon is copied once into a private per-user folder, by hash', async () => {
  const addons = wine!.driveC('users', userInfo().username, 'AppData', 'Local', 'lanyard', 'Data', 'addons');
  const copies = readdirSync(addons);
  assert.is(copies.length, 1, copies.join(', '));
  assert.match(copies[0], /^keyring-[0-9a-f]{32}\.node$/);
});

(missing ? test.skip : test)('login, ls and doctor', async () => {
  const login = await lanyard(['login', 'login.example', '-u', 'ann', '--password-stdin'], 'login-s3cret\n');
  assert.is(login.code, 0, describe(login));
  assert.match(login.stderr, /Stored static login for login\.example \(user ann\) in the keychain store/);
  const answer = await lanyard(['get'], 'login.example');
  assert.equal(JSON.parse(answer.stdout), { ServerURL: 'login.example', Username: 'ann', Secret: 'login-s3cret' });

  const ls = await lanyard(['ls']);
  assert.is(ls.code, 0, describe(ls));
  assert.match(ls.stdout, /login\.example\s+static\s+ann\s+keychain/);
  assert.match(ls.stdout, /plain\.file\.example\s+static\s+bob2\s+file/);
  assert.match(ls.stdout, /refresher: off \(the lanyard daemon does not run on Windows yet/);

  // Static logins only: doctor's per-entry checks read the secrets and send nothing.
  const doctor = await lanyard(['doctor']);
  const output = doctor.stdout + doctor.stderr;
  assert.match(output, /ok {4}the OS keychain answers and is unlocked/);
  assert.match(output, /ok {4}\S+secrets\.json \(your profile's ACL\)/);
  assert.match(output, /ok {4}login\.example: secret readable from the keychain store/);
  assert.match(output, /ok {4}plain\.file\.example: secret readable from the file store/);
  assert.match(output, /ok {4}the lanyard daemon does not run on Windows yet/);
  assert.match(output, /fix: copy .* as docker-credential-lanyard\.exe into a folder on PATH/);
  assert.not.match(output, /npm|Cannot find native binding|internal error/);

  const daemon = await lanyard(['daemon']);
  assert.is(daemon.code, 1);
  assert.match(daemon.stderr, /^docker-credential-lanyard: the lanyard daemon does not run on Windows yet/);
});

if (missing) console.log(`windows-wine: skipped: ${missing}`);
test.run();
