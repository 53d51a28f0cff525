// The clock of the whole daemon process moved, as a suspend or a step does: libfaketime (Debian's
// `faketime` package) under the compiled binary, its offset read from a file the test rewrites. After a
// step back by a day the daemon refreshes at once (it used to wait a day); after a jump ahead of hours
// (a suspend), no `get` is answered an expired token, and the daemon refreshes. Skipped without libfaketime.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import * as iamFixture from '../fixtures/iam.js';
import {
  fileStoreSandbox,
  getWith,
  loginIam,
  parseCreds,
  sleep,
  startDaemon,
  waitFor,
  type Daemon,
} from './support/exchange-env.js';

const LIBFAKETIME = [
  '/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1',
  '/usr/lib/aarch64-linux-gnu/faketime/libfaketime.so.1',
].find(existsSync);
const sb = fileStoreSandbox('time-jumps');
const offsetFile = join(sb.dir('faketime'), 'offset');
const APIKEY = `time-jumps-key-${randomBytes(12).toString('hex')}`;
const SERVER = 'jumps.example.test';
let iam: iamFixture.IamHandle | undefined;
let daemon: Daemon | undefined;

const moveClock = (offset: string) => writeFileSync(offsetFile, `${offset}\n`);
const maybe = LIBFAKETIME ? test : test.skip;

test.before(async () => {
  if (!LIBFAKETIME) return;
  moveClock('+0');
  Object.assign(sb.env, {
    LD_PRELOAD: LIBFAKETIME,
    FAKETIME_TIMESTAMP_FILE: offsetFile,
    FAKETIME_NO_CACHE: '1',
    FAKETIME_DONT_FAKE_MONOTONIC: '1', // the wall clock jumps, the monotonic one runs on: as a suspend or a step
  });
  iam = await iamFixture.start({ apikeys: [APIKEY] });
  await loginIam(sb.env, SERVER, APIKEY, iam.url);
  daemon = await startDaemon(sb);
  await sleep(1500); // the daemon's first tick finds the login's fresh token and schedules its refresh
});

test.after(async () => {
  await daemon?.stop();
  await iam?.stop();
  sb.cleanup();
});

maybe('a clock stepped back by a day: the daemon refreshes within seconds, not a day later', async () => {
  const before = iam!.counts.issued;
  moveClock('-1d');
  await waitFor('a refresh after the step', () => iam!.counts.issued > before, 15_000);
});

maybe('after hours asleep, get is never answered the expired token', async () => {
  moveClock('+0');
  const token = parseCreds(await getWith(sb.env, SERVER), 'get before the sleep').Secret;
  const before = iam!.counts.issued;
  moveClock('+5h');
  const woken = parseCreds(await getWith(sb.env, SERVER), 'get on waking').Secret;
  assert.is.not(woken, token, 'the token that died during the sleep was handed out');
  // The get exchanged itself, or the daemon had already refreshed: either way a new token was issued.
  assert.ok(iam!.counts.issued > before, 'a fresh token was issued after the wake');
});

test.run();
