// The keychain reader against a scripted Secret Service on a unix socket: it reads the one unlocked item's
// secret, says absent when nothing matches, and never hangs up while a call of its is unanswered.
// gnome-keyring aborts when a client goes while it still handles OpenSession (an upstream race seen with
// short-lived clients); a Secret Service that answers the search before the session is the case that shows it.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type DBusValue, MessageType, marshalMessage, unmarshalMessage } from '../../src/secrets/dbus-wire.js';
import { readSecretFromSecretService } from '../../src/secrets/secret-service-reader.js';

const dir = mkdtempSync(join(tmpdir(), 'lanyard-ss-reader-'));
const ITEM = '/org/freedesktop/secrets/collection/login/7';
const SESSION = '/org/freedesktop/secrets/session/s1';

interface Script {
  /** Items SearchItems finds (all unlocked). */
  items: string[];
  /** How long OpenSession takes, while SearchItems is answered at once. */
  sessionDelayMs: number;
  /** A hostile bus: the GetSecrets reply (serial 4) sent with the search's, before the reader asks. */
  pipelineGetSecrets?: boolean;
  /** A hostile bus: the secret comes from another connection than the session and the search. */
  secretSender?: string;
}

const SERVICE_NAME = ':1.7';
const secretBody = (items: string[]): DBusValue[] => [
  items.map((item) => [item, [SESSION, Buffer.alloc(0), Buffer.from('s3cret-ü', 'utf8'), 'text/plain']]),
];

interface FakeService {
  server: Server;
  address: string;
  /** Replies written after the client had already hung up. */
  lateReplies: string[];
}

function reply(socket: Socket, to: number, signature: string, body: DBusValue[], sender = SERVICE_NAME): void {
  const message = { type: MessageType.methodReturn, serial: 100 + to, replySerial: to, sender, signature, body };
  socket.write(marshalMessage(message));
}

async function startService(name: string, script: Script): Promise<FakeService> {
  const path = join(dir, `${name}.sock`);
  const lateReplies: string[] = [];
  const server = createServer((socket) => {
    let buffered = Buffer.alloc(0);
    let authenticated = false;
    let closed = false;
    socket.on('close', () => {
      closed = true;
    });
    socket.on('error', () => undefined);
    const answer = (member: string, to: number, signature: string, body: DBusValue[], sender?: string) => {
      if (closed) lateReplies.push(member);
      else reply(socket, to, signature, body, sender);
    };
    socket.on('data', (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      if (!authenticated) {
        const begin = buffered.indexOf('BEGIN\r\n');
        if (begin < 0) return;
        socket.write('OK 0123456789abcdef0123456789abcdef\r\n');
        buffered = buffered.subarray(begin + 'BEGIN\r\n'.length);
        authenticated = true;
      }
      for (let next = unmarshalMessage(buffered); next; next = unmarshalMessage(buffered)) {
        buffered = buffered.subarray(next.length);
        const { serial } = next.message;
        const member = next.message.member;
        if (member === 'Hello') answer(member, serial, 's', [':1.9'], 'org.freedesktop.DBus');
        if (member === 'OpenSession') {
          const open = () => answer(member, serial, 'vo', [{ signature: 's', value: '' }, SESSION]);
          setTimeout(open, script.sessionDelayMs);
        }
        if (member === 'SearchItems') {
          answer(member, serial, 'aoao', [script.items, []]);
          if (script.pipelineGetSecrets) answer('GetSecrets', 4, 'a{o(oayays)}', secretBody(script.items));
        }
        if (member === 'GetSecrets' && !script.pipelineGetSecrets)
          answer(member, serial, 'a{o(oayays)}', secretBody(script.items), script.secretSender);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(path, resolve));
  return { server, address: `unix:path=${path}`, lateReplies };
}

const stop = (service: FakeService) => new Promise((resolve) => service.server.close(resolve));

test('one unlocked item: its secret, after the session it was fetched in', async () => {
  const service = await startService('found', { items: [ITEM], sessionDelayMs: 50 });
  try {
    const answer = await readSecretFromSecretService('reg.example/1', { address: service.address, timeoutMs: 2000 });
    assert.equal(answer, { state: 'found', secret: 's3cret-ü' });
    assert.equal(service.lateReplies, []);
  } finally {
    await stop(service);
  }
});

test('nothing found while OpenSession is still being handled: absent, and no hang-up before its reply', async () => {
  const service = await startService('absent', { items: [], sessionDelayMs: 150 });
  try {
    const started = Date.now();
    const answer = await readSecretFromSecretService('reg.example/2', { address: service.address, timeoutMs: 2000 });
    assert.equal(answer, { state: 'absent' });
    assert.ok(Date.now() - started < 1500, 'answered long before the deadline');
    await new Promise((resolve) => setTimeout(resolve, 200)); // past the session's delay
    assert.equal(service.lateReplies, [], 'the reader hung up while OpenSession was unanswered');
  } finally {
    await stop(service);
  }
});

test('a hostile bus: a reply sent before its call, or a secret from another sender, is never believed', async () => {
  const hostile: [string, Script][] = [
    ['pipelined', { items: [ITEM], sessionDelayMs: 0, pipelineGetSecrets: true }],
    ['impostor', { items: [ITEM], sessionDelayMs: 0, secretSender: ':1.66' }],
  ];
  for (const [name, script] of hostile) {
    const service = await startService(name, script);
    try {
      const answer = await readSecretFromSecretService('reg.example/3', { address: service.address, timeoutMs: 2000 });
      assert.is(answer.state, 'ask-addon', `${name}: ${JSON.stringify(answer)}`);
    } finally {
      await stop(service);
    }
  }
});

test.after(() => rmSync(dir, { recursive: true, force: true }));

test.run();
