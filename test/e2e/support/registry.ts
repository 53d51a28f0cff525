// Debian's docker-registry (distribution 2.8) on 127.0.0.1 with htpasswd (bcrypt) auth and
// filesystem storage inside the sandbox. Stopped by the exact PID we started.
import { spawn, type ChildProcess } from 'node:child_process';
import { openSync, closeSync, writeFileSync, readFileSync, appendFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Sandbox } from './sandbox.js';
import { freePort } from './port.js';
import { runOk, track } from './run.js';
import { stopChild } from './process.js';

export interface Registry {
  host: string; // 127.0.0.1:PORT
  port: number;
  pid: number;
  logFile: string;
  stop(): Promise<void>;
}

const REGISTRY_BIN = '/usr/bin/docker-registry';

async function answers401(host: string): Promise<boolean> {
  try {
    const res = await fetch(`http://${host}/v2/`, { signal: AbortSignal.timeout(1000) });
    return res.status === 401;
  } catch {
    return false;
  }
}

export async function startRegistry(sb: Sandbox, users: Record<string, string>): Promise<Registry> {
  const dir = sb.dir(`registry-${Date.now()}-${Math.random().toString(36).slice(2, 6)}`);
  const htpasswdFile = join(dir, 'htpasswd');
  writeFileSync(htpasswdFile, '');
  for (const [user, password] of Object.entries(users)) {
    // -i: password from stdin, never in argv
    const r = await runOk('htpasswd', ['-Bin', user], { env: sb.env, stdin: password });
    appendFileSync(htpasswdFile, `${r.stdout.trim()}\n`);
  }
  let lastError = '';
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    const host = `127.0.0.1:${port}`;
    const config = join(dir, 'config.yml');
    writeFileSync(
      config,
      [
        'version: 0.1',
        'log:',
        '  level: warn',
        '  accesslog:',
        '    disabled: true',
        'storage:',
        '  filesystem:',
        `    rootdirectory: ${join(dir, 'data')}`,
        '  delete:',
        '    enabled: true',
        'http:',
        `  addr: ${host}`,
        '  secret: lanyard-e2e-not-a-secret',
        'auth:',
        '  htpasswd:',
        '    realm: basic-realm',
        `    path: ${htpasswdFile}`,
        '',
      ].join('\n'),
    );
    const logFile = join(dir, `registry-${port}.log`);
    const fd = openSync(logFile, 'a');
    const child: ChildProcess = spawn(REGISTRY_BIN, ['serve', config], { env: sb.env, stdio: ['ignore', fd, fd] });
    closeSync(fd);
    track(child);
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    let up = false;
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline && child.exitCode === null) {
      if (await answers401(host)) {
        up = true;
        break;
      }
      await Promise.race([exited, new Promise((r) => setTimeout(r, 50))]);
    }
    if (up) {
      return { host, port, pid: child.pid!, logFile, stop: () => stopChild(child) };
    }
    await stopChild(child);
    lastError = readFileSync(logFile, 'utf8');
  }
  throw new Error(`docker-registry did not come up (3 attempts); last log:\n${lastError}`);
}
