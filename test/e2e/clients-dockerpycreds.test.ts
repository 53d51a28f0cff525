// docker-py's credential-store client, Debian's python3-dockerpycreds, as a protocol client:
// `dockerpycreds.Store('lanyard')` finds docker-credential-lanyard on PATH and drives store/get/list/erase.
// Its CredentialsNotFound is raised only when the helper's output contains the exact text
// `credentials not found in native keychain`, so a missing server proves lanyard's wording.
// Debian 12 ships dockerpycreds 0.3.0, whose Store has no list(): list goes through the same
// Store._execute('list') that 0.4's Store.list() uses.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync } from 'node:fs';
import type { Sandbox } from './support/sandbox.js';
import { fileStoreSandbox } from './support/exchange-env.js';
import { get } from './support/helper.js';
import { assertNotFound } from './support/asserts.js';
import { run, describe } from './support/run.js';

// The system interpreter: the one python3-dockerpycreds installs into (not a pyenv/venv python on PATH).
const PYTHON = '/usr/bin/python3';

const DRIVER = `
import json, sys
import dockerpycreds
from dockerpycreds import errors
op, args = sys.argv[1], sys.argv[2:]
try:
    store = dockerpycreds.Store('lanyard')
    if op == 'store':
        result = store.store(args[0], args[1], sys.stdin.read())
    elif op == 'get':
        result = store.get(args[0])
    elif op == 'erase':
        result = store.erase(args[0])
    elif op == 'list':
        result = store.list() if hasattr(store, 'list') else json.loads(store._execute('list', b'').decode('utf-8'))
    else:
        raise SystemExit('unknown op ' + op)
    if isinstance(result, bytes):
        result = result.decode('utf-8')
    print(json.dumps({'ok': True, 'result': result}))
except errors.StoreError as e:
    print(json.dumps({'ok': False, 'error': type(e).__name__, 'message': str(e)}))
`;

interface PyAnswer {
  ok: boolean;
  result?: unknown;
  error?: string;
  message?: string;
}

const importable = existsSync(PYTHON)
  ? await run(PYTHON, ['-W', 'ignore', '-c', 'import dockerpycreds'], { env: process.env, timeoutMs: 15_000 })
  : undefined;
const problem = !importable
  ? `${PYTHON} does not exist`
  : importable.code !== 0
    ? 'python3-dockerpycreds is not importable (apt-get install python3-dockerpycreds): ' +
      `${importable.stderr.trim().split('\n').pop()}`
    : undefined;
if (problem) console.log(`[clients-dockerpycreds] skipped: ${problem}`);
const pyTest = (name: string, fn: () => Promise<void>) =>
  problem ? test.skip(`${name} — ${problem}`, fn) : test(name, fn);

let sb: Sandbox;
test.before(() => {
  sb = fileStoreSandbox('dockerpycreds');
});
test.after(() => sb?.cleanup());

async function py(op: string, args: string[], stdin = '', env: NodeJS.ProcessEnv = sb.env): Promise<PyAnswer> {
  const r = await run(PYTHON, ['-W', 'ignore', '-c', DRIVER, op, ...args], { env, stdin, timeoutMs: 20_000 });
  assert.is(r.code, 0, `python driver ${op} crashed\n${describe(r)}`);
  try {
    return JSON.parse(r.stdout) as PyAnswer;
  } catch {
    return assert.unreachable(`python driver ${op}: stdout is not JSON\n${describe(r)}`) as never;
  }
}

const SERVER = 'https://registry.example.com/v1/';

pyTest('store / get / list / erase round trip through dockerpycreds.Store("lanyard")', async () => {
  assert.equal(await py('store', [SERVER, 'foo'], 'bar'), { ok: true, result: '' }, 'store answers nothing');
  assert.equal(await py('get', [SERVER]), { ok: true, result: { ServerURL: SERVER, Username: 'foo', Secret: 'bar' } });
  assert.equal(
    await py('get', ['registry.example.com']),
    { ok: true, result: { ServerURL: 'registry.example.com', Username: 'foo', Secret: 'bar' } },
    'the same entry by host',
  );
  const listed = await py('list', []);
  assert.ok(listed.ok, JSON.stringify(listed));
  assert.equal(listed.result, { [SERVER]: 'foo' }, 'list answers the URL as stored');
  assert.equal(await py('erase', [SERVER]), { ok: true, result: null });
  assertNotFound(await get(sb.env, SERVER), 'gone for the binary too');
  assert.equal((await py('list', [])).result, {}, 'list is empty');
});

pyTest(
  'a missing server raises CredentialsNotFound (lanyard says exactly `credentials not found in native keychain`)',
  async () => {
    assert.equal(await py('get', ['never-stored.example.com']), {
      ok: false,
      error: 'CredentialsNotFound',
      message: 'No matching credentials in docker-credential-lanyard',
    });
    // Erasing what is not there succeeds, as docker-credential-secretservice and wincred answer: a not-found
    // from erase makes skopeo/podman logout crash (containers/image cannot recognise the wrapped error).
    assert.equal(
      await py('erase', ['never-stored.example.com']),
      { ok: true, result: null },
      'erase of a missing server succeeds quietly',
    );
  },
);

pyTest("a helper error is a StoreError carrying lanyard's one line", async () => {
  assert.equal(await py('get', ['ftp://registry.example.com']), {
    ok: false,
    error: 'StoreError',
    message: 'Credentials store docker-credential-lanyard exited with "unsupported scheme: ftp".',
  });
  assert.equal(await py('store', [SERVER, ''], 'secret'), {
    ok: false,
    error: 'StoreError',
    message: 'Credentials store docker-credential-lanyard exited with "no credentials username".',
  });
});

pyTest('identity tokens (username <token>) round-trip as docker-py stores them', async () => {
  assert.equal(await py('store', ['registry.example.org', '<token>'], 'refresh-token-xyz'), { ok: true, result: '' });
  assert.equal(await py('get', ['registry.example.org']), {
    ok: true,
    result: { ServerURL: 'registry.example.org', Username: '<token>', Secret: 'refresh-token-xyz' },
  });
  await py('erase', ['registry.example.org']);
});

pyTest(
  'without docker-credential-lanyard on PATH, Store("lanyard") says so (the binary is found by that name)',
  async () => {
    const env = { ...sb.env, PATH: '/usr/bin:/bin' };
    const r = await run(PYTHON, ['-W', 'ignore', '-c', DRIVER, 'get', SERVER], { env, timeoutMs: 20_000 });
    assert.is(r.code, 0, describe(r));
    assert.equal(JSON.parse(r.stdout), {
      ok: false,
      error: 'InitializationError',
      message: 'docker-credential-lanyard not installed or not available in PATH',
    });
  },
);

test.run();
