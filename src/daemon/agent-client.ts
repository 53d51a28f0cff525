// `get`'s side of the agent path: asks the running daemon for the whole answer (get-answer.ts) within a few
// milliseconds, before loading anything else of the core. A daemon that is absent, slow, stopped or without
// the answer at hand costs at most the deadline, and `get` then works it out as it would without one. The
// answer is believed only as a bounded pair of strings; it is printed and never logged.
import { lstatSync, type Stats } from 'node:fs';
import { dirname } from 'node:path';
import type { Config } from '../config.js';
import { daemonSocketPath } from '../daemon-files.js';
import { converseOverUnixSocket } from '../secrets/unix-socket.js';
import { type AgentLogin, MAX_AGENT_ANSWER_BYTES, parseGetAnswer } from './agent-answer.js';

/** Connect, one line each way: a live daemon answers in well under a millisecond. */
export const AGENT_DEADLINE_MS = 10;

/**
 * A socket this user made, in a folder only this user can enter (as the native front checks: front/agent.go). One
 * planted by anyone else, or in a runtime dir gone wide, is not asked.
 */
function ownSocket(path: string): boolean {
  const own = (stat: Stats) => stat.uid === process.getuid?.() && (stat.mode & 0o077) === 0;
  try {
    const socket = lstatSync(path);
    const folder = lstatSync(dirname(path));
    return socket.isSocket() && own(socket) && folder.isDirectory() && own(folder);
  } catch {
    return false;
  }
}

/** The daemon's answer for this registry, or null (then `get` does the work itself). */
export function askAgent(config: Config, serverURL: string): Promise<AgentLogin | null> {
  const path = daemonSocketPath(config.paths);
  if (!config.agent || !ownSocket(path)) return Promise.resolve(null);
  const { mappingFile, secretsFile } = config.paths;
  const request = `${JSON.stringify({ op: 'get', serverURL, mappingFile, secretsFile })}\n`;
  const chunks: Buffer[] = [];
  let size = 0;
  return converseOverUnixSocket<AgentLogin | null>(path, AGENT_DEADLINE_MS, (end) => ({
    open: (socket) => socket.write(request),
    data: (chunk) => {
      chunks.push(chunk);
      size += chunk.length;
      const all = Buffer.concat(chunks, size);
      const newline = all.indexOf(0x0a);
      if (newline >= 0) end(parseGetAnswer(all.subarray(0, newline).toString('utf8')));
      else if (size > MAX_AGENT_ANSWER_BYTES) end(null);
    },
    error: () => null,
    close: () => null,
    timeout: () => null,
  }));
}
