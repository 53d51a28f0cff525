// lanyard's `--source auto` for Azure against azure-identity's DefaultAzureCredential (Debian's python3-azure),
// environment by environment: each side's token is checked by the Entra stand-in, which says for which app it
// issued it and how (secret, certificate, federated token, managed identity, az). MSAL insists on an HTTPS
// authority, so Python asks a TLS twin of the stand-in (same apps, same identities) and lanyard the plain one;
// Python's proxies point at a closed loopback port, so nothing it tries can leave the machine.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { execFile, spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { promisify } from 'node:util';
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { loadConfig } from '../../src/config.js';
import { credentialFromAuto } from '../../src/clouds/sources.js';
import { makeClientCertificates } from '../fixtures/azure-certificates.js';
import { startAzureIdentity, type AzureIdentityHandle } from '../fixtures/azure-identity.js';
import { issueCert, makeCa, makeTempDir, removeDir } from '../fixtures/support.js';

const PYTHON = '/usr/bin/python3';
const TENANT = '72f988bf-86f1-41af-91ab-2d7cd011db47';
const APP = {
  secret: '11111111-0000-4000-8000-00000000c0de',
  certificate: '22222222-0000-4000-8000-00000000ce27',
  cli: '33333333-0000-4000-8000-0000000000a2',
  managed: '44444444-0000-4000-8000-0000000000d1',
  workload: '55555555-0000-4000-8000-0000000000f1',
};
const SECRET = 'env~secret-6f1d2a9b7c';
const PASSWORD = 'pfx-password-1234';
const ISSUER = 'https://oidc.prod-aks.azure.com/cluster/';
const SUBJECT = 'system:serviceaccount:ci:pusher';
const AZ_PATH = resolve('test/fixtures/az-cli');
/** Python's DefaultAzureCredential, asked for an ACR token; prints it, or the error's first line. */
const SCRIPT = `
import sys
from azure.identity import DefaultAzureCredential
try:
    print(DefaultAzureCredential(instance_discovery=False).get_token(
        "https://containerregistry.azure.net/.default").token)
except Exception as error:
    print("error: " + str(error).splitlines()[0])
`;

const missingPython = (() => {
  const probe = spawnSync(PYTHON, ['-c', 'import azure.identity'], { encoding: 'utf8', timeout: 30_000 });
  return probe.status === 0 ? undefined : 'azure-identity is not installed (apt-get install python3-azure)';
})();

interface Side {
  idp: AzureIdentityHandle;
  /** The variables that point this side at its stand-in: authority, IMDS, token files. */
  env(setting: Setting): Record<string, string>;
}
type Setting = 'secret' | 'secret+workload' | 'workload+managed' | 'certificate' | 'pkcs12' | 'managed' | 'cli';

let dir = '';
let python: Side;
let lanyard: Side;
let certificates: ReturnType<typeof makeClientCertificates>;
const closedPort = 'http://127.0.0.1:9';

async function side(name: string, tls?: { key: string; cert: string }): Promise<Side> {
  const idp = await startAzureIdentity({
    clients: [
      { tenant: TENANT, clientId: APP.secret, secret: SECRET },
      { tenant: TENANT, clientId: APP.certificate, certificatePem: certificates.certificatePem },
    ],
    federated: [
      { tenant: TENANT, clientId: APP.workload, issuer: ISSUER, subject: SUBJECT },
      { tenant: TENANT, clientId: APP.secret, issuer: ISSUER, subject: SUBJECT },
    ],
    managedIdentity: { clientId: APP.managed, tenant: TENANT },
    ...(tls ? { tls } : {}),
  });
  const federated = join(dir, `${name}-federated`);
  writeFileSync(federated, idp.issueFederatedToken(ISSUER, SUBJECT));
  const azToken = join(dir, `${name}-az`);
  writeFileSync(azToken, idp.issueAccessToken(TENANT, APP.cli));
  const imds = { AZURE_POD_IDENTITY_AUTHORITY_HOST: idp.url };
  const workload = { AZURE_FEDERATED_TOKEN_FILE: federated, AZURE_TENANT_ID: TENANT };
  const secret = { AZURE_TENANT_ID: TENANT, AZURE_CLIENT_ID: APP.secret, AZURE_CLIENT_SECRET: SECRET };
  const certificate = { AZURE_TENANT_ID: TENANT, AZURE_CLIENT_ID: APP.certificate };
  const settings: Record<Setting, Record<string, string>> = {
    secret: { ...secret, ...imds },
    'secret+workload': { ...secret, ...workload, ...imds },
    'workload+managed': { ...workload, AZURE_CLIENT_ID: APP.workload, ...imds },
    certificate: { ...certificate, AZURE_CLIENT_CERTIFICATE_PATH: certificates.files['both.pem']!, ...imds },
    pkcs12: {
      ...certificate,
      AZURE_CLIENT_CERTIFICATE_PATH: certificates.files['aes.pfx']!,
      AZURE_CLIENT_CERTIFICATE_PASSWORD: PASSWORD,
      ...imds,
    },
    managed: imds,
    // No IMDS: lanyard's points at a closed port. azure-identity takes a pod-identity host as IMDS for certain
    // (no probe, its failure ends the chain), so it gets none and probes 169.254.169.254 through its proxy, the
    // closed loopback port: refused there, as a machine without IMDS would.
    cli: tls ? {} : { AZURE_POD_IDENTITY_AUTHORITY_HOST: closedPort },
  };
  return {
    idp,
    env: (setting) => ({
      PATH: `${AZ_PATH}:/usr/bin:/bin`,
      HOME: join(dir, 'home'),
      AZURE_AUTHORITY_HOST: idp.url,
      LANYARD_TEST_AZ_TOKEN_FILE: azToken,
      LANYARD_TEST_AZ_TENANT: TENANT,
      ...settings[setting],
    }),
  };
}

const test = suite('DefaultAzureCredential');
test.before(async () => {
  dir = makeTempDir('azure-default');
  mkdirSync(join(dir, 'home'));
  certificates = makeClientCertificates(dir, PASSWORD);
  const ca = makeCa(dir, 'entra-ca');
  const serving = issueCert(dir, ca, 'entra', ['subjectAltName=IP:127.0.0.1']);
  python = await side('python', { key: serving.key, cert: serving.cert });
  lanyard = await side('lanyard');
  caFile = ca.certFile;
});
test.after(async () => {
  await Promise.all([python?.idp.stop(), lanyard?.idp.stop()]);
  removeDir(dir);
});
let caFile = '';

/** Whom the stand-in issued a token for, and how; or the error. */
function principal(idp: AzureIdentityHandle, token: string): string {
  if (token.startsWith('error: ')) return token;
  return `${idp.validateToken(token)?.appid ?? 'unknown app'} by ${idp.issuedVia(token) ?? 'unknown route'}`;
}

/** Python runs beside the stand-ins in this process: asynchronously, or they could not answer it. */
async function pythonChoice(setting: Setting): Promise<string> {
  const proxy = closedPort;
  const env = {
    ...python.env(setting),
    REQUESTS_CA_BUNDLE: caFile,
    SSL_CERT_FILE: caFile,
    HTTPS_PROXY: proxy,
    HTTP_PROXY: proxy,
    https_proxy: proxy,
    http_proxy: proxy,
    NO_PROXY: '127.0.0.1,localhost',
    no_proxy: '127.0.0.1,localhost',
  };
  const run = await promisify(execFile)(PYTHON, ['-c', SCRIPT], { env, timeout: 60_000 }).catch(
    (error: { stdout?: string; stderr?: string; message: string }) => ({
      stdout: error.stdout || `error: ${error.stderr || error.message}`,
    }),
  );
  return principal(python.idp, run.stdout.trim().split('\n').pop()!);
}

async function lanyardChoice(setting: Setting): Promise<string> {
  const config = loadConfig(lanyard.env(setting), 'linux');
  try {
    const found = await credentialFromAuto('azure', { config, options: {} });
    return `${principal(lanyard.idp, (found.credential as unknown as { accessToken: string }).accessToken)}`;
  } catch (error) {
    return `error: ${(error as Error).message}`;
  }
}

const expected: Record<Setting, string> = {
  secret: `${APP.secret} by secret`,
  'secret+workload': `${APP.secret} by secret`,
  'workload+managed': `${APP.workload} by federated`,
  certificate: `${APP.certificate} by certificate`,
  pkcs12: `${APP.certificate} by certificate`,
  managed: `${APP.managed} by imds`,
  cli: `${APP.cli} by cli`,
};

for (const setting of Object.keys(expected) as Setting[]) {
  const name = `${setting}: lanyard picks the principal DefaultAzureCredential picks`;
  if (missingPython) {
    test.skip(`${name} — ${missingPython}`, () => {});
    continue;
  }
  test(name, async () => {
    const ours = await lanyardChoice(setting);
    const theirs = await pythonChoice(setting);
    if (process.env.LANYARD_PRINT_CHOICES) console.log(`| ${setting} | ${theirs} | ${ours} |`);
    assert.is(ours, expected[setting], 'lanyard');
    assert.is(theirs, expected[setting], 'azure-identity');
  });
}

test.run();
