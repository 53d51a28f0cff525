import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MAX_CONNECTIONS, serveSocket } from '../../src/daemon/socket-server.js';
import { MAX_REQUEST_BYTES } from '../../src/daemon/socket-protocol.js';

const dir = mkdtempSync(join(tmpdir(), 'lanyard-daemon-settings-'));

function ask(path: string, payload: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(path);
    let answer = '';
    socket.setEncoding('utf8');
    socket.on('connect', () => socket.write(payload));
    socket.on('data', (chunk: string) => {
      answer += chunk;
    });
    socket.on('close', () => resolve(answer));
    socket.on('error', reject);
  });
}

test('the daemon socket answers an oversized or bad request with one sanitised error line', async () => {
  const path = join(dir, 'd.sock');
  const server = await serveSocket(path, async () => ({ ok: true }));
  try {
    assert.equal(JSON.parse(await ask(path, 'x'.repeat(MAX_REQUEST_BYTES + 10))), { error: 'request too large' });
    const bad = JSON.parse(await ask(path, '{"op":"status\\u0085\\n"}\n')) as { error: string };
    assert.not.match(bad.error, /[\u0000-\u001f\u007f-\u009f]/, 'no raw control character in the answer');
    assert.equal(JSON.parse(await ask(path, '{"op":"status"}\n')), { ok: true });
  } finally {
    server.close();
  }
});

test('connections held open past the cap are answered busy; the daemon serves again once they close', async () => {
  const path = join(dir, 'cap.sock');
  const server = await serveSocket(path, async () => ({ ok: true }));
  const held = await Promise.all(
    Array.from(
      { length: MAX_CONNECTIONS },
      () =>
        new Promise<Socket>((resolve, reject) => {
          const socket = connect(path, () => resolve(socket));
          socket.on('error', reject);
        }),
    ),
  );
  try {
    await new Promise((resolve) => setTimeout(resolve, 50)); // the server has seen every connection
    assert.equal(JSON.parse(await ask(path, '{"op":"status"}\n')), {
      error: `busy: ${MAX_CONNECTIONS} connections are open`,
    });
    for (const socket of held) socket.destroy();
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(JSON.parse(await ask(path, '{"op":"status"}\n')), { ok: true });
  } finally {
    for (const socket of held) socket.destroy();
    server.close();
  }
});

test.after(() => rmSync(dir, { recursive: true, force: true }));

test.run();
