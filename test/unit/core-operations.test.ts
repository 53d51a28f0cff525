// The core's operations in-process, through the protocol verbs and the management commands, with a context of
// the test's making (test-context.ts): store, get, list and erase round trips against memory stores; a replaced
// login's old secret removed; LANYARD_STORE honoured; the scheduler's refresh decisions on a moved clock; and
// login, ls and logout as commands with their output captured. The binary's e2e tests prove the same through
// real stores; these prove the logic in about a second.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { runHelperVerb } from '../../src/commands/helper-verbs.js';
import { runLogin } from '../../src/commands/login.js';
import { runLogout } from '../../src/commands/logout.js';
import { runLs } from '../../src/commands/ls.js';
import { RefreshScheduler } from '../../src/daemon/scheduler.js';
import { UserError } from '../../src/errors.js';
import { answerKubelet } from '../../src/integrations/kubelet-provider.js';
import { mappedRegistries } from '../../src/integrations/mapped-registries.js';
import { readMapping } from '../../src/mapping/mapping-file.js';
import type http from 'node:http';
import { start as startIam, type IamHandle } from '../fixtures/iam.js';
import { listen, sendJson } from '../fixtures/support.js';
import { tokenCache } from '../../src/tokens/token-cache.js';
import { testContext, type TestContext } from './support/test-context.js';

const APIKEY = 'core-test-apikey-0123456789';

/** Runs a protocol verb as the binary would; what it wrote to stdout, and its exit code. */
async function verb(context: TestContext, name: string, stdin: string): Promise<{ code: number; out: string }> {
  context.written.out = '';
  context.stdin = stdin;
  const code = await runHelperVerb(name, context);
  return { code, out: context.written.out };
}

const storeRequest = (server: string, username: string, secret: string) =>
  JSON.stringify({ ServerURL: server, Username: username, Secret: secret });

// ---- the protocol verbs over memory stores --------------------------------------------------------------
const verbs = suite('verbs');
let context: TestContext;
verbs.before.each(() => {
  context = testContext();
});
verbs.after.each(() => context.cleanup());

verbs('store, get, list, erase: a round trip, and erase of what is gone succeeds quietly', async () => {
  assert.equal(await verb(context, 'store', storeRequest('registry.example:5000', 'alice', 's3cret')), {
    code: 0,
    out: '',
  });
  assert.equal([...context.stores.keychain.secrets.values()], ['s3cret'], 'the secret is in the keychain');
  const got = await verb(context, 'get', 'registry.example:5000\n');
  assert.is(got.code, 0);
  assert.equal(JSON.parse(got.out), { ServerURL: 'registry.example:5000', Username: 'alice', Secret: 's3cret' });
  assert.equal(JSON.parse((await verb(context, 'list', '')).out), { 'registry.example:5000': 'alice' });
  assert.equal(await verb(context, 'erase', 'registry.example:5000\n'), { code: 0, out: '' });
  assert.is(context.stores.keychain.secrets.size, 0, 'the secret went with the entry');
  assert.equal(await verb(context, 'erase', 'registry.example:5000\n'), { code: 0, out: '' });
  assert.equal(await verb(context, 'get', 'registry.example:5000\n'), {
    code: 1,
    out: 'credentials not found in native keychain\n',
  });
});

verbs('a login stored again replaces the secret, and the old one is removed', async () => {
  await verb(context, 'store', storeRequest('registry.example', 'alice', 'first'));
  await verb(context, 'store', storeRequest('registry.example', 'alice', 'second'));
  assert.equal([...context.stores.keychain.secrets.values()], ['second']);
  const [entry] = readMapping(context.config.paths.mappingFile).entries;
  assert.is(context.stores.keychain.secrets.get(entry!.secretRef!), 'second', 'the mapping names the new secret');
});

verbs('LANYARD_STORE picks the store of a new secret; a wrong value is refused in one line', async () => {
  const file = testContext({ env: { LANYARD_STORE: 'file' } });
  try {
    await verb(file, 'store', storeRequest('registry.example', 'bob', 'in-a-file'));
    assert.equal([...file.stores.file.secrets.values()], ['in-a-file']);
    assert.is(file.stores.keychain.secrets.size, 0);
  } finally {
    file.cleanup();
  }
  const wrong = testContext({ env: { LANYARD_STORE: 'vault' } });
  try {
    const stored = await verb(wrong, 'store', storeRequest('registry.example', 'bob', 'x'));
    assert.equal(stored, { code: 1, out: 'LANYARD_STORE must be keychain, file or env, not "vault"\n' });
  } finally {
    wrong.cleanup();
  }
});

verbs(
  'an ECR host refuses a username it never takes, unless the kind is said; AWS (a pasted token) is kept',
  async () => {
    const ecr = '123456789012.dkr.ecr.us-east-1.amazonaws.com';
    assert.equal(await verb(context, 'store', storeRequest(ecr, 'bob', 'pw')), {
      code: 1,
      out:
        'an ECR login is an access key id (-u AKIA…/ASIA…) or a pasted ECR token (-u AWS), ' +
        'not the username "bob"; or log in with --source auto\n',
    });
    assert.is(readMapping(context.config.paths.mappingFile).entries.length, 0, 'nothing stored');
    assert.is((await verb(context, 'store', storeRequest(ecr, 'AWS', 'pasted-token'))).code, 0);
    const env = testContext({ env: { PW: 'pw' } });
    try {
      await runLogin({ server: ecr, username: 'bob', kind: 'static', 'secret-env': 'PW' }, env);
      assert.is(
        readMapping(env.config.paths.mappingFile).entries[0]?.kind,
        'static',
        "--kind static is the user's call",
      );
    } finally {
      env.cleanup();
    }
  },
);

verbs.run();

// ---- exchanges and the refresher's decisions -----------------------------------------------------------
const refresher = suite('refresher');
let iam: IamHandle;
refresher.before(async () => {
  iam = await startIam({ apikeys: [APIKEY] });
});
refresher.after(async () => {
  await iam.stop();
});

refresher('an API key is exchanged once, refreshed ahead of expiry, and not before', async () => {
  // The key stays in the environment (the env store): no stdin in-process, and no exchange at login.
  const core = testContext({ env: { ICR_KEY: APIKEY } });
  try {
    const login = { server: 'us.icr.io', username: 'iamapikey', 'secret-env': 'ICR_KEY', 'iam-endpoint': iam.url };
    await runLogin(login, core);
    const requests = iam.counts.total;
    const scheduler = new RefreshScheduler(core);
    const [status] = (await scheduler.refreshNow())!;
    assert.is(iam.counts.total, requests + 1, 'one exchange');
    assert.ok(status!.expiresAt! > core.now(), 'a live token');
    assert.ok(status!.nextAt! < status!.expiresAt!, 'the next refresh comes before the token expires');
    assert.ok(status!.nextAt! > core.now(), 'and not at once');
    const got = await verb(core, 'get', 'us.icr.io\n');
    assert.is(JSON.parse(got.out).Username, 'iambearer');
    assert.is(iam.counts.total, requests + 1, 'get answered from the token the refresher got');
    await scheduler.stop();
  } finally {
    core.cleanup();
  }
});

refresher(
  'one `*.icr.io` key serves every ICR host: global, regional and private; configure names them all',
  async () => {
    const core = testContext({ env: { ICR_KEY: APIKEY } });
    try {
      const login = { server: '*.icr.io', username: 'iamapikey', 'secret-env': 'ICR_KEY', 'iam-endpoint': iam.url };
      await runLogin(login, core);
      for (const host of ['icr.io', 'us.icr.io', 'private.icr.io', 'private.us.icr.io', 'https://de.icr.io/v2/']) {
        const got = await verb(core, 'get', `${host}\n`);
        assert.is(got.code, 0, `${host}: ${got.out}`);
        assert.is(JSON.parse(got.out).Username, 'iambearer', host);
      }
      for (const other of ['icr.io.example.com', 'a.b.c.icr.io', 'us.icr.io:5000', 'evilicr.io']) {
        assert.equal(await verb(core, 'get', `${other}\n`), {
          code: 1,
          out: 'credentials not found in native keychain\n',
        });
      }
      // kubelet matches the auth keys as it matches images: the private host gets a key of its own.
      const kubelet = { apiVersion: 'credentialprovider.kubelet.k8s.io/v1', kind: 'CredentialProviderRequest' };
      const response = await answerKubelet(core, JSON.stringify({ ...kubelet, image: 'private.us.icr.io/team/app:1' }));
      assert.equal(Object.keys(response.auth).sort(), ['*.icr.io', 'private.us.icr.io']);
      const regional = await answerKubelet(core, JSON.stringify({ ...kubelet, image: 'us.icr.io/team/app:1' }));
      assert.equal(Object.keys(regional.auth), ['*.icr.io']);
      const { registries } = mappedRegistries(readMapping(core.config.paths.mappingFile));
      for (const host of ['icr.io', 'us.icr.io', 'private.icr.io', 'private.us.icr.io']) {
        assert.ok(registries.includes(host), `configure writes ${host}`);
      }
    } finally {
      core.cleanup();
    }
  },
);

refresher('a token holding control characters is refused in one line and never cached or answered', async () => {
  let url = '';
  const realm = await listen(async (req: http.IncomingMessage, res: http.ServerResponse) => {
    if (req.url === '/v2/') {
      res.writeHead(401, { 'WWW-Authenticate': `Bearer realm="${url}/token",service="hostile"` }).end();
      return;
    }
    sendJson(res, 200, { refresh_token: 'tok\nen\u001b[2J\u0000' });
  });
  url = realm.url;
  const core = testContext({ env: { REG_PASSWORD: 'pw' } });
  try {
    const server = realm.url.replace('http://', '');
    await runLogin({ server, username: 'me', kind: 'oauth2', 'secret-env': 'REG_PASSWORD' }, core);
    const got = await verb(core, 'get', `${server}\n`);
    assert.is(got.code, 1);
    assert.match(got.out, /^cannot get a token for 127\.0\.0\.1:\d+: the oauth2 token service for .* answered a login/);
    assert.match(got.out, /control characters in it, which no client can use; not asked again before /);
    assert.is(got.out.split('\n').length, 2, 'one line');
    assert.is(tokenCache(core.config.paths.runtimeDir).read(server, core.now())?.token, undefined, 'nothing cached');
  } finally {
    core.cleanup();
    await realm.stop();
  }
});

refresher.run();

// ---- the management commands ---------------------------------------------------------------------------
const commands = suite('commands');

commands('login, ls and logout as commands: what they say, and logout of nothing is an error', async () => {
  const core = testContext({ env: { QUAY_TOKEN: 'quay-robot-token' } });
  try {
    await runLogin({ server: 'quay.io', username: 'me', 'secret-env': 'QUAY_TOKEN' }, core);
    assert.match(core.written.err, /^Stored static login for quay\.io \(user me\) in the env store\.\n$/);
    await runLs({ json: true }, core);
    const [listed] = JSON.parse(core.written.out);
    assert.equal(
      { server: listed.server, kind: listed.kind, username: listed.username, store: listed.store },
      { server: 'quay.io', kind: 'static', username: 'me', store: 'env' },
    );
    assert.is(JSON.parse((await verb(core, 'get', 'quay.io\n')).out).Secret, 'quay-robot-token');
    core.written.err = '';
    await runLogout({ server: 'quay.io' }, core);
    assert.is(core.written.err, 'Removed the login for quay.io.\n');
    const again = await runLogout({ server: 'quay.io' }, core).catch((error: unknown) => error);
    assert.instance(again, UserError);
    assert.match((again as Error).message, /^no login for quay\.io; see docker-credential-lanyard ls$/);
  } finally {
    core.cleanup();
  }
});

commands.run();
