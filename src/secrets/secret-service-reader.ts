// A keychain read on Linux without the keyring addon: loading it (libdbus inside) and letting it
// connect costs more than the read itself. One connection, one write that authenticates and
// pipelines Hello, OpenSession and SearchItems (as sd-bus does), then GetSecrets for the one
// unlocked item found: two round trips. Whatever is not that plain case (a locked item that needs
// an unlock prompt, several matches, no Secret Service, an ERROR reply, a transport or reply we do
// not understand) is left to the addon, which already explains each to the user.
//
// The session is "plain" (no transfer encryption): the session bus is the user's own, and any
// process of the same uid may already call GetSecrets on an unlocked collection, so encrypting the
// transfer to ourselves would protect nothing. libsecret falls back to plain as well.
import { foreignText } from '../foreign-text.js';
import {
  authExternalLine,
  type DBusMessage,
  type DBusValue,
  DBusWireError,
  helloCall,
  MAX_MESSAGE_BYTES,
  MessageType,
  marshalMethodCall,
  unmarshalMessage,
} from './dbus-wire.js';
import { unixSocketOf } from './session-bus.js';
import { converseOverUnixSocket, type UnixSocket, unreliableTarget } from './unix-socket.js';

export type SecretServiceAnswer =
  | { state: 'found'; secret: string }
  | { state: 'absent' }
  /**
   * Not a case this reader settles: the addon decides (and explains). `reason` is for LANYARD_TRACE only;
   * `locked`: a matching item is locked, so the addon's read may show an unlock prompt to a person.
   */
  | { state: 'ask-addon'; reason: string; locked?: boolean }
  /** The deadline passed while waiting for `stage`: authentication, Hello, or the Secret Service. */
  | { state: 'silent'; stage: string };

export interface ReaderOptions {
  /** DBUS_SESSION_BUS_ADDRESS */
  address: string | undefined;
  /** For the whole conversation. */
  timeoutMs: number;
}

// The attributes @napi-rs/keyring gives an item it stores (service, account): the same search finds it.
const SERVICE = 'lanyard';
const SECRETS = { destination: 'org.freedesktop.secrets', path: '/org/freedesktop/secrets' };
const SERVICE_INTERFACE = 'org.freedesktop.Secret.Service';
const Serial = { hello: 1, openSession: 2, searchItems: 3, getSecrets: 4 } as const;
/** The bus answers Hello itself; everything else comes from the Secret Service's own connection. */
const BUS_NAME = 'org.freedesktop.DBus';
/** A server's answer to AUTH is one short line; more without a line end is not a D-Bus server. */
const MAX_AUTH_LINE_BYTES = 512;

export const SECRET_SERVICE_STAGE = 'the Secret Service';

const serviceCall = (serial: number, member: string, signature: string, body: DBusValue[]) =>
  marshalMethodCall({ ...SECRETS, serial, interface: SERVICE_INTERFACE, member, signature, body });

function firstWrite(uid: number, ref: string): Buffer {
  const attributes = [
    ['service', SERVICE],
    ['username', ref],
  ];
  return Buffer.concat([
    Buffer.from(`${authExternalLine(uid)}BEGIN\r\n`, 'latin1'),
    helloCall(Serial.hello),
    serviceCall(Serial.openSession, 'OpenSession', 'sv', ['plain', { signature: 's', value: '' }]),
    serviceCall(Serial.searchItems, 'SearchItems', 'a{ss}', [attributes]),
  ]);
}

/** The reply's body if it is a METHOD_RETURN with this signature; otherwise why not, for the trace. */
function replyBody(reply: DBusMessage, signature: string): DBusValue[] | string {
  if (reply.type === MessageType.error) return `an error reply ${foreignText(reply.errorName ?? '', 120)}`;
  if (reply.signature !== signature) return `a reply of type ${foreignText(reply.signature, 40)}`;
  return reply.body;
}

/** Bytes received and not yet consumed. It grows by doubling: a peer sending byte by byte costs linear time. */
class Inbox {
  private bytes = Buffer.alloc(1024);
  private start = 0;
  private end = 0;
  total = 0;

  add(chunk: Buffer): void {
    this.total += chunk.length;
    if (this.end + chunk.length > this.bytes.length) {
      const kept = this.end - this.start;
      const grown = Buffer.alloc(Math.max(kept + chunk.length, this.bytes.length * 2));
      this.bytes.copy(grown, 0, this.start, this.end);
      this.bytes = grown;
      this.start = 0;
      this.end = kept;
    }
    chunk.copy(this.bytes, this.end);
    this.end += chunk.length;
  }
  view(): Buffer {
    return this.bytes.subarray(this.start, this.end);
  }
  consume(count: number): void {
    this.start += count;
  }
}

const strict = new TextDecoder('utf-8', { fatal: true });

/** The secret in a GetSecrets reply (a{o(oayays)}) for `item`; undefined if it is not there or not UTF-8. */
function secretOf(body: DBusValue[], item: string): string | undefined {
  const entries = body[0] as [string, [string, Buffer, Buffer, string]][];
  const entry = entries.find(([path]) => path === item);
  if (entries.length !== 1 || entry === undefined) return undefined;
  try {
    return strict.decode(entry[1][2]);
  } catch {
    return undefined;
  }
}

/** The secret stored under `ref` by @napi-rs/keyring, read over D-Bus in one bounded conversation. */
export async function readSecretFromSecretService(ref: string, options: ReaderOptions): Promise<SecretServiceAnswer> {
  const socketPath = options.address ? unixSocketOf(options.address) : undefined;
  if (socketPath === undefined || !process.getuid) return { state: 'ask-addon', reason: 'no unix socket address' };
  if (unreliableTarget(socketPath)) return { state: 'ask-addon', reason: 'an abstract socket under Bun' };
  let request: Buffer;
  try {
    request = firstWrite(process.getuid(), ref);
  } catch (error) {
    if (!(error instanceof DBusWireError)) throw error;
    return { state: 'ask-addon', reason: error.message };
  }
  return converse(socketPath, request, options.timeoutMs);
}

function converse(socketPath: string, request: Buffer, timeoutMs: number): Promise<SecretServiceAnswer> {
  let stage = 'authentication';
  const inbox = new Inbox();
  let socket: UnixSocket | undefined;
  let ended = false;
  let session: string | undefined;
  let found: { unlocked: string[]; locked: string[] } | undefined;
  let item: string | undefined;
  // Bytes received and consumed so far, and how many had arrived when GetSecrets went out: a reply that came
  // before its call was sent was written by no Secret Service (a bus forwards only replies to calls it routed).
  let consumedBytes = 0;
  let receivedBeforeGetSecrets: number | undefined;
  // The connection that answered OpenSession: the search and the secret must come from it too.
  let service: string | undefined;
  // gnome-keyring aborts (an upstream race) when a client goes while a call of its is still being handled, as
  // OpenSession: the connection is closed only once every call sent has its reply (or at the deadline).
  const unanswered = new Set<number>([Serial.hello, Serial.openSession, Serial.searchItems]);
  let decided: SecretServiceAnswer | undefined;

  return converseOverUnixSocket<SecretServiceAnswer>(socketPath, timeoutMs, (end) => {
    const stop = (answer: SecretServiceAnswer) => {
      ended = true;
      end(answer);
    };
    const finish = (answer: SecretServiceAnswer) => {
      decided ??= answer;
      if (unanswered.size === 0) stop(decided);
    };
    const askAddon = (reason: string) => finish({ state: 'ask-addon', reason });

    // Once both the session and the search are known: absent, one unlocked item to fetch, or the addon's case.
    const decide = () => {
      if (found && found.unlocked.length === 0 && found.locked.length === 0) return finish({ state: 'absent' });
      if (!found || session === undefined) return;
      if (found.unlocked.length !== 1 || found.locked.length !== 0) {
        const reason = `${found.unlocked.length} unlocked and ${found.locked.length} locked items`;
        return finish({ state: 'ask-addon', reason, locked: found.locked.length > 0 });
      }
      item = found.unlocked[0]!;
      unanswered.add(Serial.getSecrets);
      receivedBeforeGetSecrets = inbox.total;
      socket?.write(serviceCall(Serial.getSecrets, 'GetSecrets', 'aoo', [[item], session]));
    };

    /** Why this reply cannot be ours (undefined when it can): a call not sent yet, or the wrong sender. */
    const foreignReply = (reply: DBusMessage, startsAt: number): string | undefined => {
      if (reply.replySerial === undefined || !unanswered.has(reply.replySerial)) return 'a reply to no call of ours';
      if (reply.replySerial === Serial.getSecrets && startsAt < (receivedBeforeGetSecrets ?? Infinity))
        return 'a GetSecrets reply that came before it was asked';
      if (reply.replySerial === Serial.hello)
        return reply.sender === BUS_NAME ? undefined : 'a Hello reply not from the bus';
      service ??= reply.sender;
      if (!service?.startsWith(':') || reply.sender !== service) return 'replies from more than one sender';
      return undefined;
    };

    const onReply = (reply: DBusMessage, startsAt: number) => {
      const foreign = foreignReply(reply, startsAt);
      if (foreign) return stop({ state: 'ask-addon', reason: foreign });
      unanswered.delete(reply.replySerial!);
      if (decided) return finish(decided);
      switch (reply.replySerial) {
        case Serial.hello:
          if (reply.type === MessageType.error) return askAddon('Hello refused');
          stage = SECRET_SERVICE_STAGE;
          return;
        case Serial.openSession: {
          const body = replyBody(reply, 'vo');
          if (typeof body === 'string') return askAddon(`OpenSession: ${body}`);
          session = body[1] as string;
          return decide();
        }
        case Serial.searchItems: {
          const body = replyBody(reply, 'aoao');
          if (typeof body === 'string') return askAddon(`SearchItems: ${body}`);
          found = { unlocked: body[0] as string[], locked: body[1] as string[] };
          return decide();
        }
        case Serial.getSecrets: {
          const body = replyBody(reply, 'a{o(oayays)}');
          if (typeof body === 'string') return askAddon(`GetSecrets: ${body}`);
          if (item === undefined) return askAddon('GetSecrets answered before it was asked');
          const secret = secretOf(body, item);
          return secret === undefined ? askAddon('GetSecrets: no usable secret') : finish({ state: 'found', secret });
        }
      }
    };

    // The AUTH answer line (OK, or a refusal libdbus may get past with another mechanism), then messages.
    const consume = () => {
      if (stage === 'authentication') {
        const received = inbox.view();
        const lineEnd = received.indexOf('\r\n');
        if (lineEnd < 0) {
          if (received.length > MAX_AUTH_LINE_BYTES) stop({ state: 'ask-addon', reason: 'no line in answer to AUTH' });
          return;
        }
        const line = received.subarray(0, lineEnd).toString('latin1');
        // Refused before BEGIN: the bus never handles our calls, so nothing is waited for.
        if (!line.startsWith('OK '))
          return stop({ state: 'ask-addon', reason: `AUTH answered ${foreignText(line, 60)}` });
        inbox.consume(lineEnd + 2);
        consumedBytes += lineEnd + 2;
        stage = 'Hello';
      }
      for (let next = unmarshalMessage(inbox.view()); next && !ended; next = unmarshalMessage(inbox.view())) {
        inbox.consume(next.length);
        const startsAt = consumedBytes;
        consumedBytes += next.length;
        const { message } = next;
        if (message.type === MessageType.methodReturn || message.type === MessageType.error) onReply(message, startsAt);
      }
    };

    return {
      open: (opened) => {
        socket = opened;
        opened.write(request);
      },
      data: (chunk) => {
        inbox.add(chunk);
        // Replies that cannot be read cannot be waited for: these end the conversation at once.
        if (inbox.total > MAX_MESSAGE_BYTES) return stop({ state: 'ask-addon', reason: 'more than 1 MiB received' });
        try {
          consume();
        } catch (error) {
          if (!(error instanceof DBusWireError)) throw error;
          stop({ state: 'ask-addon', reason: error.message });
        }
      },
      // The bus check that runs next, on the addon's path, names a connection failure.
      error: (code, message) => ({ state: 'ask-addon', reason: `socket: ${code ?? foreignText(message, 120)}` }),
      close: () => ({ state: 'ask-addon', reason: `connection closed during ${stage}` }),
      timeout: () => ({ state: 'silent', stage }),
    };
  });
}
