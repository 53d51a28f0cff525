// Which kernel call tells the daemon who is on the other end of its socket, with the platform given: getpeereid
// from libSystem on macOS, getsockopt(SO_PEERCRED) from glibc on Linux, none on Windows. bun:ffi is replaced by a
// stand-in libc that records what was opened and writes a uid where the real call would, so the macOS path runs
// here down to reading the uid out of the buffer it passed. The real Linux call under Bun is run at the end.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { type Ffi, type Libc, peerUidReader } from '../../src/daemon/peer-credentials.js';

interface Opened {
  path: string;
  symbols: string[];
  signatures: unknown;
}

/** bun:ffi as seen by peer-credentials.ts, over a libc that answers `uid` (or fails with -1 when it is undefined). */
function standInFfi(uid: number | undefined) {
  const views: ArrayBufferView[] = [];
  const opened: Opened[] = [];
  const calls: unknown[][] = [];
  const at = (pointer: number) => views[pointer]!;
  const libc: Libc = {
    getsockopt(fd, level, name, value, length) {
      calls.push(['getsockopt', fd, level, name]);
      if (uid === undefined) return -1;
      assert.is((at(length) as Uint32Array)[0], 12, 'struct ucred is three ints');
      (at(value) as Int32Array)[1] = uid; // pid, uid, gid
      return 0;
    },
    getpeereid(fd, uidPointer, gidPointer) {
      calls.push(['getpeereid', fd]);
      if (uid === undefined) return -1;
      (at(uidPointer) as Uint32Array)[0] = uid;
      (at(gidPointer) as Uint32Array)[0] = 20;
      return 0;
    },
  };
  const ffi: Ffi = {
    dlopen(path, symbols) {
      opened.push({ path, symbols: Object.keys(symbols), signatures: symbols });
      return { symbols: libc };
    },
    ptr(view) {
      views.push(view);
      return views.length - 1;
    },
  };
  return { ffi, opened, calls };
}

const socketOn = (fd: number) => ({ _handle: { fd } });

test('macOS: getpeereid from /usr/lib/libSystem.B.dylib, and the uid it writes is the answer', async () => {
  const libc = standInFfi(501);
  const peerUid = await peerUidReader('darwin', async () => libc.ffi);
  assert.equal(libc.opened, [
    {
      path: '/usr/lib/libSystem.B.dylib',
      symbols: ['getpeereid'],
      signatures: { getpeereid: { args: ['i32', 'ptr', 'ptr'], returns: 'i32' } },
    },
  ]);
  assert.is(peerUid(socketOn(7)), 501);
  assert.equal(libc.calls, [['getpeereid', 7]]);
});

test('Linux: getsockopt(SOL_SOCKET=1, SO_PEERCRED=17) from libc.so.6, uid the second int of struct ucred', async () => {
  const libc = standInFfi(1000);
  const peerUid = await peerUidReader('linux', async () => libc.ffi);
  assert.equal(
    libc.opened.map((o) => [o.path, o.symbols]),
    [['libc.so.6', ['getsockopt']]],
  );
  assert.is(peerUid(socketOn(9)), 1000);
  assert.equal(libc.calls, [['getsockopt', 9, 1, 17]]);
});

test('a failing call or a socket without a descriptor is -1 (refused), on both', async () => {
  for (const platform of ['darwin', 'linux'] as const) {
    const peerUid = await peerUidReader(platform, async () => standInFfi(undefined).ffi);
    assert.is(peerUid(socketOn(3)), -1, `${platform}: the call failed`);
    assert.is(peerUid({}), -1, `${platform}: no descriptor`);
  }
});

test('Windows, and Node (no bun:ffi): the uid cannot be told, and nothing is opened', async () => {
  const libc = standInFfi(0);
  const windows = await peerUidReader('win32', async () => libc.ffi);
  assert.is(windows(socketOn(3)), undefined);
  assert.equal(libc.opened, [], 'no library is opened where there is no call');
  const node = await peerUidReader('darwin', async () => undefined);
  assert.is(node(socketOn(3)), undefined);
});

test('a library that cannot be opened leaves the uid untold, logged, not a crash', async () => {
  const broken: Ffi = {
    dlopen: () => {
      throw new Error('dlopen(/usr/lib/libSystem.B.dylib): image not found');
    },
    ptr: () => 0,
  };
  const peerUid = await peerUidReader('darwin', async () => broken);
  assert.is(peerUid(socketOn(3)), undefined);
});

test('under Bun on this Linux machine the real SO_PEERCRED call returns this uid', () => {
  const bun = join(process.cwd(), 'node_modules', '.bin', 'bun');
  const script = `
    import { createServer, connect } from 'node:net';
    import { peerUidReader } from './src/daemon/peer-credentials.ts';
    const peerUid = await peerUidReader();
    const path = '/tmp/lanyard-peer-' + process.pid + '.sock';
    const server = createServer((socket) => {
      console.log(JSON.stringify(peerUid(socket)));
      socket.end();
      server.close();
    });
    server.listen(path, () => connect(path).on('close', () => {}));`;
  const run = spawnSync(bun, ['-e', script], { encoding: 'utf8', timeout: 20_000 });
  if (process.platform !== 'linux' || run.error) {
    console.log(`  (skipped: ${run.error?.message ?? process.platform})`);
    return;
  }
  assert.is(run.stdout.trim(), String(process.getuid?.()), run.stderr);
});

test.run();
