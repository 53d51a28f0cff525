// A private Secret Service for one test file: its own dbus-daemon and an unlocked gnome-keyring whose
// keyring file lives in the sandbox. Sets sb.env.DBUS_SESSION_BUS_ADDRESS to it.
//
// Why not only the session bus that scripts/test.sh provides: a private keyring is created fresh with a
// known password whatever the runner did (an early test.sh unlocked the login keyring in the runner's real
// HOME, which on this machine already existed with another password, so every write was refused with
// "Cannot create an item in a locked collection"); it holds only this file's items, so a test can list
// every item and assert that nothing was left behind; and it lets one file run on its own with plain
// `node --import tsx test/e2e/x.test.ts`, without a surrounding dbus-run-session.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, chmodSync, openSync, closeSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Sandbox } from './sandbox.js';
import { run, runOk, track } from './run.js';
import { stopChild } from './process.js';

export interface KeyringItem {
  path: string;
  attributes: Record<string, string>;
}

export interface Keyring {
  address: string;
  /** The gnome-keyring-daemon's PID: a test may freeze it (SIGSTOP) to play a hung Secret Service. */
  daemonPid: number;
  /** Every item whose attribute service=<service> (default lanyard), with all its attributes. */
  items(service?: string): Promise<KeyringItem[]>;
  /** The secret of the item with exactly these attributes (secret-tool lookup), or null. */
  secret(attributes: Record<string, string>): Promise<string | null>;
  /** Deletes one item, as another program (or a person in Seahorse) may. */
  deleteItem(path: string): Promise<void>;
  /** Locks the login collection, as a screen lock does: every later read fails as locked (nothing unlocks it). */
  lock(): Promise<void>;
  /**
   * Starts gnome-keyring again, unlocked, if it died: gnome-keyring 42 aborts now and then when a client is
   * killed with a call in flight (an upstream race), which a test that SIGKILLs the helper provokes. Its items are
   * on disk and come back. Returns whether it had died; the reason is printed with the keyring's own last lines.
   */
  restartIfDied(): Promise<boolean>;
  stop(): Promise<void>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Parses the GVariant text of a{ss} printed by gdbus: {'k': 'v', "k'2": 'v'} */
function parseStringDict(text: string): Record<string, string> {
  const str = `(?:'((?:[^'\\\\]|\\\\.)*)'|"((?:[^"\\\\]|\\\\.)*)")`;
  const re = new RegExp(`${str}: ${str}`, 'g');
  const unquote = (s: string) => s.replace(/\\(.)/g, '$1');
  const out: Record<string, string> = {};
  for (const m of text.matchAll(re)) out[unquote(m[1] ?? m[2] ?? '')] = unquote(m[3] ?? m[4] ?? '');
  return out;
}

/** gnome-keyring on the bus in `env`, unlocked, once it owns the Secret Service name and a probe item reads back. */
async function startUnlockedKeyring(env: NodeJS.ProcessEnv, logFile: string): Promise<ChildProcess> {
  const logFd = openSync(logFile, 'a');
  const gk: ChildProcess = spawn('gnome-keyring-daemon', ['--foreground', '--unlock', '--components=secrets'], {
    env,
    stdio: ['pipe', logFd, logFd],
  });
  closeSync(logFd);
  track(gk);
  gk.stdin!.end('lanyard-e2e-keyring');
  try {
    await untilUsable(gk, env, logFile);
  } catch (error) {
    await stopChild(gk);
    throw error;
  }
  return gk;
}

async function untilUsable(gk: ChildProcess, env: NodeJS.ProcessEnv, logFile: string): Promise<void> {
  // Wait until it owns org.freedesktop.secrets: asking earlier would make the bus auto-start a
  // second, locked gnome-keyring through D-Bus activation.
  let owned = false;
  for (let i = 0; i < 100 && !owned && gk.exitCode === null; i++) {
    const r = await run(
      'dbus-send',
      [
        '--session',
        '--print-reply',
        '--dest=org.freedesktop.DBus',
        '/',
        'org.freedesktop.DBus.NameHasOwner',
        'string:org.freedesktop.secrets',
      ],
      { env, timeoutMs: 5000 },
    );
    owned = /boolean true/.test(r.stdout);
    if (!owned) await sleep(20);
  }
  if (!owned)
    throw new Error(`gnome-keyring-daemon did not take org.freedesktop.secrets: ${readFileSync(logFile, 'utf8')}`);
  // ready = a probe item can be written and read back (the login collection exists and is unlocked)
  let ready = false;
  for (let i = 0; i < 100 && !ready; i++) {
    const w = await run('secret-tool', ['store', '--label=probe', 'lanyard-e2e-probe', '1'], {
      env,
      stdin: 'probe',
      timeoutMs: 5000,
    });
    if (w.code === 0) {
      const r = await run('secret-tool', ['lookup', 'lanyard-e2e-probe', '1'], { env, timeoutMs: 5000 });
      ready = r.stdout === 'probe';
    }
    if (!ready) await sleep(30);
  }
  if (!ready) throw new Error('private gnome-keyring did not become usable');
  await runOk('secret-tool', ['clear', 'lanyard-e2e-probe', '1'], { env });
}

/** `abstract`: the bus listens on a Linux abstract socket (`unix:abstract=…`, as dbus-launch's default gives). */
export async function startKeyring(sb: Sandbox, options: { abstract?: boolean } = {}): Promise<Keyring> {
  const dir = sb.dir('keyring');
  const home = join(dir, 'home');
  const runDir = join(dir, 'run');
  mkdirSync(home, { recursive: true });
  mkdirSync(runDir, { recursive: true });
  chmodSync(runDir, 0o700);
  const socket = join(runDir, 'bus');
  const address = options.abstract ? `unix:abstract=lanyard-e2e-${process.pid}-${Date.now()}` : `unix:path=${socket}`;
  const baseEnv: NodeJS.ProcessEnv = {
    PATH: sb.env.PATH,
    HOME: home,
    XDG_DATA_HOME: join(home, 'data'),
    XDG_RUNTIME_DIR: runDir,
    XDG_CONFIG_HOME: join(home, 'config'),
    XDG_CACHE_HOME: join(home, 'cache'),
  };

  const bus: ChildProcess = spawn('dbus-daemon', ['--session', '--nofork', '--nopidfile', `--address=${address}`], {
    env: baseEnv,
    stdio: 'ignore',
  });
  track(bus);
  const children: ChildProcess[] = [bus];
  const stop = async () => {
    for (const c of children.reverse()) await stopChild(c);
  };
  try {
    const env = { ...baseEnv, DBUS_SESSION_BUS_ADDRESS: address };
    const listening = async () =>
      options.abstract
        ? (
            await run(
              'dbus-send',
              ['--session', '--print-reply', '--dest=org.freedesktop.DBus', '/', 'org.freedesktop.DBus.ListNames'],
              { env, timeoutMs: 5000 },
            )
          ).code === 0
        : existsSync(socket);
    let up = await listening();
    for (let i = 0; i < 100 && !up; i++) {
      await sleep(20);
      up = await listening();
    }
    if (!up) throw new Error('dbus-daemon did not start listening');
    const logFile = join(dir, 'gnome-keyring.log');
    let gk = await startUnlockedKeyring(env, logFile);
    children.push(gk);
    sb.env.DBUS_SESSION_BUS_ADDRESS = address;

    const gdbus = (args: string[]) =>
      runOk('gdbus', ['call', '--session', '--dest', 'org.freedesktop.secrets', ...args], { env });
    return {
      address,
      get daemonPid() {
        return gk.pid!;
      },
      stop,
      async restartIfDied() {
        if (gk.exitCode === null && gk.signalCode === null) return false;
        const lastLines = readFileSync(logFile, 'utf8').trim().split('\n').slice(-4).join(' | ');
        console.log(`  (gnome-keyring died, ${gk.signalCode ?? gk.exitCode}: ${lastLines}; started again)`);
        gk = await startUnlockedKeyring(env, logFile);
        children.push(gk);
        return true;
      },
      async items(service = 'lanyard') {
        const search = await gdbus([
          '--object-path',
          '/org/freedesktop/secrets',
          '--method',
          'org.freedesktop.Secret.Service.SearchItems',
          JSON.stringify({ service }),
        ]);
        const paths = [...search.stdout.matchAll(/'(\/org\/freedesktop\/secrets\/[^']+)'/g)].map((m) => m[1]!);
        const items: KeyringItem[] = [];
        for (const path of paths) {
          const attrs = await gdbus([
            '--object-path',
            path,
            '--method',
            'org.freedesktop.DBus.Properties.Get',
            'org.freedesktop.Secret.Item',
            'Attributes',
          ]);
          items.push({ path, attributes: parseStringDict(attrs.stdout) });
        }
        return items;
      },
      async deleteItem(path) {
        await gdbus(['--object-path', path, '--method', 'org.freedesktop.Secret.Item.Delete']);
      },
      async lock() {
        await gdbus([
          '--object-path',
          '/org/freedesktop/secrets',
          '--method',
          'org.freedesktop.Secret.Service.Lock',
          "['/org/freedesktop/secrets/collection/login']",
        ]);
      },
      async secret(attributes) {
        const r = await run('secret-tool', ['lookup', ...Object.entries(attributes).flat()], { env, timeoutMs: 5000 });
        return r.code === 0 ? r.stdout : null;
      },
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
