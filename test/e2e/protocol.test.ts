// The docker-credential-helpers protocol as clients speak it, against the compiled binary, on the real
// Secret Service (a private gnome-keyring) and on the file store. Expected texts are from docs/CONTRACT.md.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { createSandbox, type Sandbox } from './support/sandbox.js';
import { startKeyring, type Keyring } from './support/keyring.js';
import { runHelper, store, get, erase, listParsed, NOT_FOUND, type Creds } from './support/helper.js';
import {
  assertOk,
  assertSilentOk,
  assertCreds,
  assertOneLineError,
  assertNotFound,
  assertNoLeak,
  filesContaining,
} from './support/asserts.js';
import { describe, run } from './support/run.js';
import { BIN, REPO_ROOT } from './support/paths.js';

type Mode = 'file' | 'keychain';
const MODES: Mode[] = ['file', 'keychain'];
const MiB = 1024 * 1024;

const boxes = {} as Record<Mode, Sandbox>;
let keyring: Keyring | undefined;
const extraBoxes: Sandbox[] = [];

const envOf = (mode: Mode) => ({ ...boxes[mode].env, LANYARD_STORE: mode });
const unique = (label: string) => `${label}-${randomBytes(6).toString('hex')}`;

test.before(async () => {
  try {
    for (const mode of MODES) boxes[mode] = createSandbox(`protocol-${mode}`);
    keyring = await startKeyring(boxes.keychain);
    boxes.file.env.DBUS_SESSION_BUS_ADDRESS = keyring.address;
  } catch (err) {
    console.error('[protocol] setup failed:', err);
    throw err;
  }
});

test.after(async () => {
  try {
    await keyring?.stop();
  } catch (err) {
    console.error('[protocol] keyring stop:', err);
  }
  for (const sb of [...Object.values(boxes), ...extraBoxes]) sb.cleanup();
});

/** Keychain items that belong to a server key (`username=<server key>/<id>`, per CONTRACT.md). */
async function itemsFor(serverKey: string) {
  return (await keyring!.items()).filter((i) => i.attributes.username?.startsWith(`${serverKey}/`));
}

// ---------------------------------------------------------------------------------------------
// version / help

for (const args of [['version'], ['--version'], ['-v']]) {
  test(`${args[0]} prints "docker-credential-lanyard (lanyard) <version>"`, async () => {
    const pkg = JSON.parse(readFileSync(`${REPO_ROOT}/package.json`, 'utf8')) as { version: string };
    const r = await runHelper(args, { env: boxes.file.env });
    assertOk(r, args[0]!);
    assert.is(r.stdout.trimEnd(), `docker-credential-lanyard (lanyard) ${pkg.version}`, describe(r));
    assert.ok(r.stdout.endsWith('\n'), 'version line ends with a newline');
  });
}

for (const flag of ['--help', '-h']) {
  test(`${flag} prints usage naming the protocol verbs, exit 0`, async () => {
    const r = await runHelper([flag], { env: boxes.file.env });
    assertOk(r, flag);
    for (const verb of ['store', 'get', 'erase', 'list', 'version']) {
      assert.ok(r.stdout.includes(verb), `${flag} output does not mention ${verb}\n${describe(r)}`);
    }
  });
}

// ---------------------------------------------------------------------------------------------
// round trip, per store

for (const mode of MODES) {
  test(`[${mode}] store / get / list / erase / get round trip`, async () => {
    const env = envOf(mode);
    const sb = boxes[mode];
    const server = 'roundtrip.example.test:5000';
    const secret1 = unique('rt-secret-one');
    const secret2 = unique('rt-secret-two');

    const s = await store(env, { ServerURL: server, Username: 'alice', Secret: secret1 });
    assertSilentOk(s, 'store');
    assertNoLeak(s, secret1, 'store');

    const g1 = await get(env, server);
    assertCreds(g1, { ServerURL: server, Username: 'alice', Secret: secret1 }, 'get host:port');
    assert.not.ok(g1.stderr.includes(secret1), `get: the secret appears on stderr\n${describe(g1)}`);
    // trimmed input is echoed; scheme optional, host case-insensitive, path/query ignored
    const fancy = 'https://ROUNDTRIP.Example.TEST:5000/v2/some/path?x=1';
    assertCreds(
      await get(env, `  ${fancy} \n`),
      { ServerURL: fancy, Username: 'alice', Secret: secret1 },
      'get with scheme/case/path',
    );
    // port is significant
    assertNotFound(await get(env, 'roundtrip.example.test'), 'get without the port');
    assertNotFound(await get(env, 'roundtrip.example.test:5001'), 'get with another port');

    const listed = await listParsed(env);
    assert.is(listed[server], 'alice', `list: ${JSON.stringify(listed)}`);
    assert.not.ok(JSON.stringify(listed).includes(secret1), 'list must not contain secrets');

    // overwrite
    assertSilentOk(await store(env, { ServerURL: server, Username: 'alice2', Secret: secret2 }), 'store again');
    assertCreds(
      await get(env, server),
      { ServerURL: server, Username: 'alice2', Secret: secret2 },
      'get after overwrite',
    );
    assert.is((await listParsed(env))[server], 'alice2', 'list after overwrite');

    // where the secret lives
    const leaks = filesContaining(sb.home, secret2).filter((p) => p !== sb.secretsFile);
    assert.equal(leaks, [], `secret found outside the secret store: ${leaks.join(', ')}`);
    assert.ok(existsSync(sb.mappingFile), `mapping file ${sb.mappingFile} exists`);
    assert.not.ok(readFileSync(sb.mappingFile, 'utf8').includes(secret2), 'mapping.json must hold no secret');
    if (mode === 'file') {
      assert.ok(existsSync(sb.secretsFile), `secrets file ${sb.secretsFile} exists`);
      assert.is((statSync(sb.secretsFile).mode & 0o777).toString(8), '600', 'secrets.json mode');
      assert.ok(readFileSync(sb.secretsFile, 'utf8').includes(secret2), 'secrets.json holds the secret');
    } else {
      assert.not.ok(existsSync(sb.secretsFile), 'keychain mode must not write secrets.json');
      const items = await itemsFor('roundtrip.example.test:5000');
      assert.is(items.length, 1, `one keychain item for the server, got ${JSON.stringify(items)}`);
      assert.is(items[0]!.attributes.service, 'lanyard');
      assert.is(await keyring!.secret(items[0]!.attributes), secret2, 'keychain item holds the current secret');
    }

    const e = await erase(env, server);
    assertSilentOk(e, 'erase');
    const g = await get(env, server);
    assertNotFound(g, 'get after erase');
    assert.is(g.stdout, `${NOT_FOUND}\n`, 'not-found is exactly one line with a newline');
    assert.is((await listParsed(env))[server], undefined, 'list after erase');
    if (mode === 'file') {
      const content = readFileSync(sb.secretsFile, 'utf8');
      assert.not.ok(
        content.includes(secret2) || content.includes(secret1),
        'erase must remove the secret from secrets.json',
      );
    } else {
      assert.equal(await itemsFor('roundtrip.example.test:5000'), [], 'erase must delete the keychain item');
    }
  });

  test(`[${mode}] host:443 is the registry host is: one entry, whichever way a client spells it`, async () => {
    const env = envOf(mode);
    const secret = unique('port-443');
    // A key has no scheme and reads as https, so http://host:443 is that key too (only 443 goes).
    const spellings = [
      'port443.example.test',
      'https://port443.example.test',
      'port443.example.test:443/v2/',
      'http://port443.example.test:443',
    ];
    assertSilentOk(
      await store(env, { ServerURL: 'port443.example.test:443', Username: 'bob', Secret: secret }),
      'store',
    );
    for (const spelling of spellings) {
      assertCreds(await get(env, spelling), { ServerURL: spelling, Username: 'bob', Secret: secret }, spelling);
    }
    assertNotFound(await get(env, 'port443.example.test:8443'), 'another port is another registry');
    // docker logs in to the bare host and out of host:443: the login it made goes.
    const again = unique('port-443-again');
    assertSilentOk(await store(env, { ServerURL: 'port443.example.test', Username: 'bob', Secret: again }), 'store');
    assertCreds(
      await get(env, 'port443.example.test:443'),
      { ServerURL: 'port443.example.test:443', Username: 'bob', Secret: again },
      'one entry',
    );
    assertSilentOk(await erase(env, 'port443.example.test:443'), 'erase');
    for (const spelling of spellings) assertNotFound(await get(env, spelling), `${spelling} after erase`);
    if (mode === 'keychain') assert.equal(await itemsFor('port443.example.test'), [], 'no keychain item left');
  });

  test(`[${mode}] Docker Hub aliases are one entry; OAuth token keys are separate and verbatim`, async () => {
    const env = envOf(mode);
    const aliases = ['https://index.docker.io/v1/', 'index.docker.io', 'docker.io', 'registry-1.docker.io'];
    const isHubAlias = (k: string) => aliases.includes(k);
    const hub1 = unique('hub-secret-1');
    const hub2 = unique('hub-secret-2');

    assertSilentOk(
      await store(env, { ServerURL: 'https://index.docker.io/v1/', Username: 'hubuser', Secret: hub1 }),
      'store hub',
    );
    for (const alias of aliases) {
      assertCreds(await get(env, alias), { ServerURL: alias, Username: 'hubuser', Secret: hub1 }, `get ${alias}`);
    }
    let listed = await listParsed(env);
    assert.is(Object.keys(listed).filter(isHubAlias).length, 1, `list has one Hub entry: ${JSON.stringify(listed)}`);

    // storing through another alias replaces the same entry
    assertSilentOk(
      await store(env, { ServerURL: 'docker.io', Username: 'hubuser2', Secret: hub2 }),
      'store via docker.io',
    );
    for (const alias of aliases) {
      assertCreds(
        await get(env, alias),
        { ServerURL: alias, Username: 'hubuser2', Secret: hub2 },
        `get ${alias} after re-store`,
      );
    }
    listed = await listParsed(env);
    const hubKeys = Object.keys(listed).filter(isHubAlias);
    assert.is(hubKeys.length, 1, `still one Hub entry: ${JSON.stringify(listed)}`);
    assert.is(listed[hubKeys[0]!], 'hubuser2');

    // docker's OAuth login keys: verbatim, separate from the Hub entry and from each other
    const access = {
      ServerURL: 'https://index.docker.io/v1/access-token',
      Username: 'hubuser2',
      Secret: `eyJhbGciOiJSUzI1NiJ9.${unique('access')}.sig`,
    };
    const refresh = {
      ServerURL: 'https://index.docker.io/v1/refresh-token',
      Username: 'hubuser2',
      Secret: unique('refresh'),
    };
    assertSilentOk(await store(env, access), 'store access-token');
    assertSilentOk(await store(env, refresh), 'store refresh-token');
    assertCreds(await get(env, access.ServerURL), access, 'get access-token');
    assertCreds(await get(env, refresh.ServerURL), refresh, 'get refresh-token');
    assertCreds(
      await get(env, 'https://index.docker.io/v1/'),
      { ServerURL: 'https://index.docker.io/v1/', Username: 'hubuser2', Secret: hub2 },
      'Hub entry untouched by token keys',
    );
    listed = await listParsed(env);
    assert.is(listed[access.ServerURL], 'hubuser2', `list shows the access-token key: ${JSON.stringify(listed)}`);
    assert.is(listed[refresh.ServerURL], 'hubuser2', 'list shows the refresh-token key');

    // erasing through one alias erases the entry for all of them, and only it
    assertSilentOk(await erase(env, 'registry-1.docker.io'), 'erase via registry-1.docker.io');
    for (const alias of aliases) assertNotFound(await get(env, alias), `get ${alias} after erase`);
    assertCreds(await get(env, access.ServerURL), access, 'access-token survives erasing the Hub entry');
    assertSilentOk(await erase(env, access.ServerURL), 'erase access-token');
    assertNotFound(await get(env, access.ServerURL), 'access-token erased');
    assertCreds(await get(env, refresh.ServerURL), refresh, 'refresh-token survives erasing access-token');
    assertSilentOk(await erase(env, refresh.ServerURL), 'erase refresh-token');
    assertNotFound(await get(env, refresh.ServerURL), 'refresh-token erased');
  });

  test(`[${mode}] <token> username and unusual secrets come back verbatim`, async () => {
    const env = envOf(mode);
    const idToken = {
      ServerURL: 'https://idtoken.example.test',
      Username: '<token>',
      Secret: `${unique('refresh')}/+==`,
    };
    assertSilentOk(await store(env, idToken), 'store <token>');
    assertCreds(
      await get(env, 'idtoken.example.test'),
      { ...idToken, ServerURL: 'idtoken.example.test' },
      'get <token>',
    );
    assert.is((await listParsed(env))[idToken.ServerURL], '<token>', 'list shows <token>');

    const secret = `p"a\\s\ns\tü 🔑 <>&' ${unique('x')}`;
    const odd = { ServerURL: 'odd.example.test', Username: 'ü ser"\\', Secret: secret };
    assertSilentOk(await store(env, odd), 'store unusual secret');
    assertCreds(await get(env, odd.ServerURL), odd, 'get unusual secret');

    const empty = { ServerURL: 'emptysecret.example.test', Username: 'nobody', Secret: '' };
    assertSilentOk(await store(env, empty), 'store with empty Secret (allowed by the protocol)');
    assertCreds(await get(env, empty.ServerURL), empty, 'get empty secret');

    for (const s of [idToken.ServerURL, odd.ServerURL, empty.ServerURL])
      assertSilentOk(await erase(env, s), `erase ${s}`);
  });

  test(`[${mode}] store with lower-case JSON keys (Go helpers decode case-insensitively)`, async () => {
    const env = envOf(mode);
    const secret = unique('lower');
    const body = JSON.stringify({ serverurl: 'lowercase.example.test', username: 'lower', secret });
    assertSilentOk(await runHelper(['store'], { env, stdin: body }), 'store with lower-case keys');
    const expected = { ServerURL: 'lowercase.example.test', Username: 'lower', Secret: secret };
    assertCreds(await get(env, 'lowercase.example.test'), expected, 'get');
    assertSilentOk(await erase(env, 'lowercase.example.test'), 'erase');
  });

  test(`[${mode}] erase of a server with no login succeeds quietly, twice, and leaves the others`, async () => {
    // The opposite used to be asserted; skopeo/podman logout crash on a not-found from erase
    // (containers/image cannot recognise it through the Go client's wrapping), and
    // docker-credential-secretservice and wincred exit 0 here.
    const env = envOf(mode);
    const kept = { ServerURL: 'kept.example.test', Username: 'keeper', Secret: unique('kept') };
    assertSilentOk(await store(env, kept), 'store kept');
    for (const attempt of ['first', 'second']) {
      assertSilentOk(await erase(env, 'never-stored.example.test'), `${attempt} erase`);
    }
    assertCreds(await get(env, kept.ServerURL), kept, 'the other login stays');
    assertSilentOk(await erase(env, kept.ServerURL), 'erase kept');
    assertSilentOk(await erase(env, kept.ServerURL), 'erase kept again');
    assertNotFound(await get(env, kept.ServerURL), 'kept is gone');
  });
}

// ---------------------------------------------------------------------------------------------
// bad input: one line on stdout, exit 1, nothing stored, earlier data intact, no secret echoed

interface BadCase {
  name: string;
  args: string[];
  stdin: string | Buffer;
  exact?: string;
  /** a server the bad input names: must not be stored afterwards */
  notStored?: string;
}

const LEAK = `leak-${randomBytes(8).toString('hex')}`;
const SENTINEL: Creds = {
  ServerURL: 'sentinel.example.test',
  Username: 'keeper',
  Secret: `sentinel-${randomBytes(8).toString('hex')}`,
};
const json = (o: unknown) => JSON.stringify(o);
const pad = (s: string, total: number) => ' '.repeat(total - Buffer.byteLength(s)) + s;

const BAD: BadCase[] = [
  { name: 'get with empty stdin', args: ['get'], stdin: '', exact: 'no credentials server URL' },
  { name: 'get with whitespace-only stdin', args: ['get'], stdin: '  \n\t ', exact: 'no credentials server URL' },
  { name: 'erase with empty stdin', args: ['erase'], stdin: '', exact: 'no credentials server URL' },
  {
    name: 'store with empty ServerURL',
    args: ['store'],
    stdin: json({ ServerURL: '', Username: 'u', Secret: LEAK }),
    exact: 'no credentials server URL',
  },
  {
    name: 'store without ServerURL',
    args: ['store'],
    stdin: json({ Username: 'u', Secret: LEAK }),
    exact: 'no credentials server URL',
  },
  {
    name: 'store with empty Username',
    args: ['store'],
    stdin: json({ ServerURL: 'nouser.example.test', Username: '', Secret: LEAK }),
    exact: 'no credentials username',
    notStored: 'nouser.example.test',
  },
  {
    name: 'store without Username',
    args: ['store'],
    stdin: json({ ServerURL: 'nouser2.example.test', Secret: LEAK }),
    exact: 'no credentials username',
    notStored: 'nouser2.example.test',
  },
  {
    name: 'store with stdin over 1 MiB',
    args: ['store'],
    stdin: json({ ServerURL: 'big.example.test', Username: 'u', Secret: LEAK + 'a'.repeat(MiB) }),
    notStored: 'big.example.test',
  },
  { name: 'get with stdin over 1 MiB (1 MiB + 1 byte)', args: ['get'], stdin: pad(SENTINEL.ServerURL, MiB + 1) },
  {
    name: 'store with malformed JSON (truncated)',
    args: ['store'],
    stdin: `{"ServerURL":"malformed.example.test","Username":"u","Secret":"${LEAK}"`,
    notStored: 'malformed.example.test',
  },
  {
    name: 'store with malformed JSON (not JSON at all)',
    args: ['store'],
    stdin: `malformed.example.test u ${LEAK}`,
    notStored: 'malformed.example.test',
  },
  {
    name: 'store with a JSON array',
    args: ['store'],
    stdin: json([{ ServerURL: 'array.example.test', Username: 'u', Secret: LEAK }]),
    notStored: 'array.example.test',
  },
  {
    name: 'store with a non-string Secret',
    args: ['store'],
    stdin: `{"ServerURL":"typed.example.test","Username":"u","Secret":{"v":"${LEAK}"}}`,
    notStored: 'typed.example.test',
  },
  {
    name: 'store with non-UTF-8 bytes',
    args: ['store'],
    stdin: Buffer.concat([
      Buffer.from(`{"ServerURL":"nonutf8.example.test","Username":"u","Secret":"${LEAK}`),
      Buffer.from([0xff, 0xfe, 0xc3]),
      Buffer.from('"}'),
    ]),
    notStored: 'nonutf8.example.test',
  },
  {
    name: 'get with non-UTF-8 bytes',
    args: ['get'],
    stdin: Buffer.concat([Buffer.from(SENTINEL.ServerURL), Buffer.from([0xff])]),
  },
  { name: 'get with an extra argument', args: ['get', 'extra'], stdin: SENTINEL.ServerURL },
  {
    name: 'store with an extra argument',
    args: ['store', 'extra'],
    stdin: json({ ServerURL: 'extra.example.test', Username: 'u', Secret: LEAK }),
    notStored: 'extra.example.test',
  },
  {
    name: 'erase with an extra argument (must not erase)',
    args: ['erase', SENTINEL.ServerURL],
    stdin: SENTINEL.ServerURL,
  },
  {
    name: 'unknown verb',
    args: ['frobnicate'],
    stdin: SENTINEL.ServerURL,
    exact: 'docker-credential-lanyard: unknown action: frobnicate',
  },
  { name: 'no arguments', args: [], stdin: SENTINEL.ServerURL },
  { name: 'get with an ftp:// URL', args: ['get'], stdin: `ftp://${SENTINEL.ServerURL}` },
  { name: 'erase with an ftp:// URL (must not erase)', args: ['erase'], stdin: `ftp://${SENTINEL.ServerURL}` },
  {
    name: 'store with an ftp:// URL',
    args: ['store'],
    stdin: json({ ServerURL: 'ftp://ftp.example.test', Username: 'u', Secret: LEAK }),
    notStored: 'ftp.example.test',
  },
];

for (const mode of MODES) {
  test(`[${mode}] bad input: setup sentinel entry`, async () => {
    assertSilentOk(await store(envOf(mode), SENTINEL), 'store sentinel');
    assertCreds(await get(envOf(mode), SENTINEL.ServerURL), SENTINEL, 'get sentinel');
  });

  test(`[${mode}] get with stdin of exactly 1 MiB is accepted (limit boundary)`, async () => {
    const r = await get(envOf(mode), pad(SENTINEL.ServerURL, MiB));
    assertCreds(r, SENTINEL, 'get with 1 MiB of padding');
  });

  for (const c of BAD) {
    test(`[${mode}] bad input: ${c.name}`, async () => {
      const env = envOf(mode);
      const before = await listParsed(env);
      const r = await runHelper(c.args, { env, stdin: c.stdin });
      assertOneLineError(r, c.name, c.exact);
      assertNoLeak(r, LEAK, c.name);
      assertNoLeak(r, SENTINEL.Secret, c.name);
      // earlier data intact
      assertCreds(await get(env, SENTINEL.ServerURL), SENTINEL, `${c.name}: sentinel still readable`);
      assert.equal(await listParsed(env), before, `${c.name}: list changed`);
      if (c.notStored) assertNotFound(await get(env, c.notStored), `${c.name}: must store nothing`);
      if (mode === 'file' && existsSync(boxes.file.secretsFile)) {
        assert.not.ok(
          readFileSync(boxes.file.secretsFile).includes(LEAK),
          `${c.name}: rejected secret written to secrets.json`,
        );
      }
      if (mode === 'keychain') {
        for (const item of await keyring!.items()) {
          assert.is.not(
            await keyring!.secret(item.attributes),
            LEAK,
            `${c.name}: rejected secret written to the keychain`,
          );
        }
      }
    });
  }
}

test('an IPv6 zone id is bad input with a clear line, not an internal error', async () => {
  const r = await runHelper(['get'], { env: envOf('file'), stdin: '[fe80::1%eth0]:5000' });
  assertOneLineError(r, 'get with a zone id');
  assert.match(r.stdout, /invalid IPv6 address/);
  assert.not.match(r.stdout, /internal error/);
});

test('stdin on a terminal is refused at once with a hint; /dev/null reads as empty', async () => {
  // `script` gives the helper a real pseudo-terminal as stdin; without the check it would wait for typing.
  const onTerminal = await run('script', ['--quiet', '--return', '--command', `${BIN} get`, '/dev/null'], {
    env: envOf('file'),
    stdin: '',
    timeoutMs: 10_000,
  });
  assert.not.ok(onTerminal.timedOut, 'get on a terminal waited for input');
  assert.is(onTerminal.code, 1);
  assert.match(onTerminal.stdout, /reads its input on stdin; pipe it in/);
  const devNull = await run('sh', ['-c', `exec "${BIN}" get < /dev/null`], { env: envOf('file'), timeoutMs: 10_000 });
  assert.equal([devNull.code, devNull.stdout], [1, 'no credentials server URL\n'], describe(devNull));
});

// ---------------------------------------------------------------------------------------------
// automatic store selection (no LANYARD_STORE)

test('no LANYARD_STORE and a Secret Service answering: secrets go to the keychain', async () => {
  const sb = createSandbox('protocol-auto-keychain');
  extraBoxes.push(sb);
  const env = { ...sb.env, DBUS_SESSION_BUS_ADDRESS: keyring!.address };
  const secret = unique('auto-keychain');
  const server = `auto-${randomBytes(4).toString('hex')}.example.test`;
  assertSilentOk(await store(env, { ServerURL: server, Username: 'auto', Secret: secret }), 'store');
  assertCreds(await get(env, server), { ServerURL: server, Username: 'auto', Secret: secret }, 'get');
  assert.not.ok(existsSync(sb.secretsFile), 'no secrets.json when the keychain is available');
  const items = await itemsFor(server);
  assert.is(items.length, 1, `one keychain item for ${server}`);
  assert.is(await keyring!.secret(items[0]!.attributes), secret);
  assertSilentOk(await erase(env, server), 'erase');
  assert.equal(await itemsFor(server), [], 'erase deletes the item');
});

test('no LANYARD_STORE and no Secret Service: file store with a one-line notice on stderr', async () => {
  const sb = createSandbox('protocol-auto-file');
  extraBoxes.push(sb);
  const env = { ...sb.env, DBUS_SESSION_BUS_ADDRESS: `unix:path=${sb.root}/no-such-bus` };
  const secret = unique('auto-file');
  const s = await store(env, { ServerURL: 'headless.example.test', Username: 'h', Secret: secret });
  assertSilentOk(s, 'store');
  assert.ok(/^[^\n]*\S[^\n]*\n?$/.test(s.stderr), `expected a one-line notice on stderr\n${describe(s)}`);
  assertNoLeak(s, secret, 'store');
  assert.ok(existsSync(sb.secretsFile), 'secrets.json written');
  assert.is((statSync(sb.secretsFile).mode & 0o777).toString(8), '600', 'secrets.json mode');
  const g = await get(env, 'headless.example.test');
  assertCreds(g, { ServerURL: 'headless.example.test', Username: 'h', Secret: secret }, 'get');
  assert.not.ok(g.stderr.includes(secret), `get: the secret appears on stderr\n${describe(g)}`);
});

test.run();
