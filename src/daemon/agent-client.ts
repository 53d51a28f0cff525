// `get`'s side of the agent path: asks the running daemon for a static entry's secret within a few
// milliseconds. A daemon that is absent, slow, stopped or holding nothing costs at most the deadline, and
// `get` reads the store as it would without one. The answer is believed only as a bounded pair of strings
// for the very entry asked about (its username); it is registered for redaction and never logged.
import { lstatSync } from 'node:fs';
import type { CoreContext } from '../credentials/core-context.js';
import { daemonSocketPath } from '../daemon-files.js';
import { registerSecret } from '../foreign-text.js';
import type { MappingEntry } from '../mapping/types.js';
import { connectUnixSocket, type UnixSocket } from '../secrets/unix-socket.js';
import { secretFingerprint } from '../tokens/fingerprint.js';
import { agentServes, MAX_AGENT_ANSWER_BYTES, parseAgentAnswer } from './socket-protocol.js';

/** Connect, one line each way: a live daemon answers in well under a millisecond. */
export const AGENT_DEADLINE_MS = 10;

/** A socket this user made: one planted by anyone else (a runtime dir gone wide) is not asked. */
function ownSocket(path: string): boolean {
  try {
    const stat = lstatSync(path);
    return stat.isSocket() && stat.uid === process.getuid?.();
  } catch {
    return false;
  }
}

/** The entry's secret as the daemon holds it, or undefined (then the store is read). */
export function askAgent(context: CoreContext, entry: MappingEntry): Promise<string | undefined> {
  const path = daemonSocketPath(context.config.paths);
  if (!context.config.agent || !agentServes(entry) || !ownSocket(path)) return Promise.resolve(undefined);
  const fingerprint = secretFingerprint(entry, context.config);
  const request = `${JSON.stringify({ op: 'secret', server: entry.server, fingerprint })}\n`;
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let socket: UnixSocket | undefined;
    let settled = false;
    const finish = (secret?: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket?.destroy();
      if (secret !== undefined) registerSecret(secret);
      resolve(secret);
    };
    const timer = setTimeout(finish, AGENT_DEADLINE_MS);
    const received = (chunk: Buffer) => {
      chunks.push(chunk);
      size += chunk.length;
      const all = Buffer.concat(chunks, size);
      const newline = all.indexOf(0x0a);
      if (newline < 0) return size > MAX_AGENT_ANSWER_BYTES ? finish() : undefined;
      const held = parseAgentAnswer(all.subarray(0, newline).toString('utf8'));
      finish(held?.username === entry.username ? held.secret : undefined);
    };
    void connectUnixSocket(path, {
      open: (opened) => {
        socket = opened;
        opened.write(request);
      },
      data: received,
      error: () => finish(),
      close: () => finish(),
    }).then((opened) => {
      socket = opened;
      if (settled) opened.destroy();
    });
  });
}
