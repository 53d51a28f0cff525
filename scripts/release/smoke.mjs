// Runs a built binary the way docker would: `version`, then a store/get/list/erase
// round trip through the file store in a throw-away HOME, then one keychain call on a
// private session bus that offers no services: lanyard's own bus check passes there, so
// the DBus error that follows can only come from the native keyring addon (a missing
// addon says "Cannot find native binding").
// linux-arm64 runs under qemu-user with Debian's aarch64 cross libc as its root.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { exitText, run } from './run.mjs';

export const AARCH64_ROOT = '/usr/aarch64-linux-gnu';
const APT_PACKAGES = ['qemu-user-static', 'libc6-arm64-cross', 'libgcc-s1-arm64-cross'];

function onPath(command) {
  return (process.env.PATH ?? '')
    .split(delimiter)
    .map((dir) => join(dir, command))
    .find((file) => existsSync(file));
}

function aarch64Ready() {
  const qemu = onPath('qemu-aarch64-static');
  const root = ['lib/ld-linux-aarch64.so.1', 'lib/libc.so.6', 'lib/libgcc_s.so.1'].every((f) =>
    existsSync(join(AARCH64_ROOT, f)),
  );
  return qemu && root ? qemu : undefined;
}

function apt(args) {
  const sudo = process.getuid?.() === 0 ? [] : ['sudo', '-n'];
  const [command, ...rest] = [...sudo, 'apt-get', ...args];
  return run(command, rest, { env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }, timeout: 900_000 });
}

/** qemu-aarch64-static and an aarch64 glibc, installed with apt-get when missing. */
export async function ensureQemu({ install, log }) {
  const ready = aarch64Ready();
  if (ready) return { qemu: ready };
  if (!install)
    return {
      error: `qemu-aarch64-static or ${AARCH64_ROOT} missing (install: apt-get install ${APT_PACKAGES.join(' ')})`,
    };
  log(`installing ${APT_PACKAGES.join(' ')} with apt-get`);
  let result = await apt(['install', '-y', '--no-install-recommends', ...APT_PACKAGES]);
  if (
    result.status !== 0 &&
    /Unable to locate|has no installation candidate|404/i.test(`${result.stdout}${result.stderr}`)
  ) {
    await apt(['update']);
    result = await apt(['install', '-y', '--no-install-recommends', ...APT_PACKAGES]);
  }
  if (result.status !== 0) {
    const why =
      result.error?.message ??
      `${result.stderr}`
        .trim()
        .split('\n')
        .filter((l) => /^E:|error/i.test(l))
        .join(' | ');
    return { error: `apt-get install ${APT_PACKAGES.join(' ')} failed: ${why || exitText(result)}` };
  }
  return aarch64Ready()
    ? { qemu: aarch64Ready() }
    : { error: 'apt-get succeeded but qemu-aarch64-static or the aarch64 libc is still missing' };
}

/** A dbus-daemon with no service directories on a socket in `dir`; stopped by its PID with `stop()`. */
async function bareSessionBus(dir) {
  const socket = join(dir, 'bus.sock');
  const config = join(dir, 'bus.conf');
  writeFileSync(
    config,
    '<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-BUS Bus Configuration 1.0//EN"\n' +
      ' "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">\n' +
      `<busconfig><type>session</type><listen>unix:path=${socket}</listen><auth>EXTERNAL</auth>` +
      '<policy context="default"><allow send_destination="*" eavesdrop="true"/><allow eavesdrop="true"/>' +
      '<allow own="*"/></policy></busconfig>\n',
  );
  const daemon = spawn('dbus-daemon', [`--config-file=${config}`, '--nofork'], { stdio: 'ignore' });
  const stop = () => daemon.kill('SIGTERM');
  for (const started = Date.now(); !existsSync(socket); ) {
    if (daemon.exitCode !== null || Date.now() - started > 5000) {
      stop();
      throw new Error('addon check: dbus-daemon did not start (apt-get install dbus-daemon)');
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return { address: `unix:path=${socket}`, stop };
}

/** Runs the smoke test; returns a short description of what passed, throws on the first failure. */
export async function smokeTest({ binary, version, workDir, qemu }) {
  const home = join(workDir, 'home');
  for (const dir of ['home', 'config', 'data', 'cache', 'state']) mkdirSync(join(workDir, dir), { recursive: true });
  mkdirSync(join(workDir, 'run'), { recursive: true, mode: 0o700 });
  const env = {
    PATH: process.env.PATH,
    HOME: home,
    TMPDIR: workDir,
    LANYARD_STORE: 'file',
    XDG_CONFIG_HOME: join(workDir, 'config'),
    XDG_DATA_HOME: join(workDir, 'data'),
    XDG_CACHE_HOME: join(workDir, 'cache'),
    XDG_STATE_HOME: join(workDir, 'state'),
    XDG_RUNTIME_DIR: join(workDir, 'run'),
    // The smoke test's `get` must not leave a daemon started on demand running from the staging directory.
    LANYARD_AGENT_AUTOSTART: '0',
  };
  const timeout = qemu ? 180_000 : 30_000;
  const helper = async (args, input = '', extraEnv = {}) => {
    const [command, ...rest] = qemu ? [qemu, '-L', AARCH64_ROOT, binary, ...args] : [binary, ...args];
    const r = await run(command, rest, { input, timeout, env: { ...env, ...extraEnv } });
    if (r.error || r.timedOut) throw new Error(`${args[0]}: ${exitText(r)}`);
    return { code: r.status ?? r.signal, out: r.stdout, err: r.stderr };
  };
  const expect = (step, ok, r) => {
    if (!ok)
      throw new Error(
        `${step}: exit ${r.code}, stdout ${JSON.stringify(r.out.trim().slice(0, 300))}` +
          `${r.err.trim() ? `, stderr ${JSON.stringify(r.err.trim().slice(0, 300))}` : ''}`,
      );
  };

  let r = await helper(['version']);
  expect('version', r.code === 0 && r.out === `docker-credential-lanyard (lanyard) ${version}\n`, r);

  const server = 'https://registry.release-smoke.test',
    secret = `smoke-${process.pid}-${Date.now()}`;
  r = await helper(['store'], JSON.stringify({ ServerURL: server, Username: 'smoke', Secret: secret }));
  expect('store', r.code === 0, r);
  r = await helper(['get'], server);
  let answer;
  try {
    answer = JSON.parse(r.out);
  } catch {
    answer = {};
  }
  expect('get', r.code === 0 && answer.Username === 'smoke' && answer.Secret === secret, r);
  r = await helper(['list']);
  expect('list', r.code === 0 && r.out.includes(server), r);
  r = await helper(['erase'], server);
  expect('erase', r.code === 0, r);
  r = await helper(['get'], server);
  expect('get after erase', r.code === 1 && r.out.trim() === 'credentials not found in native keychain', r);

  const bus = await bareSessionBus(workDir);
  try {
    r = await helper(['store'], JSON.stringify({ ServerURL: server, Username: 'smoke', Secret: secret }), {
      LANYARD_STORE: 'keychain',
      DBUS_SESSION_BUS_ADDRESS: bus.address,
    });
  } finally {
    bus.stop();
  }
  expect(
    'keyring addon (expected a DBus error from the addon)',
    r.code === 1 && /DBus error/i.test(r.out) && !/native binding|Cannot require/i.test(r.out),
    r,
  );

  return `${qemu ? 'qemu: ' : ''}version, store/get/list/erase, addon`;
}
