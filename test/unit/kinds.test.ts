// The kind table (each cloud's src/clouds/<cloud>/index.ts, gathered by src/clouds/registry.ts) against the code
// it describes: every kind has a row and a provider, each row's traits are what its provider does, and no code
// outside src/clouds/ tests a kind by name (so a new kind stays in its cloud's folder).
import { contextFor, type CoreContext } from '../../src/credentials/core-context.js';
import { loadConfig } from '../../src/config.js';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type http from 'node:http';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { passwordLogin } from '../../src/integrations/password-login.js';
import { KINDS, type Kind, type MappingEntry } from '../../src/mapping/types.js';
import { inferKind } from '../../src/clouds/infer-kind.js';
import { loadProvider } from '../../src/clouds/registry.js';
import { KIND_TRAITS } from '../../src/clouds/registry.js';
import { IDENTITY_TOKEN_USERNAME } from '../../src/clouds/cloud.js';
import * as azureFixture from '../fixtures/azure.js';
import * as awsFixture from '../fixtures/aws.js';
import * as googleFixture from '../fixtures/google.js';
import * as iamFixture from '../fixtures/iam.js';
import * as kubeFixture from '../fixtures/kube-api.js';
import { listen, readBody, type Served } from '../fixtures/support.js';

const SECRET_VARIABLE = 'LANYARD_KINDS_TEST_SECRET';
const STORED = 'stored-secret-value';

function entryOf(kind: Kind, options?: Record<string, string>, server = 'registry.kinds.test'): MappingEntry {
  return {
    server,
    serverURL: server,
    kind,
    username: 'someone',
    store: 'env',
    secretRef: SECRET_VARIABLE,
    ...(options ? { options } : {}),
    updatedAt: new Date().toISOString(),
  };
}

// ---- one row and one provider per kind -------------------------------------------------------------
const table = suite('table');

table('every kind has exactly one row and a provider that loads', async () => {
  assert.equal(Object.keys(KIND_TRAITS).sort(), [...KINDS].sort());
  for (const kind of KINDS) {
    const provider = await loadProvider(kind);
    assert.type(provider.issue, 'function', `${kind}: issue`);
  }
});

table('a row says `checked` exactly when its provider has a check, and never together with `exchanges`', async () => {
  for (const kind of KINDS) {
    const provider = await loadProvider(kind);
    assert.is(KIND_TRAITS[kind].checked, provider.check !== undefined, `${kind}: checked`);
    assert.not.ok(KIND_TRAITS[kind].checked && KIND_TRAITS[kind].exchanges, `${kind}: checked and exchanges`);
  }
});

table('a kind marked by a username is inferred from it on any host, and login defaults to it', () => {
  const marked = KINDS.filter((kind) => KIND_TRAITS[kind].username !== undefined);
  assert.ok(marked.includes('identity-token') && marked.includes('ibm-iam'), 'the marked kinds');
  for (const kind of marked) assert.is(inferKind('registry.kinds.test', KIND_TRAITS[kind].username!), kind, kind);
  assert.is(KIND_TRAITS['identity-token'].username, IDENTITY_TOKEN_USERNAME);
});

table.run();

// ---- `exchanges` is what the provider does ---------------------------------------------------------
const behaviour = suite('behaviour');
let iam: iamFixture.IamHandle;
let kube: kubeFixture.KubeHandle;
let realm: Served;
let azure: azureFixture.AzureHandle;
const AZURE_CLIENT = { tenant: 'kinds-tenant', clientId: 'kinds-client-id', clientSecret: STORED };
let aws: awsFixture.AwsHandle;
const AWS_KEY = { accessKeyId: 'AKIAKINDSTEST0000001', secretAccessKey: STORED };
let google: googleFixture.GoogleHandle;

/** A registry with distribution token auth whose realm trades a username/password for a refresh token. */
async function startOAuth2Registry(): Promise<Served> {
  let url = '';
  const served = await listen(async (req: http.IncomingMessage, res: http.ServerResponse) => {
    if (req.url === '/v2/') {
      res.writeHead(401, { 'WWW-Authenticate': `Bearer realm="${url}/token",service="kinds-test"` }).end();
      return;
    }
    const form = new URLSearchParams(await readBody(req));
    const valid = form.get('grant_type') === 'password' && form.get('password') === STORED;
    res.writeHead(valid ? 200 : 401, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify(valid ? { refresh_token: 'registry-refresh-token', access_token: 'short' } : {}));
  });
  url = served.url;
  return served;
}

let context: CoreContext;

behaviour.before(async () => {
  iam = await iamFixture.start({ apikeys: [STORED] });
  kube = await kubeFixture.start({ callers: [STORED], serviceAccounts: ['ci/pusher'] });
  realm = await startOAuth2Registry();
  azure = await azureFixture.start({ clients: [AZURE_CLIENT] });
  aws = await awsFixture.start({ keys: [AWS_KEY] });
  google = await googleFixture.start();
  // The stand-ins are reached through the configuration's overrides; the env store's secret is in its environment.
  const env = { AZURE_AUTHORITY_HOST: azure.authorityUrl, ...aws.endpointEnv(), [SECRET_VARIABLE]: STORED };
  context = contextFor(loadConfig(env));
});
behaviour.after(async () => {
  await Promise.all([iam?.stop(), kube?.stop(), realm?.stop(), azure?.stop(), aws?.stop(), google?.stop()]);
});

/** A refresh token for the API key, as `ibmcloud login` gets one (the CLI's client bx:bx). */
async function iamRefreshToken(): Promise<string> {
  const response = await fetch(iam.tokenUrl, {
    method: 'POST',
    headers: {
      'Content-Type': 'application/x-www-form-urlencoded',
      Authorization: `Basic ${Buffer.from('bx:bx').toString('base64')}`,
    },
    body: new URLSearchParams({ grant_type: iamFixture.APIKEY_GRANT, apikey: STORED }).toString(),
  });
  return ((await response.json()) as { refresh_token: string }).refresh_token;
}

/** For each exchanging kind, a login its provider can exchange against the stand-ins, and its stored secret. */
async function exchangeable(kind: Kind): Promise<{ entry: MappingEntry; secret: string }> {
  switch (kind) {
    case 'ibm-iam':
      return { entry: entryOf(kind, { iamEndpoint: iam.url }), secret: STORED };
    case 'iam-refresh':
      return { entry: entryOf(kind, { iamEndpoint: iam.url }), secret: await iamRefreshToken() };
    case 'openshift': {
      const options = { apiServer: kube.url, namespace: 'ci', serviceAccount: 'pusher' };
      return { entry: entryOf(kind, options), secret: STORED };
    }
    case 'oauth2':
      return { entry: entryOf(kind, { registryURL: realm.url }), secret: STORED };
    case 'azure-acr': {
      const options = { tenant: AZURE_CLIENT.tenant, acrEndpoint: azure.url };
      return { entry: { ...entryOf(kind, options), username: AZURE_CLIENT.clientId }, secret: STORED };
    }
    case 'aws-ecr':
      return { entry: { ...entryOf(kind, { region: 'us-east-1' }), username: AWS_KEY.accessKeyId }, secret: STORED };
    case 'gcp':
      return { entry: entryOf(kind), secret: JSON.stringify(google.makeServiceAccountKey()) };
    default:
      throw new Error(`${kind} is marked as exchanging: give it a stand-in in kinds.test.ts`);
  }
}

behaviour('kinds that do not exchange answer the stored secret as is, with nothing that expires', async () => {
  for (const kind of KINDS.filter((k) => !KIND_TRAITS[k].exchanges)) {
    const entry = entryOf(kind, { hubEndpoint: 'http://127.0.0.1:9', iamEndpoint: 'http://127.0.0.1:9' });
    const issued = await (await loadProvider(kind)).issue(entry, STORED, context);
    assert.is(issued.secret, STORED, `${kind}: secret`);
    assert.is(issued.username, entry.username, `${kind}: username`);
    assert.is(issued.expiresAt, undefined, `${kind}: expiry`);
  }
});

behaviour('kinds that exchange answer a token in place of the stored secret', async () => {
  for (const kind of KINDS.filter((k) => KIND_TRAITS[k].exchanges)) {
    const { entry, secret } = await exchangeable(kind);
    const issued = await (await loadProvider(kind)).issue(entry, secret, context);
    assert.is.not(issued.secret, secret, `${kind}: the stored secret was answered`);
  }
});

behaviour('a password client gets the stored login for a traded identity token, nothing for another', async () => {
  for (const kind of KINDS) {
    const entry = entryOf(kind);
    const answer = { username: IDENTITY_TOKEN_USERNAME, secret: 'identity-token-value', issuedAt: Date.now() };
    const login = await passwordLogin(context, entry, answer);
    const { identityTokenFromPassword, identityTokenPasswordUsername } = KIND_TRAITS[kind];
    const expected = identityTokenPasswordUsername
      ? { ...answer, username: identityTokenPasswordUsername }
      : identityTokenFromPassword
        ? { username: 'someone', secret: STORED }
        : undefined;
    assert.equal(login, expected, kind);
    const plain = { username: 'someone', secret: 'password', issuedAt: Date.now() };
    assert.is(await passwordLogin(context, entry, plain), plain, `${kind}: a username/password answer is given as is`);
  }
  // The trait is true of the provider: oauth2 answers identity tokens traded for the stored login.
  const { entry, secret } = await exchangeable('oauth2');
  assert.is((await (await loadProvider('oauth2')).issue(entry, secret, context)).username, IDENTITY_TOKEN_USERNAME);
  assert.ok(KIND_TRAITS.oauth2.identityTokenFromPassword, 'oauth2: identityTokenFromPassword');
  // azure-acr answers identity tokens that are passwords themselves (under the null GUID).
  const acr = await exchangeable('azure-acr');
  assert.is(
    (await (await loadProvider('azure-acr')).issue(acr.entry, acr.secret, context)).username,
    IDENTITY_TOKEN_USERNAME,
  );
  assert.ok(KIND_TRAITS['azure-acr'].identityTokenPasswordUsername, 'azure-acr: identityTokenPasswordUsername');
});

behaviour.run();

// ---- the rule stays true -----------------------------------------------------------------------------
const rule = suite('rule');
const SRC = join(import.meta.dirname, '../../src');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) =>
    d.isDirectory() ? sourceFiles(join(dir, d.name)) : d.name.endsWith('.ts') ? [join(dir, d.name)] : [],
  );
}

/** Files outside src/clouds/ that spell `text` as a string literal. */
function spelledOutsideClouds(text: string): string[] {
  const literal = new RegExp(`['"\`]${text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}['"\`]`);
  return sourceFiles(SRC)
    .map((file) => relative(SRC, file))
    .filter((file) => !file.startsWith('clouds/'))
    .filter((file) => literal.test(readFileSync(join(SRC, file), 'utf8')));
}

rule('no code outside src/clouds/ names a kind: it asks KIND_TRAITS', () => {
  for (const kind of KINDS) assert.equal(spelledOutsideClouds(kind), [], kind);
});

rule('the identity-token username is spelled once, as IDENTITY_TOKEN_USERNAME', () => {
  assert.equal(spelledOutsideClouds(IDENTITY_TOKEN_USERNAME), []);
  const clouds = sourceFiles(join(SRC, 'clouds')).filter((file) => !file.endsWith('/cloud.ts'));
  for (const file of clouds) assert.not.match(readFileSync(file, 'utf8'), `'${IDENTITY_TOKEN_USERNAME}'`, file);
});

const staticImports = (file: string) =>
  [...readFileSync(file, 'utf8').matchAll(/^import (type )?[^;]*?from '([^']+)';$/gms)]
    .filter((m) => !m[1])
    .map((m) => m[2]!);

rule('the table loads no provider and no HTTP: it is on the path of every get', () => {
  const registry = join(SRC, 'clouds/registry.ts');
  const indexes = staticImports(registry).filter((path) => path.endsWith('/index.js'));
  assert.ok(indexes.length >= 7, `${indexes}`);
  assert.equal(
    staticImports(registry).filter((path) => !indexes.includes(path)),
    ['../errors.js'],
  );
  for (const index of indexes) {
    const file = join(SRC, 'clouds', index.replace(/\.js$/, '.ts'));
    // Host tables only (leaves that import nothing), and the interface: what `hostImplies` needs.
    const imports = staticImports(file);
    for (const path of imports) {
      assert.ok(/^(\.\/hosts|\.\.\/cloud|\.\.\/\.\.\/hosts\/dockerhub)\.js$/.test(path), `${index}: ${path}`);
      const leaf = join(file, '..', path.replace(/\.js$/, '.ts'));
      if (!leaf.endsWith('cloud.ts')) assert.not.match(readFileSync(leaf, 'utf8'), /^import (?!type )/m, leaf);
    }
  }
  assert.not.match(readFileSync(join(SRC, 'clouds/cloud.ts'), 'utf8'), /^import (?!type )/m);
});

rule.run();
