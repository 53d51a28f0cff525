// The Azure sources DefaultAzureCredential tries besides workload and managed identity, against their stand-ins:
// azure-env with a client secret and with a certificate (PEM, PKCS#12 with AES or 3DES, an encrypted key), whose
// assertion the Entra stand-in verifies with the certificate's public key; azure-cli through the `az` stand-in
// (test/fixtures/az-cli); `--source auto`'s order; and the ACR exchange found from the registry's /v2/ challenge.
// Bad input of every kind is one line that names the fix, and the secrets are in none of them.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { loadConfig } from '../../src/config.js';
import { type LanyardError, TransportError, UserError, ServiceRefusedError } from '../../src/errors.js';
import { azureEnvironment } from '../../src/clouds/azure/env-credential.js';
import { azureCli } from '../../src/clouds/azure/cli-credential.js';
import { azureAcrProvider } from '../../src/clouds/azure/acr-provider.js';
import { credentialFromAuto } from '../../src/clouds/sources.js';
import type { MappingEntry } from '../../src/mapping/types.js';
import * as azureFixture from '../fixtures/azure.js';
import { startAzureIdentity, type AzureIdentityHandle } from '../fixtures/azure-identity.js';
import { makeTempDir, removeDir } from '../fixtures/support.js';
import { makeClientCertificates } from '../fixtures/azure-certificates.js';
import { failure as oneLineFailure } from './support/failure.js';

const TENANT = '72f988bf-86f1-41af-91ab-2d7cd011db47';
const SECRET_APP = '11111111-0000-4000-8000-00000000c0de';
const CERT_APP = '22222222-0000-4000-8000-00000000ce27';
const CLI_APP = '33333333-0000-4000-8000-0000000000a2';
const SECRET = 'env~secret-6f1d2a9b7c';
const PASSWORD = 'pfx-password-1234';
const AZ_PATH = resolve('test/fixtures/az-cli');

let dir = '';
let idp: AzureIdentityHandle;
const files: Record<string, string> = {};

/** One line matching `pattern`, neither secret in it. */
const failure = <T extends LanyardError>(
  promise: Promise<unknown>,
  type: new (...args: never[]) => T,
  pattern: RegExp,
) => oneLineFailure(promise, type, pattern, [SECRET, PASSWORD]);

const test = suite('azure sources');
test.before(async () => {
  dir = makeTempDir('azure-sources');
  const made = makeClientCertificates(dir, PASSWORD);
  Object.assign(files, made.files);
  idp = await startAzureIdentity({
    clients: [
      { tenant: TENANT, clientId: SECRET_APP, secret: SECRET },
      { tenant: TENANT, clientId: CERT_APP, certificatePem: made.certificatePem },
    ],
    managedIdentity: { clientId: '44444444-0000-4000-8000-00000000m1d0', tenant: TENANT },
  });
  files.azToken = join(dir, 'az-token');
  writeFileSync(files.azToken, idp.issueAccessToken(TENANT, CLI_APP));
});
test.after(async () => {
  await idp?.stop();
  removeDir(dir);
});

const config = (env: Record<string, string>) =>
  loadConfig({ HOME: '/home/nobody-lanyard', PATH: '/usr/bin:/bin', AZURE_AUTHORITY_HOST: idp.url, ...env }, 'linux');
const envOf = (extra: Record<string, string>) => config({ AZURE_TENANT_ID: TENANT, ...extra }).identity.azure;
const appOf = (token: string) => idp.validateToken(token)?.appid;

test('azure-env: a client secret becomes an Entra token for ACR; a wrong one names AADSTS7000215', async () => {
  const found = await azureEnvironment(envOf({ AZURE_CLIENT_ID: SECRET_APP, AZURE_CLIENT_SECRET: SECRET }), {
    authorityHost: idp.url,
  });
  assert.equal([appOf(found.accessToken), found.identity, found.tenant], [SECRET_APP, SECRET_APP, TENANT]);
  const wrong = envOf({ AZURE_CLIENT_ID: SECRET_APP, AZURE_CLIENT_SECRET: 'not-it' });
  const refused = await failure(
    azureEnvironment(wrong, { authorityHost: idp.url }),
    ServiceRefusedError,
    /refused the client secret: AADSTS7000215: Invalid client secret.*AZURE_CLIENT_SECRET is wrong/,
  );
  assert.ok(refused.permanent);
});

test('azure-env: certificates in PEM, encrypted PEM, PKCS#12 (AES, 3DES, no password) sign an assertion', async () => {
  const cases: Array<[string, string | undefined]> = [
    ['both.pem', undefined],
    ['both-enc.pem', PASSWORD],
    ['aes.pfx', PASSWORD],
    ['3des.pfx', PASSWORD],
    ['nopass.pfx', undefined],
  ];
  for (const [name, password] of cases) {
    const azure = envOf({
      AZURE_CLIENT_ID: CERT_APP,
      AZURE_CLIENT_CERTIFICATE_PATH: files[name]!,
      ...(password ? { AZURE_CLIENT_CERTIFICATE_PASSWORD: password } : {}),
    });
    const found = await azureEnvironment(azure, { authorityHost: idp.url });
    assert.is(appOf(found.accessToken), CERT_APP, name);
  }
  const both = { AZURE_CLIENT_ID: CERT_APP, AZURE_CLIENT_SECRET: SECRET, AZURE_CLIENT_CERTIFICATE_PATH: 'x' };
  await failure(azureEnvironment(envOf(both), { authorityHost: idp.url }), ServiceRefusedError, /client secret/);
});

test('azure-env: a file that is no certificate, a wrong password, an unregistered certificate: one line', async () => {
  const withCertificate = (name: string, password?: string) =>
    azureEnvironment(
      envOf({
        AZURE_CLIENT_ID: CERT_APP,
        AZURE_CLIENT_CERTIFICATE_PATH: files[name] ?? join(dir, name),
        ...(password ? { AZURE_CLIENT_CERTIFICATE_PASSWORD: password } : {}),
      }),
      { authorityHost: idp.url },
    );
  await failure(withCertificate('not-a-cert.pem'), UserError, /AZURE_CLIENT_CERTIFICATE_PATH .* neither a PEM/);
  await failure(withCertificate('random.pfx'), UserError, /neither a PEM certificate with its key nor a PKCS#12/);
  await failure(withCertificate('absent.pem'), UserError, /cannot read AZURE_CLIENT_CERTIFICATE_PATH .*no such file/);
  await failure(withCertificate('aes.pfx', 'wrong'), UserError, /AZURE_CLIENT_CERTIFICATE_PASSWORD does not open/);
  await failure(withCertificate('aes.pfx'), UserError, /AZURE_CLIENT_CERTIFICATE_PASSWORD is not set and does not/);
  await failure(withCertificate('both-enc.pem', 'wrong'), UserError, /PASSWORD does not open the private key/);
  const other = await failure(withCertificate('other.pem'), ServiceRefusedError, /AADSTS700027|the app has no such/);
  assert.ok(other.permanent);
  assert.match(other.message, /signature does not verify|x5t/, 'the stand-in checked the assertion');
});

test('azure-cli: the az login, a hanging, babbling, logged-out or missing az: one line each', async () => {
  const cli = (mode: string, path = `${AZ_PATH}:/usr/bin:/bin`) =>
    config({ PATH: path, LANYARD_TEST_AZ_TOKEN_FILE: files.azToken!, LANYARD_TEST_AZ_MODE: mode }).env;
  const found = await azureCli(cli('token'));
  assert.is(appOf(found.accessToken), CLI_APP);
  assert.ok(Math.abs(found.expiresAt - (Date.now() + 3599_000)) < 5000, 'expires_on believed');
  const started = Date.now();
  await failure(azureCli(cli('hang'), { timeoutMs: 400 }), TransportError, /did not finish within 0.4 s/);
  assert.ok(Date.now() - started < 2000, 'the deadline held');
  await failure(azureCli(cli('garbage')), UserError, /printed no token \(WARNING: \\u001b\[31m.*\): run it by hand$/);
  await failure(azureCli(cli('not-logged-in')), UserError, /not logged in: run az login/);
  await failure(azureCli(cli('token', '/nonexistent')), UserError, /\(az\) is not on PATH: install it/);
});

test("--source auto: DefaultAzureCredential's order, one principal", async () => {
  const auto = async (env: Record<string, string>) => {
    const context = { config: config({ AZURE_TENANT_ID: TENANT, ...env }), options: {} };
    const found = await credentialFromAuto('azure', context);
    return [found.name, appOf((found.credential as unknown as { accessToken: string }).accessToken)];
  };
  const imds = { AZURE_POD_IDENTITY_AUTHORITY_HOST: idp.url };
  const secret = { AZURE_CLIENT_ID: SECRET_APP, AZURE_CLIENT_SECRET: SECRET };
  assert.equal(await auto({ ...secret, ...imds }), ['azure-env', SECRET_APP], 'not the managed identity');
  const az = { PATH: `${AZ_PATH}:/usr/bin:/bin`, LANYARD_TEST_AZ_TOKEN_FILE: files.azToken! };
  const closed = { AZURE_POD_IDENTITY_AUTHORITY_HOST: 'http://127.0.0.1:9' };
  assert.equal(await auto({ ...az, ...closed }), ['azure-cli', CLI_APP], 'no IMDS here: the az login');
  await failure(
    credentialFromAuto('azure', { config: config({ ...closed }), options: {} }),
    UserError,
    /no azure identity found here \(azure-env: AZURE_TENANT_ID, AZURE_CLIENT_ID, .*azure-cli: az not on PATH/,
  );
});

// ---- the exchange endpoint from the registry's challenge ---------------------------------------------------
const discovery = suite('acr exchange endpoint');
let acr: azureFixture.AzureHandle;
discovery.before(async () => {
  acr = await azureFixture.start({ clients: [{ tenant: TENANT, clientId: SECRET_APP, clientSecret: SECRET }] });
});
discovery.after(() => acr?.stop());
discovery.before.each(() => {
  acr.resetCounts();
  acr.setRealm(`${acr.url}/oauth2/token`);
});

const registryEntry = (options: Record<string, string> = {}): MappingEntry => ({
  server: new URL(acr.url).host,
  serverURL: new URL(acr.url).host,
  kind: 'azure-acr',
  username: SECRET_APP,
  store: 'env',
  secretRef: 'UNUSED',
  options: { tenant: TENANT, ...options },
  updatedAt: new Date().toISOString(),
});
const issueContext = () => ({ config: loadConfig({ AZURE_AUTHORITY_HOST: acr.authorityUrl }) });

discovery("the exchange is at the realm's origin, found from /v2/; --acr-endpoint skips the question", async () => {
  const issued = await azureAcrProvider.issue(registryEntry(), SECRET, issueContext());
  assert.ok(acr.validateRefreshToken(issued.secret).ok);
  assert.equal(acr.counts.byEndpoint, { v2: 1, entra: 1, exchange: 1 });
  acr.resetCounts();
  await azureAcrProvider.issue(registryEntry({ acrEndpoint: acr.url }), SECRET, issueContext());
  assert.equal(acr.counts.byEndpoint, { entra: 1, exchange: 1 });
});

discovery('a realm on another host, or not HTTPS, is refused before any sign-in', async () => {
  const cases: Array<[string, RegExp]> = [
    [
      'https://login.evil.example/oauth2/token',
      /token realm on another host \("login\.evil\.example"\).*--acr-endpoint/,
    ],
    ['http://registry.example/oauth2/token', /names the token realm "http:.*not an HTTPS URL.*--acr-endpoint/],
    ['::not a url', /not an HTTPS URL/],
  ];
  for (const [realm, pattern] of cases) {
    acr.setRealm(realm);
    acr.resetCounts();
    await failure(azureAcrProvider.issue(registryEntry(), SECRET, issueContext()), UserError, pattern);
    assert.equal(acr.counts.byEndpoint, { v2: 1 }, 'no Entra token was asked for or sent');
  }
});

test.run();
discovery.run();
